"""The complaint register's commands and queries.

Every command opens its own unit of work, checks the change with the domain
(:mod:`dunwell.complaints.rules`), writes the complaint, a timeline line and an audit
record, and commits. The guard sees a recorded dispute from the next decision on (it
comes with the borrower's profile, :func:`dunwell.store.complaints_repo.disputes_by_borrower`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from typing import TypeVar

from dunwell.app.audit import record
from dunwell.app.context import Dunwell
from dunwell.app.uow import UnitOfWork
from dunwell.complaints.errors import ComplaintTextInvalid
from dunwell.complaints.model import TEXT_CHARS_MAX, Category, Complaint, ReceivedVia, Status
from dunwell.complaints.rules import (
    Deadlines,
    Route,
    check_transition,
    days_left,
    deadlines,
    overdue,
    pauses_collection,
    route,
    routes,
)
from dunwell.core.errors import InvalidInput
from dunwell.store.complaints_repo import ComplaintEvent, ComplaintRecord

_E = TypeVar("_E", bound=StrEnum)


@dataclass(frozen=True, slots=True)
class ComplaintView:
    """A complaint with its texts, deadlines and where it stands on ``today``."""

    complaint: Complaint
    text: str
    answer: str
    deadlines: Deadlines
    days_left: int
    overdue: bool
    pauses_collection: bool
    routes: tuple[Route, ...]

    @property
    def complaint_id(self) -> int:
        return self.complaint.complaint_id


def _view(rec: ComplaintRecord, today: dt.date) -> ComplaintView:
    c = rec.complaint
    return ComplaintView(c, rec.text, rec.answer, deadlines(c.jurisdiction, c.received_on),
                         days_left(c, today), overdue(c, today),
                         pauses_collection(c) and not c.status.answered, routes(c.jurisdiction))


def parse(kind: type[_E], value: str, field: str) -> _E:
    """``value`` as a member of ``kind``, or a rejection naming the known values."""
    try:
        return kind(value)
    except ValueError:
        known = ", ".join(m.value for m in kind)
        raise InvalidInput(f"{field} {value!r} is not known; use one of {known}",
                           code=f"complaint_{field}_must_be_known", field=field) from None


def _text(value: str, field: str) -> str:
    value = value.strip()
    if not value:
        raise ComplaintTextInvalid(f"the {field} is empty; say in a sentence or more what "
                                   "it is about", field=field)
    if len(value) > TEXT_CHARS_MAX:
        raise InvalidInput(f"the {field} has {len(value)} characters; at most "
                           f"{TEXT_CHARS_MAX}", code="complaint_text_must_be_short", field=field)
    return value


def _aware(ts: dt.datetime) -> dt.datetime:
    if ts.tzinfo is None or ts.utcoffset() is None:
        raise InvalidInput(f"time {ts.isoformat()!r} has no UTC offset; give it like "
                           "2025-03-01T10:00:00+08:00", code="timestamp_must_carry_offset",
                           field="now")
    return ts


def _audit(uow: UnitOfWork, kind: str, c: Complaint, now: dt.datetime, by: str,
           **extra: str) -> None:
    """The change in the hash-chained log; the free texts stay out of it (they are
    sealed in the register and cleared with the borrower's data)."""
    record(uow, at=now, entries=[(kind, f"complaint:{c.complaint_id}", {
        "borrower_id": c.borrower_id, "category": c.category.value,
        "channel": c.channel.value, "by": by, **extra})])


def record_complaint(app: Dunwell, *, borrower_id: int, channel: str, category: str,
                     text: str, case_id: str | None = None, now: dt.datetime,
                     by: str = "borrower") -> ComplaintView:
    """Enter a complaint received now by ``channel``; its deadlines follow the
    borrower's jurisdiction."""
    via = parse(ReceivedVia, channel, "channel")
    kind = parse(Category, category, "category")
    said = _text(text, "text")
    now = _aware(now)
    with app.uow() as uow:
        profile = uow.borrowers.get(borrower_id)
        complaint_id = uow.complaints.add(
            borrower_id=borrower_id, jurisdiction=profile.jurisdiction, channel=via,
            category=kind, received_at=now, text=said, case_id=case_id or None)
        uow.complaints.add_event(complaint_id, at=now, kind="received", actor=by,
                                 note=f"{kind.value} by {via.value}")
        stored = uow.complaints.get(complaint_id)
        _audit(uow, "complaint_recorded", stored.complaint, now, by)
        uow.commit()
    return _view(stored, now.date())


def _move(app: Dunwell, complaint_id: int, to: Status, *, now: dt.datetime, by: str,
          note: str = "", answer: str | None = None, escalated_to: str | None = None
          ) -> ComplaintView:
    now = _aware(now)
    with app.uow() as uow:
        before = uow.complaints.get(complaint_id).complaint
        check_transition(before, to, now)
        uow.complaints.move(complaint_id, status=to, at=now, answer=answer,
                            escalated_to=escalated_to)
        uow.complaints.add_event(complaint_id, at=now, kind=to.value, actor=by, note=note)
        extra = {"status": to.value} | ({"to": escalated_to} if escalated_to else {})
        _audit(uow, f"complaint_{to.value}", before, now, by, **extra)
        stored = uow.complaints.get(complaint_id)
        uow.commit()
    return _view(stored, now.date())


def acknowledge(app: Dunwell, *, complaint_id: int, now: dt.datetime, by: str,
                note: str = "") -> ComplaintView:
    return _move(app, complaint_id, Status.ACKNOWLEDGED, now=now, by=by, note=note.strip())


def answer(app: Dunwell, *, complaint_id: int, text: str, now: dt.datetime,
           by: str) -> ComplaintView:
    """Send the final response (for a dispute: the verification); a pause it caused ends."""
    said = _text(text, "answer")
    return _move(app, complaint_id, Status.FINAL_RESPONSE, now=now, by=by,
                 note="final response sent", answer=said)


def escalate(app: Dunwell, *, complaint_id: int, to: str, now: dt.datetime, by: str,
             note: str = "") -> ComplaintView:
    """Record that the complaint went to ``to`` (one of its jurisdiction's routes)."""
    with app.uow() as uow:
        jurisdiction = uow.complaints.get(complaint_id).complaint.jurisdiction
    where = route(jurisdiction, to)
    return _move(app, complaint_id, Status.ESCALATED, now=now, by=by,
                 note=note.strip() or f"referred to {where.name}", escalated_to=where.key)


def close(app: Dunwell, *, complaint_id: int, now: dt.datetime, by: str,
          note: str = "") -> ComplaintView:
    return _move(app, complaint_id, Status.CLOSED, now=now, by=by, note=note.strip())


def get_complaint(app: Dunwell, complaint_id: int, *, today: dt.date
                  ) -> tuple[ComplaintView, list[ComplaintEvent]]:
    """The complaint and its timeline, oldest first."""
    with app.uow() as uow:
        rec = uow.complaints.get(complaint_id)
        events = uow.complaints.events(complaint_id)
    return _view(rec, today), events


def list_complaints(app: Dunwell, *, today: dt.date, status: str | None = None,
                    category: str | None = None, overdue_only: bool = False,
                    open_only: bool = False) -> list[ComplaintView]:
    """The queue: overdue first, then by final-answer deadline."""
    statuses = [parse(Status, status, "status")] if status else []
    if open_only or overdue_only:
        statuses = statuses or [Status.RECEIVED, Status.ACKNOWLEDGED]
    categories = [parse(Category, category, "category")] if category else []
    with app.uow() as uow:
        found = uow.complaints.queue(statuses=statuses, categories=categories,
                                     due_before=today if overdue_only else None)
    views = [_view(r, today) for r in found]
    if overdue_only:
        views = [v for v in views if v.overdue]
    return sorted(views, key=lambda v: (not v.overdue, v.complaint.status.answered,
                                        v.deadlines.answer_by, v.complaint_id))


def complaints_for_borrower(app: Dunwell, borrower_id: int, *,
                            today: dt.date | None = None) -> list[ComplaintView]:
    """The borrower's complaints, newest first."""
    with app.uow() as uow:
        found = uow.complaints.for_borrower(borrower_id)
    return [_view(r, today or r.complaint.received_on) for r in found]


__all__ = [
    "ComplaintEvent",
    "ComplaintView",
    "acknowledge",
    "answer",
    "close",
    "complaints_for_borrower",
    "escalate",
    "get_complaint",
    "list_complaints",
    "record_complaint",
]
