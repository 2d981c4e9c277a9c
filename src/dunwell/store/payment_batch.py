"""Many payments' path through the store in one transaction (``receive_payments``).

The reads of :class:`~dunwell.store.repositories.PaymentPosting` for a batch at once:
the loans (each once, with their instalments), the payments already posted with the
keys, the book and the products; then the writes of every payment of the batch: their
entries and lines (one statement each), each loan changed written once as it stands
after its last payment (version-checked against the version read), its instalments, and
the payment rows (one statement, ids in the batch's order). The rows are the ones
the payments one by one write: the same entries, lines and payment rows in the same
order (so with the same ids), the loans and instalments as the last payment of each
left them, each loan's ``version`` moved once per payment.

On PostgreSQL each payment keeps its own pipelined path (the partition lock and the
loan's ``FOR UPDATE`` in the batch's order, as one by one); this batching is for the
single-writer database, where a payment's statements are most of its cost.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, bindparam, delete, insert, select, update

from dunwell.ledger.model import JournalEntry
from dunwell.lending.loans import LoanState
from dunwell.lending.model import Product
from dunwell.lending.payments import AllocationLine
from dunwell.store import tables as t
from dunwell.store.locks import write_lock
from dunwell.store.repositories import (
    INST_FIELDS,
    LOAN_SCALARS,
    BookInfo,
    LedgerRepository,
    PaymentRecord,
    _allocation_json,
    _loan_changed,
    _loan_from,
    _loan_values,
    _payment_from,
    _product,
)

#: Ids one ``IN (...)`` read names at the most (SQLite's bound-parameter limit).
IDS_PER_READ = 900


@dataclass(frozen=True, slots=True)
class BatchStart:
    """What a batch of payments reads before it posts: the loans by id (those that
    exist), their partitions, the payments already posted with the batch's keys, the
    book and the products of the loans by code."""

    loans: dict[int, LoanState]
    partitions: dict[int, int]
    seen: dict[str, PaymentRecord]
    book: BookInfo | None
    products: dict[str, Product]


@dataclass(frozen=True, slots=True)
class PaymentWrite:
    """One payment of the batch to write (:meth:`PaymentPosting.record`'s arguments)."""

    entries: tuple[JournalEntry, ...]
    loan_id: int
    key: str
    fingerprint: str
    kind: str
    amount_minor: int
    currency: str
    business_date: dt.date
    entry_id: str
    allocation: tuple[AllocationLine, ...]
    suspense_minor: int


def _chunks(ids: Sequence[object]) -> list[list[object]]:
    return [list(ids[k : k + IDS_PER_READ]) for k in range(0, len(ids), IDS_PER_READ)]


class PaymentBatch:
    """The batch's reads and writes on one connection (SQLite)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def start(self, keys: Sequence[str], loan_ids: Sequence[int]) -> BatchStart:
        """Take the write lock (as the first payment one by one would), then read
        the loans, their instalments, the keys seen, the book and the products."""
        write_lock(self.conn)
        ids = sorted(set(loan_ids))
        rows: dict[int, Any] = {}
        insts: dict[int, list[Any]] = {}
        for chunk in _chunks(ids):
            for r in self.conn.execute(select(t.loans).where(t.loans.c.loan_id.in_(chunk))):
                rows[int(r._mapping["loan_id"])] = r._mapping
            q = (
                select(t.installments)
                .where(t.installments.c.loan_id.in_(chunk))
                .order_by(t.installments.c.loan_id, t.installments.c.n)
            )
            for r in self.conn.execute(q):
                insts.setdefault(int(r._mapping["loan_id"]), []).append(r._mapping)
        loans = {lid: _loan_from(m, insts.get(lid, [])) for lid, m in rows.items()}
        partitions = {lid: int(m["partition"]) for lid, m in rows.items()}
        seen = {}
        for chunk in _chunks(sorted(set(keys))):
            q = select(t.payments).where(t.payments.c.idempotency_key.in_(chunk))
            for r in self.conn.execute(q):
                record = _payment_from(r._mapping)
                seen[record.idempotency_key] = record
        book = self.conn.execute(
            select(t.book.c.business_date, t.book.c.partitions, t.book.c.currency)
        ).first()
        codes = sorted({ln.product_code for ln in loans.values()})
        products = {}
        if codes:
            q = select(t.products.c.code, t.products.c.spec_toml).where(
                t.products.c.code.in_(codes)
            )
            products = {str(code): _product(spec) for code, spec in self.conn.execute(q)}
        return BatchStart(
            loans,
            partitions,
            seen,
            None if book is None else BookInfo(book[0], int(book[1]), str(book[2])),
            products,
        )

    def record(
        self,
        payments: Sequence[PaymentWrite],
        *,
        before: dict[int, LoanState],
        after: dict[int, LoanState],
        partitions: dict[int, int],
    ) -> list[PaymentRecord]:
        """Write ``payments`` in order: their entries, each loan in ``after`` (its
        state after its last payment, with its version already moved once per payment)
        where the stored version is still the one in ``before``, its instalments, and
        the payment rows; the payments as stored, in order."""
        if not payments:
            return []
        LedgerRepository(self.conn).post_many([e for p in payments for e in p.entries])
        changed = sorted(after)
        if changed:
            q = (
                update(t.loans)
                .where(t.loans.c.loan_id == bindparam("lid"), t.loans.c.version == bindparam("was"))
                .values(
                    {
                        k: bindparam(k)
                        for k in (*LOAN_SCALARS, "status", "bucket", "restructured", "version")
                    }
                )
            )
            rows = [
                _loan_values(after[lid], version=after[lid].version)
                | {"lid": lid, "was": before[lid].version}
                for lid in changed
            ]
            for row in rows:  # one by one: each update's rowcount is checked
                if self.conn.execute(q, row).rowcount != 1:
                    raise _loan_changed(row["lid"])
            for chunk in _chunks(changed):
                self.conn.execute(delete(t.installments).where(t.installments.c.loan_id.in_(chunk)))
            self.conn.execute(
                insert(t.installments),
                [
                    {
                        "loan_id": lid,
                        "partition": partitions[lid],
                        **{f: getattr(i, f) for f in INST_FIELDS},
                    }
                    for lid in changed
                    for i in after[lid].installments
                ],
            )
        add = insert(t.payments).returning(t.payments.c.payment_id, sort_by_parameter_order=True)
        ids = [
            int(r[0])
            for r in self.conn.execute(
                add,
                [
                    {
                        "idempotency_key": p.key,
                        "fingerprint": p.fingerprint,
                        "loan_id": p.loan_id,
                        "kind": p.kind,
                        "amount_minor": p.amount_minor,
                        "currency": p.currency,
                        "business_date": p.business_date,
                        "entry_id": p.entry_id,
                        "allocation_json": _allocation_json(p.allocation),
                        "suspense_minor": p.suspense_minor,
                    }
                    for p in payments
                ],
            )
        ]
        stored: dict[int, PaymentRecord] = {}
        for chunk in _chunks(ids):
            for r in self.conn.execute(
                select(t.payments).where(t.payments.c.payment_id.in_(chunk))
            ):
                record = _payment_from(r._mapping)
                stored[record.payment_id] = record
        return [stored[pid] for pid in ids]
