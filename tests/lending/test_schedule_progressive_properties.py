"""Invariants of the progressive equal instalment, for random terms (Hypothesis)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from dunwell.core.dates import DayCount
from dunwell.core.money import Rounding
from dunwell.lending.model import EmiCalculation, RepaymentMethod, Schedule
from dunwell.lending.schedules import build_schedule

starts = st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2100, 12, 31))


def progressive(
    principal_minor: int,
    rate: Decimal,
    periods: int,
    start: dt.date,
    day_count: DayCount,
    rounding: Rounding,
) -> Schedule:
    return build_schedule(
        principal_minor=principal_minor,
        currency="CNY",
        annual_rate=rate,
        periods=periods,
        method=RepaymentMethod.EQUAL_INSTALLMENT,
        start=start,
        day_count=day_count,
        rounding=rounding,
        emi_calculation=EmiCalculation.PROGRESSIVE,
    )


@settings(deadline=None, max_examples=150)
@given(
    principal_minor=st.integers(min_value=1, max_value=10**12),
    # 0 to 10 (1000 % a year) in steps of 0.0001.
    rate=st.integers(min_value=0, max_value=100_000).map(lambda n: Decimal(n).scaleb(-4)),
    periods=st.integers(min_value=1, max_value=240),
    start=starts,
    day_count=st.sampled_from(DayCount),
    rounding=st.sampled_from(Rounding),
)
def test_principal_sums_to_the_loan_and_nothing_is_negative(
    principal_minor: int,
    rate: Decimal,
    periods: int,
    start: dt.date,
    day_count: DayCount,
    rounding: Rounding,
) -> None:
    schedule = progressive(principal_minor, rate, periods, start, day_count, rounding)
    rows = schedule.installments
    assert len(rows) == periods
    assert sum(r.principal_minor for r in rows) == principal_minor
    before = principal_minor
    for row in rows:
        assert row.principal_minor >= 0
        assert row.interest_minor >= 0
        assert row.outstanding_minor == before - row.principal_minor >= 0
        before = row.outstanding_minor
    assert rows[-1].outstanding_minor == 0


@settings(deadline=None, max_examples=150)
@given(
    principal_minor=st.integers(min_value=100_000, max_value=10**12),
    rate=st.integers(min_value=0, max_value=3_600).map(lambda n: Decimal(n).scaleb(-4)),
    periods=st.integers(min_value=1, max_value=120),
    start=starts,
    day_count=st.sampled_from(DayCount),
    rounding=st.sampled_from(Rounding),
)
def test_every_instalment_but_the_last_is_the_same_and_the_last_is_close(
    principal_minor: int,
    rate: Decimal,
    periods: int,
    start: dt.date,
    day_count: DayCount,
    rounding: Rounding,
) -> None:
    """At least 1000.00, up to 120 months and 36 % a year, under every day count.

    Each period's interest is rounded to the fen and the payment too; those roundings
    compound at the rate, so on tiny or very long, very dear loans the principal can
    run out before the last month. Within this domain it cannot, and the last total
    differs from the others by no more than a fen a month grown at the dearest
    month's rate over the term.
    """
    schedule = progressive(principal_minor, rate, periods, start, day_count, rounding)
    totals = [r.total_minor for r in schedule.installments]
    assert len(set(totals[:-1])) <= 1
    dearest_month = rate * 31 / 360
    assert abs(totals[-1] - totals[0]) <= periods * (1 + dearest_month) ** periods
