"""Invariants every schedule keeps, for any valid terms (Hypothesis)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from dunwell.core.dates import DayCount, add_months
from dunwell.core.money import Rounding
from dunwell.lending.model import RepaymentMethod, Schedule
from dunwell.lending.schedules import build_schedule, schedule_to_json

principals = st.integers(min_value=1, max_value=10**12)
periods = st.integers(min_value=1, max_value=600)
# 0 to 10 (1000 % a year) in steps of 0.0001.
rates = st.integers(min_value=0, max_value=100_000).map(lambda n: Decimal(n).scaleb(-4))
starts = st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2100, 12, 31))


@st.composite
def schedules(draw: st.DrawFn) -> Schedule:
    return build_schedule(
        principal_minor=draw(principals),
        currency="CNY",
        annual_rate=draw(rates),
        periods=draw(periods),
        method=draw(st.sampled_from(RepaymentMethod)),
        start=draw(starts),
        day_count=draw(st.sampled_from(DayCount)),
        rounding=draw(st.sampled_from(Rounding)),
    )


@settings(deadline=None)
@given(schedules())
def test_principal_parts_sum_exactly_to_the_principal(schedule: Schedule) -> None:
    assert sum(r.principal_minor for r in schedule.installments) == schedule.principal_minor


@settings(deadline=None)
@given(schedules())
def test_outstanding_never_rises_and_ends_at_zero(schedule: Schedule) -> None:
    before = schedule.principal_minor
    for row in schedule.installments:
        assert row.outstanding_minor == before - row.principal_minor
        assert row.outstanding_minor <= before
        before = row.outstanding_minor
    assert schedule.installments[-1].outstanding_minor == 0


@settings(deadline=None)
@given(schedules())
def test_every_amount_is_non_negative(schedule: Schedule) -> None:
    for row in schedule.installments:
        assert row.principal_minor >= 0
        assert row.interest_minor >= 0
        assert row.outstanding_minor >= 0


@settings(deadline=None)
@given(schedules())
def test_totals_equal_the_sum_of_the_rows(schedule: Schedule) -> None:
    rows = schedule.installments
    for row in rows:
        assert row.total_minor == row.principal_minor + row.interest_minor
    assert schedule.total_interest_minor == sum(r.interest_minor for r in rows)
    assert schedule.total_paid_minor == schedule.principal_minor + schedule.total_interest_minor
    doc = schedule_to_json(schedule)
    installments = doc["installments"]
    assert isinstance(installments, list)
    assert len(installments) == len(rows)
    assert doc["total_paid"] == f"{Decimal(schedule.total_paid_minor).scaleb(-2):f}"


@settings(deadline=None)
@given(
    principal_minor=principals,
    months=periods,
    rate=rates,
    method=st.sampled_from(RepaymentMethod),
    start=starts,
)
def test_due_dates_count_whole_months_from_the_start(
    principal_minor: int, months: int, rate: Decimal, method: RepaymentMethod, start: dt.date
) -> None:
    schedule = build_schedule(
        principal_minor=principal_minor,
        currency="CNY",
        annual_rate=rate,
        periods=months,
        method=method,
        start=start,
    )
    if method is RepaymentMethod.BULLET:
        assert [r.due_date for r in schedule.installments] == [add_months(start, months)]
        return
    assert [r.due_date for r in schedule.installments] == [
        add_months(start, n) for n in range(1, months + 1)
    ]
    assert [r.period_start for r in schedule.installments] == [
        add_months(start, n - 1) for n in range(1, months + 1)
    ]


@settings(deadline=None)
@given(
    principal_minor=st.integers(min_value=100_000, max_value=10**12),
    months=st.integers(min_value=1, max_value=120),
    rate=st.integers(min_value=0, max_value=3_600).map(lambda n: Decimal(n).scaleb(-4)),
    start=starts,
    rounding=st.sampled_from(Rounding),
)
def test_an_annuity_charges_the_same_total_every_month_but_the_last(
    principal_minor: int, months: int, rate: Decimal, start: dt.date, rounding: Rounding
) -> None:
    """Restricted to 30/360, at least 1000.00, up to 120 months and up to 36 % a year.

    Under act/365 and act/360 a 31-day month's interest can exceed the level payment
    (which uses rate / 12) on long, dear loans; that month's principal part is then
    zero and its total is its interest. And each month's fen roundings (under one fen
    together) compound at the monthly rate; on tiny or very long, very dear loans they
    can exhaust the principal before the last month. Within this domain neither can
    happen: the compounded drift stays below the principal the last month repays.
    The other invariants hold without these limits.
    """
    schedule = build_schedule(
        principal_minor=principal_minor,
        currency="CNY",
        annual_rate=rate,
        periods=months,
        method=RepaymentMethod.EQUAL_INSTALLMENT,
        start=start,
        rounding=rounding,
    )
    totals = {r.total_minor for r in schedule.installments[:-1]}
    assert len(totals) <= 1


@settings(deadline=None)
@given(principal_minor=principals, months=periods, rate=rates, start=starts)
def test_equal_principal_repays_the_same_principal_every_month_but_the_last(
    principal_minor: int, months: int, rate: Decimal, start: dt.date
) -> None:
    schedule = build_schedule(
        principal_minor=principal_minor,
        currency="CNY",
        annual_rate=rate,
        periods=months,
        method=RepaymentMethod.EQUAL_PRINCIPAL,
        start=start,
    )
    parts = [r.principal_minor for r in schedule.installments]
    assert set(parts[:-1]) <= {principal_minor // months}
    assert parts[-1] == principal_minor - (months - 1) * (principal_minor // months)


@settings(deadline=None)
@given(principal_minor=principals, months=periods, rate=rates, start=starts)
def test_interest_only_repays_all_principal_in_the_last_month(
    principal_minor: int, months: int, rate: Decimal, start: dt.date
) -> None:
    schedule = build_schedule(
        principal_minor=principal_minor,
        currency="CNY",
        annual_rate=rate,
        periods=months,
        method=RepaymentMethod.INTEREST_ONLY,
        start=start,
    )
    parts = [r.principal_minor for r in schedule.installments]
    assert parts == [0] * (months - 1) + [principal_minor]
