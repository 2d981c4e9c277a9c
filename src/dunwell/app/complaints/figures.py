"""The complaint figures the dashboard draws for a period."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass

from dunwell.app.context import Dunwell
from dunwell.complaints.model import Category, Status
from dunwell.complaints.rules import answered_in_time, overdue
from dunwell.core.errors import InvalidInput


@dataclass(frozen=True, slots=True)
class ComplaintFigures:
    """Complaints received from ``start`` to ``end`` (inclusive): counts by category
    and status, how many were answered by their deadline, how many of all complaints
    were overdue on ``end``, and the rate per 1,000 open collection cases (None when
    no case is open)."""

    start: dt.date
    end: dt.date
    received: int
    by_category: dict[str, int]
    by_status: dict[str, int]
    answered: int
    answered_within_deadline: int
    overdue: int
    disputes: int
    open_cases: int
    rate_per_1000_open_cases: float | None


def complaint_figures(app: Dunwell, *, start: dt.date, end: dt.date) -> ComplaintFigures:
    if end < start:
        raise InvalidInput(f"end {end.isoformat()} is before start {start.isoformat()}; "
                           "give the period oldest day first",
                           code="complaint_period_must_be_ordered", field="end")
    with app.uow() as uow:
        received = uow.complaints.received_between(start, end)
        late = uow.complaints.unanswered_due_before(end)
        open_cases = len(uow.cases.active())
    by_category = Counter(c.category.value for c in received)
    by_status = Counter(c.status.value for c in received)
    answered = [c for c in received if c.answered_at is not None]
    rate = None if open_cases == 0 else round(len(received) * 1000 / open_cases, 1)
    return ComplaintFigures(
        start=start, end=end, received=len(received),
        by_category={k.value: by_category.get(k.value, 0) for k in Category},
        by_status={k.value: by_status.get(k.value, 0) for k in Status},
        answered=len(answered),
        answered_within_deadline=sum(1 for c in answered if answered_in_time(c)),
        overdue=sum(1 for c in late if overdue(c, end)),
        disputes=sum(1 for c in received if c.category.is_dispute),
        open_cases=open_cases, rate_per_1000_open_cases=rate)


__all__ = ["ComplaintFigures", "complaint_figures"]
