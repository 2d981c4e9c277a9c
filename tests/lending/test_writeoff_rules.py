"""Writing a loan off, as worked examples on one small loan.

3000.00 CNY lent on 2025-01-15 at 12 % a year over 3 months, equal instalments,
30/360, no grace days, a 20.00 late fee and 18 % a year penalty interest, cost cap
24 %. Its schedule:

    n  due         principal  interest  total
    1  2025-02-15     990.07     30.00  1020.07
    2  2025-03-15     999.97     20.10  1020.07
    3  2025-04-15    1009.96     10.10  1020.06

The loan is closed day by day with the row-by-row COB rule and its journal is kept
beside it; after the write-off the journal must hold no receivable for the loan, the
suspense it still holds, and income equal to what the loan says was charged.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dunwell.cob.model import CobParams
from dunwell.cob.rules import cob_loan_day
from dunwell.core.dates import DayCount, from_day, to_day
from dunwell.core.errors import DomainError
from dunwell.ledger.model import Account, JournalEntry, Line
from dunwell.ledger.rules import balances, entry
from dunwell.lending.loans import LoanState, book_loan
from dunwell.lending.model import Component, Fees, LoanStatus, Product, RepaymentMethod
from dunwell.lending.payments import AllocationLine, pay
from dunwell.lending.schedules import build_schedule
from dunwell.lending.writeoff import WriteOff, WrittenOff, write_off, written_off_from_lines

D = dt.date
START = D(2025, 1, 15)
SMALL = Product(
    code="small_annuity_3m", name="small", currency="CNY",
    method=RepaymentMethod.EQUAL_INSTALLMENT, annual_rate=Decimal("0.12"),
    day_count=DayCount.THIRTY_360, penalty_rate=Decimal("0.18"),
    cost_cap_annual=Decimal("0.24"), grace_days=0, fees=Fees(late_fee_minor=2000),
)
RECEIVABLES = (Account.PRINCIPAL_RECEIVABLE, Account.INTEREST_RECEIVABLE,
               Account.PENALTY_RECEIVABLE, Account.FEE_RECEIVABLE)


class Desk:
    """One loan being serviced: its state and the journal that mirrors it."""

    def __init__(self) -> None:
        schedule = build_schedule(
            principal_minor=300000, currency="CNY", annual_rate=SMALL.annual_rate, periods=3,
            method=SMALL.method, start=START, day_count=SMALL.day_count,
            rounding=SMALL.rounding)
        self.loan = book_loan(loan_id=1, borrower_id=9, product=SMALL, schedule=schedule,
                              disbursed_on=START)
        self.journal: list[JournalEntry] = [entry(
            entry_id="disb", business_date=START, kind="disbursement", currency="CNY",
            lines=(Line.debit(Account.PRINCIPAL_RECEIVABLE, 300000, 1),
                   Line.credit(Account.CASH, 300000, 1)))]

    def close_through(self, last: dt.date) -> None:
        params = CobParams.of(SMALL)
        for day in range(self.loan.last_cob_day + 1, to_day(last) + 1):
            self.loan, postings, _ = cob_loan_day(self.loan, params, day)
            if postings:
                self.journal.append(entry(
                    entry_id=f"cob:{day}", business_date=from_day(day), kind="cob",
                    currency="CNY", lines=[Line(acc, amt, lid) for lid, acc, amt in postings]))

    def pay(self, amount_minor: int, on: dt.date) -> None:
        self.close_through(on - dt.timedelta(days=1))
        out = pay(self.loan, SMALL, amount_minor=amount_minor, currency="CNY", day=to_day(on))
        self.journal.append(entry(entry_id=f"pay:{len(self.journal)}", business_date=on,
                                  kind="payment", currency="CNY", lines=out.lines))
        if out.accrual_minor:
            self.journal.append(entry(
                entry_id=f"acr:{len(self.journal)}", business_date=on, kind="accrual",
                currency="CNY",
                lines=(Line.debit(Account.INTEREST_RECEIVABLE, out.accrual_minor, 1),
                       Line.credit(Account.INTEREST_INCOME, out.accrual_minor, 1))))
        self.loan = out.loan

    def write_off(self, on: dt.date) -> WriteOff:
        self.close_through(on - dt.timedelta(days=1))
        done = write_off(self.loan, SMALL)
        for name, lines in (("woa", done.recognition_lines), ("wos", done.suspense_lines),
                            ("wo", done.write_off_lines)):
            if lines:
                self.journal.append(entry(entry_id=name, business_date=on, kind=name,
                                          currency="CNY", lines=lines))
        self.loan = done.loan
        return done

    def balance(self, account: Account) -> int:
        return balances(self.journal, loan_id=1).get(account, 0)

    def assert_charged_off_books(self) -> None:
        """No receivable left; suspense and income agree with the loan's own numbers."""
        assert self.loan.status is LoanStatus.CHARGED_OFF
        assert {a: self.balance(a) for a in RECEIVABLES} == dict.fromkeys(RECEIVABLES, 0)
        assert all(i.unpaid_total_minor == 0 for i in self.loan.installments)
        assert self.balance(Account.SUSPENSE) == -self.loan.suspense_minor
        income = sum(self.balance(a) for a in (Account.INTEREST_INCOME, Account.PENALTY_INCOME,
                                               Account.FEE_INCOME))
        assert -income == self.loan.charged_minor
        assert sum(self.balance(a) for a in Account) == 0


def test_an_overdue_loan_is_written_off_component_by_component() -> None:
    # On 2025-03-20 (COB closed through 03-19) instalment 1 is 33 days late and
    # instalment 2 five days; 500.00 paid that day clears instalment 1's penalty (15.84),
    # late fee (20.00) and interest (30.00) and 434.16 of its principal. What is left:
    #   principal 3000.00 - 434.16                 = 2565.84
    #   interest  20.10 (n=2) + 1.30 accrued (n=3) =   21.40  (8.80 not yet accrued: cancelled)
    #   penalty   1.99 (n=2)                       =    1.99
    #   late fee  20.00 (n=2)                      =   20.00
    desk = Desk()
    desk.pay(50000, D(2025, 3, 20))
    done = desk.write_off(D(2025, 3, 20))
    assert done.written_off == WrittenOff(principal_minor=256584, interest_minor=2140,
                                          penalty_minor=199, fee_minor=2000)
    assert done.suspense_applied_minor == 0
    assert done.interest_recognised_minor == 0
    assert desk.balance(Account.WRITE_OFF) == 260923
    assert [(ln.account, ln.amount_minor) for ln in done.write_off_lines] == [
        (Account.WRITE_OFF, 256584), (Account.PRINCIPAL_RECEIVABLE, -256584),
        (Account.WRITE_OFF, 2140), (Account.INTEREST_RECEIVABLE, -2140),
        (Account.WRITE_OFF, 199), (Account.PENALTY_RECEIVABLE, -199),
        (Account.WRITE_OFF, 2000), (Account.FEE_RECEIVABLE, -2000)]
    desk.assert_charged_off_books()


def test_suspense_is_applied_before_anything_is_written_off() -> None:
    # 1500.00 paid on 2025-02-10: instalment 1 is settled ahead (30.00 interest,
    # 990.07 principal) and 479.93 goes to suspense. Written off the next day, when
    # 25.16 of that interest has accrued: the 4.84 paid ahead is recognised, the
    # suspense pays 479.93 of instalment 2's principal (no interest has accrued on it
    # yet) and the remaining principal is written off.
    desk = Desk()
    desk.pay(150000, D(2025, 2, 10))
    assert desk.loan.suspense_minor == 47993
    done = desk.write_off(D(2025, 2, 11))
    assert done.interest_recognised_minor == 484
    assert done.suspense_applied_minor == 47993
    assert done.suspense_allocation == (AllocationLine(2, Component.PRINCIPAL, 47993),)
    assert done.written_off == WrittenOff(principal_minor=300000 - 99007 - 47993)
    assert desk.loan.suspense_minor == 0
    desk.assert_charged_off_books()


def test_suspense_that_covers_the_whole_debt_is_applied_not_written_off() -> None:
    desk = Desk()
    desk.pay(310000, START)  # instalment 1, and 2079.93 to suspense: more than 2010.95 left
    with pytest.raises(DomainError) as err:
        write_off(desk.loan, SMALL)
    assert err.value.code == "write_off_needs_outstanding_debt"


def test_a_charged_off_loan_takes_no_payment_and_no_second_write_off() -> None:
    desk = Desk()
    desk.write_off(D(2025, 3, 1))
    with pytest.raises(DomainError) as paying:
        pay(desk.loan, SMALL, amount_minor=100, currency="CNY", day=to_day(D(2025, 3, 2)))
    with pytest.raises(DomainError) as again:
        write_off(desk.loan, SMALL)
    assert paying.value.code == again.value.code == "loan_must_be_open"


def test_the_components_are_read_back_from_the_entry_lines() -> None:
    desk = Desk()
    desk.pay(50000, D(2025, 3, 20))
    done = desk.write_off(D(2025, 3, 20))
    assert written_off_from_lines(done.write_off_lines) == done.written_off


@settings(max_examples=60, deadline=None)
@given(payments=st.lists(st.tuples(st.integers(0, 120), st.integers(1, 400000)), max_size=4),
       written_on=st.integers(1, 150))
def test_any_open_loan_written_off_leaves_no_receivable_and_no_money_made(
        payments: list[tuple[int, int]], written_on: int) -> None:
    desk = Desk()
    for offset, amount in sorted(payments):
        if desk.loan.status.is_open:
            desk.pay(amount, START + dt.timedelta(days=offset))
    day = START + dt.timedelta(days=max(written_on, max((o for o, _ in payments), default=0)))
    desk.close_through(day - dt.timedelta(days=1))
    if not desk.loan.status.is_open:
        return
    before: LoanState = desk.loan
    try:
        done = desk.write_off(day)
    except DomainError as err:
        assert err.code == "write_off_needs_outstanding_debt"
        return
    desk.assert_charged_off_books()
    # what was owed in the journal = suspense applied + written off (+ paid-ahead
    # interest recognised, which was owed with the opposite sign)
    owed = sum(i.unpaid_principal_minor + i.interest_accrued_minor - i.paid_interest_minor
               + i.unpaid_penalty_minor + i.unpaid_fee_minor for i in before.installments)
    assert owed + done.interest_recognised_minor == (done.suspense_applied_minor
                                                     + done.written_off.total_minor)
    assert done.loan.suspense_minor == before.suspense_minor - done.suspense_applied_minor
