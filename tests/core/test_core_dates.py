"""Business dates as worked examples: month arithmetic clamped to month end (never
chained), day numbers for the kernels, and the three day-count conventions."""

from __future__ import annotations

import calendar
import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dunwell.core.dates import (
    DayCount,
    add_months,
    days_30_360,
    from_day,
    parse_date,
    to_day,
)
from dunwell.core.errors import InvalidInput

D = dt.date


def test_a_loan_started_on_jan_31_falls_due_on_each_month_end() -> None:
    start = D(2025, 1, 31)
    assert [add_months(start, n) for n in range(1, 7)] == [
        D(2025, 2, 28), D(2025, 3, 31), D(2025, 4, 30),
        D(2025, 5, 31), D(2025, 6, 30), D(2025, 7, 31),
    ]


def test_in_a_leap_year_jan_31_plus_one_month_is_feb_29() -> None:
    assert add_months(D(2024, 1, 31), 1) == D(2024, 2, 29)
    assert add_months(D(2024, 1, 31), 2) == D(2024, 3, 31)
    assert add_months(D(2024, 2, 29), 12) == D(2025, 2, 28)


def test_months_are_counted_from_the_anchor_not_chained() -> None:
    # chaining would give Jan 31 -> Feb 28 -> Mar 28
    assert add_months(add_months(D(2025, 1, 31), 1), 1) == D(2025, 3, 28)
    assert add_months(D(2025, 1, 31), 2) == D(2025, 3, 31)


def test_months_cross_years_both_ways() -> None:
    assert add_months(D(2024, 12, 15), 2) == D(2025, 2, 15)
    assert add_months(D(2025, 3, 31), -1) == D(2025, 2, 28)
    assert add_months(D(2025, 1, 15), -13) == D(2023, 12, 15)
    assert add_months(D(2025, 1, 15), 0) == D(2025, 1, 15)


@settings(max_examples=200)
@given(st.dates(min_value=D(1900, 1, 1), max_value=D(2200, 12, 31)),
       st.integers(min_value=-600, max_value=600))
def test_add_months_keeps_the_day_or_clamps_it_to_month_end(anchor: dt.date,
                                                            months: int) -> None:
    out = add_months(anchor, months)
    assert (out.year * 12 + out.month) - (anchor.year * 12 + anchor.month) == months
    last = calendar.monthrange(out.year, out.month)[1]
    assert out.day == min(anchor.day, last)


def test_day_numbers_count_from_1970_and_round_trip() -> None:
    assert to_day(D(1970, 1, 1)) == 0
    assert to_day(D(2025, 1, 15)) == 20103
    assert from_day(20103) == D(2025, 1, 15)
    assert to_day(D(2025, 2, 15)) - to_day(D(2025, 1, 15)) == 31


def test_iso_dates_parse_and_anything_else_is_rejected_with_the_field() -> None:
    assert parse_date("2025-01-31") == D(2025, 1, 31)
    for bad in ("2025-02-30", "31/01/2025", "", "yesterday"):
        with pytest.raises(InvalidInput) as exc:
            parse_date(bad, field="start")
        assert exc.value.code == "date_must_be_iso"
        assert exc.value.details["field"] == "start"


# -- day counts -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "days"),
    [
        (D(2025, 1, 15), D(2025, 2, 15), 30),  # any whole month is 30 days
        (D(2025, 2, 15), D(2025, 3, 15), 30),
        (D(2025, 1, 15), D(2026, 1, 15), 360),
        (D(2025, 1, 31), D(2025, 2, 28), 28),  # a start on the 31st counts as the 30th
        (D(2025, 1, 30), D(2025, 3, 31), 60),  # ...and then an end on the 31st too
        (D(2025, 1, 31), D(2025, 3, 31), 60),
        (D(2025, 1, 15), D(2025, 1, 31), 16),  # an end on the 31st after a start < 30
        (D(2025, 2, 28), D(2025, 3, 28), 28),  # the last of February counts as the 30th
        (D(2024, 2, 29), D(2025, 2, 28), 360),  # both February ends: 30 -> 30
    ],
)
def test_thirty_360_counts_months_as_30_days(start: dt.date, end: dt.date, days: int) -> None:
    assert days_30_360(start, end) == days
    assert DayCount.THIRTY_360.days_between(start, end) == days


def test_thirty_360_from_the_end_of_february_to_march_31_is_one_month() -> None:
    assert days_30_360(D(2025, 2, 28), D(2025, 3, 31)) == 30
    assert days_30_360(D(2024, 2, 29), D(2024, 3, 31)) == 30


def test_actual_day_counts_count_calendar_days() -> None:
    start, end = D(2025, 1, 15), D(2025, 3, 15)
    assert DayCount.ACT_365.days_between(start, end) == 59
    assert DayCount.ACT_360.days_between(start, end) == 59
    assert DayCount.ACT_365.days_between(D(2024, 2, 15), D(2024, 3, 15)) == 29


def test_each_day_count_names_its_year() -> None:
    assert DayCount.THIRTY_360.year_days == 360
    assert DayCount.ACT_360.year_days == 360
    assert DayCount.ACT_365.year_days == 365


@pytest.mark.parametrize(
    ("text", "expected"),
    [("30/360", DayCount.THIRTY_360), ("ACT/365", DayCount.ACT_365),
     ("Actual/360", DayCount.ACT_360), (" act/365 ", DayCount.ACT_365)],
)
def test_day_count_names_parse_leniently(text: str, expected: DayCount) -> None:
    assert DayCount.parse(text) is expected


def test_an_unknown_day_count_is_rejected_with_its_code() -> None:
    with pytest.raises(InvalidInput) as exc:
        DayCount.parse("30E/360")
    assert exc.value.code == "day_count_must_be_known"
