"""What people read of the case book: the case list, the champion/challenger split,
one borrower's cases with their timelines and decisions, and the day's call queues.

Queries only: each opens its own unit of work and returns the store's records.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from dunwell.app.context import Dunwell
from dunwell.collections.model import CaseStatus
from dunwell.core.errors import InvalidInput
from dunwell.store.case_views_repo import ArmRow, CaseRow

#: The most cases one listing returns.
CASES_LISTED_MAX = 10_000


def case_list(app: Dunwell, *, status: str | None = None, limit: int = 50) -> list[CaseRow]:
    """Cases, the most overdue first (then the newest); only those in ``status``."""
    if status is not None and status not in {s.value for s in CaseStatus}:
        raise InvalidInput(f"unknown case status {status!r}; use one of "
                           f"{', '.join(s.value for s in CaseStatus)}",
                           code="case_status_must_be_known")
    if not 1 <= limit <= CASES_LISTED_MAX:
        raise InvalidInput(f"limit must be between 1 and {CASES_LISTED_MAX}, not {limit}",
                           code="case_list_must_be_bounded", field="limit")
    with app.uow() as uow:
        return uow.case_views.listing(status=status, limit=limit)


def arms(app: Dunwell, *, today: dt.date) -> list[ArmRow]:
    """Cases per strategy and experiment arm: active, opened ``today``, closed."""
    with app.uow() as uow:
        return uow.case_views.arms(today)


@dataclass(frozen=True, slots=True)
class BorrowerCases:
    """A borrower's cases (oldest first), each case's timeline, and every decision
    taken for the borrower (oldest first)."""

    cases: list[dict[str, Any]]
    timelines: dict[str, list[tuple[dt.date, str, str]]]
    decisions: list[dict[str, Any]]


def borrower_cases(app: Dunwell, *, borrower_id: int) -> BorrowerCases:
    """Everything on the borrower's cases; a borrower without one is not found."""
    with app.uow() as uow:
        found = uow.cases.for_borrower(borrower_id)
        if not found:
            raise InvalidInput(f"borrower {borrower_id} has no case", code="case_must_exist")
        timelines = {c["case_id"]: uow.cases.timeline(c["case_id"]) for c in found}
        return BorrowerCases(found, timelines, uow.actions.for_borrower(borrower_id))


@dataclass(frozen=True, slots=True)
class CallQueue:
    """The call queues of ``business_date``: per collector in order, then unassigned."""

    business_date: dt.date
    currency: str
    rows: list[dict[str, Any]]


def call_queue(app: Dunwell, *, business_date: dt.date | None = None) -> CallQueue:
    """The day's calls (default: the book's open date) per collector, in order."""
    with app.uow() as uow:
        info = uow.book.require()
        day = business_date or info.business_date
        return CallQueue(day, info.currency, uow.actions.call_tasks(day))


__all__ = ["ArmRow", "BorrowerCases", "CallQueue", "CaseRow", "arms", "borrower_cases",
           "call_queue", "case_list"]
