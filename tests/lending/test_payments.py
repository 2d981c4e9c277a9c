"""Regular payments as worked examples on one small loan.

3000.00 CNY lent on 2025-01-15 at 12 % a year over 3 months, equal instalments,
30/360, no grace days, a 20.00 late fee and 18 % a year penalty interest (on a 360-day
year, like the product's day count), cost cap 24 %. Its schedule:

    n  due         principal  interest  total
    1  2025-02-15     990.07     30.00  1020.07
    2  2025-03-15     999.97     20.10  1020.07
    3  2025-04-15    1009.96     10.10  1020.06

The book is advanced with the row-by-row COB rule one day at a time; a payment on
business date D lands after COB has closed D-1. Every outcome's journal lines are
built into a balanced entry, and the ledger they make is reconciled with the loan.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from decimal import Decimal

import pytest

from dunwell.cob.model import CobParams
from dunwell.cob.rules import cob_loan_day
from dunwell.core.dates import DayCount, from_day, to_day
from dunwell.core.errors import Conflict, DomainError
from dunwell.ledger.model import Account, JournalEntry, Line
from dunwell.ledger.rules import balances, entry, reversal
from dunwell.lending.errors import PaymentRejected, ReversalRejected
from dunwell.lending.loans import LoanState, book_loan
from dunwell.lending.model import (
    AllocationScope,
    Bucket,
    Component,
    Fees,
    LoanStatus,
    Product,
    RepaymentMethod,
)
from dunwell.lending.payments import PaymentOutcome, apply_suspense, pay, reverse
from dunwell.lending.schedules import build_schedule

D = dt.date
START = D(2025, 1, 15)
PEN, FEE, INT, PRI = Component.PENALTY, Component.FEE, Component.INTEREST, Component.PRINCIPAL

SMALL = Product(
    code="small_annuity_3m", name="small", currency="CNY",
    method=RepaymentMethod.EQUAL_INSTALLMENT, annual_rate=Decimal("0.12"),
    day_count=DayCount.THIRTY_360, penalty_rate=Decimal("0.18"),
    cost_cap_annual=Decimal("0.24"), grace_days=0, fees=Fees(late_fee_minor=2000),
)


class Desk:
    """One loan being serviced: its state and the journal that mirrors it."""

    def __init__(self, product: Product = SMALL) -> None:
        self.product = product
        schedule = build_schedule(
            principal_minor=300000, currency="CNY", annual_rate=product.annual_rate,
            periods=3, method=product.method, start=START, day_count=product.day_count,
            rounding=product.rounding)
        self.loan = book_loan(loan_id=1, borrower_id=9, product=product, schedule=schedule,
                              disbursed_on=START)
        self.journal = [entry(
            entry_id="disb", business_date=START, kind="disbursement", currency="CNY",
            lines=(Line.debit(Account.PRINCIPAL_RECEIVABLE, 300000, 1),
                   Line.credit(Account.CASH, 300000, 1)))]

    def close_through(self, last: dt.date) -> LoanState:
        """Run COB for every day up to and including ``last``."""
        params = CobParams.of(self.product)
        for day in range(self.loan.last_cob_day + 1, to_day(last) + 1):
            self.loan, postings, _ = cob_loan_day(self.loan, params, day)
            if postings:
                self.journal.append(entry(
                    entry_id=f"cob:{day}", business_date=from_day(day), kind="cob", currency="CNY",
                    lines=[Line(acc, amt, lid) for lid, acc, amt in postings]))
        return self.loan

    def pay(self, amount_minor: int, on: dt.date) -> PaymentOutcome:
        self.close_through(on - dt.timedelta(days=1))
        out = pay(self.loan, self.product, amount_minor=amount_minor, currency="CNY",
                  day=to_day(on))
        return self.take(out, on)

    def take(self, out: PaymentOutcome, on: dt.date) -> PaymentOutcome:
        self.journal.append(posted(out, f"pay:{len(self.journal)}", on))
        if out.accrual_minor:
            self.journal.append(entry(
                entry_id=f"acr:{len(self.journal)}", business_date=on, kind="accrual",
                currency="CNY",
                lines=(Line.debit(Account.INTEREST_RECEIVABLE, out.accrual_minor, 1),
                       Line.credit(Account.INTEREST_INCOME, out.accrual_minor, 1))))
        self.loan = out.loan
        return out

    def assert_ledger_matches_loan(self) -> None:
        """Receivables, income and suspense in the journal equal the loan's own numbers."""
        bal = balances(self.journal, loan_id=1)
        insts = self.loan.installments
        assert bal.get(Account.PRINCIPAL_RECEIVABLE, 0) == self.loan.outstanding_principal_minor
        assert bal.get(Account.INTEREST_RECEIVABLE, 0) == sum(
            i.interest_accrued_minor - i.paid_interest_minor for i in insts)
        assert bal.get(Account.FEE_RECEIVABLE, 0) == sum(i.unpaid_fee_minor for i in insts)
        assert bal.get(Account.PENALTY_RECEIVABLE, 0) == sum(
            i.unpaid_penalty_minor for i in insts)
        assert bal.get(Account.SUSPENSE, 0) == -self.loan.suspense_minor
        income = (bal.get(Account.INTEREST_INCOME, 0) + bal.get(Account.PENALTY_INCOME, 0)
                  + bal.get(Account.FEE_INCOME, 0))
        assert -income == self.loan.charged_minor


def posted(out: PaymentOutcome, entry_id: str, on: dt.date) -> JournalEntry:
    """The payment's lines as a journal entry: building it checks they balance."""
    return entry(entry_id=entry_id, business_date=on, kind="payment", currency="CNY",
                 lines=out.lines)


def split(out: PaymentOutcome) -> list[tuple[int, Component, int]]:
    return [(a.n, a.component, a.amount_minor) for a in out.allocation]


def lines(out: PaymentOutcome) -> list[tuple[Account, int]]:
    return [(ln.account, ln.amount_minor) for ln in out.lines]


def paid(loan: LoanState) -> list[tuple[int, int, int, int]]:
    """(principal, interest, fee, penalty) paid on each instalment."""
    return [(i.paid_principal_minor, i.paid_interest_minor, i.paid_fee_minor,
             i.paid_penalty_minor) for i in loan.installments]


# -- on time --------------------------------------------------------------------------


def test_paying_instalment_1_on_its_due_date_settles_it_exactly() -> None:
    desk = Desk()
    out = desk.pay(102007, D(2025, 2, 15))
    assert split(out) == [(1, INT, 3000), (1, PRI, 99007)]
    assert lines(out) == [(Account.CASH, 102007), (Account.INTEREST_RECEIVABLE, -3000),
                          (Account.PRINCIPAL_RECEIVABLE, -99007)]
    assert out.suspense_minor == 0 and out.accrual_minor == 0
    assert out.loan.installments[0].settled
    assert (out.loan.status, out.loan.days_past_due) == (LoanStatus.CURRENT, 0)
    assert out.loan.outstanding_principal_minor == 200993
    # COB for the due date accrues the last 0.97 and the loan never goes overdue
    assert desk.close_through(D(2025, 2, 20)).days_past_due == 0
    assert desk.loan.installments[0].interest_accrued_minor == 3000
    assert desk.loan.status is LoanStatus.CURRENT
    desk.assert_ledger_matches_loan()


# -- overdue: oldest first, penalty -> fee -> interest -> principal ---------------------


def test_a_partial_payment_on_an_overdue_loan_pays_penalty_fee_interest_then_principal() -> None:
    desk = Desk()
    # missed Feb 15; by the close of Feb 28: late fee 20.00 on Feb 16 and 13 days of
    # penalty floor(990.07 x 13 x 0.18 / 360) = 6.43
    before = desk.close_through(D(2025, 2, 28))
    assert (before.installments[0].fee_minor, before.installments[0].penalty_minor) == (
        2000, 643)
    out = desk.pay(50000, D(2025, 3, 1))
    assert split(out) == [(1, PEN, 643), (1, FEE, 2000), (1, INT, 3000), (1, PRI, 44357)]
    assert lines(out) == [
        (Account.CASH, 50000), (Account.PENALTY_RECEIVABLE, -643),
        (Account.FEE_RECEIVABLE, -2000), (Account.INTEREST_RECEIVABLE, -3000),
        (Account.PRINCIPAL_RECEIVABLE, -44357)]
    # instalment 1 still owes 546.50 of principal: the loan stays overdue, 14 days
    assert (out.loan.status, out.loan.days_past_due, out.loan.bucket) == (
        LoanStatus.OVERDUE, 14, Bucket.M1)
    desk.assert_ledger_matches_loan()


def test_with_two_instalments_overdue_the_oldest_is_settled_before_the_next() -> None:
    desk = Desk()
    desk.close_through(D(2025, 3, 19))
    out = desk.pay(150000, D(2025, 3, 20))
    assert split(out) == [
        (1, PEN, 1584), (1, FEE, 2000), (1, INT, 3000), (1, PRI, 99007),
        (2, PEN, 199), (2, FEE, 2000), (2, INT, 2010), (2, PRI, 40200)]
    assert lines(out) == [
        (Account.CASH, 150000), (Account.PENALTY_RECEIVABLE, -1783),
        (Account.FEE_RECEIVABLE, -4000), (Account.INTEREST_RECEIVABLE, -5010),
        (Account.PRINCIPAL_RECEIVABLE, -139207)]
    # DPD now counts from instalment 2 (due Mar 15): 5 days
    assert (out.loan.days_past_due, out.loan.bucket) == (5, Bucket.M1)
    desk.assert_ledger_matches_loan()


COMPONENT_FIRST = replace(SMALL, allocation_scope=AllocationScope.COMPONENT_FIRST,
                          allocation_order=(INT, PRI, PEN, FEE))


def test_component_first_settles_each_component_across_due_instalments_in_turn() -> None:
    desk = Desk(COMPONENT_FIRST)
    desk.close_through(D(2025, 4, 19))  # all three instalments are overdue
    out = desk.pay(150000, D(2025, 4, 20))
    # all interest (oldest first), then principal (oldest first); penalty and fees wait
    assert split(out) == [(1, INT, 3000), (2, INT, 2010), (3, INT, 1010),
                          (1, PRI, 99007), (2, PRI, 44973)]
    assert paid(out.loan) == [(99007, 3000, 0, 0), (44973, 2010, 0, 0), (0, 1010, 0, 0)]
    desk.assert_ledger_matches_loan()


def test_component_first_pays_no_future_instalment_before_the_due_ones_are_settled() -> None:
    desk = Desk(COMPONENT_FIRST)
    desk.close_through(D(2025, 3, 19))  # instalments 1 and 2 overdue, 3 due Apr 15
    out = desk.pay(150000, D(2025, 3, 20))
    assert split(out) == [(1, INT, 3000), (2, INT, 2010), (1, PRI, 99007), (2, PRI, 45983)]


# -- overpayment and suspense ---------------------------------------------------------


def test_money_beyond_the_next_instalment_waits_in_suspense() -> None:
    desk = Desk()
    out = desk.pay(150000, D(2025, 2, 10))  # before instalment 1 is due
    assert split(out) == [(1, INT, 3000), (1, PRI, 99007)]
    assert out.suspense_minor == 47993
    assert out.loan.suspense_minor == 47993
    assert lines(out) == [(Account.CASH, 150000), (Account.INTEREST_RECEIVABLE, -3000),
                          (Account.PRINCIPAL_RECEIVABLE, -99007), (Account.SUSPENSE, -47993)]
    assert paid(out.loan)[1:] == [(0, 0, 0, 0), (0, 0, 0, 0)]  # nothing paid ahead
    desk.assert_ledger_matches_loan()


def test_suspense_is_applied_to_what_is_due_as_if_paid_that_day() -> None:
    desk = Desk()
    desk.pay(150000, D(2025, 2, 10))
    desk.close_through(D(2025, 3, 14))
    out = apply_suspense(desk.loan, SMALL, day=to_day(D(2025, 3, 15)))
    desk.take(out, D(2025, 3, 15))
    assert split(out) == [(2, INT, 2010), (2, PRI, 45983)]
    assert lines(out) == [(Account.SUSPENSE, 47993), (Account.INTEREST_RECEIVABLE, -2010),
                          (Account.PRINCIPAL_RECEIVABLE, -45983)]
    assert out.loan.suspense_minor == 0
    desk.assert_ledger_matches_loan()
    with pytest.raises(PaymentRejected) as exc:
        apply_suspense(desk.loan, SMALL, day=to_day(D(2025, 3, 15)))
    assert exc.value.code == "suspense_must_hold_money"


# -- closing --------------------------------------------------------------------------


def test_paying_the_last_cent_closes_the_loan_and_recognises_interest_paid_ahead() -> None:
    desk = Desk()
    desk.pay(102007, D(2025, 2, 15))
    desk.pay(102007, D(2025, 3, 15))
    before = desk.close_through(D(2025, 4, 14))
    # 30 of instalment 3's 31 days have accrued: floor(10.10 x 30 / 31) = 9.77
    assert before.installments[2].interest_accrued_minor == 977
    out = desk.pay(102006, D(2025, 4, 15))
    assert split(out) == [(3, INT, 1010), (3, PRI, 100996)]
    assert out.loan.status is LoanStatus.PAID_OFF
    assert out.accrual_minor == 33  # the 0.33 not yet accrued, recognised on closing
    assert out.loan.charged_minor == 3000 + 2010 + 1010
    assert out.loan.unpaid_total_minor == 0
    desk.assert_ledger_matches_loan()
    # a closed loan is left alone by COB
    assert cob_loan_day(out.loan, CobParams.of(SMALL), to_day(D(2025, 4, 15))) == (
        out.loan, [], [])


# -- rejections -----------------------------------------------------------------------


@pytest.mark.parametrize(("amount_minor", "currency", "code"), [
    (0, "CNY", "payment_amount_must_be_positive"),
    (-100, "CNY", "payment_amount_must_be_positive"),
    (102007, "USD", "payment_currency_must_match_loan"),
])
def test_bad_payments_are_rejected_with_a_code_and_change_nothing(
        amount_minor: int, currency: str, code: str) -> None:
    desk = Desk()
    loan = desk.close_through(D(2025, 2, 14))
    with pytest.raises(PaymentRejected) as exc:
        pay(loan, SMALL, amount_minor=amount_minor, currency=currency,
            day=to_day(D(2025, 2, 15)))
    assert exc.value.code == code
    assert desk.loan is loan


def test_a_closed_loan_takes_no_payment() -> None:
    desk = Desk()
    for due, amount in ((D(2025, 2, 15), 102007), (D(2025, 3, 15), 102007),
                        (D(2025, 4, 15), 102006)):
        desk.pay(amount, due)
    with pytest.raises(Conflict) as exc:
        pay(desk.loan, SMALL, amount_minor=100, currency="CNY", day=to_day(D(2025, 4, 16)))
    assert exc.value.code == "loan_must_be_open"


# -- reversal -------------------------------------------------------------------------


def test_reversing_a_payment_restores_paid_amounts_and_suspense_exactly() -> None:
    desk = Desk()
    before = desk.close_through(D(2025, 2, 9))
    out = desk.pay(150000, D(2025, 2, 10))
    back = reverse(out.loan, SMALL, allocation=out.allocation,
                   suspense_minor=out.suspense_minor, day=to_day(D(2025, 2, 10)))
    assert back == before
    # the ledger's mirror entry takes the payment out again
    rev = reversal(desk.journal[-1], entry_id="rev:pay", business_date=D(2025, 2, 10))
    desk.journal.append(rev)
    desk.loan = back
    desk.assert_ledger_matches_loan()


def test_reversing_a_payment_on_an_overdue_loan_puts_it_back_overdue() -> None:
    desk = Desk()
    before = desk.close_through(D(2025, 3, 19))
    out = desk.pay(150000, D(2025, 3, 20))
    back = reverse(out.loan, SMALL, allocation=out.allocation,
                   suspense_minor=out.suspense_minor, day=to_day(D(2025, 3, 20)))
    assert paid(back) == [(0, 0, 0, 0)] * 3
    # identical to the loan before, its DPD measured on the day of the reversal
    assert back == replace(before, days_past_due=33, bucket=Bucket.M2)


def test_reversing_the_closing_payment_reopens_the_loan() -> None:
    desk = Desk()
    desk.pay(102007, D(2025, 2, 15))
    desk.pay(102007, D(2025, 3, 15))
    out = desk.pay(102006, D(2025, 4, 15))
    back = reverse(out.loan, SMALL, allocation=out.allocation, suspense_minor=0,
                   day=to_day(D(2025, 4, 15)))
    assert back.status is LoanStatus.CURRENT
    assert back.installments[2].unpaid_total_minor == 102006
    # the interest recognised on closing stays recognised (it was its own entry)
    assert back.installments[2].interest_accrued_minor == 1010


def test_a_reversal_is_refused_once_the_suspense_it_created_was_used() -> None:
    desk = Desk()
    first = desk.pay(150000, D(2025, 2, 10))
    desk.close_through(D(2025, 3, 14))
    used = desk.take(apply_suspense(desk.loan, SMALL, day=to_day(D(2025, 3, 15))),
                     D(2025, 3, 15))
    with pytest.raises(ReversalRejected) as exc:
        reverse(used.loan, SMALL, allocation=first.allocation,
                suspense_minor=first.suspense_minor, day=to_day(D(2025, 3, 15)))
    assert exc.value.code == "reversal_suspense_must_be_available"
    assert isinstance(exc.value, DomainError)
