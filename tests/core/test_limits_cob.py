"""The limits keep COB inside int64: the largest loan the book takes, at the highest
rates and fees a product may name, never paid, closed day by day for ten years by the
columnar kernel (no database), never overflows.

NumPy wraps int64 silently, so "never overflows" is checked three ways each year and
at the end: every money column stays non-negative and never decreases; the kernel's
two largest products (penalty basis x penalty rate, exposure x cost cap) computed in
Python integers stay below 2**63; and the kernel's amounts equal what the same
formulas give in Python integers (charges equal the capped allowance, interest equals
the schedule's)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import numpy as np
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from dunwell.cob.batch import LoanBatch, from_rows
from dunwell.cob.kernel import cob_day
from dunwell.cob.model import CAP_YEAR_DAYS, CobParams
from dunwell.core.dates import DayCount, to_day
from dunwell.core.limits import (
    CHARGE_RATE_MAX,
    INT64_MAX,
    LOAN_PRINCIPAL_MINOR_MAX,
    LOAN_TERM_MONTHS_MAX,
    PPM,
)
from dunwell.lending.loans import book_loan
from dunwell.lending.model import Fees, Product, RepaymentMethod
from dunwell.lending.schedules import build_schedule

TEN_YEARS_DAYS = 3_653
START = dt.date(2025, 1, 15)
MONEY_COLUMNS = ("charged_minor", "exposure_minor_days", "interest_accrued_minor", "fee_minor",
                 "penalty_minor", "penalty_basis_minor_days")


def product(method: RepaymentMethod, annual_ppm: int, penalty_ppm: int, cap_ppm: int,
            grace_days: int, late_fee_minor: int) -> Product:
    return Product(code="edge", name="edge", currency="CNY", method=method,
                   annual_rate=Decimal(annual_ppm).scaleb(-6), day_count=DayCount.ACT_365,
                   penalty_rate=Decimal(penalty_ppm).scaleb(-6),
                   cost_cap_annual=Decimal(cap_ppm).scaleb(-6), grace_days=grace_days,
                   fees=Fees(origination_minor=0, late_fee_minor=late_fee_minor),
                   term_months_max=LOAN_TERM_MONTHS_MAX)


def portfolio(p: Product, principal_minor: int, months: int) -> LoanBatch:
    """Three loans of ``principal_minor`` on ``p``: the drawn term, one month and the
    longest term, so both a long accrual and a long overdue tail are covered."""
    loans = []
    for loan_id, periods in enumerate(sorted({months, 1, LOAN_TERM_MONTHS_MAX}), start=1):
        schedule = build_schedule(principal_minor=principal_minor, currency="CNY",
                                  annual_rate=p.annual_rate, periods=periods, method=p.method,
                                  start=START, day_count=p.day_count, rounding=p.rounding)
        loans.append(book_loan(loan_id=loan_id, borrower_id=loan_id, product=p,
                               schedule=schedule, disbursed_on=START))
    return from_rows(loans, {p.code: CobParams.of(p)})


def check_inside_int64(before: LoanBatch, after: LoanBatch) -> None:
    for name in MONEY_COLUMNS:
        now, was = getattr(after, name), getattr(before, name)
        assert (now >= 0).all(), f"{name} went negative: wrapped around"
        assert (now >= was).all(), f"{name} decreased: wrapped around"
    rate = int(after.penalty_rate_ppm.max())
    assert int(after.penalty_basis_minor_days.max()) * rate < INT64_MAX
    assert int(after.exposure_minor_days.max()) * int(after.cost_cap_ppm.max()) < INT64_MAX
    assert (after.interest_accrued_minor <= after.interest_minor).all()


def check_amounts_exact(batch: LoanBatch) -> None:
    """What the kernel holds equals the same arithmetic in Python integers."""
    offs = batch.offsets.tolist()
    for k in range(len(batch)):
        lo, hi = offs[k], offs[k + 1]
        accrued = sum(batch.interest_accrued_minor[lo:hi].tolist())
        charges = sum(batch.penalty_minor[lo:hi].tolist()) + sum(batch.fee_minor[lo:hi].tolist())
        assert int(batch.charged_minor[k]) == accrued + charges
        allowance = (int(batch.exposure_minor_days[k]) * int(batch.cost_cap_ppm[k])
                     // (CAP_YEAR_DAYS * PPM))
        assert charges <= max(allowance, 0) + int(batch.late_fee_minor[k])


def close_ten_years(batch: LoanBatch) -> LoanBatch:
    first = to_day(START) + 1
    for day in range(first, first + TEN_YEARS_DAYS):
        before = batch
        batch = cob_day(batch, day).batch
        if (day - first) % 365 == 0:
            check_inside_int64(before, batch)
    return batch


@settings(max_examples=2, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(method=st.sampled_from(RepaymentMethod),
       penalty_ppm=st.integers(min_value=900_000, max_value=int(CHARGE_RATE_MAX * PPM)),
       cap_ppm=st.integers(min_value=900_000, max_value=int(CHARGE_RATE_MAX * PPM)),
       annual_share=st.integers(min_value=0, max_value=100),
       grace_days=st.integers(min_value=0, max_value=30),
       late_fee_minor=st.sampled_from([0, LOAN_PRINCIPAL_MINOR_MAX]),
       principal_minor=st.integers(min_value=LOAN_PRINCIPAL_MINOR_MAX - 10**6,
                                   max_value=LOAN_PRINCIPAL_MINOR_MAX),
       months=st.integers(min_value=1, max_value=LOAN_TERM_MONTHS_MAX))
@example(method=RepaymentMethod.BULLET, penalty_ppm=PPM, cap_ppm=PPM, annual_share=100,
         grace_days=0, late_fee_minor=LOAN_PRINCIPAL_MINOR_MAX,
         principal_minor=LOAN_PRINCIPAL_MINOR_MAX, months=LOAN_TERM_MONTHS_MAX)
def test_the_largest_loan_at_the_highest_rates_closes_ten_years_inside_int64(
        method: RepaymentMethod, penalty_ppm: int, cap_ppm: int, annual_share: int,
        grace_days: int, late_fee_minor: int, principal_minor: int, months: int) -> None:
    p = product(method, cap_ppm * annual_share // 100, penalty_ppm, cap_ppm, grace_days,
                late_fee_minor)
    batch = close_ten_years(portfolio(p, principal_minor, months))
    check_amounts_exact(batch)
    assert (batch.days_past_due > 0).all()  # never paid: every loan is long overdue
    assert np.int64(batch.penalty_basis_minor_days.max()) > 0


def test_the_limits_leave_room_for_cob_products() -> None:
    """The static bound behind the test above: the largest principal for every day of
    ten years, times the highest charge rate in ppm, is far inside int64."""
    worst = LOAN_PRINCIPAL_MINOR_MAX * TEN_YEARS_DAYS * int(CHARGE_RATE_MAX * PPM)
    assert worst * 2 < INT64_MAX
