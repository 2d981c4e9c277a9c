"""The JSON the API reads and writes. Amounts are decimal strings in major units
("1234.50", DESIGN.md §4), dates ISO 8601; field names here are the ones errors name."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, with_config
from pydantic import Strict as StrictType
from pydantic_core import PydanticCustomError
from typing_extensions import TypedDict

from dunwell.core.errors import DomainError, InvalidInput
from dunwell.core.limits import (
    AMOUNT_MINOR_MAX,
    DATE_MAX,
    DATE_MIN,
    ID_MAX,
    ID_MIN,
    check_amount_minor,
)
from dunwell.core.money import exponent_of, to_minor
from dunwell.origination.disclosure import Method
from dunwell.origination.features import read_records
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
#: An amount field without a pattern (domain code parses it): bounded in length.
AmountText = Annotated[str, Field(min_length=1, max_length=32, examples=["500.00"],
                                  description="A decimal string in major units.")]
Language = Literal["en", "zh-CN"]
IdempotencyKey = Annotated[str, Field(min_length=1, max_length=128)]
#: An id in a body: 1 to 2^63-1 (``dunwell.core.limits``).
Id = Annotated[int, Field(ge=ID_MIN, le=ID_MAX)]

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
_ISO_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?"
                           r"(Z|[+-]\d{2}:\d{2})?", re.ASCII)


def _iso_date(value: Any) -> Any:
    """Only ``YYYY-MM-DD`` text (or a date) is a date: ``0`` is not 1970-01-01; and
    only within the years the book takes (:func:`_within_dates`, checked here rather
    than by a second validator: one call per date, which a body of records has many of)."""
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return _within_dates(value)
    if not isinstance(value, str) or not _ISO_DATE.fullmatch(value):
        raise PydanticCustomError("date_iso", "send a date as YYYY-MM-DD")
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        raise PydanticCustomError("date_iso", "{value} is not a calendar date",
                                  {"value": value}) from None
    return _within_dates(day)


def _iso_datetime(value: Any) -> Any:
    """Only ISO 8601 text (or a datetime) is a timestamp: ``0`` is not 1970."""
    if isinstance(value, dt.datetime):
        return value
    if not isinstance(value, str) or not _ISO_DATETIME.fullmatch(value):
        raise PydanticCustomError("datetime_iso",
                                  "send a timestamp like 2025-03-01T10:00:00+08:00")
    try:
        return dt.datetime.fromisoformat(value)
    except ValueError:
        raise PydanticCustomError("datetime_iso", "{value} is not a valid timestamp",
                                  {"value": value}) from None


def _within_dates(value: Any) -> Any:
    day = value.date() if isinstance(value, dt.datetime) else value
    if not DATE_MIN <= day <= DATE_MAX:
        raise PydanticCustomError("date_range", "send a date from {low} to {high}",
                                  {"low": DATE_MIN.isoformat(), "high": DATE_MAX.isoformat()})
    return value


#: A date in a body, path or query: ``YYYY-MM-DD`` only, from 2000-01-01 to 2199-12-31.
IsoDate = Annotated[dt.date, BeforeValidator(_iso_date)]
#: A timestamp: ISO 8601 text only, in the same years.
IsoDateTime = Annotated[dt.datetime, BeforeValidator(_iso_datetime),
                        AfterValidator(_within_dates)]


class StrictIn(BaseModel):
    """A request body: JSON types as the schema says (``"12"`` is not 12, ``0`` is not a
    date); enums take their string values; a field the route does not take is refused
    (422 naming it), so a client that still sends, say, an approver's role learns that
    the signed-in user decides it."""

    model_config = ConfigDict(strict=True, extra="forbid")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class ApplicantIn(Strict):
    kind: Annotated[ApplicantKind, StrictType(False)]
    reference: str = Field(min_length=1, max_length=128,
                           description="The merchant id, or the customer's reference.")
    name: str = Field(min_length=1, max_length=200)
    language: Language = "en"


class TransactionIn(Strict):
    date: IsoDate
    amount: Amount
    kind: Annotated[TransactionKind, StrictType(False)]


class _ApplicationFields(Strict):
    """An application's fields but its records (:class:`ApplicationIn`)."""

    idempotency_key: IdempotencyKey | None = Field(
        default=None, description="Or the Idempotency-Key header.")
    applicant: ApplicantIn
    currency: str = Field(pattern=r"^[A-Z]{3}$", examples=["CNY"])
    requested_amount: Amount
    term_months: int = Field(ge=1, le=36)
    purpose: Annotated[Purpose, StrictType(False)]
    monthly_income: Amount = "0"
    monthly_expenses: Amount = "0"
    existing_debt_payments: Amount = "0"
    income_history: list[Amount] = Field(default_factory=list, max_length=120)

    def _domain(self, transactions: Callable[[str], Sequence[Transaction]]) -> Application:
        """The domain's application; ``transactions(currency)`` its records, converted
        where the other amounts are (so the first amount refused is the one named)."""
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
            transactions=transactions(cur),
            income_history_minor=tuple(minor(v, f"income_history.{k}")
                                       for k, v in enumerate(self.income_history)))


class ApplicationIn(_ApplicationFields):
    """An application. A merchant's transaction records may come with it, or from an
    earlier ``PUT /v1/merchants/{id}``; a consumer may send monthly income history."""

    transactions: list[TransactionIn] = Field(default_factory=list, max_length=50_000)

    def to_domain(self) -> Application:
        return self._domain(lambda cur: records(self.transactions, cur))


@with_config(ConfigDict(extra="forbid", strict=True))
class _RecordText(TypedDict):
    """A record of :class:`ApplicationDirect`: a plain dictionary, its date text in
    the shape of a date (ASCII digits), made a date by :meth:`ApplicationDirect.to_domain`."""

    date: Annotated[str, Field(pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")]
    amount: Amount
    kind: Annotated[TransactionKind, StrictType(False)]


class NotDirect(Exception):
    """A body :class:`ApplicationDirect` does not take: it is read as
    :class:`ApplicationIn` instead, which names what is wrong."""


class ApplicationDirect(_ApplicationFields):
    """:class:`ApplicationIn` as ``POST /v1/applications`` reads the usual body
    straight from its bytes: the same fields, but the records are validated as plain
    dictionaries, their dates as text made dates here, one C call each, rather than one
    model and one Python validator per record. It takes a subset of what
    :class:`ApplicationIn` takes, into the same domain application: a body it refuses
    (:class:`NotDirect`, a validation error or a domain error) is read again as
    :class:`ApplicationIn`, whose errors the client sees."""

    transactions: list[_RecordText] = Field(default_factory=list, max_length=50_000)

    def to_domain(self) -> Application:
        return self._domain(lambda cur: direct_records(self.transactions, cur))


def direct_records(items: list[_RecordText], currency: str) -> Sequence[Transaction]:
    """:func:`records` of :class:`ApplicationDirect`'s records, read in one pass with
    their monthly sums (:func:`~dunwell.origination.features.read_records`: no
    :class:`Transaction` is made record by record); :class:`NotDirect` for any
    :class:`TransactionIn` would refuse, :func:`records` would name or the decision
    would refuse record by record (an amount of zero)."""
    read = read_records(items, currency_exponent(currency))
    if read is None:
        raise NotDirect("a record that is not a usual one")
    return read


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
    return check_amount_minor(int(whole + frac.ljust(exponent, "0")), field=field,
                              currency=currency)


def records(items: list[TransactionIn], currency: str) -> tuple[Transaction, ...]:
    """The records as the domain's transactions: :func:`minor_units` of each amount,
    inlined for the usual record (no more decimals than the currency has, within the
    limits); the field is named only for a record refused."""
    exponent = currency_exponent(currency)
    out = []
    for k, t in enumerate(items):
        whole, _, frac = t.amount.partition(".")
        if len(frac) > exponent:
            minor = to_minor(t.amount, currency, field=f"transactions.{k}.amount")
        else:
            minor = int(whole + frac.ljust(exponent, "0"))
            if not 0 <= minor <= AMOUNT_MINOR_MAX:
                check_amount_minor(minor, field=f"transactions.{k}.amount", currency=currency)
        out.append(Transaction(t.date, minor, t.kind))
    return tuple(out)


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
    kind: Annotated[ApplicantKind, StrictType(False)]
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
    method: Method = Field(default=Method.INSTALMENTS,
                           description="instalments (monthly) or one_sum (at the end).")
    accepted_terms: str | None = Field(
        default=None, pattern=r"^[0-9a-f]{64}$",
        description="Required: the fingerprint of the quote the borrower accepted "
                    "(POST /v1/credit-lines/{id}/quotes): the drawdown is made only on "
                    "those terms, and the acceptance is kept with them; 422 "
                    "accepted_terms_must_be_given without it.")


class QuoteIn(Strict):
    amount: Amount
    term_months: int = Field(ge=1, le=36)
    method: Method = Method.INSTALMENTS
    language: Language | None = None


class QuoteOut(BaseModel):
    line_id: int
    fingerprint: str = Field(description="Send it as accepted_terms to draw on these terms.")
    disclosure: dict[str, Any]


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
    accepted_terms: str | None = None
    cancel_until: dt.date | None = None


class CancellationIn(Strict):
    idempotency_key: IdempotencyKey | None = Field(
        default=None, description="Or the Idempotency-Key header.")
    amount: Amount = Field(description="What the borrower returns: the principal and, "
                                       "where the jurisdiction charges it, the interest "
                                       "to date — exactly.")


class CancellationOut(BaseModel):
    drawdown_id: int
    loan_id: int
    cancelled_on: dt.date
    returned: str
    principal: str
    interest: str
    fee_waived: str
    interest_waived: str
    loan_status: str


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


class BorrowerContactOut(BaseModel):
    """A loan's borrower and how to reach them: in full for the borrower themself and
    the field agent visiting them today; masked for everyone else (``masked``: the
    name as ``张*``, the phone as ``138****5678``, the e-mail as ``a***@example.com``,
    the address to its district, coordinates to about a kilometre)."""

    loan_id: int
    borrower_id: int
    name: str
    phone: str | None
    email: str | None
    address: str | None
    latitude: float | None
    longitude: float | None
    masked: bool


class ProblemOut(BaseModel):
    field: str
    message: str


class ErrorOut(BaseModel):
    """Every error the API returns: a stable code, what was wrong and what to do, and
    the field it concerns (``problems`` lists each bad field of an invalid request)."""

    error: str = Field(description="A stable code, e.g. request_must_be_valid.")
    message: str
    field: str | None = None
    problems: list[ProblemOut] | None = None


#: Error responses documented on every route.
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorOut, "description": text} for code, text in (
        (400, "Invalid input (a rule of the domain)"), (401, "Not authorised"),
        (404, "Not found"), (405, "Method not allowed"), (409, "Conflict with the state"),
        (413, "Request body too large"), (422, "Invalid request"),
        (503, "Temporarily unavailable; retry later"))}


class RecordsIn(Strict):
    """A merchant's transaction records as JSON rows (or send ``text/csv``)."""

    name: str | None = Field(default=None, min_length=1, max_length=200)
    language: Language | None = None
    rows: list[dict[str, str | None]] = Field(
        max_length=50_000, examples=[[{"transaction_id": "t1", "date": "2024-12-10",
                                       "amount": "1200.00", "currency": "CNY",
                                       "kind": "sale"}]])


class LineErrorOut(BaseModel):
    line: int
    field: str
    code: str
    message: str


class RecordsSummaryOut(BaseModel):
    first_month: str | None
    last_month: str | None
    months_active: int
    months_with_records: int
    gap_months: list[str]
    turnover: str
    monthly_turnover: str
    seasonality_cv: str
    peak_to_trough_pct: int


class RecordsImportOut(BaseModel):
    merchant_id: str
    applicant_id: int | None
    lines: int
    stored: int
    already_stored: int
    rejected: list[LineErrorOut]
    summary: RecordsSummaryOut


class IncomeImportOut(BaseModel):
    """What an import of a consumer's income records did; in the summary ``turnover``
    is the total income and ``monthly_turnover`` the mean month's."""

    consumer_id: str
    applicant_id: int | None
    lines: int
    stored: int
    already_stored: int
    rejected: list[LineErrorOut]
    summary: RecordsSummaryOut


class RateOut(BaseModel):
    count: int
    of: int
    rate: str | None = Field(description="count / of as a decimal ratio; null when of is 0.")


class CohortOut(BaseModel):
    vintage: str
    grade: str
    approval: RateOut
    default: RateOut
    early_delinquency: RateOut


class DriftOut(BaseModel):
    feature: str
    psi: float
    status: str
    expected_mean: float | None
    actual_mean: float | None


class MonitoringOut(BaseModel):
    cohorts: list[CohortOut]
    population_stability: list[DriftOut]
    baseline: str
    recent_since: dt.date
    recent_applications: int
    baseline_applications: int
