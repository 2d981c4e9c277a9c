"""The pure restructuring rule under Hypothesis: whatever the loan's state and the
offer chosen, the entry balances and the loan's receivables equal its new schedule."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from dunwell.core.dates import to_day
from dunwell.ledger.model import Account
from dunwell.lending.loans import InstallmentState, LoanState, book_loan
from dunwell.lending.model import LoanStatus, Product, RepaymentMethod
from dunwell.lending.products import load_product
from dunwell.lending.schedules import build_schedule
from dunwell.negotiation.model import Assessment, Debt, HardshipReason, Waiver
from dunwell.negotiation.offers import LoanTerms, generate_offers
from dunwell.negotiation.policy import builtin_approvals, builtin_policy
from dunwell.negotiation.restructure import current_debt, held_quote, plan_status, restructure

START = dt.date(2025, 1, 15)
TODAY = dt.date(2025, 3, 20)
RICH = Assessment(HardshipReason.ILLNESS, 10**8, 0, 0)
PRODUCT: Product = load_product("""
code = "p"
name = "p"
currency = "CNY"
method = "equal_installment"
annual_rate = "0.18"
day_count = "30/360"
penalty_rate = "0.27"
cost_cap_annual = "0.24"
""")
RECEIVABLES = {Account.PRINCIPAL_RECEIVABLE: "principal", Account.INTEREST_RECEIVABLE: "i",
               Account.PENALTY_RECEIVABLE: "penalty", Account.FEE_RECEIVABLE: "fee"}


def receivables(insts: tuple[InstallmentState, ...]) -> int:
    """What the ledger holds for a schedule: unpaid principal, penalty and fees, and
    interest accrued less interest paid."""
    return sum(i.unpaid_principal_minor + i.unpaid_penalty_minor + i.unpaid_fee_minor
               + i.interest_accrued_minor - i.paid_interest_minor for i in insts)


@st.composite
def loans(draw: st.DrawFn) -> LoanState:
    principal = draw(st.integers(10_000, 5_000_000))
    sched = build_schedule(principal_minor=principal, currency="CNY",
                           annual_rate=Decimal("0.18"), periods=6,
                           method=RepaymentMethod.EQUAL_INSTALLMENT, start=START)
    loan = book_loan(loan_id=1, borrower_id=1, product=PRODUCT, schedule=sched,
                     disbursed_on=START)
    insts = []
    day = to_day(TODAY)
    for inst in loan.installments:
        accrued = inst.interest_accrued_through(day - 1)
        due = inst.due_day < day
        paid_p = draw(st.integers(0, inst.principal_minor)) if due else 0
        paid_i = draw(st.integers(0, inst.interest_minor))  # may run ahead of accrual
        penalty = draw(st.integers(0, 5_000)) if due else 0
        insts.append(replace(inst, interest_accrued_minor=accrued, penalty_minor=penalty,
                             paid_principal_minor=paid_p, paid_interest_minor=paid_i,
                             paid_penalty_minor=draw(st.integers(0, penalty))))
    return replace(loan, installments=tuple(insts), status=LoanStatus.OVERDUE,
                   last_cob_day=day - 1)


@settings(max_examples=50, deadline=None)
@given(loan=loans(), pick=st.integers(0, 200))
def test_restructuring_balances_and_matches_the_new_schedule(loan: LoanState,
                                                             pick: int) -> None:
    debt, ahead = current_debt(loan)
    offers = generate_offers(assessment=RICH, debt=debt, terms=LoanTerms("CNY", Decimal("0.18")),
                             business_date=TODAY, policy=builtin_policy(),
                             approvals=builtin_approvals()).offers
    offer = offers[pick % len(offers)]
    before = receivables(loan.installments)
    done = restructure(loan, debt=debt, instalments=offer.instalments, waiver=offer.waiver,
                       business_date=TODAY, entry_id="rst:1:1")
    lines = done.entry.lines if done.entry is not None else ()
    assert sum(ln.amount_minor for ln in lines) == 0
    moved = sum(ln.amount_minor for ln in lines if ln.account in RECEIVABLES)
    # the ledger's receivables after the entry = the new schedule's receivables
    assert before + moved == receivables(done.loan.installments)
    assert moved == ahead - offer.waiver.total_minor
    # and what is left to pay is exactly the plan
    assert done.loan.unpaid_total_minor == offer.total_cost_minor
    assert done.loan.days_past_due == 0 and done.loan.status is LoanStatus.RESTRUCTURED
    status, _ = plan_status(done.loan, first_n=done.first_n, last_n=done.last_n,
                            business_date=TODAY, grace_days=5)
    assert status.value == "active"


@given(quoted=st.builds(Debt, st.integers(1, 10**7), st.integers(0, 10**5),
                        st.integers(0, 10**5), st.integers(0, 10**4)),
       grown=st.tuples(st.integers(0, 10**4), st.integers(0, 10**4), st.integers(0, 10**3)),
       waived=st.integers(0, 10**5))
def test_a_held_quote_waives_exactly_what_accrued_since(quoted: Debt,
                                                         grown: tuple[int, int, int],
                                                         waived: int) -> None:
    waiver = Waiver(penalty_minor=min(waived, quoted.penalty_minor))
    today = Debt(quoted.principal_minor, quoted.interest_minor + grown[0],
                 quoted.penalty_minor + grown[1], quoted.fee_minor + grown[2])
    held = held_quote(quoted, today, waiver)
    assert held is not None
    debt, new_waiver = held
    assert debt == today
    # the borrower still pays what was quoted
    assert debt.total_minor - new_waiver.total_minor == quoted.total_minor - waiver.total_minor
    assert new_waiver.principal_minor == 0


def test_a_quote_does_not_hold_once_a_payment_moved_the_debt() -> None:
    quoted = Debt(300_000, 3_928, 650, 0)
    assert held_quote(quoted, quoted, Waiver()) == (quoted, Waiver())
    paid_principal = Debt(290_000, 3_928, 650, 0)
    paid_interest = Debt(300_000, 3_000, 700, 0)
    assert held_quote(quoted, paid_principal, Waiver()) is None
    assert held_quote(quoted, paid_interest, Waiver()) is None
