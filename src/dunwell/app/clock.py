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
    COB = "cob"
    VERIFY = "verify"
    SCORE = "score"


@dataclass(frozen=True, slots=True)
class BookClock:
    """The time of day (UTC) at which each step of a business date happens.

    The collection run plans the day in the morning (07:00 UTC, 15:00 in Shanghai:
    every contact window of the day is still ahead of its planned time or open), the
    outbox sends an hour later, and the field plan is drawn before the day's first
    visit. ``at(D, step)`` is the "now" a step of D is judged by."""

    collect: dt.time = dt.time(7, 0)
    dispatch: dt.time = dt.time(8, 0)
    field_plan: dt.time = dt.time(0, 30)
    close: dt.time = dt.time(16, 0)

    def at(self, business_date: dt.date, step: DayStep) -> dt.datetime:
        when = {DayStep.COLLECT: self.collect, DayStep.DISPATCH: self.dispatch,
                DayStep.FIELD_PLAN: self.field_plan}.get(step, self.close)
        return dt.datetime.combine(business_date, when, tzinfo=dt.UTC)
