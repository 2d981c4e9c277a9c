"""Repository for the letter register: issued letters, their stored content and their
events, plus the few reads of other tables letters need (a case's borrower, the
borrower's open loans, the day's allowed letter actions)."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, func, insert, select, update

from dunwell.channels.document import Document, document_from_data
from dunwell.channels.letters import (
    DispatchMethod,
    LetterEvent,
    LetterEventKind,
    LetterRecord,
    LetterStatus,
)
from dunwell.core.errors import NotFound
from dunwell.lending.model import LoanStatus
from dunwell.store import collection_tables as c
from dunwell.store import letter_tables as lt
from dunwell.store import tables as t

#: The most letters one listing returns.
LIST_LIMIT_MAX = 10_000
#: Borrower ids per ``IN (...)`` clause of a batched read (well under every driver's
#: parameter limit).
IN_CHUNK = 1_000


@dataclass(frozen=True, slots=True)
class LetterAction:
    """An allowed ``letter`` step of the day's collection run."""

    action_id: int
    case_id: str
    borrower_id: int
    step_id: str
    content_tags: tuple[str, ...]


class LetterRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    # --- letters ---------------------------------------------------------------------
    def by_key(self, idempotency_key: str) -> LetterRecord | None:
        row = self.conn.execute(select(lt.letters)
                                .where(lt.letters.c.idempotency_key == idempotency_key)).first()
        return None if row is None else _letter_from(row._mapping)

    def by_code(self, code: str) -> LetterRecord | None:
        row = self.conn.execute(select(lt.letters)
                                .where(lt.letters.c.verification_code == code)).first()
        return None if row is None else _letter_from(row._mapping)

    def get(self, letter_no: str) -> LetterRecord:
        row = self.conn.execute(select(lt.letters)
                                .where(lt.letters.c.letter_no == letter_no)).first()
        if row is None:
            raise NotFound(f"letter {letter_no} does not exist; list letters with "
                           "`dunwell letters list`", code="letter_must_exist",
                           letter_no=letter_no)
        return _letter_from(row._mapping)

    def document(self, letter_no: str) -> tuple[Document, str]:
        """The stored letter body and its canonical JSON text."""
        row = self.conn.execute(select(lt.letters.c.document_json)
                                .where(lt.letters.c.letter_no == letter_no)).first()
        if row is None:
            raise NotFound(f"letter {letter_no} does not exist", code="letter_must_exist",
                           letter_no=letter_no)
        text = str(row[0])
        return document_from_data(json.loads(text)), text

    def next_sequence(self, business_date: dt.date) -> int:
        q = (select(func.coalesce(func.max(lt.letters.c.sequence), 0))
             .where(lt.letters.c.business_date == business_date))
        return int(self.conn.execute(q).scalar_one()) + 1

    def add(self, *, letter_no: str, sequence: int, verification_code: str,
            idempotency_key: str, kind: str, borrower_id: int, case_id: str | None,
            action_id: int | None, language: str, jurisdiction: str,
            business_date: dt.date, content_sha256: str, document_json: str,
            issued_at: dt.datetime) -> LetterRecord:
        self.conn.execute(insert(lt.letters).values(
            letter_no=letter_no, sequence=sequence, verification_code=verification_code,
            idempotency_key=idempotency_key, kind=kind, borrower_id=borrower_id,
            case_id=case_id, action_id=action_id, language=language,
            jurisdiction=jurisdiction, business_date=business_date,
            status=LetterStatus.GENERATED.value, dispatch_method=None,
            content_sha256=content_sha256, document_json=document_json,
            issued_at=issued_at.isoformat()))
        return self.get(letter_no)

    def set_status(self, letter_no: str, status: LetterStatus,
                   method: DispatchMethod | None) -> None:
        self.conn.execute(update(lt.letters).where(lt.letters.c.letter_no == letter_no)
                          .values(status=status.value,
                                  dispatch_method=None if method is None else method.value))

    def listing(self, *, status: LetterStatus | None = None, business_date: dt.date | None = None,
             borrower_id: int | None = None, limit: int = 500) -> list[LetterRecord]:
        q = select(lt.letters).order_by(lt.letters.c.business_date, lt.letters.c.sequence)
        if status is not None:
            q = q.where(lt.letters.c.status == status.value)
        if business_date is not None:
            q = q.where(lt.letters.c.business_date == business_date)
        if borrower_id is not None:
            q = q.where(lt.letters.c.borrower_id == borrower_id)
        q = q.limit(max(1, min(limit, LIST_LIMIT_MAX)))
        return [_letter_from(r._mapping) for r in self.conn.execute(q)]

    def first_issued(self, *, borrower_id: int, kind: str,
                     since: dt.date | None = None) -> dt.date | None:
        """The business date of the borrower's first letter of ``kind`` (on or after
        ``since``), or None."""
        q = (select(func.min(lt.letters.c.business_date))
             .where(lt.letters.c.borrower_id == borrower_id, lt.letters.c.kind == kind))
        if since is not None:
            q = q.where(lt.letters.c.business_date >= since)
        found: dt.date | None = self.conn.execute(q).scalar_one()
        return found

    def first_issued_many(self, *, borrower_ids: list[int], kind: str,
                          since: dt.date | None = None) -> dict[int, dt.date]:
        """:meth:`first_issued` for many borrowers in a few queries: borrower id -> the
        business date of their first letter of ``kind`` (on or after ``since``);
        borrowers without one are left out."""
        out: dict[int, dt.date] = {}
        ids = sorted(set(borrower_ids))
        col = lt.letters.c
        for start in range(0, len(ids), IN_CHUNK):
            q = (select(col.borrower_id, func.min(col.business_date))
                 .where(col.borrower_id.in_(ids[start:start + IN_CHUNK]), col.kind == kind)
                 .group_by(col.borrower_id))
            if since is not None:
                q = q.where(col.business_date >= since)
            out.update({int(b): first for b, first in self.conn.execute(q)})
        return out

    # --- events ----------------------------------------------------------------------
    def add_event(self, event: LetterEvent) -> None:
        self.conn.execute(insert(lt.letter_events).values(
            letter_no=event.letter_no, event=event.event.value, at=event.at.isoformat(),
            method=None if event.method is None else event.method.value,
            proof=event.proof, note=event.note))

    def events(self, letter_no: str) -> list[LetterEvent]:
        rows = self.conn.execute(select(lt.letter_events)
                                 .where(lt.letter_events.c.letter_no == letter_no)
                                 .order_by(lt.letter_events.c.event_id)).all()
        return [_event_from(r._mapping) for r in rows]

    # --- what letters read from collections and the loan book --------------------------
    def case_borrower(self, case_id: str) -> int:
        row = self.conn.execute(select(c.cases.c.borrower_id)
                                .where(c.cases.c.case_id == case_id)).first()
        if row is None:
            raise NotFound(f"case {case_id} does not exist; see `dunwell case` for cases",
                           code="case_must_exist", case_id=case_id)
        return int(row[0])

    def open_loan_ids(self, borrower_id: int) -> list[int]:
        open_codes = [int(s) for s in LoanStatus if s.is_open]
        q = (select(t.loans.c.loan_id)
             .where(t.loans.c.borrower_id == borrower_id, t.loans.c.status.in_(open_codes))
             .order_by(t.loans.c.loan_id))
        return [int(r[0]) for r in self.conn.execute(q)]

    def allowed_letter_actions(self, business_date: dt.date) -> list[LetterAction]:
        a = c.case_actions.c
        q = (select(a.action_id, a.case_id, a.borrower_id, a.step_id, a.tags_json)
             .where(a.business_date == business_date, a.kind == "letter",
                    a.decision == "allow")
             .order_by(a.action_id))
        return [LetterAction(int(i), str(cid), int(b), str(s), tuple(json.loads(tags)))
                for i, cid, b, s, tags in self.conn.execute(q)]


def _letter_from(m: Any) -> LetterRecord:
    method = m["dispatch_method"]
    return LetterRecord(
        letter_id=int(m["letter_id"]), letter_no=m["letter_no"],
        verification_code=m["verification_code"], kind=m["kind"],
        borrower_id=int(m["borrower_id"]), case_id=m["case_id"],
        action_id=None if m["action_id"] is None else int(m["action_id"]),
        language=m["language"], jurisdiction=m["jurisdiction"],
        business_date=m["business_date"], status=LetterStatus(m["status"]),
        content_sha256=m["content_sha256"],
        issued_at=dt.datetime.fromisoformat(m["issued_at"]),
        idempotency_key=m["idempotency_key"],
        dispatch_method=None if method is None else DispatchMethod(method))


def _event_from(m: Any) -> LetterEvent:
    method = m["method"]
    return LetterEvent(letter_no=m["letter_no"], event=LetterEventKind(m["event"]),
                       at=dt.datetime.fromisoformat(m["at"]),
                       method=None if method is None else DispatchMethod(method),
                       proof=m["proof"], note=m["note"] or "")

