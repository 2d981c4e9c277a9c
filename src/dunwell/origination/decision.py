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
from collections.abc import Mapping, Sequence

from dunwell.core.errors import NotFound
from dunwell.core.limits import LOAN_PRINCIPAL_MINOR_MAX as MAX_LOAN_PRINCIPAL_MINOR
from dunwell.core.money import format_minor, to_minor
from dunwell.lending.model import Product
from dunwell.origination.affordability import (
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
from dunwell.origination.policy import GradeRule, Policy
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
    existing = application.existing_debt_payments_minor
    income = cash_flow_minor + application.monthly_expenses_minor
    row: dict[str, int | str] = {
        "kind": application.applicant.kind.value,
        "purpose": application.purpose.value,
        "requested_minor": application.requested_minor,
        "term_months": application.term_months,
        "cash_flow_minor": cash_flow_minor,
        "existing_dsr_bps": (BPS * 10 if cash_flow_minor <= 0
                             else dsr_bps(existing, cash_flow_minor) or 0),
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


def decide(application: Application, *, summaries: Sequence[MonthSummary], model: CreditModel,
           policy: Policy, products: Mapping[str, Product], start: dt.date) -> Decision:
    """Decide ``application`` for loans starting on ``start`` (see the module doc)."""
    check_application(application, policy)
    check_transaction_dates(application.transactions, business_date=start)
    kind, currency = application.applicant.kind, application.currency
    merchant = (merchant_features(summaries, through=start)
                if kind is ApplicantKind.MERCHANT else None)
    consumer = (consumer_features(application.income_history_minor)
                if kind is ApplicantKind.CONSUMER else None)
    cash_flow = monthly_cash_flow_minor(application, merchant, consumer)
    existing = application.existing_debt_payments_minor
    features = feature_row(application, merchant, consumer, cash_flow)
    probability, model_reasons = model.score(features)
    pd_bps = min(BPS, max(0, round(probability * BPS)))
    hurts = [r for r in model_reasons if r.effect is Effect.HURTS]
    helps = [r for r in model_reasons if r.effect is Effect.HELPS]

    def money(minor: int) -> str:
        return f"{format_minor(minor, currency)} {currency}"

    def answer(outcome: Outcome, policy_reasons: list[Reason], *, grade: GradeRule | None = None,
               approved: int = 0, limit: int = 0, options: tuple[int, ...] = (),
               dsr: int | None = None, more: Sequence[Reason] = ()) -> Decision:
        shown = [*policy_reasons, *(more or hurts)][:REASONS_MAX]
        advice = () if outcome is Outcome.APPROVE else tuple(dict.fromkeys(
            r.code for r in shown if r.effect is Effect.HURTS))
        return Decision(
            outcome=outcome, grade=grade.grade if grade else None, pd_bps=pd_bps,
            requested_minor=application.requested_minor, approved_minor=approved,
            limit_minor=limit, annual_rate=grade.annual_rate if grade else None,
            term_options=options, reasons=tuple(shown), advice=advice,
            cash_flow_minor=cash_flow, existing_payments_minor=existing,
            dsr_bps=dsr if dsr is not None else dsr_bps(existing, cash_flow),
            features=tuple(sorted(features.items())))

    if cash_flow <= 0:
        return answer(Outcome.DECLINE, [Reason("cash_flow_not_positive", Effect.HURTS,
                                               money(cash_flow), -100)])
    term = policy.term(kind, application.term_months)
    if instalment_budget_minor(cash_flow, existing, term.dsr_max_bps) <= 0:
        return answer(Outcome.DECLINE, [Reason("existing_debt_too_high", Effect.HURTS,
                                               _pct(int(features["existing_dsr_bps"])), -100)])
    history = merchant.months_active if merchant else consumer.income_months if consumer else 0
    if history < policy.thin_file_months:
        return answer(Outcome.REFER, [Reason("thin_file", Effect.HURTS, str(history), -50)])
    grade = policy.grade_for(pd_bps)
    if grade is None:
        return answer(Outcome.DECLINE, [Reason("risk_too_high", Effect.HURTS, _pct(pd_bps), -100)])

    def product(code: str) -> Product:
        base = products.get(code)
        if base is None:
            raise NotFound(f"the policy lends on product {code!r}, which the book does not "
                           "have; register it", code="product_must_exist")
        return priced_product(base, grade=grade.grade, annual_rate=grade.annual_rate)

    memo: dict[tuple[str, int, int], int] = {}

    def repayment(p: Product, principal: int, months: int, on: dt.date) -> int:
        key = (p.code, principal, months)
        if key not in memo:
            memo[key] = monthly_repayment_minor(p, principal, months, on)
        return memo[key]

    step = to_minor(policy.sizing_step, currency)
    terms = policy.terms_for(kind)
    longest = terms[-1]
    caps = min(cash_flow * grade.limit_multiple_pct // 100,
               to_minor(grade.limit_cap, currency), MAX_LOAN_PRINCIPAL_MINOR)
    limit = size_loan(requested_minor=caps, product=product(longest.product),
                      term_months=longest.months, start=start, cash_flow_minor=cash_flow,
                      existing_payments_minor=existing, dsr_max_bps=longest.dsr_max_bps,
                      step_minor=step, repayment=repayment).affordable_minor // step * step
    asked = min(application.requested_minor, limit)
    sizing = size_loan(requested_minor=asked, product=product(term.product),
                       term_months=term.months, start=start, cash_flow_minor=cash_flow,
                       existing_payments_minor=existing, dsr_max_bps=term.dsr_max_bps,
                       step_minor=step, repayment=repayment)
    approved = sizing.affordable_minor
    if approved < to_minor(policy.min_loan, currency):
        return answer(Outcome.DECLINE, [Reason("instalment_unaffordable", Effect.HURTS,
                                               money(approved), -100)], grade=grade)
    options = tuple(t.months for t in terms if t is term or repayment(
        product(t.product), approved, t.months, start) <= instalment_budget_minor(
        cash_flow, existing, t.dsr_max_bps))
    sized: list[Reason] = []
    if limit < application.requested_minor and approved == limit:
        sized.append(Reason("limit_caps_amount", Effect.HURTS, money(limit), -20))
    elif approved < application.requested_minor:
        sized.append(Reason("amount_sized_down", Effect.HURTS, money(approved), -20))
    if grade.outcome is Outcome.APPROVE:
        graded = Reason("risk_grade", Effect.HELPS, grade.grade, 0)
        return answer(Outcome.APPROVE, [graded, *sized], grade=grade, approved=approved,
                      limit=limit, options=options, dsr=sizing.dsr_bps,
                      more=[*helps[:2], *hurts[:1]])
    graded = Reason("risk_grade", Effect.HURTS, grade.grade, -50)
    return answer(grade.outcome, [graded, *sized], grade=grade, approved=approved, limit=limit,
                  options=options, dsr=sizing.dsr_bps)
