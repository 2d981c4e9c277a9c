"""Deciding an application: approve, decline or refer, with a grade, a price, a
credit limit, the terms on offer and reasons.

In order (docs/origination.md has the table):

1. the request is checked (amount, term offered to this kind of applicant, figures);
2. features are computed and the credit model scores them (probability of default);
3. declined when monthly cash flow is not positive, or existing debts already use the
   requested term's debt-service limit;
4. referred when the file is thin (fewer months of records than the policy needs);
5. graded by probability of default; beyond the last grade: declined;
6. the grade's price makes the product; the request is sized down to what is
   affordable and within the credit limit; below the smallest loan: declined;
7. the grade's outcome: approve (a credit line opens) or refer (a person decides).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from dunwell.core.errors import InvalidInput, NotFound
from dunwell.core.limits import LOAN_PRINCIPAL_MINOR_MAX as MAX_LOAN_PRINCIPAL_MINOR
from dunwell.core.money import format_minor, to_minor
from dunwell.lending.model import Product
from dunwell.origination.affordability import (
    Sizing,
    dsr_bps,
    instalment_budget_minor,
    monthly_cash_flow_minor,
    monthly_repayment_minor,
    size_loan,
)
from dunwell.origination.errors import ApplicationInvalid
from dunwell.origination.features import (
    BPS,
    ConsumerFeatures,
    MerchantFeatures,
    check_transaction_dates,
    consumer_features,
    merchant_features,
)
from dunwell.origination.model import (
    ApplicantKind,
    Application,
    Decision,
    Effect,
    MonthSummary,
    Outcome,
    Reason,
)
from dunwell.origination.policy import GradeRule, Policy, TermRule
from dunwell.origination.ports import CreditModel
from dunwell.origination.pricing import priced_product

#: Reasons a decision carries at the most; the model's most important come first.
REASONS_MAX = 5
#: Months of income history an application may carry.
INCOME_HISTORY_MAX = 120


def check_application(application: Application, policy: Policy) -> None:
    """Reject a malformed request, naming the field (the API's field names)."""
    if not application.applicant.reference.strip():
        raise ApplicationInvalid("the applicant needs a reference (merchant id or customer id)",
                           code="applicant_reference_must_be_present",
                           field="applicant.reference")
    if not 0 < application.requested_minor <= MAX_LOAN_PRINCIPAL_MINOR:
        raise ApplicationInvalid(
            f"requested_amount must be more than 0 and at most "
            f"{format_minor(MAX_LOAN_PRINCIPAL_MINOR, application.currency)}",
            code="requested_amount_must_be_in_range", field="requested_amount")
    policy.term(application.applicant.kind, application.term_months)
    for name, value in (("monthly_income", application.monthly_income_minor),
                        ("monthly_expenses", application.monthly_expenses_minor),
                        ("existing_debt_payments", application.existing_debt_payments_minor)):
        if not 0 <= value <= MAX_LOAN_PRINCIPAL_MINOR:
            raise ApplicationInvalid(f"{name} must be between 0 and "
                               f"{format_minor(MAX_LOAN_PRINCIPAL_MINOR, application.currency)}",
                               code="amount_must_be_in_range", field=name)
    history = application.income_history_minor
    if len(history) > INCOME_HISTORY_MAX or any(v < 0 for v in history):
        raise ApplicationInvalid(f"income_history holds at most {INCOME_HISTORY_MAX} months, none "
                           "negative", code="income_history_must_be_valid",
                           field="income_history")


def feature_row(application: Application, merchant: MerchantFeatures | None,
                consumer: ConsumerFeatures | None, cash_flow_minor: int) -> dict[str, int | str]:
    """The features the credit model sees, by name (docs/origination.md)."""
    existing_dsr = dsr_bps(application.existing_debt_payments_minor, cash_flow_minor)
    income = cash_flow_minor + application.monthly_expenses_minor
    row: dict[str, int | str] = {
        "kind": application.applicant.kind.value,
        "purpose": application.purpose.value,
        "requested_minor": application.requested_minor,
        "term_months": application.term_months,
        "cash_flow_minor": cash_flow_minor,
        # no positive cash flow: no ratio, so the worst the model knows (1,000 %)
        "existing_dsr_bps": BPS * 10 if existing_dsr is None else existing_dsr,
        "loan_to_cash_flow_pct": (application.requested_minor * 100 // cash_flow_minor
                                  if cash_flow_minor > 0 else 100_000),
        "expense_ratio_bps": (application.monthly_expenses_minor * BPS // income
                              if income > 0 else BPS * 10),
    }
    if merchant is not None:
        row.update(months_active=merchant.months_active,
                   monthly_turnover_minor=merchant.monthly_turnover_minor,
                   trend_bps=merchant.trend_bps, volatility_bps=merchant.volatility_bps,
                   refund_rate_bps=merchant.refund_rate_bps,
                   seasonality_pct=merchant.seasonality_pct)
    if consumer is not None:
        row.update(income_months=consumer.income_months,
                   mean_income_minor=consumer.mean_income_minor,
                   income_stability_bps=consumer.income_stability_bps)
    return row


def _pct(bps: int) -> str:
    return f"{bps / 100:.1f}%"


def pd_bps_of(probability: float) -> int:
    """The credit model's probability of default in basis points; a model answering
    outside [0, 1] (or NaN) breaks the :class:`CreditModel` contract and is refused."""
    if not 0.0 <= probability <= 1.0:
        raise InvalidInput(f"the credit model answered a probability of {probability}, "
                           "outside [0, 1]", code="probability_must_be_between_0_and_1")
    return round(probability * BPS)


@dataclass(frozen=True, slots=True)
class Assessment:
    """What is known of an application before any policy rule: its features, the
    credit model's score and reasons, and the monthly cash flow."""

    application: Application
    merchant: MerchantFeatures | None
    consumer: ConsumerFeatures | None
    cash_flow_minor: int
    features: Mapping[str, int | str]
    pd_bps: int
    hurts: tuple[Reason, ...]
    helps: tuple[Reason, ...]

    @property
    def existing_minor(self) -> int:
        return self.application.existing_debt_payments_minor

    @property
    def history_months(self) -> int:
        """Months of records: a merchant's active months, a consumer's income months."""
        if self.merchant is not None:
            return self.merchant.months_active
        if self.consumer is not None:
            return self.consumer.income_months
        return 0

    def money(self, minor: int) -> str:
        currency = self.application.currency
        return f"{format_minor(minor, currency)} {currency}"


def assess(application: Application, *, summaries: Sequence[MonthSummary], model: CreditModel,
           start: dt.date) -> Assessment:
    """Steps 1–2: check the request, compute the features and score them."""
    check_transaction_dates(application.transactions, business_date=start)
    kind = application.applicant.kind
    merchant = (merchant_features(summaries, through=start)
                if kind is ApplicantKind.MERCHANT else None)
    consumer = (consumer_features(application.income_history_minor)
                if kind is ApplicantKind.CONSUMER else None)
    cash_flow = monthly_cash_flow_minor(application, merchant, consumer)
    features = feature_row(application, merchant, consumer, cash_flow)
    probability, reasons = model.score(features)
    return Assessment(
        application=application, merchant=merchant, consumer=consumer,
        cash_flow_minor=cash_flow, features=features, pd_bps=pd_bps_of(probability),
        hurts=tuple(r for r in reasons if r.effect is Effect.HURTS),
        helps=tuple(r for r in reasons if r.effect is Effect.HELPS))


@dataclass(frozen=True, slots=True)
class Offer:
    """What sizing found: the amount on the requested term, the credit limit, the
    terms on which the amount is affordable and the DSR with the new loan."""

    approved_minor: int
    limit_minor: int
    term_options: tuple[int, ...]
    dsr_bps: int | None


def answer(assessment: Assessment, outcome: Outcome, policy_reasons: Sequence[Reason], *,
           grade: GradeRule | None = None, offer: Offer | None = None,
           model_reasons: Sequence[Reason] | None = None) -> Decision:
    """The decision: the policy's reasons first, then the model's (its reasons against
    the applicant unless ``model_reasons`` says otherwise), at most :data:`REASONS_MAX`;
    declined and referred applicants are advised on every reason against them."""
    more = assessment.hurts if model_reasons is None else model_reasons
    shown = (*policy_reasons, *more)[:REASONS_MAX]
    advice = () if outcome is Outcome.APPROVE else tuple(dict.fromkeys(
        r.code for r in shown if r.effect is Effect.HURTS))
    application, cash_flow = assessment.application, assessment.cash_flow_minor
    return Decision(
        outcome=outcome, grade=grade.grade if grade else None, pd_bps=assessment.pd_bps,
        requested_minor=application.requested_minor,
        approved_minor=offer.approved_minor if offer else 0,
        limit_minor=offer.limit_minor if offer else 0,
        annual_rate=grade.annual_rate if grade else None,
        term_options=offer.term_options if offer else (), reasons=shown, advice=advice,
        cash_flow_minor=cash_flow, existing_payments_minor=assessment.existing_minor,
        dsr_bps=(offer.dsr_bps if offer and offer.dsr_bps is not None
                 else dsr_bps(assessment.existing_minor, cash_flow)),
        features=tuple(sorted(assessment.features.items())))


def screen(assessment: Assessment, policy: Policy) -> Reason | None:
    """Steps 3–4: the first reason the application stops before grading (cash flow not
    positive, existing debt too high: declined; thin file: referred), or None."""
    application, cash_flow = assessment.application, assessment.cash_flow_minor
    if cash_flow <= 0:
        return Reason("cash_flow_not_positive", Effect.HURTS, assessment.money(cash_flow), -100)
    term = policy.term(application.applicant.kind, application.term_months)
    if instalment_budget_minor(cash_flow, assessment.existing_minor, term.dsr_max_bps) <= 0:
        existing_dsr = int(assessment.features["existing_dsr_bps"])
        return Reason("existing_debt_too_high", Effect.HURTS, _pct(existing_dsr), -100)
    history = assessment.history_months
    if history < policy.thin_file_months:
        return Reason("thin_file", Effect.HURTS, str(history), -50)
    return None


#: The outcome each screening reason leads to.
SCREENED: Mapping[str, Outcome] = {"cash_flow_not_positive": Outcome.DECLINE,
                                   "existing_debt_too_high": Outcome.DECLINE,
                                   "thin_file": Outcome.REFER}


class GradedBook:
    """The products the policy lends on, priced at one grade, and their monthly
    repayments (both memoised: sizing asks for the same product and schedule more than
    once)."""

    def __init__(self, products: Mapping[str, Product], grade: GradeRule) -> None:
        self._products = products
        self._grade = grade
        self._priced: dict[str, Product] = {}
        self._repayments: dict[tuple[str, int, int], int] = {}

    def product(self, code: str) -> Product:
        priced = self._priced.get(code)
        if priced is not None:
            return priced
        base = self._products.get(code)
        if base is None:
            raise NotFound(f"the policy lends on product {code!r}, which the book does not "
                           "have; register it", code="product_must_exist")
        priced = self._priced[code] = priced_product(base, grade=self._grade.grade,
                                                     annual_rate=self._grade.annual_rate)
        return priced

    def repayment(self, product: Product, principal_minor: int, term_months: int,
                  start: dt.date) -> int:
        key = (product.code, principal_minor, term_months)
        if key not in self._repayments:
            self._repayments[key] = monthly_repayment_minor(product, principal_minor,
                                                            term_months, start)
        return self._repayments[key]

    def size(self, assessment: Assessment, term: TermRule, *, requested_minor: int,
             step_minor: int, start: dt.date) -> Sizing:
        """The largest affordable amount up to ``requested_minor`` on ``term``."""
        return size_loan(requested_minor=requested_minor, product=self.product(term.product),
                         term_months=term.months, start=start,
                         cash_flow_minor=assessment.cash_flow_minor,
                         existing_payments_minor=assessment.existing_minor,
                         dsr_max_bps=term.dsr_max_bps, step_minor=step_minor,
                         repayment=self.repayment)


def credit_limit_minor(assessment: Assessment, grade: GradeRule, longest: TermRule,
                       book: GradedBook, *, step_minor: int, start: dt.date) -> int:
    """The revolving limit: the grade's multiple of cash flow, within the grade's cap
    and the largest loan, sized on the longest term, in whole steps."""
    currency = assessment.application.currency
    caps = min(assessment.cash_flow_minor * grade.limit_multiple_pct // 100,
               to_minor(grade.limit_cap, currency), MAX_LOAN_PRINCIPAL_MINOR)
    sizing = book.size(assessment, longest, requested_minor=caps, step_minor=step_minor,
                       start=start)
    return sizing.affordable_minor // step_minor * step_minor


def term_options(assessment: Assessment, terms: Sequence[TermRule], requested: TermRule,
                 book: GradedBook, *, approved_minor: int, start: dt.date) -> tuple[int, ...]:
    """The terms (months) on which ``approved_minor`` is affordable; the requested
    term always (sizing made it so)."""
    def affordable(term: TermRule) -> bool:
        repayment = book.repayment(book.product(term.product), approved_minor, term.months,
                                   start)
        return repayment <= instalment_budget_minor(
            assessment.cash_flow_minor, assessment.existing_minor, term.dsr_max_bps)
    return tuple(t.months for t in terms if t is requested or affordable(t))


def sizing_reasons(*, requested_minor: int, limit_minor: int, approved_minor: int,
                   money: Callable[[int], str]) -> list[Reason]:
    """Why less than the request was approved: the limit, or affordability."""
    if limit_minor < requested_minor and approved_minor == limit_minor:
        return [Reason("limit_caps_amount", Effect.HURTS, money(limit_minor), -20)]
    if approved_minor < requested_minor:
        return [Reason("amount_sized_down", Effect.HURTS, money(approved_minor), -20)]
    return []


def graded_answer(assessment: Assessment, grade: GradeRule, offer: Offer) -> Decision:
    """Step 7: the grade's outcome, approve (a credit line opens) or refer."""
    sized = sizing_reasons(requested_minor=assessment.application.requested_minor,
                           limit_minor=offer.limit_minor, approved_minor=offer.approved_minor,
                           money=assessment.money)
    if grade.outcome is Outcome.APPROVE:
        graded = Reason("risk_grade", Effect.HELPS, grade.grade, 0)
        return answer(assessment, Outcome.APPROVE, [graded, *sized], grade=grade, offer=offer,
                      model_reasons=[*assessment.helps[:2], *assessment.hurts[:1]])
    graded = Reason("risk_grade", Effect.HURTS, grade.grade, -50)
    return answer(assessment, grade.outcome, [graded, *sized], grade=grade, offer=offer)


def offer_at_grade(assessment: Assessment, grade: GradeRule, *, policy: Policy,
                   products: Mapping[str, Product], start: dt.date) -> Decision:
    """Step 6–7: price at the grade, size the limit and the request; declined below the
    smallest loan, else the grade's outcome."""
    application = assessment.application
    currency, kind = application.currency, application.applicant.kind
    book = GradedBook(products, grade)
    step = to_minor(policy.sizing_step, currency)
    terms = policy.terms_for(kind)
    term = policy.term(kind, application.term_months)
    limit = credit_limit_minor(assessment, grade, terms[-1], book, step_minor=step, start=start)
    sizing = book.size(assessment, term, requested_minor=min(application.requested_minor, limit),
                       step_minor=step, start=start)
    approved = sizing.affordable_minor
    if approved < to_minor(policy.min_loan, currency):
        unaffordable = Reason("instalment_unaffordable", Effect.HURTS,
                              assessment.money(approved), -100)
        return answer(assessment, Outcome.DECLINE, [unaffordable], grade=grade)
    options = term_options(assessment, terms, term, book, approved_minor=approved, start=start)
    return graded_answer(assessment, grade,
                         Offer(approved, limit, options, sizing.dsr_bps))


def decide(application: Application, *, summaries: Sequence[MonthSummary], model: CreditModel,
           policy: Policy, products: Mapping[str, Product], start: dt.date) -> Decision:
    """Decide ``application`` for loans starting on ``start`` (see the module doc)."""
    check_application(application, policy)
    assessment = assess(application, summaries=summaries, model=model, start=start)
    stopped = screen(assessment, policy)
    if stopped is not None:
        return answer(assessment, SCREENED[stopped.code], [stopped])
    grade = policy.grade_for(assessment.pd_bps)
    if grade is None:
        too_risky = Reason("risk_too_high", Effect.HURTS, _pct(assessment.pd_bps), -100)
        return answer(assessment, Outcome.DECLINE, [too_risky])
    return offer_at_grade(assessment, grade, policy=policy, products=products, start=start)
