"""The audit log's repository: append under a lock on the chain's head, read in order."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, insert, select, update

from dunwell.core.hashchain import GENESIS, ChainRecord, canonical, link_hash
from dunwell.store import tables as t

READ_BATCH_ROWS = 5_000


class AuditRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def head(self, *, lock: bool = False) -> tuple[int, str]:
        """The last (seq, hash) written; ``lock`` holds it until the transaction ends."""
        q = select(t.audit_head.c.seq, t.audit_head.c.hash).where(t.audit_head.c.id == 1)
        if lock and self.conn.dialect.name == "postgresql":
            q = q.with_for_update()
        row = self.conn.execute(q).first()
        return (0, GENESIS) if row is None else (int(row[0]), str(row[1]))

    def append_many(self, *, recorded_at: str,
                    entries: Sequence[tuple[str, str, Mapping[str, Any]]]) -> list[ChainRecord]:
        """Append (kind, subject, payload) entries; returns the chained records."""
        return self.append_stamped([(recorded_at, kind, subject, payload)
                                    for kind, subject, payload in entries])

    def append_stamped(self, entries: Sequence[tuple[str, str, str, Mapping[str, Any]]],
                       ) -> list[ChainRecord]:
        """Append (recorded_at, kind, subject, payload) entries, each with its own
        stamp, in one write; the chain is the same as appending them one by one."""
        if not entries:
            return []
        seq, prev = self.head(lock=True)
        fresh = seq == 0
        records = []
        for recorded_at, kind, subject, payload in entries:
            seq += 1
            body = canonical(payload)
            digest = link_hash(prev, seq, recorded_at, kind, subject, body)
            records.append(ChainRecord(seq, recorded_at, kind, subject, body, prev, digest))
            prev = digest
        self.conn.execute(insert(t.audit_log), [
            {"seq": r.seq, "recorded_at": r.recorded_at, "kind": r.kind, "subject": r.subject,
             "payload_json": r.payload_json, "prev_hash": r.prev_hash, "hash": r.hash}
            for r in records])
        if fresh:
            self.conn.execute(insert(t.audit_head).values(id=1, seq=seq, hash=prev))
        else:
            self.conn.execute(update(t.audit_head).where(t.audit_head.c.id == 1)
                              .values(seq=seq, hash=prev))
        return records

    def records(self) -> Iterator[ChainRecord]:
        """Every record in ``seq`` order, read in bounded batches."""
        after = 0
        while True:
            rows = self.conn.execute(
                select(t.audit_log).where(t.audit_log.c.seq > after)
                .order_by(t.audit_log.c.seq).limit(READ_BATCH_ROWS)).all()
            if not rows:
                return
            for r in rows:
                m = r._mapping
                yield ChainRecord(int(m["seq"]), m["recorded_at"], m["kind"], m["subject"],
                                  m["payload_json"], m["prev_hash"], m["hash"])
            after = int(rows[-1]._mapping["seq"])
