"""Cancelling a loan within its cooling-off window, as worked examples on one loan.

3000.00 CNY lent on 2025-01-15 at 12 % a year over 3 months, equal instalments,
30/360, a 50.00 origination fee charged at disbursement. The first instalment's
interest is 30.00 over the 31 days to 2025-02-15.

Cancelled on 2025-01-22 (COB closed through 01-21), the borrower returns 3000.00
and, where the rule charges it, the interest to the close of 01-22:
30.00 x 7 / 31 = 6.77. The fee is never charged. The journal kept beside the loan
must balance, hold no receivable for it and income equal to what the loan says was
charged.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from dunwell.cob.model import CobParams
from dunwell.cob.rules import cob_loan_day
from dunwell.core.dates import DayCount, from_day, to_day
from dunwell.core.errors import Conflict, DomainError
from dunwell.ledger.model import Account, JournalEntry, Line
from dunwell.ledger.rules import balances, entry
from dunwell.lending.cancellation import (
    Cancellation,
    Due,
    cancel,
    cancellation_due,
    check_window,
)
from dunwell.lending.loans import book_loan
from dunwell.lending.model import Fees, LoanStatus, Product, RepaymentMethod
from dunwell.lending.payments import pay
from dunwell.lending.schedules import build_schedule

D = dt.date
START = D(2025, 1, 15)
SMALL = Product(
    code="small_annuity_3m", name="small", currency="CNY",
    method=RepaymentMethod.EQUAL_INSTALLMENT, annual_rate=Decimal("0.12"),
    day_count=DayCount.THIRTY_360, penalty_rate=Decimal("0.18"),
    cost_cap_annual=Decimal("0.24"), grace_days=0, fees=Fees(origination_minor=5000),
)
RECEIVABLES = (Account.PRINCIPAL_RECEIVABLE, Account.INTEREST_RECEIVABLE,
               Account.PENALTY_RECEIVABLE, Account.FEE_RECEIVABLE)
INCOME = (Account.INTEREST_INCOME, Account.PENALTY_INCOME, Account.FEE_INCOME)


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
                   Line.credit(Account.CASH, 300000, 1),
                   Line.debit(Account.FEE_RECEIVABLE, 5000, 1),
                   Line.credit(Account.FEE_INCOME, 5000, 1)))]

    def close_through(self, last: dt.date) -> None:
        params = CobParams.of(SMALL)
        for day in range(self.loan.last_cob_day + 1, to_day(last) + 1):
            self.loan, postings, _ = cob_loan_day(self.loan, params, day)
            if postings:
                self.journal.append(entry(
                    entry_id=f"cob:{day}", business_date=from_day(day), kind="cob",
                    currency="CNY", lines=[Line(acc, amt, lid) for lid, acc, amt in postings]))

    def cancel(self, amount_minor: int, on: dt.date, *, charges_interest: bool) -> Cancellation:
        self.close_through(on - dt.timedelta(days=1))
        done = cancel(self.loan, amount_minor=amount_minor, currency="CNY", on=on,
                      charges_interest=charges_interest)
        for name, lines in (("cxa", done.accrual_lines), ("cxw", done.waiver_lines),
                            ("cx", done.payment_lines)):
            if lines:
                self.journal.append(entry(entry_id=name, business_date=on, kind=name,
                                          currency="CNY", lines=lines))
        self.loan = done.loan
        return done

    def balance(self, account: Account) -> int:
        return balances(self.journal, loan_id=1).get(account, 0)

    def assert_cancelled_books(self) -> None:
        """Closed, no receivable left, income equal to what the loan says was charged,
        every entry balanced."""
        assert self.loan.status is LoanStatus.PAID_OFF
        assert {a: self.balance(a) for a in RECEIVABLES} == dict.fromkeys(RECEIVABLES, 0)
        assert all(i.unpaid_total_minor == 0 for i in self.loan.installments)
        assert -sum(self.balance(a) for a in INCOME) == self.loan.charged_minor
        assert sum(self.balance(a) for a in Account) == 0
        assert all(sum(ln.amount_minor for ln in e.lines) == 0 for e in self.journal)


def test_the_due_is_the_principal_and_where_charged_the_interest_to_date() -> None:
    desk = Desk()
    day = to_day(D(2025, 1, 22))
    assert cancellation_due(desk.loan, day=day, charges_interest=True) == Due(300000, 677)
    assert cancellation_due(desk.loan, day=day, charges_interest=False) == Due(300000, 0)


def test_cancelling_with_interest_to_date_waives_the_fee_and_returns_the_money() -> None:
    desk = Desk()
    done = desk.cancel(300677, D(2025, 1, 22), charges_interest=True)
    assert (done.due.total_minor, done.fee_waived_minor, done.interest_waived_minor) == (
        300677, 5000, 0)
    assert desk.balance(Account.CASH) == 677  # the money came back with the interest
    assert desk.balance(Account.FEE_INCOME) == 0
    assert desk.balance(Account.INTEREST_INCOME) == -677
    assert desk.loan.charged_minor == 677
    desk.assert_cancelled_books()


def test_cancelling_without_cost_gives_back_the_interest_accrued_and_the_fee() -> None:
    desk = Desk()
    done = desk.cancel(300000, D(2025, 1, 22), charges_interest=False)
    assert done.interest_waived_minor > 0  # COB accrued six days before the cancellation
    assert done.accrual_lines == ()
    assert desk.balance(Account.CASH) == 0  # lent and returned: nothing gained or lost
    assert all(desk.balance(a) == 0 for a in INCOME)
    assert desk.loan.charged_minor == 0
    desk.assert_cancelled_books()


@pytest.mark.parametrize("amount", [300676, 300678, 300000])
def test_a_wrong_amount_is_refused_naming_the_due(amount: int) -> None:
    desk = Desk()
    desk.close_through(D(2025, 1, 21))
    before = desk.loan
    with pytest.raises(DomainError) as caught:
        cancel(desk.loan, amount_minor=amount, currency="CNY", on=D(2025, 1, 22),
               charges_interest=True)
    assert caught.value.code == "cancellation_amount_must_match_due"
    assert "3006.77 CNY" in caught.value.message
    assert desk.loan == before


def test_a_loan_with_a_payment_on_it_is_not_cancelled() -> None:
    desk = Desk()
    out = pay(desk.loan, SMALL, amount_minor=1000, currency="CNY", day=to_day(START))
    with pytest.raises(Conflict) as caught:
        cancel(out.loan, amount_minor=300000, currency="CNY", on=D(2025, 1, 16),
               charges_interest=False)
    assert caught.value.code == "cancellation_loan_must_have_no_payments"


def test_a_cancelled_loan_is_closed_and_cannot_be_cancelled_again() -> None:
    desk = Desk()
    desk.cancel(300000, D(2025, 1, 16), charges_interest=False)
    with pytest.raises(Conflict) as caught:
        cancel(desk.loan, amount_minor=300000, currency="CNY", on=D(2025, 1, 16),
               charges_interest=False)
    assert caught.value.code == "loan_must_be_open"


@pytest.mark.parametrize(("on", "until", "cancelled", "code"), [
    (D(2025, 1, 29), D(2025, 1, 29), None, None),  # the window's last day is in it
    (D(2025, 1, 15), D(2025, 1, 29), None, None),
    (D(2025, 1, 30), D(2025, 1, 29), None, "cancellation_must_be_within_window"),
    (D(2025, 1, 20), None, None, "cancellation_must_be_within_window"),
    (D(2025, 1, 20), D(2025, 1, 29), D(2025, 1, 18), "cancellation_must_not_repeat"),
])
def test_the_window_is_checked(on: dt.date, until: dt.date | None,
                               cancelled: dt.date | None, code: str | None) -> None:
    if code is None:
        check_window(on=on, start=START, cancel_until=until, cancelled_on=cancelled)
        return
    with pytest.raises(Conflict) as caught:
        check_window(on=on, start=START, cancel_until=until, cancelled_on=cancelled)
    assert caught.value.code == code
