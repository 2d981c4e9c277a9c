"""The offer generator: from a hardship assessment and the loan's debt, every
candidate plan, each judged for affordability and valued for the lender; the
affordable ones ranked by expected NPV. Pure.

Candidates (see ``policy.toml``):

* ``instalment_plan`` — the whole debt over N months, interest frozen;
* ``reduced_payments`` — k months at a reduced amount, then the remainder over the
  shortest affordable term;
* ``term_extension`` — the principal re-amortised in equal instalments at the
  contract rate, arrears spread over the term (interest keeps running);
* ``penalty_waiver`` / ``penalty_interest_waiver`` — those components forgiven,
  the rest over N months;
* ``settlement`` — a discount off the whole debt, paid in one or a few months.

No unaffordable offer is ever returned; when none is affordable the sheet says so
and refers the borrower to free debt advice.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from dunwell.core.dates import DayCount
from dunwell.core.errors import Conflict
from dunwell.core.money import Rounding, round_to_int
from dunwell.lending.model import RepaymentMethod
from dunwell.lending.schedules import build_schedule
from dunwell.negotiation.model import (
    Assessment,
    Debt,
    Offer,
    OfferKind,
    OfferSheet,
    PlanInstalment,
    Waiver,
)
from dunwell.negotiation.policy import ApprovalMatrix, Policy
from dunwell.negotiation.spread import (
    even_payments,
    fill,
    monthly_dates,
    remaining,
    waive_in_order,
)
from dunwell.negotiation.valuation import (
    affordability,
    expected_npv,
    is_affordable,
    keep_probability,
)

KIND_ORDER = tuple(OfferKind)
REFERRAL = ("no plan is affordable on this budget: refer the borrower to free, "
            "independent debt advice before any further collection activity")


@dataclass(frozen=True, slots=True)
class LoanTerms:
    """What the term extension needs from the loan's product."""

    currency: str
    annual_rate: Decimal
    day_count: DayCount = DayCount.THIRTY_360
    rounding: Rounding = Rounding.HALF_UP


@dataclass(frozen=True, slots=True)
class _Candidate:
    kind: OfferKind
    instalments: tuple[PlanInstalment, ...]
    waiver: Waiver
    reduced_months: int = 0


def generate_offers(*, assessment: Assessment, debt: Debt, terms: LoanTerms,
                    business_date: dt.date, policy: Policy,
                    approvals: ApprovalMatrix) -> OfferSheet:
    """Ranked affordable offers for ``debt``; a paid-off debt is refused."""
    if debt.total_minor <= 0:
        raise Conflict("the loan owes nothing; there is nothing to negotiate",
                       code="offer_needs_outstanding_debt")
    candidates = _candidates(assessment, debt, terms, business_date, policy)
    disposable = assessment.disposable_income_minor
    offers = []
    dropped = 0
    for c in candidates:
        payment = max(i.total_minor for i in c.instalments)
        if not is_affordable(payment, disposable, policy.affordability_max):
            dropped += 1
            continue
        ratio = affordability(payment, disposable)
        q = keep_probability(policy.keep, assessment.reason, ratio)
        amounts = [i.total_minor for i in c.instalments]
        offers.append(Offer(
            kind=c.kind, months=len(c.instalments), instalments=c.instalments, debt=debt,
            waiver=c.waiver, monthly_payment_minor=payment, affordability=ratio,
            keep_probability=q,
            expected_npv_minor=expected_npv(amounts, q, policy.discount_rate_annual),
            total_cost_minor=sum(amounts),
            approval_role=approvals.required_role(c.waiver.total_minor, debt.total_minor),
            reduced_months=c.reduced_months))
    ranked = tuple(sorted(offers, key=rank_key))
    return OfferSheet(ranked, dropped, None if ranked else REFERRAL)


def rank_key(offer: Offer) -> tuple[int, int, int, int, int]:
    """Best first: highest expected NPV, then lowest cost to the borrower, then the
    lowest monthly payment; ties broken by kind and term so the order is total."""
    return (-offer.expected_npv_minor, offer.total_cost_minor, offer.monthly_payment_minor,
            KIND_ORDER.index(offer.kind), offer.months)


def affordable_cap(assessment: Assessment, policy: Policy) -> int:
    """The largest monthly payment the policy lets us offer (0 when none)."""
    disposable = assessment.disposable_income_minor
    if disposable <= 0:
        return 0
    return round_to_int(policy.affordability_max * disposable, Rounding.DOWN)


def _candidates(assessment: Assessment, debt: Debt, terms: LoanTerms, day: dt.date,
                policy: Policy) -> list[_Candidate]:
    out: list[_Candidate] = []
    none = Waiver()
    for n in policy.plan_months:
        out.append(_even(OfferKind.INSTALMENT_PLAN, debt, none, day, n))
    out += _reduced(assessment, debt, day, policy)
    if debt.principal_minor > 0:
        out += [_extension(debt, terms, day, n) for n in policy.extension_months]
    if debt.penalty_minor > 0:
        pen = Waiver(penalty_minor=debt.penalty_minor)
        out += [_even(OfferKind.PENALTY_WAIVER, debt, pen, day, n) for n in policy.plan_months]
    if debt.interest_minor > 0:
        both = Waiver(penalty_minor=debt.penalty_minor, interest_minor=debt.interest_minor)
        out += [_even(OfferKind.PENALTY_INTEREST_WAIVER, debt, both, day, n)
                for n in policy.plan_months]
    for rate in policy.settlement_discounts:
        discount = round_to_int(Decimal(debt.total_minor) * rate, Rounding.HALF_UP)
        if not 0 < discount < debt.total_minor:
            continue
        waiver = waive_in_order(debt, discount)
        out += [_even(OfferKind.SETTLEMENT, debt, waiver, day, n)
                for n in policy.settlement_months]
    return [c for c in out if c.instalments]


def _even(kind: OfferKind, debt: Debt, waiver: Waiver, day: dt.date, months: int) -> _Candidate:
    left = remaining(debt, waiver)
    if left.total_minor < months:  # not even one minor unit a month
        return _Candidate(kind, (), waiver)
    amounts = even_payments(left.total_minor, months)
    return _Candidate(kind, fill(left, amounts, monthly_dates(day, months)), waiver)


def _reduced(assessment: Assessment, debt: Debt, day: dt.date,
             policy: Policy) -> list[_Candidate]:
    cap = affordable_cap(assessment, policy)
    reduced = round_to_int(policy.reduced_share * cap, Rounding.DOWN)
    out = []
    for k in policy.reduced_months:
        rest = debt.total_minor - k * reduced
        if reduced <= 0 or rest <= 0:
            continue
        for m in policy.plan_months:
            tail = even_payments(rest, m)
            if tail[-1] <= cap and min(tail) > 0:
                amounts = [reduced] * k + tail
                insts = fill(debt, amounts, monthly_dates(day, k + m))
                out.append(_Candidate(OfferKind.REDUCED_PAYMENTS, insts, Waiver(), k))
                break
    return out


def _extension(debt: Debt, terms: LoanTerms, day: dt.date, months: int) -> _Candidate:
    sched = build_schedule(principal_minor=debt.principal_minor, currency=terms.currency,
                           annual_rate=terms.annual_rate, periods=months,
                           method=RepaymentMethod.EQUAL_INSTALLMENT, start=day,
                           day_count=terms.day_count, rounding=terms.rounding)
    arrears = debt.total_minor - debt.principal_minor
    spread = even_payments(arrears, months)
    dates = [row.due_date for row in sched.installments]
    arrears_part = fill(Debt(0, debt.interest_minor, debt.penalty_minor, debt.fee_minor),
                        spread, dates)
    insts = tuple(
        PlanInstalment(n=a.n, due_date=a.due_date, principal_minor=row.principal_minor,
                       interest_minor=a.interest_minor, penalty_minor=a.penalty_minor,
                       fee_minor=a.fee_minor, new_interest_minor=row.interest_minor)
        for a, row in zip(arrears_part, sched.installments, strict=True))
    return _Candidate(OfferKind.TERM_EXTENSION, insts, Waiver())


def offers_valid_until(business_date: dt.date, policy: Policy) -> dt.date:
    return business_date + dt.timedelta(days=policy.offer_valid_days)

