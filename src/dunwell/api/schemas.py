"""The JSON the API reads and writes. Amounts are decimal strings in major units
("1234.50", DESIGN.md §4), dates ISO 8601; field names here are the ones errors name."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from dunwell.core.errors import DomainError, InvalidInput
from dunwell.core.money import exponent_of, to_minor
from dunwell.origination.model import (
    Applicant,
    ApplicantKind,
    Application,
    Effect,
    Outcome,
    Purpose,
    Transaction,
    TransactionKind,
)

Amount = Annotated[str, Field(pattern=r"^\d{1,13}(\.\d{1,8})?$", examples=["50000.00"],
                              description="A non-negative decimal string in major units.")]
Language = Literal["en", "zh-CN"]
IdempotencyKey = Annotated[str, Field(min_length=1, max_length=128)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ApplicantIn(Strict):
    kind: ApplicantKind
    reference: str = Field(min_length=1, max_length=128,
                           description="The merchant id, or the customer's reference.")
    name: str = Field(min_length=1, max_length=200)
    language: Language = "en"


class TransactionIn(Strict):
    date: dt.date
    amount: Amount
    kind: TransactionKind


class ApplicationIn(Strict):
    """An application. A merchant's transaction records may come with it, or from an
    earlier ``PUT /v1/merchants/{id}``; a consumer may send monthly income history."""

    idempotency_key: IdempotencyKey | None = Field(
        default=None, description="Or the Idempotency-Key header.")
    applicant: ApplicantIn
    currency: str = Field(pattern=r"^[A-Z]{3}$", examples=["CNY"])
    requested_amount: Amount
    term_months: int = Field(ge=1, le=36)
    purpose: Purpose
    monthly_income: Amount = "0"
    monthly_expenses: Amount = "0"
    existing_debt_payments: Amount = "0"
    income_history: list[Amount] = Field(default_factory=list, max_length=120)
    transactions: list[TransactionIn] = Field(default_factory=list, max_length=50_000)

    def to_domain(self) -> Application:
        cur = self.currency
        exponent = currency_exponent(cur)

        def minor(value: str, field: str) -> int:
            return minor_units(value, cur, exponent, field)

        a = self.applicant
        return Application(
            applicant=Applicant(a.kind, a.reference, a.name, a.language), currency=cur,
            requested_minor=minor(self.requested_amount, "requested_amount"),
            term_months=self.term_months, purpose=self.purpose,
            monthly_income_minor=minor(self.monthly_income, "monthly_income"),
            monthly_expenses_minor=minor(self.monthly_expenses, "monthly_expenses"),
            existing_debt_payments_minor=minor(self.existing_debt_payments,
                                               "existing_debt_payments"),
            transactions=records(self.transactions, cur),
            income_history_minor=tuple(minor(v, f"income_history.{k}")
                                       for k, v in enumerate(self.income_history)))


def currency_exponent(currency: str) -> int:
    try:
        return exponent_of(currency)
    except DomainError as exc:
        raise InvalidInput(exc.message, code=exc.code, field="currency") from None


def minor_units(text: str, currency: str, exponent: int, field: str) -> int:
    """Minor units of an ``Amount`` (digits, at most one point). With no more decimals
    than the currency has, the digits are the minor units; otherwise
    :func:`dunwell.core.money.to_minor` decides (trailing zeros pass, more is refused)."""
    whole, _, frac = text.partition(".")
    if len(frac) > exponent:
        return to_minor(text, currency, field=field)
    return int(whole + frac.ljust(exponent, "0"))


def records(items: list[TransactionIn], currency: str) -> tuple[Transaction, ...]:
    exponent = currency_exponent(currency)
    return tuple(Transaction(t.date, minor_units(t.amount, currency, exponent,
                                                 f"transactions.{k}.amount"), t.kind)
                 for k, t in enumerate(items))


class MerchantIn(Strict):
    name: str = Field(min_length=1, max_length=200)
    currency: str = Field(pattern=r"^[A-Z]{3}$", examples=["CNY"])
    language: Language = "en"
    transactions: list[TransactionIn] = Field(max_length=50_000)


class MerchantOut(BaseModel):
    merchant_id: str
    applicant_id: int
    months_active: int
    monthly_turnover: str
    trend_per_month: str
    volatility: str
    refund_rate: str
    seasonality: str


class ReasonOut(BaseModel):
    code: str
    effect: Effect
    text: str


class ApplicantOut(BaseModel):
    kind: ApplicantKind
    reference: str
    name: str


class DecisionOut(BaseModel):
    application_id: int
    applicant: ApplicantOut
    business_date: dt.date
    outcome: Outcome
    grade: str | None
    probability_of_default: str | None
    currency: str
    requested_amount: str
    approved_amount: str
    credit_limit: str
    annual_rate: str | None
    term_months: int
    term_options: list[int]
    credit_line_id: int | None
    monthly_cash_flow: str
    debt_service_ratio: str | None
    language: Language
    reasons: list[ReasonOut]
    what_would_help: list[str]
    model: str


class DrawdownIn(Strict):
    idempotency_key: IdempotencyKey | None = Field(
        default=None, description="Or the Idempotency-Key header.")
    amount: Amount
    term_months: int = Field(ge=1, le=36)


class InstalmentOut(BaseModel):
    n: int
    due_date: dt.date
    principal: str
    interest: str
    fee: str
    penalty: str
    paid: str
    outstanding: str


class DrawdownOut(BaseModel):
    drawdown_id: int
    line_id: int
    loan_id: int
    business_date: dt.date
    amount: str
    term_months: int
    product_code: str
    monthly_repayment: str
    available: str | None = None


class CreditLineOut(BaseModel):
    line_id: int
    application_id: int
    borrower_id: int
    kind: ApplicantKind
    status: str
    currency: str
    credit_limit: str
    limit_ceiling: str
    available: str
    outstanding_principal: str
    grade: str
    annual_rate: str
    opened_on: dt.date
    limit_changed_on: dt.date
    reviewed_on: dt.date | None
    drawdowns: list[DrawdownOut]


class LoanOut(BaseModel):
    loan_id: int
    borrower_id: int
    product_code: str
    currency: str
    principal: str
    status: str
    days_past_due: int
    bucket: str
    disbursed_on: dt.date
    installments: list[InstalmentOut]
    balances: dict[str, str]


class ErrorOut(BaseModel):
    error: str
    message: str
    field: str | None = None
