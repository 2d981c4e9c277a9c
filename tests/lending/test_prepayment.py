"""Early full repayment and partial prepayment as worked examples.

The small loan: 3000.00 CNY lent on 2025-01-15 at 12 % a year over 3 months, equal
instalments, 30/360, no grace, late fee 20.00, penalty 18 % a year:

    n  due         principal  interest  total
    1  2025-02-15     990.07     30.00  1020.07
    2  2025-03-15     999.97     20.10  1020.07
    3  2025-04-15    1009.96     10.10  1020.06

The twelve-month loan: 12000.00 on the same terms, 1066.19 a month (1066.14 last).
Interest accrues linearly over each instalment's days; COB has closed D-1 when a
payment lands on D.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from decimal import Decimal

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from dunwell.cob.model import CobParams
from dunwell.cob.rules import cob_loan_day
from dunwell.core.dates import DayCount, from_day, to_day
from dunwell.core.errors import Conflict
from dunwell.ledger.model import Account, Line
from dunwell.ledger.rules import balances, entry
from dunwell.lending.errors import PaymentRejected, ReversalRejected
from dunwell.lending.loans import LoanState, book_loan
from dunwell.lending.model import Component, Fees, LoanStatus, Product, RepaymentMethod
from dunwell.lending.payments import PaymentOutcome, pay, reverse
from dunwell.lending.prepayment import PrepaymentMode, payoff, payoff_quote, prepay
from dunwell.lending.schedules import build_schedule

D = dt.date
START = D(2025, 1, 15)
INT, PRI = Component.INTEREST, Component.PRINCIPAL
LOWER, SHORTEN = PrepaymentMode.LOWER_INSTALLMENT, PrepaymentMode.SHORTEN_TERM

SMALL = Product(
    code="small_annuity", name="small", currency="CNY",
    method=RepaymentMethod.EQUAL_INSTALLMENT, annual_rate=Decimal("0.12"),
    day_count=DayCount.THIRTY_360, penalty_rate=Decimal("0.18"),
    cost_cap_annual=Decimal("0.24"), grace_days=0, fees=Fees(late_fee_minor=2000),
)


def booked(product: Product = SMALL, *, principal_minor: int = 300000, periods: int = 3,
           start: dt.date = START) -> LoanState:
    schedule = build_schedule(
        principal_minor=principal_minor, currency=product.currency,
        annual_rate=product.annual_rate, periods=periods, method=product.method, start=start,
        day_count=product.day_count, rounding=product.rounding)
    return book_loan(loan_id=1, borrower_id=9, product=product, schedule=schedule,
                     disbursed_on=start)


def closed_through(loan: LoanState, last: dt.date, product: Product = SMALL) -> LoanState:
    params = CobParams.of(product)
    for day in range(loan.last_cob_day + 1, to_day(last) + 1):
        loan, _, _ = cob_loan_day(loan, params, day)
    return loan


def on(date: dt.date, loan: LoanState | None = None) -> tuple[LoanState, int]:
    """The small loan (or ``loan``) with COB closed through the day before ``date``."""
    start = booked() if loan is None else loan
    return closed_through(start, date - dt.timedelta(days=1)), to_day(date)


def split(out: PaymentOutcome) -> list[tuple[int, Component, int]]:
    return [(a.n, a.component, a.amount_minor) for a in out.allocation]


def rows(loan: LoanState) -> list[tuple[int, int, int]]:
    """(n, unpaid principal, unpaid interest) of each instalment."""
    return [(i.n, i.unpaid_principal_minor, i.unpaid_interest_minor) for i in loan.installments]


def assert_balanced(out: PaymentOutcome) -> None:
    entry(entry_id="p", business_date=START, kind="payment", currency="CNY", lines=out.lines)


# -- payoff ---------------------------------------------------------------------------


def test_the_payoff_quote_mid_period_is_principal_plus_interest_to_date() -> None:
    loan, day = on(D(2025, 1, 30))
    # 15 of instalment 1's 31 days: floor(30.00 x 15 / 31) = 14.51; no other interest
    assert payoff_quote(loan, day=day) == 300000 + 1451


def test_the_payoff_quote_on_an_overdue_loan_adds_everything_due() -> None:
    loan, day = on(D(2025, 3, 1))
    due_now = 99007 + 3000 + 2000 + 643  # instalment 1 with late fee and 13 days' penalty
    current = 1005 + 99997  # 14 of 28 days of instalment 2's 20.10, and its principal
    assert payoff_quote(loan, day=day) == due_now + current + 100996 == 306648


def test_a_payoff_below_the_quote_is_rejected_with_the_quote() -> None:
    loan, day = on(D(2025, 1, 30))
    with pytest.raises(PaymentRejected) as exc:
        payoff(loan, SMALL, amount_minor=301450, currency="CNY", day=day)
    assert exc.value.code == "payoff_amount_must_cover_quote"
    assert exc.value.details["quote_minor"] == 301451


def test_paying_the_quote_closes_the_loan_with_interest_only_to_date() -> None:
    loan, day = on(D(2025, 1, 30))
    out = payoff(loan, SMALL, amount_minor=301451, currency="CNY", day=day)
    assert split(out) == [(1, INT, 1451), (1, PRI, 99007), (2, PRI, 99997), (3, PRI, 100996)]
    assert out.loan.status is LoanStatus.PAID_OFF
    assert out.loan.unpaid_total_minor == 0
    assert [i.interest_minor for i in out.loan.installments] == [1451, 0, 0]
    # COB had accrued floor(3000 x 14 / 31) = 13.54; the payoff recognises the last 0.97
    assert out.accrual_minor == 1451 - 1354
    assert out.loan.charged_minor == 1451
    assert [(ln.account, ln.amount_minor) for ln in out.lines] == [
        (Account.CASH, 301451), (Account.INTEREST_RECEIVABLE, -1451),
        (Account.PRINCIPAL_RECEIVABLE, -300000)]
    assert_balanced(out)


def test_paying_more_than_the_quote_leaves_the_rest_in_suspense() -> None:
    loan, day = on(D(2025, 1, 30))
    out = payoff(loan, SMALL, amount_minor=301500, currency="CNY", day=day)
    assert out.loan.status is LoanStatus.PAID_OFF
    assert out.suspense_minor == out.loan.suspense_minor == 49
    assert (Account.SUSPENSE, -49) in [(ln.account, ln.amount_minor) for ln in out.lines]
    assert_balanced(out)


def test_interest_paid_ahead_is_given_back_in_the_quote_and_reopened_in_the_ledger() -> None:
    loan, day = on(D(2025, 1, 20))
    ahead = pay(loan, SMALL, amount_minor=102007, currency="CNY", day=day)  # 30.00 interest
    loan, day = on(D(2025, 1, 30), ahead.loan)
    # only 14.51 of the 30.00 has accrued: the other 15.49 comes off the quote
    assert payoff_quote(loan, day=day) == 99997 + 100996 - 1549 == 199444
    out = payoff(loan, SMALL, amount_minor=199444, currency="CNY", day=day)
    assert out.loan.status is LoanStatus.PAID_OFF
    assert [(ln.account, ln.amount_minor) for ln in out.lines] == [
        (Account.CASH, 199444), (Account.PRINCIPAL_RECEIVABLE, -200993),
        (Account.INTEREST_RECEIVABLE, 1549)]
    assert_balanced(out)
    # the earlier payment no longer matches the loan: it cannot be reversed now
    with pytest.raises(ReversalRejected) as exc:
        reverse(out.loan, SMALL, allocation=ahead.allocation, suspense_minor=0, day=day)
    assert exc.value.code == "reversal_must_match_current_allocation"


def test_a_paid_off_loan_has_no_quote() -> None:
    loan, day = on(D(2025, 1, 30))
    out = payoff(loan, SMALL, amount_minor=301451, currency="CNY", day=day)
    with pytest.raises(Conflict) as exc:
        payoff_quote(out.loan, day=day)
    assert exc.value.code == "loan_must_be_open"


def test_after_a_payoff_the_ledger_holds_no_receivable() -> None:
    loan = booked()
    journal = [entry(entry_id="disb", business_date=START, kind="disbursement", currency="CNY",
                     lines=(Line.debit(Account.PRINCIPAL_RECEIVABLE, 300000, 1),
                            Line.credit(Account.CASH, 300000, 1)))]
    params = CobParams.of(SMALL)
    for day in range(to_day(START), to_day(D(2025, 3, 1))):  # through Feb 28: overdue
        loan, postings, _ = cob_loan_day(loan, params, day)
        if postings:
            journal.append(entry(entry_id=f"cob{day}", business_date=from_day(day), kind="cob",
                                 currency="CNY", lines=[Line(a, m, lid) for lid, a, m in postings]))
    day = to_day(D(2025, 3, 1))
    out = payoff(loan, SMALL, amount_minor=payoff_quote(loan, day=day), currency="CNY", day=day)
    journal.append(entry(entry_id="pay", business_date=START, kind="payoff", currency="CNY",
                         lines=out.lines))
    journal.append(entry(entry_id="acr", business_date=START, kind="accrual", currency="CNY",
                         lines=(Line.debit(Account.INTEREST_RECEIVABLE, out.accrual_minor, 1),
                                Line.credit(Account.INTEREST_INCOME, out.accrual_minor, 1))))
    bal = balances(journal, loan_id=1)
    assert bal == {
        Account.CASH: -300000 + 306648,
        Account.INTEREST_INCOME: -(3000 + 1005),
        Account.FEE_INCOME: -2000,
        Account.PENALTY_INCOME: -643,
    }
    assert -sum(v for a, v in bal.items() if a is not Account.CASH) == out.loan.charged_minor


# -- partial prepayment -----------------------------------------------------------------


def test_lower_installment_keeps_the_number_of_instalments_and_lowers_each() -> None:
    loan, day = on(D(2025, 2, 15), booked(principal_minor=1200000, periods=12))
    out = prepay(loan, SMALL, amount_minor=300000, currency="CNY", day=day, mode=LOWER)
    # instalment 1 (due today) is paid; no interest has accrued on instalment 2 yet, so
    # the other 1933.81 is principal: 9120.00 is left, re-spread over 2..12 at 879.66
    assert split(out) == [(1, INT, 12000), (1, PRI, 94619), (2, PRI, 193381)]
    assert len(out.loan.installments) == 12
    totals = [i.unpaid_total_minor for i in out.loan.installments[1:]]
    assert totals[:-1] == [87966] * 10
    assert totals[-1] == 87967
    assert out.loan.outstanding_principal_minor == 1200000 - 94619 - 193381 == 912000
    assert out.loan.status is LoanStatus.CURRENT
    assert_balanced(out)


def test_shorten_term_keeps_the_instalment_no_higher_and_drops_instalments() -> None:
    loan, day = on(D(2025, 2, 15), booked(principal_minor=1200000, periods=12))
    out = prepay(loan, SMALL, amount_minor=300000, currency="CNY", day=day, mode=SHORTEN)
    assert len(out.loan.installments) < 12
    totals = [i.unpaid_total_minor for i in out.loan.installments[1:]]
    assert max(totals) <= 106619
    assert out.loan.outstanding_principal_minor == 912000
    assert sum(i.principal_minor for i in out.loan.installments) == 1200000
    assert_balanced(out)


def test_shorten_term_spreads_the_rest_over_as_few_instalments_as_keep_the_instalment() -> None:
    loan, day = on(D(2025, 2, 15), booked(principal_minor=1200000, periods=12))
    out = prepay(loan, SMALL, amount_minor=300000, currency="CNY", day=day, mode=SHORTEN)
    totals = [i.unpaid_total_minor for i in out.loan.installments[1:]]
    assert totals == [106467] * 8 + [106468]  # instalments 2..10; 11 and 12 are gone


def test_a_mid_period_prepayment_settles_interest_to_date_and_cuts_principal() -> None:
    loan, day = on(D(2025, 1, 30))
    out = prepay(loan, SMALL, amount_minor=200000, currency="CNY", day=day, mode=LOWER)
    assert split(out) == [(1, INT, 1451), (1, PRI, 198549)]
    assert out.accrual_minor == 1451 - 1354
    assert len(out.loan.installments) == 3
    assert out.loan.outstanding_principal_minor == 300000 - 198549 == 101451
    # 1014.51 re-spread over three periods at 344.96; instalment 1 keeps 14.51 of
    # interest to date and adds 10.15 x 16/31 = 5.23 for the rest of its period
    assert out.loan.installments[0].interest_minor == 1451 + 523
    assert [i.unpaid_total_minor for i in out.loan.installments] == [34004, 34496, 34496]
    assert_balanced(out)


def test_after_a_mid_period_prepayment_interest_runs_only_for_the_rest_of_the_period() -> None:
    loan, day = on(D(2025, 1, 30))
    out = prepay(loan, SMALL, amount_minor=200000, currency="CNY", day=day, mode=LOWER)
    first = out.loan.installments[0]
    rest_of_period = first.interest_minor - 1451
    # a month's interest on 1014.51 is 10.15; 16 of the period's 31 days is about 5.23
    # (allowing a day's difference in convention)
    assert abs(rest_of_period * 31 - 1015 * 16) <= 1015 + 31


def test_a_prepayment_not_above_what_is_due_now_is_rejected() -> None:
    loan, day = on(D(2025, 1, 30))
    # due now: 14.51 of interest to date; anything more prepays principal
    for amount in (1, 1451):
        with pytest.raises(PaymentRejected) as exc:
            prepay(loan, SMALL, amount_minor=amount, currency="CNY", day=day, mode=LOWER)
        assert exc.value.code == "prepayment_amount_must_be_partial"
    prepay(loan, SMALL, amount_minor=1452, currency="CNY", day=day, mode=LOWER)


def test_a_prepayment_of_the_whole_balance_is_sent_to_payoff() -> None:
    loan, day = on(D(2025, 1, 30))
    with pytest.raises(PaymentRejected) as exc:
        prepay(loan, SMALL, amount_minor=301451, currency="CNY", day=day, mode=SHORTEN)
    assert exc.value.code == "prepayment_amount_must_be_partial"


def test_after_the_last_due_date_there_is_nothing_to_prepay() -> None:
    loan, day = on(D(2025, 4, 16))
    with pytest.raises(PaymentRejected) as exc:
        prepay(loan, SMALL, amount_minor=500000, currency="CNY", day=day, mode=LOWER)
    assert exc.value.code == "prepayment_needs_future_installments"


@pytest.mark.parametrize("method", [RepaymentMethod.INTEREST_ONLY, RepaymentMethod.BULLET])
def test_shorten_term_is_refused_for_loans_that_repay_principal_at_maturity(
        method: RepaymentMethod) -> None:
    product = replace(SMALL, method=method)
    loan, day = on(D(2025, 1, 30), booked(product))
    with pytest.raises(PaymentRejected) as exc:
        prepay(loan, product, amount_minor=100000, currency="CNY", day=day, mode=SHORTEN)
    assert exc.value.code == "prepayment_mode_must_suit_method"


def test_an_interest_only_loan_may_lower_its_instalments() -> None:
    product = replace(SMALL, method=RepaymentMethod.INTEREST_ONLY)
    loan, day = on(D(2025, 2, 15), booked(product))
    out = prepay(loan, product, amount_minor=200000, currency="CNY", day=day, mode=LOWER)
    # 30.00 interest due today, then 1970.00 off the 3000.00 principal
    assert split(out) == [(1, INT, 3000), (2, PRI, 197000)]
    assert rows(out.loan) == [(1, 0, 0), (2, 0, 1030), (3, 103000, 1030)]


def test_a_bullet_loan_can_be_partly_prepaid_with_lower_installment() -> None:
    product = replace(SMALL, method=RepaymentMethod.BULLET)
    loan, day = on(D(2025, 1, 30), booked(product, periods=1))
    out = prepay(loan, product, amount_minor=100000, currency="CNY", day=day, mode=LOWER)
    # 14.51 interest to date, then 985.49 off the principal
    assert out.loan.outstanding_principal_minor == 300000 - (100000 - 1451)


# -- invariants -----------------------------------------------------------------------


Case = tuple[Product, LoanState, int]


@st.composite
def loans_on_a_day(draw: st.DrawFn, methods: tuple[RepaymentMethod, ...] = tuple(
        RepaymentMethod), periods_min: int = 1) -> Case:
    """A random loan with COB closed through the day before a random business day."""
    product = replace(
        SMALL, method=draw(st.sampled_from(methods)), day_count=draw(st.sampled_from(DayCount)),
        annual_rate=Decimal(draw(st.integers(min_value=0, max_value=3600))).scaleb(-4))
    periods = draw(st.integers(min_value=periods_min, max_value=12))
    principal = draw(st.integers(min_value=10_000, max_value=5_000_000))
    loan = booked(product, principal_minor=principal, periods=periods)
    last = 28 * (periods - 1) if periods_min > 1 else 31 * periods
    date = START + dt.timedelta(days=draw(st.integers(min_value=1, max_value=last)))
    return product, closed_through(loan, date - dt.timedelta(days=1), product), to_day(date)


@settings(max_examples=60, deadline=None)
@given(loans_on_a_day(methods=(RepaymentMethod.EQUAL_INSTALLMENT,
                               RepaymentMethod.EQUAL_PRINCIPAL,
                               RepaymentMethod.INTEREST_ONLY), periods_min=2),
       st.sampled_from(PrepaymentMode), st.integers(min_value=0, max_value=10**9))
def test_a_prepayment_conserves_principal_and_posts_a_balanced_entry(
        case: Case, mode: PrepaymentMode, seed: int) -> None:
    product, loan, day = case
    if product.method is RepaymentMethod.INTEREST_ONLY:
        mode = LOWER
    # a partial prepayment lies strictly between what is due now (through the current
    # instalment's principal) and the payoff quote
    quote = payoff_quote(loan, day=day)
    current_n = next(i.n for i in loan.installments if i.due_day > day)
    later = sum(i.unpaid_principal_minor for i in loan.installments if i.n > current_n)
    assume(later >= 2)
    amount = quote - later + 1 + seed % (later - 1)
    out = prepay(loan, product, amount_minor=amount, currency="CNY", day=day, mode=mode)
    new = out.loan
    assert sum(i.principal_minor for i in new.installments) == loan.principal_minor
    assert sum(i.paid_principal_minor for i in new.installments) \
        + new.outstanding_principal_minor == loan.principal_minor
    principal_paid = sum(a.amount_minor for a in out.allocation if a.component is PRI)
    assert new.outstanding_principal_minor == loan.outstanding_principal_minor - principal_paid
    assert new.outstanding_principal_minor > 0
    assert new.status.is_open
    if mode is LOWER:
        assert len(new.installments) == len(loan.installments)
    else:
        assert len(new.installments) <= len(loan.installments)
    for inst in new.installments:
        assert min(inst.unpaid_principal_minor, inst.unpaid_interest_minor,
                   inst.interest_minor, inst.principal_minor) >= 0
    assert new.charged_minor == sum(
        i.interest_accrued_minor + i.penalty_minor + i.fee_minor for i in new.installments)
    assert_balanced(out)


@settings(max_examples=60, deadline=None)
@given(loans_on_a_day())
def test_paying_the_quote_always_closes_the_loan(case: Case) -> None:
    product, loan, day = case
    quote = payoff_quote(loan, day=day)
    out = payoff(loan, product, amount_minor=quote, currency="CNY", day=day)
    assert out.loan.status is LoanStatus.PAID_OFF
    assert out.suspense_minor == 0
    assert all(i.unpaid_total_minor == 0 for i in out.loan.installments)
    assert out.loan.charged_minor == sum(
        i.interest_accrued_minor + i.penalty_minor + i.fee_minor for i in out.loan.installments)
    assert_balanced(out)
