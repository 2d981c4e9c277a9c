"""Close of business, day by day, on a loan that misses instalment 1.

3000.00 CNY lent on 2025-01-15 at 12 % a year over 3 months, equal instalments,
30/360 (so penalty interest runs on a 360-day year), 3 grace days, a 20.00 late fee,
18 % a year penalty interest on overdue principal, cost cap 24 % a year:

    n  due         principal  interest  total
    1  2025-02-15     990.07     30.00  1020.07
    2  2025-03-15     999.97     20.10  1020.07
    3  2025-04-15    1009.96     10.10  1020.06

Nothing is ever paid. Each test closes the days with the row rule ``cob_loan_day``
and, where it says so, with the columnar kernel too.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from decimal import Decimal

import numpy as np

from dunwell.cob.batch import from_rows, to_rows
from dunwell.cob.kernel import cob_day
from dunwell.cob.model import CobEvent, CobParams, EventKind
from dunwell.cob.rules import Posting, cap_allowance, cob_loan_day, penalty_through
from dunwell.core.dates import DayCount, to_day
from dunwell.ledger.model import Account
from dunwell.lending.loans import LoanState, book_loan
from dunwell.lending.model import Bucket, Fees, LoanStatus, Product, RepaymentMethod
from dunwell.lending.schedules import build_schedule

D = dt.date
START = D(2025, 1, 15)

LATE = Product(
    code="late_annuity_3m", name="late", currency="CNY",
    method=RepaymentMethod.EQUAL_INSTALLMENT, annual_rate=Decimal("0.12"),
    day_count=DayCount.THIRTY_360, penalty_rate=Decimal("0.18"),
    cost_cap_annual=Decimal("0.24"), grace_days=3, fees=Fees(late_fee_minor=2000),
)
#: Penalty 100 % a year against a 15 % cap: the cap decides what is charged.
CAPPED = replace(LATE, grace_days=0, penalty_rate=Decimal("1"),
                 cost_cap_annual=Decimal("0.15"))


def booked(product: Product = LATE) -> LoanState:
    schedule = build_schedule(
        principal_minor=300000, currency="CNY", annual_rate=product.annual_rate, periods=3,
        method=product.method, start=START, day_count=product.day_count)
    return book_loan(loan_id=1, borrower_id=9, product=product, schedule=schedule,
                     disbursed_on=START)


@dataclass(frozen=True)
class Close:
    loan: LoanState
    postings: list[Posting]
    events: list[CobEvent]

    def posted(self, account: Account) -> int:
        return sum(amount for _, acc, amount in self.postings if acc is account)


def diary(product: Product, last: dt.date) -> dict[dt.date, Close]:
    """Every day from disbursement through ``last``, closed in order."""
    params = CobParams.of(product)
    loan = booked(product)
    out: dict[dt.date, Close] = {}
    date = START
    while date <= last:
        loan, postings, events = cob_loan_day(loan, params, to_day(date))
        out[date] = Close(loan, postings, events)
        date += dt.timedelta(days=1)
    return out


def test_days_past_due_and_bucket_count_from_the_missed_due_date() -> None:
    days = diary(LATE, D(2025, 3, 19))
    seen = {d: (days[d].loan.days_past_due, days[d].loan.bucket) for d in (
        D(2025, 2, 14), D(2025, 2, 15), D(2025, 2, 16), D(2025, 3, 17), D(2025, 3, 18))}
    assert seen == {
        D(2025, 2, 14): (0, Bucket.M0),
        D(2025, 2, 15): (0, Bucket.M0),  # the due date itself is not past due
        D(2025, 2, 16): (1, Bucket.M1),
        D(2025, 3, 17): (30, Bucket.M1),
        D(2025, 3, 18): (31, Bucket.M2),  # instalment 2 is late too; DPD counts from 1
    }


def test_the_loan_turns_overdue_only_after_its_grace_days_with_an_event_each_change() -> None:
    days = diary(LATE, D(2025, 3, 19))
    status = {d: days[d].loan.status for d in (
        D(2025, 2, 16), D(2025, 2, 18), D(2025, 2, 19))}
    assert status == {D(2025, 2, 16): LoanStatus.CURRENT,  # DPD 1..3: in grace
                      D(2025, 2, 18): LoanStatus.CURRENT,
                      D(2025, 2, 19): LoanStatus.OVERDUE}  # DPD 4 > 3 grace days
    events = [(e.day, e.kind, e.before, e.after) for c in days.values() for e in c.events]
    assert events == [
        (to_day(D(2025, 1, 15)), EventKind.STATUS_CHANGED, LoanStatus.DISBURSED,
         LoanStatus.CURRENT),
        (to_day(D(2025, 2, 16)), EventKind.BUCKET_CHANGED, Bucket.M0, Bucket.M1),
        (to_day(D(2025, 2, 19)), EventKind.STATUS_CHANGED, LoanStatus.CURRENT,
         LoanStatus.OVERDUE),
        (to_day(D(2025, 3, 18)), EventKind.BUCKET_CHANGED, Bucket.M1, Bucket.M2),
    ]


def test_the_late_fee_is_charged_once_on_the_first_day_after_grace() -> None:
    days = diary(LATE, D(2025, 3, 14))
    fees = {d: c.posted(Account.FEE_RECEIVABLE) for d, c in days.items()}
    assert {d: f for d, f in fees.items() if f} == {D(2025, 2, 19): 2000}
    assert days[D(2025, 3, 14)].loan.installments[0].fee_minor == 2000
    first = days[D(2025, 2, 19)]
    assert first.posted(Account.FEE_INCOME) == -2000


def test_penalty_is_the_floor_of_cumulative_penalty_so_whole_days_carry_the_fractions() -> None:
    days = diary(LATE, D(2025, 3, 1))
    # 990.07 overdue at 18 % / 360 is 0.495035 a day: charged as
    # floor(99007 x k x 0.18 / 360) - floor(99007 x (k-1) x 0.18 / 360) fen on late day k
    daily = [days[D(2025, 2, 19) + dt.timedelta(days=k)].posted(Account.PENALTY_RECEIVABLE)
             for k in range(11)]
    assert daily == [49, 50, 49, 50, 49, 50, 49, 50, 49, 50, 49]
    nothing_in_grace = [days[D(2025, 2, d)].posted(Account.PENALTY_RECEIVABLE)
                        for d in (15, 16, 17, 18)]
    assert nothing_in_grace == [0, 0, 0, 0]
    first = days[D(2025, 3, 1)].loan.installments[0]
    assert first.penalty_basis_minor_days == 99007 * 11
    assert first.penalty_minor == 544 == penalty_through(99007 * 11, CobParams.of(LATE))


def test_each_days_postings_pair_a_receivable_with_its_income() -> None:
    close = diary(LATE, D(2025, 2, 19))[D(2025, 2, 19)]
    assert close.postings == [
        (1, Account.INTEREST_RECEIVABLE, 72), (1, Account.INTEREST_INCOME, -72),
        (1, Account.PENALTY_RECEIVABLE, 49), (1, Account.PENALTY_INCOME, -49),
        (1, Account.FEE_RECEIVABLE, 2000), (1, Account.FEE_INCOME, -2000),
    ]
    # charged so far: instalment 1's 30.00, 4 of instalment 2's 28 days of 20.10
    # (floor(2010 x 4 / 28) = 2.87), the penalty and the fee
    assert close.loan.charged_minor == 3000 + 287 + 49 + 2000
    assert close.loan.charged_minor == sum(
        i.interest_accrued_minor + i.penalty_minor + i.fee_minor
        for i in close.loan.installments)


def test_charges_are_capped_at_the_cost_cap_and_the_cap_binds() -> None:
    params = CobParams.of(CAPPED)
    days = diary(CAPPED, D(2025, 4, 30))
    for close in days.values():
        loan = close.loan
        assert loan.charged_minor <= cap_allowance(loan.exposure_minor_days, params)
    # Feb 16, the first late day: 33 days x 3000.00 of exposure allow
    # floor(9,900,000 x 0.15 / 365) = 40.68; 30.00 + 0.71 interest is charged, so the
    # 20.00 late fee gets only the 9.97 left, and no penalty
    first = days[D(2025, 2, 16)]
    assert first.loan.exposure_minor_days == 9_900_000
    assert cap_allowance(9_900_000, params) == 4068
    assert first.posted(Account.FEE_RECEIVABLE) == 997
    assert first.posted(Account.PENALTY_RECEIVABLE) == 0
    assert first.loan.charged_minor == 4068
    # from then on the cap binds every day: the allowance is charged to the fen
    for date, close in days.items():
        if date >= D(2025, 2, 16):
            assert close.loan.charged_minor == cap_allowance(
                close.loan.exposure_minor_days, params)
    # uncapped, instalment 1 alone would owe 100 % / 360 on 990.07 for 74 days: 203.51
    last = days[D(2025, 4, 30)].loan
    penalty = sum(i.penalty_minor for i in last.installments)
    assert penalty == 6051 < penalty_through(99007 * 74, params) == 20351
    # instalment 2 went late on Mar 16 with no headroom left: its fee is never charged
    assert [i.fee_minor for i in last.installments] == [997, 0, 0]


def test_closing_the_same_day_twice_changes_nothing() -> None:
    params = CobParams.of(LATE)
    loan = diary(LATE, D(2025, 2, 19))[D(2025, 2, 19)].loan
    assert cob_loan_day(loan, params, to_day(D(2025, 2, 19))) == (loan, [], [])
    assert cob_loan_day(loan, params, to_day(D(2025, 2, 1))) == (loan, [], [])
    batch = from_rows([loan], {LATE.code: params})
    again = cob_day(batch, to_day(D(2025, 2, 19)))
    assert again.loans_closed == 0
    assert len(again.postings) == 0 and len(again.events) == 0
    for name, column in again.batch.columns().items():
        assert np.array_equal(column, batch.columns()[name]), name
    assert to_rows(again.batch, [loan]) == [loan]


def test_the_kernel_tells_the_same_story_day_by_day() -> None:
    params = {LATE.code: CobParams.of(LATE)}
    rows = diary(LATE, D(2025, 4, 30))
    loan = booked()
    batch = from_rows([loan], params)
    for date, close in rows.items():
        result = cob_day(batch, to_day(date))
        batch = result.batch
        assert to_rows(batch, [loan]) == [close.loan], date
        kernel_postings = sorted(zip(result.postings.loan_id.tolist(),
                                     result.postings.account.tolist(),
                                     result.postings.amount_minor.tolist(), strict=True))
        assert kernel_postings == sorted((lid, int(acc), amt) for lid, acc, amt in close.postings)
        assert len(result.events) == len(close.events)
