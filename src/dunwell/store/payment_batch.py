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

On PostgreSQL the reads are one pipeline and the writes another, as one payment's
(:class:`~dunwell.store.repositories.PaymentPosting`): the partitions of the batch's
loans locked (shared) in ascending order, then the loans ``FOR UPDATE`` in ascending
id order, so two batches, or a batch and any other writer, never wait for each other
in a cycle; the instalments, keys, book and products read with one statement each.
The writes are one statement, each table's rows in a data-modifying ``WITH`` of its
own and sent as JSON (the lines in order, so their ids are the ones one by one gives;
the journal lines' statement trigger runs once, after the whole statement), and only
the instalments a payment changed are updated (all of a loan's rewritten, by
statements of their own, when its schedule changed), as one payment's path does.
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
from dunwell.store.json_rows import each_record, joined, records, recordset
from dunwell.store.locks import _PARTITION_NS, write_lock
from dunwell.store.repositories import (
    _LOAN_COLS,
    _PAYMENT_COLS,
    _PG_BOOK,
    _PG_DELETE_INSTALLMENTS,
    _PG_INSERT_INSTALLMENT,
    INST_FIELDS,
    LOAN_SCALARS,
    BookInfo,
    LedgerRepository,
    PaymentRecord,
    _allocation_json,
    _driver_error,
    _loan_changed,
    _loan_from,
    _loan_from_tuple,
    _loan_values,
    _payment_from,
    _product,
    _wrapped,
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
    """The batch's reads and writes on one connection."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.pg = conn.dialect.name == "postgresql"

    def start(self, keys: Sequence[str], loan_ids: Sequence[int]) -> BatchStart:
        """Take the locks (SQLite: the write lock, as the first payment one by one
        would; PostgreSQL: the partitions shared, then the loans, each in ascending
        order), then read the loans, their instalments, the keys seen, the book and
        the products."""
        if self.pg:
            return self._start_pg(keys, loan_ids)
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
        if self.pg:
            return self._record_pg(payments, before=before, after=after, partitions=partitions)
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

    def _start_pg(self, keys: Sequence[str], loan_ids: Sequence[int]) -> BatchStart:
        raw = self.conn.connection.driver_connection
        assert raw is not None
        ids = sorted(set(loan_ids))
        try:
            with raw.pipeline():
                lock, loan, insts, seen, book, spec = (raw.cursor() for _ in range(6))
                lock.execute(_PG_GENERIC_PLANS)
                lock.execute(_PG_BATCH_LOCKS, (_PARTITION_NS, ids))
                loan.execute(_PG_BATCH_LOANS, (ids,))
                insts.execute(_PG_BATCH_INSTALLMENTS, (ids,))
                seen.execute(_PG_BATCH_BY_KEYS, (sorted(set(keys)),))
                book.execute(_PG_BOOK)
                spec.execute(_PG_BATCH_SPECS, (ids,))
            loan_rows = loan.fetchall()
            inst_rows = insts.fetchall()
            seen_rows, book_row, spec_rows = seen.fetchall(), book.fetchone(), spec.fetchall()
        except _driver_error() as exc:
            raise _wrapped(exc) from exc
        by_loan: dict[int, list[Any]] = {}
        for r in inst_rows:
            by_loan.setdefault(int(r[0]), []).append(r[1:])
        loans = {int(r[0]): _loan_from_tuple(r, by_loan.get(int(r[0]), ())) for r in loan_rows}
        partitions = {int(r[0]): int(r[-1]) for r in loan_rows}
        found = (_payment_from(dict(zip(_PAYMENT_COLS, r, strict=True))) for r in seen_rows)
        return BatchStart(
            loans,
            partitions,
            {rec.idempotency_key: rec for rec in found},
            None if book_row is None else BookInfo(book_row[0], int(book_row[1]), str(book_row[2])),
            {str(code): _product(str(text)) for code, text in spec_rows},
        )

    def _record_pg(
        self,
        payments: Sequence[PaymentWrite],
        *,
        before: dict[int, LoanState],
        after: dict[int, LoanState],
        partitions: dict[int, int],
    ) -> list[PaymentRecord]:
        """One statement (:data:`_PG_BATCH_WRITE`), each table's rows sent as JSON
        (:mod:`dunwell.store.json_rows`): the entries, the lines (in order, so their ids
        are the ones one by one gives), the loans (version-checked, the ones saved
        returned), the instalments changed and the payment rows (their ids returned with
        their keys); then each loan whose schedule changed rewrites all of its
        instalments."""
        raw = self.conn.connection.driver_connection
        assert raw is not None
        entries = [e for p in payments for e in p.entries]
        lines = [
            (e.entry_id, int(ln.account), ln.loan_id, ln.amount_minor)
            for e in entries
            for ln in e.lines
        ]
        changed = sorted(after)
        loan_rows = []
        updates: list[tuple[Any, ...]] = []
        rewritten: list[int] = []
        for lid in changed:
            new, old = after[lid], before[lid]
            loan_rows.append(
                (
                    *(getattr(new, k) for k in LOAN_SCALARS),
                    int(new.status),
                    int(new.bucket),
                    int(new.restructured),
                    new.version,
                    lid,
                    old.version,
                )
            )
            was = {i.n: i for i in old.installments}
            if set(was) == {i.n for i in new.installments}:
                updates.extend(
                    (*(getattr(i, f) for f in INST_FIELDS[1:]), lid, i.n)
                    for i in new.installments
                    if was[i.n] != i
                )
            else:
                rewritten.append(lid)
        allocations = [tuple(p.allocation) for p in payments]
        rows = [
            (
                p.key,
                p.fingerprint,
                p.loan_id,
                p.kind,
                p.amount_minor,
                p.currency,
                p.business_date,
                p.entry_id,
                _allocation_json(alloc),
                p.suspense_minor,
            )
            for p, alloc in zip(payments, allocations, strict=True)
        ]
        entry_rows = [
            (e.entry_id, e.business_date, e.kind, e.currency, e.reverses, e.memo) for e in entries
        ]
        try:
            with raw.pipeline():
                cur = raw.cursor()
                cur.execute(
                    _PG_BATCH_WRITE,
                    (
                        *records(_ENTRY_NAMES, entry_rows),
                        *records(_LINE_NAMES, lines),
                        *each_record(_LOAN_ROW_NAMES, loan_rows),
                        *each_record(_INST_ROW_NAMES, updates),
                        *records(_PAYMENT_ROW_NAMES, rows),
                    ),
                )
                for lid in rewritten:
                    written = raw.cursor()
                    written.execute(_PG_DELETE_INSTALLMENTS, (lid,))
                    written.executemany(
                        _PG_INSERT_INSTALLMENT,
                        [
                            (lid, partitions[lid], *(getattr(i, f) for f in INST_FIELDS))
                            for i in after[lid].installments
                        ],
                    )
            returned = cur.fetchall()
        except _driver_error() as exc:
            raise _wrapped(exc) from exc
        saved_ids = {int(r[0]) for r in returned if r[1] is None}
        ids = {str(key): int(pid) for pid, key in returned if key is not None}
        moved = [lid for lid in changed if lid not in saved_ids]
        if moved:  # the loan's version moved since it was read
            raise _loan_changed(moved[0])
        return [
            PaymentRecord(
                ids[p.key],
                p.key,
                p.fingerprint,
                p.loan_id,
                p.kind,
                p.amount_minor,
                p.currency,
                p.business_date,
                p.entry_id,
                alloc,
                p.suspense_minor,
                None,
            )
            for p, alloc in zip(payments, allocations, strict=True)
        ]


#: The PostgreSQL type of each loan scalar, in ``LOAN_SCALARS`` order.
_LOAN_SCALAR_TYPES = (
    "bigint",
    "text",
    "text",
    "bigint",
    "int",
    "int",
    "bigint",
    "bigint",
    "bigint",
    "int",
)
_ENTRY_NAMES = ("entry_id", "business_date", "kind", "currency", "reverses", "memo")
_LINE_NAMES = ("entry_id", "account", "loan_id", "amount_minor")
_LOAN_ROW_NAMES = (*LOAN_SCALARS, "status", "bucket", "restructured", "version", "loan_id", "was")
_INST_ROW_NAMES = (*INST_FIELDS[1:], "loan_id", "n")
_PAYMENT_ROW_NAMES = (
    "idempotency_key",
    "fingerprint",
    "loan_id",
    "kind",
    "amount_minor",
    "currency",
    "business_date",
    "entry_id",
    "allocation_json",
    "suspense_minor",
)
_PAYMENT_ROW_TYPES = (
    "text",
    "text",
    "bigint",
    "text",
    "bigint",
    "text",
    "date",
    "text",
    "text",
    "bigint",
)
_PG_BATCH_ENTRIES = (
    f"INSERT INTO journal_entries ({', '.join(_ENTRY_NAMES)}) SELECT * FROM "
    + recordset(_ENTRY_NAMES, ("text", "date", "text", "text", "text", "text"))
)
_PG_BATCH_LINES = (
    f"INSERT INTO journal_lines ({', '.join(_LINE_NAMES)}) SELECT * FROM "
    + recordset(_LINE_NAMES, ("text", "int", "bigint", "bigint"))
)
_PG_BATCH_SAVE_LOANS = (
    f"UPDATE loans AS l SET {', '.join(f'{k} = v.{k}' for k in LOAN_SCALARS)}, "
    "status = v.status, bucket = v.bucket, restructured = v.restructured, version = v.version "
    "FROM "
    + joined(_LOAN_ROW_NAMES, (*_LOAN_SCALAR_TYPES, "int", "int", "int", "int", "bigint", "int"))
    + " WHERE l.loan_id = v.loan_id AND l.version = v.was RETURNING l.loan_id"
)
_PG_BATCH_UPDATE_INSTALLMENTS = (
    f"UPDATE installments AS i SET {', '.join(f'{f} = v.{f}' for f in INST_FIELDS[1:])} FROM "
    + joined(_INST_ROW_NAMES, ("bigint",) * (len(INST_FIELDS) - 1) + ("bigint", "int"))
    + " WHERE i.loan_id = v.loan_id AND i.n = v.n"
)
_PG_BATCH_ADD_PAYMENTS = (
    f"INSERT INTO payments ({', '.join(_PAYMENT_ROW_NAMES)}) SELECT * FROM "
    + recordset(_PAYMENT_ROW_NAMES, _PAYMENT_ROW_TYPES)
    + " RETURNING payment_id, idempotency_key"
)
#: The group's writes as one statement: each table's rows in a data-modifying ``WITH``
#: of its own (the statements above, unchanged), so the group pays for one statement's
#: parsing, binding and execution on both sides rather than five. Its rows are the
#: loans saved (``loan_id``, no key) and the payments added (``payment_id``, key).
#: The journal lines' statement trigger runs once the whole statement is done, when
#: the entries are there.
_PG_BATCH_WRITE = (
    f"WITH entries AS ({_PG_BATCH_ENTRIES}), lines AS ({_PG_BATCH_LINES}), "
    f"saved AS ({_PG_BATCH_SAVE_LOANS}), steps AS ({_PG_BATCH_UPDATE_INSTALLMENTS}), "
    f"added AS ({_PG_BATCH_ADD_PAYMENTS}) "
    "SELECT loan_id, NULL::text FROM saved UNION ALL SELECT payment_id, idempotency_key FROM added"
)
#: The group's statements run with the plan PostgreSQL keeps for each prepared statement
#: (for the rest of the transaction only). Left to choose, it plans most of them anew
#: at every execution (a plan for the arrays at hand costs about as much as the kept
#: one), which was a large part of the database's work for a small group; the kept
#: plans read every row by its key, as those do.
_PG_GENERIC_PLANS = "SET LOCAL plan_cache_mode = force_generic_plan"
_PG_BATCH_LOCKS = (
    "SELECT pg_advisory_xact_lock_shared(hashtext(current_schema() || %s), p) "
    "FROM (SELECT DISTINCT partition AS p FROM loans "
    "WHERE loan_id = ANY(%s::bigint[]) ORDER BY p) AS owned"
)
_PG_BATCH_LOANS = (
    f"SELECT {', '.join(_LOAN_COLS)} FROM loans "
    "WHERE loan_id = ANY(%s::bigint[]) ORDER BY loan_id FOR UPDATE"
)
_PG_BATCH_INSTALLMENTS = (
    f"SELECT loan_id, {', '.join(INST_FIELDS)} FROM installments "
    "WHERE loan_id = ANY(%s::bigint[]) ORDER BY loan_id, n"
)
_PG_BATCH_BY_KEYS = (
    f"SELECT {', '.join(_PAYMENT_COLS)} FROM payments WHERE idempotency_key = ANY(%s::text[])"
)
_PG_BATCH_SPECS = (
    "SELECT code, spec_toml FROM products WHERE code IN "
    "(SELECT product_code FROM loans WHERE loan_id = ANY(%s::bigint[]))"
)
