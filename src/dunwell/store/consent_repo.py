"""Repository of borrowers' consent records (``uow.consents``), and the one batched read
that puts them on the guard's borrower facts (:func:`consents_by_borrower`, used by
the borrowers' repository)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, insert, select, update

from dunwell.compliance.consent import Consent, ConsentSource, Purpose
from dunwell.compliance.model import Channel, Party
from dunwell.store import consent_tables as ct

#: Borrower ids per ``IN (...)`` clause (well under every driver's parameter limit).
IN_CHUNK = 900
#: The most consent records one borrower's listing returns.
LIST_LIMIT_MAX = 1_000


@dataclass(frozen=True, slots=True)
class ConsentRecord:
    """A stored consent: its id and borrower, the terms, and how it was withdrawn."""

    consent_id: int
    borrower_id: int
    consent: Consent
    withdrawn_source: ConsentSource | None = None


def utc_text(ts: dt.datetime) -> str:
    return ts.astimezone(dt.UTC).isoformat(timespec="microseconds")


def _record(m: Any) -> ConsentRecord:
    withdrawn = m["withdrawn_at"]
    consent = Consent(
        channel=Channel(m["channel"]), party=Party(m["party"]), purpose=Purpose(m["purpose"]),
        granted_at=dt.datetime.fromisoformat(m["granted_at"]),
        withdrawn_at=None if withdrawn is None else dt.datetime.fromisoformat(withdrawn),
        source=ConsentSource(m["source"]), evidence=m["evidence"])
    how = m["withdrawn_source"]
    return ConsentRecord(int(m["consent_id"]), int(m["borrower_id"]), consent,
                         None if how is None else ConsentSource(how))


def _chunks(ids: Iterable[int]) -> Iterable[list[int]]:
    items = sorted(set(ids))
    for k in range(0, len(items), IN_CHUNK):
        yield items[k:k + IN_CHUNK]


def consents_by_borrower(conn: Connection, ids: Sequence[int]) -> dict[int, tuple[Consent, ...]]:
    """Every consent record (in force or withdrawn) of the borrowers ``ids``, in the
    order given: one query per :data:`IN_CHUNK` borrowers."""
    out: dict[int, list[Consent]] = defaultdict(list)
    for chunk in _chunks(ids):
        q = (select(ct.consents).where(ct.consents.c.borrower_id.in_(chunk))
             .order_by(ct.consents.c.borrower_id, ct.consents.c.consent_id))
        for row in conn.execute(q):
            rec = _record(row._mapping)
            out[rec.borrower_id].append(rec.consent)
    return {bid: tuple(found) for bid, found in out.items()}


class ConsentRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(self, borrower_id: int, consent: Consent) -> int:
        result = self.conn.execute(insert(ct.consents).values(
            borrower_id=borrower_id, channel=consent.channel.value, party=consent.party.value,
            purpose=consent.purpose.value, granted_at=utc_text(consent.granted_at),
            source=consent.source.value, evidence=consent.evidence,
            withdrawn_at=None if consent.withdrawn_at is None else utc_text(
                consent.withdrawn_at)))
        key = result.inserted_primary_key
        assert key is not None
        return int(key[0])

    def withdraw(self, consent_id: int, *, at: dt.datetime, source: ConsentSource) -> bool:
        """Mark the consent withdrawn at ``at``; False when it already was."""
        done = self.conn.execute(update(ct.consents).where(
            ct.consents.c.consent_id == consent_id, ct.consents.c.withdrawn_at.is_(None))
            .values(withdrawn_at=utc_text(at), withdrawn_source=source.value))
        return int(done.rowcount) == 1

    def for_borrower(self, borrower_id: int) -> list[ConsentRecord]:
        """The borrower's consent records, oldest first (at most :data:`LIST_LIMIT_MAX`)."""
        q = (select(ct.consents).where(ct.consents.c.borrower_id == borrower_id)
             .order_by(ct.consents.c.consent_id).limit(LIST_LIMIT_MAX))
        return [_record(r._mapping) for r in self.conn.execute(q)]

    def clear_evidence(self, borrower_id: int) -> int:
        """Forget the evidence references of the borrower's consents; how many were set."""
        done = self.conn.execute(update(ct.consents).where(
            ct.consents.c.borrower_id == borrower_id, ct.consents.c.evidence != "")
            .values(evidence=""))
        return int(done.rowcount)


__all__ = ["ConsentRecord", "ConsentRepository", "consents_by_borrower", "utc_text"]
