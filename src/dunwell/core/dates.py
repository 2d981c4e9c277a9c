"""Business dates, month arithmetic and day-count conventions (pure)."""

from __future__ import annotations

import calendar
import datetime as dt
from enum import StrEnum

from dunwell.core.errors import InvalidInput

#: Day zero for integer day numbers used in columnar kernels (days since 1970-01-01).
EPOCH = dt.date(1970, 1, 1)


def to_day(d: dt.date) -> int:
    """Date -> integer day number (days since 1970-01-01); kernels work on these."""
    return (d - EPOCH).days


def from_day(n: int) -> dt.date:
    return EPOCH + dt.timedelta(days=int(n))


def parse_date(text: str, *, field: str = "date") -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except (TypeError, ValueError):
        raise InvalidInput(
            f"{field} must be an ISO date like 2025-01-31, got {text!r}",
            code="date_must_be_iso",
            field=field,
        ) from None


def add_months(anchor: dt.date, months: int) -> dt.date:
    """The date ``months`` after ``anchor``, clamped to month end.

    Always computed from the anchor, never chained, so a loan started on Jan 31
    falls due Feb 28 (or 29), Mar 31, Apr 30, ...
    """
    total = anchor.year * 12 + (anchor.month - 1) + months
    year, month0 = divmod(total, 12)
    last = calendar.monthrange(year, month0 + 1)[1]
    return dt.date(year, month0 + 1, min(anchor.day, last))


class DayCount(StrEnum):
    """Day-count conventions for accrual."""

    THIRTY_360 = "30/360"
    ACT_365 = "act/365"
    ACT_360 = "act/360"

    @classmethod
    def parse(cls, text: str) -> DayCount:
        norm = text.strip().lower().replace("actual", "act")
        for member in cls:
            if member.value == norm:
                return member
        allowed = ", ".join(m.value for m in cls)
        raise InvalidInput(
            f"unknown day count {text!r}; use one of {allowed}",
            code="day_count_must_be_known",
        )

    @property
    def year_days(self) -> int:
        return 365 if self is DayCount.ACT_365 else 360

    def days_between(self, start: dt.date, end: dt.date) -> int:
        """Accrual days from ``start`` to ``end`` under this convention."""
        if self is DayCount.THIRTY_360:
            return days_30_360(start, end)
        return (end - start).days


def days_30_360(start: dt.date, end: dt.date) -> int:
    """30/360 (US/NASD-style end-of-month rule, as used for monthly loans)."""
    d1 = min(start.day, 30)
    d2 = end.day
    # A start on the last day of February counts as the 30th (and so does an end on it).
    if start.month == 2 and start.day == calendar.monthrange(start.year, 2)[1]:
        d1 = 30
        if end.month == 2 and end.day == calendar.monthrange(end.year, 2)[1]:
            d2 = 30
    if d2 == 31 and d1 == 30:
        d2 = 30
    return (end.year - start.year) * 360 + (end.month - start.month) * 30 + (d2 - d1)
