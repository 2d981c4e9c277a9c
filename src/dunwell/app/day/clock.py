"""The book's clock: "now" for a step of a business date is that date at the time of
day the step happens in the day loop (docs/operations.md). Commands use it unless
told another time, so a book worked after its date judges windows as on the day."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum


class DayStep(StrEnum):
    COLLECT = "collect"
    DISPATCH = "dispatch"
    FIELD_PLAN = "field_plan"
    LATE_DISPATCH = "late_dispatch"
    COB = "cob"
    VERIFY = "verify"
    SCORE = "score"
    LIMIT_REVIEW = "limits"


@dataclass(frozen=True, slots=True)
class BookClock:
    """The time of day (UTC) at which each step of a business date happens.

    The collection run plans the day in the morning (07:00 UTC, 15:00 in Shanghai:
    every contact window of the day is still ahead of its planned time or open), the
    outbox sends an hour later, and the field plan is drawn before the day's first
    visit. A late dispatch (11:30 UTC, 19:30 in Shanghai, inside the evening's contact
    hours) sends what the day's work queued after the first: receipts, plan
    confirmations. ``at(D, step)`` is the "now" a step of D is judged by."""

    collect: dt.time = dt.time(7, 0)
    dispatch: dt.time = dt.time(8, 0)
    field_plan: dt.time = dt.time(0, 30)
    late_dispatch: dt.time = dt.time(11, 30)
    close: dt.time = dt.time(16, 0)

    def at(self, business_date: dt.date, step: DayStep) -> dt.datetime:
        when = {DayStep.COLLECT: self.collect, DayStep.DISPATCH: self.dispatch,
                DayStep.FIELD_PLAN: self.field_plan,
                DayStep.LATE_DISPATCH: self.late_dispatch}.get(step, self.close)
        return dt.datetime.combine(business_date, when, tzinfo=dt.UTC)


def on_book_date(business_date: dt.date, wall: dt.datetime | None = None) -> dt.datetime:
    """A command run by hand: the book's date at the wall clock's time of day (UTC). On
    a live book the two agree; on a book behind the calendar (a catch-up, a replay, a
    simulation) the command acts on the book's day."""
    now = (wall or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    return dt.datetime.combine(business_date, now.timetz())


def book_date_or_today(business_date: dt.date | None) -> dt.datetime:
    """:func:`on_book_date` when there is a book, else the wall clock (a field team or
    a staff register kept without a loan book)."""
    return dt.datetime.now(dt.UTC) if business_date is None else on_book_date(business_date)
