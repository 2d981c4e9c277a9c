"""The one amortisation loop, worked through with each method's principal rule."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from dunwell.core.dates import DayCount
from dunwell.core.money import Rounding
from dunwell.lending.schedules.amortization import (
    Split,
    amortize,
    day_count_interest,
    equal_share,
    level_payment,
    monthly_schedule,
    nothing_until_the_end,
)


def one_percent(n: int, outstanding_minor: int) -> int:
    return outstanding_minor // 100


def test_a_level_payment_repays_what_interest_leaves_and_the_last_takes_the_rest() -> None:
    # 1,000.00 over 3 months at 1 % a month, paying 340.00
    assert amortize(principal_minor=100_000, periods=3, interest=one_percent,
                    principal=level_payment(34_000)) == (
        Split(33_000, 1_000), Split(33_330, 670), Split(33_670, 336))


def test_an_equal_share_repays_p_over_n_and_the_last_the_remainder() -> None:
    assert amortize(principal_minor=100_001, periods=3, interest=one_percent,
                    principal=equal_share(principal_minor=100_001, periods=3)) == (
        Split(33_333, 1_000), Split(33_333, 666), Split(33_335, 333))


def test_interest_only_repays_everything_at_the_end() -> None:
    assert amortize(principal_minor=100_000, periods=3, interest=one_percent,
                    principal=nothing_until_the_end) == (
        Split(0, 1_000), Split(0, 1_000), Split(100_000, 1_000))


def test_a_principal_part_is_kept_within_what_is_owed() -> None:
    def too_much(n: int, interest_minor: int, outstanding_minor: int) -> int:
        return 10**9

    def too_little(n: int, interest_minor: int, outstanding_minor: int) -> int:
        return -5

    assert [s.principal_minor for s in amortize(
        principal_minor=500, periods=3, interest=one_percent, principal=too_much)] == [500, 0, 0]
    assert [s.principal_minor for s in amortize(
        principal_minor=500, periods=3, interest=one_percent, principal=too_little)] == [0, 0, 500]


@given(principal_minor=st.integers(min_value=1, max_value=10**12),
       periods=st.integers(min_value=1, max_value=60),
       wanted=st.integers(min_value=-10**6, max_value=10**12))
def test_the_parts_always_sum_to_the_principal(principal_minor: int, periods: int,
                                               wanted: int) -> None:
    def rule(n: int, interest_minor: int, outstanding_minor: int) -> int:
        return wanted

    splits = amortize(principal_minor=principal_minor, periods=periods, interest=one_percent,
                      principal=rule)
    assert sum(s.principal_minor for s in splits) == principal_minor
    assert all(s.principal_minor >= 0 for s in splits)


def test_day_count_interest_charges_each_periods_own_dates() -> None:
    rule = day_count_interest(annual_rate=Decimal("0.365"), day_count=DayCount.ACT_365,
                              start=dt.date(2025, 1, 31), rounding=Rounding.HALF_UP)
    assert rule(1, 100_000) == 2_800  # 31 Jan - 28 Feb: 28 days at 0.1 % a day
    assert rule(2, 100_000) == 3_100  # 28 Feb - 31 Mar: 31 days


def test_a_monthly_schedule_dates_the_splits_and_counts_down_what_is_owed() -> None:
    schedule = monthly_schedule(principal_minor=1_000, currency="CNY", start=dt.date(2025, 1, 31),
                                splits=(Split(400, 10), Split(600, 6)))
    assert [(r.n, r.period_start, r.due_date, r.outstanding_minor)
            for r in schedule.installments] == [
        (1, dt.date(2025, 1, 31), dt.date(2025, 2, 28), 600),
        (2, dt.date(2025, 2, 28), dt.date(2025, 3, 31), 0)]
