"""Repository of the complaints register (``uow.complaints``), and the one batched read
that puts open disputes on the guard's borrower facts (:func:`disputes_by_borrower`,
used by the borrowers' repository)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, insert, select, update

from dunwell.complaints.model import (
    DISPUTE_CATEGORIES,
    Category,
    Complaint,
    ReceivedVia,
    Status,
)
from dunwell.complaints.rules import deadlines, dispute_facts
from dunwell.compliance.model import Dispute, Jurisdiction
from dunwell.core.errors import NotFound
from dunwell.store import complaints_tables as ct

#: Borrower ids per ``IN (...)`` clause (well under every driver's parameter limit).
IN_CHUNK = 900
#: The most complaints one listing returns.
LIST_LIMIT_MAX = 1_000


@dataclass(frozen=True, slots=True)
class ComplaintRecord:
    """A stored complaint with its texts: what the borrower said and our final answer
    (empty until answered)."""

    complaint: Complaint
    text: str
    answer: str


@dataclass(frozen=True, slots=True)
class ComplaintEvent:
    """One line of a complaint's timeline."""

    at: dt.datetime
    kind: str
    actor: str
    note: str


def utc_text(ts: dt.datetime) -> str:
    return ts.astimezone(dt.UTC).isoformat(timespec="microseconds")


def _ts(text: str | None) -> dt.datetime | None:
    return None if text is None else dt.datetime.fromisoformat(text)


def _record(m: Any) -> ComplaintRecord:
    complaint = Complaint(
        complaint_id=int(m["complaint_id"]), borrower_id=int(m["borrower_id"]),
        jurisdiction=Jurisdiction(m["jurisdiction"]), channel=ReceivedVia(m["channel"]),
        category=Category(m["category"]), status=Status(m["status"]),
        received_at=dt.datetime.fromisoformat(m["received_at"]), case_id=m["case_id"],
        acknowledged_at=_ts(m["acknowledged_at"]), answered_at=_ts(m["answered_at"]),
        escalated_at=_ts(m["escalated_at"]), escalated_to=m["escalated_to"],
        closed_at=_ts(m["closed_at"]))
    return ComplaintRecord(complaint, m["text"], m["answer"] or "")


def _chunks(ids: Iterable[int]) -> Iterable[list[int]]:
    items = sorted(set(ids))
    for k in range(0, len(items), IN_CHUNK):
        yield items[k:k + IN_CHUNK]


def disputes_by_borrower(conn: Connection, ids: Sequence[int]) -> dict[int, tuple[Dispute, ...]]:
    """The disputes that pause collection (open or past) of the borrowers ``ids``: one
    query per :data:`IN_CHUNK` borrowers, reading no sealed text."""
    t = ct.complaints
    cols = [c for c in t.columns if c.name not in ("text", "answer")]
    found: dict[int, list[Complaint]] = defaultdict(list)
    for chunk in _chunks(ids):
        q = (select(*cols).where(t.c.borrower_id.in_(chunk),
                                 t.c.category.in_([c.value for c in DISPUTE_CATEGORIES]))
             .order_by(t.c.borrower_id, t.c.complaint_id))
        for row in conn.execute(q):
            m = dict(row._mapping) | {"text": "", "answer": ""}
            rec = _record(m)
            found[rec.complaint.borrower_id].append(rec.complaint)
    out = {bid: dispute_facts(items) for bid, items in found.items()}
    return {bid: facts for bid, facts in out.items() if facts}


class ComplaintRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(self, *, borrower_id: int, jurisdiction: Jurisdiction, channel: ReceivedVia,
            category: Category, received_at: dt.datetime, text: str,
            case_id: str | None = None) -> int:
        due = deadlines(jurisdiction, received_at.date())
        result = self.conn.execute(insert(ct.complaints).values(
            borrower_id=borrower_id, case_id=case_id, jurisdiction=jurisdiction.value,
            channel=channel.value, category=category.value, status=Status.RECEIVED.value,
            received_at=utc_text(received_at), received_on=due.received_on,
            acknowledge_by=due.acknowledge_by, answer_by=due.answer_by, text=text, answer=""))
        pk = result.inserted_primary_key
        assert pk is not None
        return int(pk[0])

    def get(self, complaint_id: int) -> ComplaintRecord:
        row = self.conn.execute(select(ct.complaints)
                                .where(ct.complaints.c.complaint_id == complaint_id)).first()
        if row is None:
            raise NotFound(f"complaint {complaint_id} is not in the register; list them with "
                           "dunwell complaints list", code="complaint_must_exist")
        return _record(row._mapping)

    def move(self, complaint_id: int, *, status: Status, at: dt.datetime,
             answer: str | None = None, escalated_to: str | None = None) -> None:
        """Set the status and stamp the moment in the column that status names."""
        values: dict[str, Any] = {"status": status.value}
        stamp = {Status.ACKNOWLEDGED: "acknowledged_at", Status.FINAL_RESPONSE: "answered_at",
                 Status.ESCALATED: "escalated_at", Status.CLOSED: "closed_at"}.get(status)
        if stamp is not None:
            values[stamp] = utc_text(at)
        if answer is not None:
            values["answer"] = answer
        if escalated_to is not None:
            values["escalated_to"] = escalated_to
        self.conn.execute(update(ct.complaints)
                          .where(ct.complaints.c.complaint_id == complaint_id).values(**values))

    def add_event(self, complaint_id: int, *, at: dt.datetime, kind: str, actor: str,
                  note: str = "") -> None:
        self.conn.execute(insert(ct.complaint_events).values(
            complaint_id=complaint_id, at=utc_text(at), kind=kind, actor=actor, note=note))

    def events(self, complaint_id: int) -> list[ComplaintEvent]:
        e = ct.complaint_events
        rows = self.conn.execute(select(e).where(e.c.complaint_id == complaint_id)
                                 .order_by(e.c.at, e.c.event_id))
        return [ComplaintEvent(dt.datetime.fromisoformat(r.at), r.kind, r.actor, r.note or "")
                for r in rows]

    def for_borrower(self, borrower_id: int) -> list[ComplaintRecord]:
        t = ct.complaints
        rows = self.conn.execute(select(t).where(t.c.borrower_id == borrower_id)
                                 .order_by(t.c.received_at.desc(), t.c.complaint_id.desc())
                                 .limit(LIST_LIMIT_MAX))
        return [_record(r._mapping) for r in rows]

    def queue(self, *, statuses: Sequence[Status] = (), categories: Sequence[Category] = (),
              due_before: dt.date | None = None,
              limit: int = LIST_LIMIT_MAX) -> list[ComplaintRecord]:
        """Complaints by final-answer deadline, earliest first; ``due_before`` keeps only
        those due before that day."""
        t = ct.complaints
        q = select(t)
        if statuses:
            q = q.where(t.c.status.in_([s.value for s in statuses]))
        if categories:
            q = q.where(t.c.category.in_([c.value for c in categories]))
        if due_before is not None:
            q = q.where(t.c.answer_by < due_before)
        q = q.order_by(t.c.answer_by, t.c.complaint_id).limit(min(limit, LIST_LIMIT_MAX))
        return [_record(r._mapping) for r in self.conn.execute(q)]

    def received_between(self, start: dt.date, end: dt.date) -> list[Complaint]:
        """Complaints received from ``start`` to ``end`` inclusive (no texts read)."""
        t = ct.complaints
        cols = [c for c in t.columns if c.name not in ("text", "answer")]
        rows = self.conn.execute(select(*cols).where(t.c.received_on >= start,
                                                     t.c.received_on <= end))
        return [_record(dict(r._mapping) | {"text": "", "answer": ""}).complaint for r in rows]

    def unanswered_due_before(self, day: dt.date) -> list[Complaint]:
        """Unanswered complaints whose final-answer deadline is before ``day``."""
        t = ct.complaints
        cols = [c for c in t.columns if c.name not in ("text", "answer")]
        open_ = [Status.RECEIVED.value, Status.ACKNOWLEDGED.value]
        rows = self.conn.execute(select(*cols).where(t.c.status.in_(open_),
                                                     t.c.answer_by < day))
        return [_record(dict(r._mapping) | {"text": "", "answer": ""}).complaint for r in rows]


__all__ = ["ComplaintEvent", "ComplaintRecord", "ComplaintRepository", "disputes_by_borrower"]
