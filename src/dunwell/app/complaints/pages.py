"""What the complaint pages read and send: the compliance officer's queue and one
complaint with the borrower's name masked (staff who oversee complaints reach no
borrower's contact details in full, :mod:`dunwell.identity.objects`), and the
borrower's own complaints and the portal's form, which may name only a case of
theirs."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from dunwell.app.complaints.service import (
    ComplaintEvent,
    ComplaintView,
    complaints_for_borrower,
    get_complaint,
    list_complaints,
    record_complaint,
)
from dunwell.app.context import Dunwell
from dunwell.complaints.model import ReceivedVia
from dunwell.core.errors import InvalidInput
from dunwell.identity.masking import mask_name


@dataclass(frozen=True, slots=True)
class ComplaintRow:
    """A complaint as the queue lists it: the borrower's name masked."""

    view: ComplaintView
    borrower: str


@dataclass(frozen=True, slots=True)
class BorrowerCase:
    """One of the borrower's collection cases, as the portal's form offers it."""

    case_id: str
    opened_on: dt.date | None
    status: str


def _masked_names(app: Dunwell, ids: list[int]) -> dict[int, str]:
    with app.uow() as uow:
        found = uow.borrowers.many(sorted(set(ids)))
    return {b: mask_name(p.name) for b, p in found.items()}


def complaint_queue(app: Dunwell, *, today: dt.date, status: str | None = None,
                    category: str | None = None) -> list[ComplaintRow]:
    """The queue, overdue first, then by final-answer deadline, names masked."""
    views = list_complaints(app, today=today, status=status or None,
                            category=category or None)
    names = _masked_names(app, [v.complaint.borrower_id for v in views])
    return [ComplaintRow(v, names.get(v.complaint.borrower_id, "***")) for v in views]


def complaint_detail(app: Dunwell, complaint_id: int, *, today: dt.date
                     ) -> tuple[ComplaintRow, list[ComplaintEvent]]:
    """One complaint with its timeline (oldest first), the name masked."""
    view, events = get_complaint(app, complaint_id, today=today)
    names = _masked_names(app, [view.complaint.borrower_id])
    return ComplaintRow(view, names.get(view.complaint.borrower_id, "***")), events


def my_cases(app: Dunwell, *, borrower_id: int) -> list[BorrowerCase]:
    """The borrower's collection cases, newest first."""
    with app.uow() as uow:
        rows = uow.cases.for_borrower(borrower_id)
    out = [BorrowerCase(str(r["case_id"]), r.get("opened_on"), str(r.get("status") or ""))
           for r in rows]
    return list(reversed(out))


def my_complaints(app: Dunwell, *, borrower_id: int, today: dt.date) -> list[ComplaintView]:
    """The borrower's complaints, newest first, with where each stands on ``today``."""
    return complaints_for_borrower(app, borrower_id, today=today)


def submit_complaint(app: Dunwell, *, borrower_id: int, category: str, text: str,
                     case_id: str | None, now: dt.datetime) -> ComplaintView:
    """A complaint the borrower sends from the portal (received in writing); a case it
    names must be one of theirs."""
    chosen = (case_id or "").strip() or None
    if chosen is not None:
        mine = {c.case_id for c in my_cases(app, borrower_id=borrower_id)}
        if chosen not in mine:
            raise InvalidInput(f"case {chosen!r} is not one of yours; choose one from the "
                               "list or none", code="complaint_case_must_be_yours",
                               field="case_id")
    return record_complaint(app, borrower_id=borrower_id, channel=ReceivedVia.PORTAL.value,
                            category=category, text=text, case_id=chosen, now=now,
                            by="borrower")


__all__ = [
    "BorrowerCase",
    "ComplaintEvent",
    "ComplaintRow",
    "complaint_detail",
    "complaint_queue",
    "my_cases",
    "my_complaints",
    "submit_complaint",
]
