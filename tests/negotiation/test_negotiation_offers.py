"""The offer generator as worked examples, and its invariants under Hypothesis.

The worked example: a family emergency; income 6,000.00, essentials 3,500.00, other
debts 500.00 a month, so 2,000.00 disposable and at most 1,000.00 a month affordable
(50 %). The loan owes 3,000.00 principal, 39.28 accrued interest and 6.50 penalty:
3,045.78 in all.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dunwell.core.errors import DomainError
from dunwell.negotiation.model import Assessment, Debt, HardshipReason, OfferKind, Role
from dunwell.negotiation.offers import REFERRAL, LoanTerms, generate_offers, rank_key
from dunwell.negotiation.policy import builtin_approvals, builtin_policy
from dunwell.negotiation.spread import even_payments, fill, monthly_dates
from dunwell.negotiation.valuation import expected_npv, keep_probability

POLICY = builtin_policy()
APPROVALS = builtin_approvals()
DAY = dt.date(2025, 3, 1)
TERMS = LoanTerms("CNY", Decimal("0.12"))
EMERGENCY = Assessment(HardshipReason.FAMILY_EMERGENCY, 600_000, 350_000, 50_000)
DEBT = Debt(principal_minor=300_000, interest_minor=3_928, penalty_minor=650, fee_minor=0)


def sheet(assessment: Assessment = EMERGENCY, debt: Debt = DEBT):  # type: ignore[no-untyped-def]
    return generate_offers(assessment=assessment, debt=debt, terms=TERMS, business_date=DAY,
                           policy=POLICY, approvals=APPROVALS)


def test_the_six_month_plan_of_the_worked_example() -> None:
    plan = next(o for o in sheet().offers
                if o.kind is OfferKind.INSTALMENT_PLAN and o.months == 6)
    # 3,045.78 / 6 = 507.63 exactly; penalty, then interest, then principal fill it
    assert [i.total_minor for i in plan.instalments] == [50_763] * 6
    first = plan.instalments[0]
    assert (first.penalty_minor, first.interest_minor, first.principal_minor) == (650, 3_928,
                                                                                  46_185)
    assert [i.due_date for i in plan.instalments][:2] == [dt.date(2025, 4, 1),
                                                          dt.date(2025, 5, 1)]
    assert plan.affordability == Decimal("0.2538")  # 507.63 / 2,000.00
    # q = 0.98 - 0.10 x 0.2538; NPV = sum 507.63 q^j / 1.01^j = 2,511.844... -> 2,511.84
    assert plan.keep_probability == Decimal("0.954620")
    assert plan.expected_npv_minor == 251_184
    assert plan.total_cost_minor == 304_578
    assert plan.approval_role is Role.COLLECTOR


def test_the_three_month_plan_is_unaffordable_but_waiving_makes_it_affordable() -> None:
    offers = sheet().offers
    # 1,015.26 a month is more than half of 2,000.00: never offered
    assert not [o for o in offers if o.kind is OfferKind.INSTALMENT_PLAN and o.months == 3]
    best = offers[0]
    # waiving the penalty and interest (45.78) leaves 1,000.00 a month: exactly 50 %
    assert (best.kind, best.months) == (OfferKind.PENALTY_INTEREST_WAIVER, 3)
    assert best.monthly_payment_minor == 100_000
    assert best.affordability == Decimal("0.5000")
    assert best.keep_probability == Decimal("0.930000")
    assert best.expected_npv_minor == 254_935
    assert best.waiver.total_minor == 4_578
    assert best.approval_role is Role.TEAM_LEAD  # 1.5 % of the debt, under 1,000.00


def test_offers_are_ranked_by_expected_npv() -> None:
    offers = sheet().offers
    assert len(offers) > 5
    npvs = [o.expected_npv_minor for o in offers]
    assert npvs == sorted(npvs, reverse=True)
    assert {o.kind for o in offers} == set(OfferKind)


def test_a_borrower_with_nothing_left_each_month_is_referred_to_debt_advice() -> None:
    broke = Assessment(HardshipReason.JOB_LOSS, 300_000, 280_000, 20_000)
    result = sheet(broke)
    assert result.offers == ()
    assert result.referral == REFERRAL
    assert result.unaffordable > 0


def test_a_debt_already_paid_cannot_be_negotiated() -> None:
    with pytest.raises(DomainError) as err:
        sheet(debt=Debt(0, 0, 0, 0))
    assert err.value.code == "offer_needs_outstanding_debt"


def test_keep_probability_falls_with_affordability_and_is_clamped() -> None:
    keep = POLICY.keep
    assert keep_probability(keep, HardshipReason.JOB_LOSS, Decimal("0.5")) == Decimal("0.88")
    assert keep_probability(keep, HardshipReason.JOB_LOSS, Decimal("9")) == keep.floor
    assert keep_probability(keep, HardshipReason.FAMILY_EMERGENCY, Decimal(0)) == Decimal(
        "0.98")


def test_npv_discounts_and_weights_each_payment() -> None:
    # one payment of 100.00 next month, kept for sure, at 12 % a year: 100 / 1.01 = 99.0099
    assert expected_npv([10_000], Decimal(1), Decimal("0.12")) == 9_901
    assert expected_npv([10_000], Decimal("0.5"), Decimal(0)) == 5_000


@given(total=st.integers(0, 10**9), months=st.integers(1, 120))
def test_even_payments_sum_exactly_with_the_residue_last(total: int, months: int) -> None:
    parts = even_payments(total, months)
    assert sum(parts) == total and len(parts) == months
    assert len(set(parts[:-1])) <= 1 and 0 <= parts[-1] - parts[0] < months


debts = st.builds(Debt, principal_minor=st.integers(0, 5 * 10**7),
                  interest_minor=st.integers(0, 10**6), penalty_minor=st.integers(0, 10**6),
                  fee_minor=st.integers(0, 10**5)).filter(lambda d: d.total_minor > 0)
budgets = st.builds(Assessment, reason=st.sampled_from(HardshipReason),
                    monthly_income_minor=st.integers(0, 5 * 10**6),
                    essential_expenses_minor=st.integers(0, 3 * 10**6),
                    other_debt_payments_minor=st.integers(0, 10**6))


@settings(max_examples=60, deadline=None)
@given(debt=debts, budget=budgets)
def test_every_offer_covers_the_debt_and_is_affordable(debt: Debt, budget: Assessment) -> None:
    result = sheet(budget, debt)
    cap = POLICY.affordability_max * budget.disposable_income_minor
    for o in result.offers:
        # never an unaffordable plan
        assert Decimal(o.monthly_payment_minor) <= cap
        assert o.monthly_payment_minor == max(i.total_minor for i in o.instalments)
        # plan payments + waivers = debt, component by component
        for part in ("principal_minor", "interest_minor", "penalty_minor", "fee_minor"):
            assert sum(getattr(i, part) for i in o.instalments) + getattr(
                o.waiver, part) == getattr(debt, part)
        # instalments sum exactly to the agreed amount (the borrower's total cost)
        assert sum(i.total_minor for i in o.instalments) == o.total_cost_minor
        if o.kind is not OfferKind.TERM_EXTENSION:
            assert o.total_cost_minor + o.waiver.total_minor == debt.total_minor
        assert all(i.total_minor >= 0 for i in o.instalments)
        assert APPROVALS.of(o.approval_role).covers(o.waiver.total_minor, debt.total_minor)
    keys = [rank_key(o) for o in result.offers]
    assert keys == sorted(keys)
    assert (result.referral is None) == bool(result.offers)
    if budget.disposable_income_minor <= 0:
        assert result.offers == ()


@settings(max_examples=40, deadline=None)
@given(debt=debts, months=st.integers(1, 36))
def test_fill_spreads_each_component_exactly(debt: Debt, months: int) -> None:
    if debt.total_minor < months:
        return
    insts = fill(debt, even_payments(debt.total_minor, months), monthly_dates(DAY, months))
    assert sum(i.penalty_minor for i in insts) == debt.penalty_minor
    assert sum(i.principal_minor for i in insts) == debt.principal_minor
    assert sum(i.total_minor for i in insts) == debt.total_minor


def test_reduced_payments_then_the_remainder_in_the_worked_example() -> None:
    reduced = next(o for o in sheet().offers if o.kind is OfferKind.REDUCED_PAYMENTS)
    # 50 % of the affordable 1,000.00 for three months, then 3,045.78 - 1,500.00 =
    # 1,545.78 over the shortest affordable term: three payments of 515.26
    assert [i.total_minor for i in reduced.instalments] == [50_000] * 3 + [51_526] * 3
    assert (reduced.reduced_months, reduced.months) == (3, 6)
    assert reduced.monthly_payment_minor == 51_526


def test_a_settlement_forgives_penalty_then_interest_then_principal() -> None:
    settle = next(o for o in sheet().offers if o.kind is OfferKind.SETTLEMENT
                  and o.total_cost_minor == 258_891)
    # 15 % of 3,045.78 = 456.867 -> 456.87 forgiven: 6.50 penalty, 39.28 interest,
    # 411.09 principal; 2,588.91 paid in three payments of 862.97
    assert (settle.waiver.penalty_minor, settle.waiver.interest_minor,
            settle.waiver.principal_minor) == (650, 3_928, 41_109)
    assert settle.total_cost_minor + settle.waiver.total_minor == DEBT.total_minor
    assert [i.total_minor for i in settle.instalments] == [86_297] * 3
    assert settle.approval_role is Role.MANAGER  # 15 % is over a team lead's 10 %
