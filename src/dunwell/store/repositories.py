"""Repositories: the only place that builds SQL for row-by-row use cases. They take
a SQLAlchemy connection inside the caller's transaction and return domain objects."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields, replace
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, delete, func, insert, select, update
from sqlalchemy.exc import DBAPIError

from dunwell.core.errors import Conflict, NotFound
from dunwell.ledger.model import Account, JournalEntry, Line
from dunwell.lending.errors import BOOK_NOT_OPEN
from dunwell.lending.loans import InstallmentState, LoanState
from dunwell.lending.model import Bucket, Component, LoanStatus, Product
from dunwell.store import tables as t
from dunwell.store.locks import _PARTITION_NS, lock_partitions

if TYPE_CHECKING:  # imported where a payment is read: a read of the book starts without it
    from dunwell.lending.payments import AllocationLine


@lru_cache(maxsize=1024)
def _product(spec_toml: str) -> Product:
    """A product file parsed once (products are immutable values; every disbursement and
    COB reads them all, and parsing TOML cost more than the rest of a disbursement). The
    parser (and the models behind it) is imported with the first product read, so a
    command that never reads one starts without it."""
    from dunwell.lending.products import load_product

    return load_product(spec_toml)


#: The code of a save refused because another writer changed the loan meanwhile: the
#: command is run again from the start (:mod:`dunwell.app.commands`).
LOAN_CHANGED = "loan_must_not_change_concurrently"

INST_FIELDS = tuple(f.name for f in fields(InstallmentState))
LOAN_SCALARS = ("borrower_id", "product_code", "currency", "principal_minor", "disbursed_day",
                "days_past_due", "charged_minor", "exposure_minor_days", "suspense_minor",
                "last_cob_day")
#: Rows written per early-warning score insert.
SCORE_BATCH_ROWS = 5_000


@dataclass(frozen=True, slots=True)
class BookInfo:
    """The book's open business date, its COB partition count and its currency."""

    business_date: dt.date
    partitions: int
    currency: str


class BookRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def get(self) -> BookInfo | None:
        row = self.conn.execute(select(t.book.c.business_date, t.book.c.partitions,
                                       t.book.c.currency)).first()
        return None if row is None else BookInfo(row[0], int(row[1]), str(row[2]))

    def require(self) -> BookInfo:
        info = self.get()
        if info is None:
            raise NotFound("the book is not open yet; run `dunwell init` (or `dunwell demo`)",
                           code=BOOK_NOT_OPEN)
        return info

    def open(self, business_date: dt.date, partitions: int, currency: str) -> None:
        self.conn.execute(insert(t.book).values(id=1, business_date=business_date,
                                                partitions=partitions, currency=currency))

    def lock(self) -> None:
        """Hold the book row until the transaction ends (serialises id allocation)."""
        if self.conn.dialect.name == "postgresql":
            self.conn.execute(select(t.book.c.id).where(t.book.c.id == 1).with_for_update())

    def advance(self, business_date: dt.date) -> None:
        self.conn.execute(update(t.book).where(t.book.c.id == 1)
                          .values(business_date=business_date))


class ProductRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def put(self, product: Product, spec_toml: str) -> None:
        exists = self.conn.execute(select(t.products.c.code)
                                   .where(t.products.c.code == product.code)).first()
        if exists:
            self.conn.execute(update(t.products).where(t.products.c.code == product.code)
                              .values(currency=product.currency, spec_toml=spec_toml))
        else:
            self.conn.execute(insert(t.products).values(code=product.code,
                                                        currency=product.currency,
                                                        spec_toml=spec_toml))

    def all(self) -> dict[str, Product]:
        rows = self.conn.execute(select(t.products.c.spec_toml)).all()
        products = (_product(r[0]) for r in rows)
        return {p.code: p for p in products}

    def get(self, code: str) -> Product:
        row = self.conn.execute(select(t.products.c.spec_toml)
                                .where(t.products.c.code == code)).first()
        if row is None:
            raise NotFound(f"unknown product {code!r}; list products with `dunwell products`",
                           code="product_must_exist")
        return _product(row[0])


class LoanRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add_many(self, loans: Sequence[LoanState], partitions: int) -> None:
        if not loans:
            return
        lock_partitions(self.conn, {ln.loan_id % partitions for ln in loans}, exclusive=False)
        self.conn.execute(insert(t.loans), [_loan_row(ln, partitions) for ln in loans])
        self.conn.execute(insert(t.installments), [
            {"loan_id": ln.loan_id, "partition": ln.loan_id % partitions,
             **{f: getattr(i, f) for f in INST_FIELDS}}
            for ln in loans for i in ln.installments])

    def next_id(self) -> int:
        return int(self.conn.execute(select(func.coalesce(func.max(t.loans.c.loan_id), 0)))
                   .scalar_one()) + 1

    def get(self, loan_id: int) -> LoanState:
        """The loan as it is now, for reading (see :meth:`get_for_update` to change it)."""
        return self._get(loan_id, for_update=False)

    def get_for_update(self, loan_id: int) -> LoanState:
        """The loan, locked for change until the transaction ends: waits while COB
        closes its partition and while another command changes it
        (:mod:`dunwell.store.locks`)."""
        part = self.conn.execute(select(t.loans.c.partition)
                                 .where(t.loans.c.loan_id == loan_id)).scalar_one_or_none()
        if part is None:
            raise _no_loan(loan_id)
        lock_partitions(self.conn, (int(part),), exclusive=False)
        return self._get(loan_id, for_update=True)

    def _get(self, loan_id: int, *, for_update: bool) -> LoanState:
        q = select(t.loans).where(t.loans.c.loan_id == loan_id)
        if for_update and self.conn.dialect.name == "postgresql":
            q = q.with_for_update()
        row = self.conn.execute(q).first()
        if row is None:
            raise _no_loan(loan_id)
        inst_rows = self.conn.execute(
            select(t.installments).where(t.installments.c.loan_id == loan_id)
            .order_by(t.installments.c.n)).all()
        return _loan_from(row._mapping, [r._mapping for r in inst_rows])

    def save(self, loan: LoanState) -> LoanState:
        """Write back a changed loan; refuses if someone else changed it meanwhile."""
        values = _loan_values(loan, version=loan.version + 1)
        part = self.conn.execute(select(t.loans.c.partition)
                                 .where(t.loans.c.loan_id == loan.loan_id)).scalar_one_or_none()
        if part is None:
            raise _no_loan(loan.loan_id)
        lock_partitions(self.conn, (int(part),), exclusive=False)
        done = self.conn.execute(update(t.loans).where(t.loans.c.loan_id == loan.loan_id)
                                 .where(t.loans.c.version == loan.version).values(**values))
        if done.rowcount != 1:
            raise _loan_changed(loan.loan_id)
        self.conn.execute(delete(t.installments).where(t.installments.c.loan_id == loan.loan_id))
        self.conn.execute(insert(t.installments), [
            {"loan_id": loan.loan_id, "partition": part,
             **{f: getattr(i, f) for f in INST_FIELDS}}
            for i in loan.installments])
        return LoanState(**{**{f.name: getattr(loan, f.name) for f in fields(LoanState)},
                            "version": loan.version + 1})

    def due_for_payment(self, day: int) -> list[tuple[int, int, int, int]]:
        """For open loans owing something due by ``day``: (loan id, oldest unpaid
        instalment, its due day, everything owed through ``day``)."""
        i = t.installments.c
        unpaid = ((i.principal_minor - i.paid_principal_minor)
                  + (i.interest_minor - i.paid_interest_minor)
                  + (i.fee_minor - i.paid_fee_minor) + (i.penalty_minor - i.paid_penalty_minor))
        open_codes = [int(s) for s in LoanStatus if s.is_open]
        q = (select(i.loan_id, func.min(i.n), func.min(i.due_day), func.sum(unpaid))
             .join(t.loans, t.loans.c.loan_id == i.loan_id)
             .where(t.loans.c.status.in_(open_codes), i.due_day <= day, unpaid > 0)
             .group_by(i.loan_id).order_by(i.loan_id))
        return [(int(a), int(b), int(c), int(d)) for a, b, c, d in self.conn.execute(q).all()]

    def summary_by_bucket(self) -> list[tuple[int, int, int]]:
        """(bucket, loans, outstanding principal) for open loans."""
        unpaid = t.installments.c.principal_minor - t.installments.c.paid_principal_minor
        outstanding = (select(t.installments.c.loan_id, func.sum(unpaid).label("out"))
                       .group_by(t.installments.c.loan_id).subquery())
        open_codes = [int(s) for s in LoanStatus if s.is_open]
        q = (select(t.loans.c.bucket, func.count(), func.coalesce(func.sum(outstanding.c.out), 0))
             .join(outstanding, outstanding.c.loan_id == t.loans.c.loan_id)
             .where(t.loans.c.status.in_(open_codes))
             .group_by(t.loans.c.bucket).order_by(t.loans.c.bucket))
        return [(int(b), int(n), int(o)) for b, n, o in self.conn.execute(q).all()]

    def count_by_status(self) -> dict[LoanStatus, int]:
        q = select(t.loans.c.status, func.count()).group_by(t.loans.c.status)
        return {LoanStatus(int(s)): int(n) for s, n in self.conn.execute(q).all()}

    def entered_status(self, status: LoanStatus, *, after: dt.date,
                       through: dt.date) -> set[int]:
        """Loans whose status changed to ``status`` on a business date in
        (``after``, ``through``]."""
        ev = t.loan_events.c
        q = select(ev.loan_id).where(ev.kind == "status_changed", ev.after == int(status),
                                     ev.business_date > after, ev.business_date <= through)
        return {int(r[0]) for r in self.conn.execute(q)}

    def put_scores(self, *, business_date: dt.date, model: str,
                   scores: Sequence[tuple[int, int]]) -> None:
        """Keep ``(loan id, score in basis points)`` as each loan's latest early-warning
        score, replacing the one before."""
        from dunwell.store import collection_tables as c  # the scores' table, with its first use

        for k in range(0, len(scores), SCORE_BATCH_ROWS):
            chunk = scores[k:k + SCORE_BATCH_ROWS]
            self.conn.execute(delete(c.loan_scores)
                              .where(c.loan_scores.c.loan_id.in_([lid for lid, _ in chunk])))
            self.conn.execute(insert(c.loan_scores), [
                {"loan_id": lid, "business_date": business_date, "score_bps": bps,
                 "model": model} for lid, bps in chunk])


def _no_loan(loan_id: int) -> NotFound:
    return NotFound(f"loan {loan_id} does not exist; check the loan id",
                    code="loan_must_exist", loan_id=loan_id)


def _loan_values(loan: LoanState, *, version: int) -> dict[str, Any]:
    """The loan's changeable columns as stored, with ``version``."""
    values = {k: getattr(loan, k) for k in LOAN_SCALARS}
    values.update(status=int(loan.status), bucket=int(loan.bucket),
                  restructured=int(loan.restructured), version=version)
    return values


def _loan_changed(loan_id: int) -> Conflict:
    """A save refused because the loan's version moved since it was read."""
    return Conflict(f"loan {loan_id} changed while this command ran; retry it",
                    code=LOAN_CHANGED)


def _loan_row(loan: LoanState, partitions: int) -> dict[str, Any]:
    row = {k: getattr(loan, k) for k in LOAN_SCALARS}
    row.update(loan_id=loan.loan_id, status=int(loan.status), bucket=int(loan.bucket),
               restructured=int(loan.restructured), partition=loan.loan_id % partitions,
               version=loan.version)
    return row


def _loan_from(row: Any, inst_rows: Iterable[Any]) -> LoanState:
    insts = tuple(InstallmentState(**{f: int(r[f]) for f in INST_FIELDS}) for r in inst_rows)
    return LoanState(
        loan_id=int(row["loan_id"]), borrower_id=int(row["borrower_id"]),
        product_code=row["product_code"], currency=row["currency"],
        principal_minor=int(row["principal_minor"]), disbursed_day=int(row["disbursed_day"]),
        status=LoanStatus(int(row["status"])), installments=insts,
        days_past_due=int(row["days_past_due"]), bucket=Bucket(int(row["bucket"])),
        charged_minor=int(row["charged_minor"]),
        exposure_minor_days=int(row["exposure_minor_days"]),
        suspense_minor=int(row["suspense_minor"]), last_cob_day=int(row["last_cob_day"]),
        version=int(row["version"]), restructured=bool(row["restructured"]))


class LedgerRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def post(self, entry: JournalEntry) -> None:
        self.post_many([entry])

    def post_many(self, entries: Sequence[JournalEntry]) -> None:
        if not entries:
            return
        self.conn.execute(insert(t.journal_entries), [
            {"entry_id": e.entry_id, "business_date": e.business_date, "kind": e.kind,
             "currency": e.currency, "reverses": e.reverses, "memo": e.memo} for e in entries])
        self.conn.execute(insert(t.journal_lines), [
            {"entry_id": e.entry_id, "account": int(ln.account), "loan_id": ln.loan_id,
             "amount_minor": ln.amount_minor} for e in entries for ln in e.lines])

    def get(self, entry_id: str) -> JournalEntry:
        row = self.conn.execute(select(t.journal_entries)
                                .where(t.journal_entries.c.entry_id == entry_id)).first()
        if row is None:
            raise NotFound(f"journal entry {entry_id} does not exist", code="entry_must_exist")
        lines = self.conn.execute(
            select(t.journal_lines.c.account, t.journal_lines.c.amount_minor,
                   t.journal_lines.c.loan_id)
            .where(t.journal_lines.c.entry_id == entry_id)
            .order_by(t.journal_lines.c.line_id)).all()
        m = row._mapping
        return JournalEntry(m["entry_id"], m["business_date"], m["kind"], m["currency"],
                            tuple(Line(Account(int(a)), int(v), None if lid is None else int(lid))
                                  for a, v, lid in lines), m["reverses"], m["memo"])

    def is_reversed(self, entry_id: str) -> bool:
        q = select(t.journal_entries.c.entry_id).where(t.journal_entries.c.reverses == entry_id)
        return self.conn.execute(q).first() is not None

    def balances(self, *, as_of: dt.date | None = None,
                 loan_id: int | None = None) -> dict[Account, int]:
        q = (select(t.journal_lines.c.account, func.sum(t.journal_lines.c.amount_minor))
             .join(t.journal_entries,
                   t.journal_entries.c.entry_id == t.journal_lines.c.entry_id)
             .group_by(t.journal_lines.c.account))
        if as_of is not None:
            q = q.where(t.journal_entries.c.business_date <= as_of)
        if loan_id is not None:
            q = q.where(t.journal_lines.c.loan_id == loan_id)
        return {Account(int(a)): int(v) for a, v in self.conn.execute(q).all() if int(v) != 0}

    def total(self) -> int:
        """Sum of every line ever posted: zero in a sound book."""
        return int(self.conn.execute(
            select(func.coalesce(func.sum(t.journal_lines.c.amount_minor), 0))).scalar_one())


@dataclass(frozen=True, slots=True)
class PaymentRecord:
    payment_id: int
    idempotency_key: str
    fingerprint: str
    loan_id: int
    kind: str
    amount_minor: int
    currency: str
    business_date: dt.date
    entry_id: str
    allocation: tuple[AllocationLine, ...]
    suspense_minor: int
    reversal_entry_id: str | None


class PaymentRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    @property
    def posting(self) -> PaymentPosting:
        """The payment command's own path: lock and read, then write (one pipeline each
        on PostgreSQL)."""
        return PaymentPosting(self.conn)

    def by_key(self, key: str) -> PaymentRecord | None:
        row = self.conn.execute(select(t.payments)
                                .where(t.payments.c.idempotency_key == key)).first()
        return None if row is None else _payment_from(row._mapping)

    def get(self, payment_id: int) -> PaymentRecord:
        row = self.conn.execute(select(t.payments)
                                .where(t.payments.c.payment_id == payment_id)).first()
        if row is None:
            raise NotFound(f"payment {payment_id} does not exist", code="payment_must_exist")
        return _payment_from(row._mapping)

    def for_loan(self, loan_id: int) -> list[PaymentRecord]:
        rows = self.conn.execute(select(t.payments).where(t.payments.c.loan_id == loan_id)
                                 .order_by(t.payments.c.payment_id)).all()
        return [_payment_from(r._mapping) for r in rows]

    def add(self, *, key: str, fingerprint: str, loan_id: int, kind: str, amount_minor: int,
            currency: str, business_date: dt.date, entry_id: str,
            allocation: Sequence[AllocationLine], suspense_minor: int) -> int:
        alloc = _allocation_json(allocation)
        res = self.conn.execute(insert(t.payments).values(
            idempotency_key=key, fingerprint=fingerprint, loan_id=loan_id, kind=kind,
            amount_minor=amount_minor, currency=currency, business_date=business_date,
            entry_id=entry_id, allocation_json=alloc, suspense_minor=suspense_minor))
        pk = res.inserted_primary_key
        assert pk is not None
        return int(pk[0])

    def mark_reversed(self, payment_id: int, entry_id: str) -> None:
        self.conn.execute(update(t.payments).where(t.payments.c.payment_id == payment_id)
                          .values(reversal_entry_id=entry_id))


@dataclass(frozen=True, slots=True)
class PaymentStart:
    """What a payment reads before it posts, with its loan locked: the loan (None when
    it does not exist), the payment already posted with the key (None when new), the
    book (None before it opens) and the loan's product."""

    loan: LoanState | None
    partition: int
    seen: PaymentRecord | None
    book: BookInfo | None
    product: Product | None


class PaymentPosting:
    """The payment's own path through the store: lock and read everything it needs,
    then write its entries, the loan and the payment row, in as few round trips as the
    database allows.

    On PostgreSQL each half is one pipeline (psycopg sends the statements together and
    reads their results after one sync), with statements written once as SQL text so
    psycopg prepares them on each connection: the reads are the loan's partition lock
    (shared, as every single-loan writer takes), the loan ``FOR UPDATE``, its
    instalments, the payment with the key, the book and the product (parsed once per
    process); the writes are
    the entries and lines, the loan (version-checked), the instalments the payment
    changed and the payment row. Elsewhere (SQLite: one writer) the repositories' own
    statements do the same in order. Both take the locks of :mod:`dunwell.store.locks`
    in the same order as every other writer."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.pg = conn.dialect.name == "postgresql"

    def start(self, key: str, loan_id: int) -> PaymentStart:
        if self.pg:
            return self._start_pg(key, loan_id)
        part = self.conn.execute(select(t.loans.c.partition)
                                 .where(t.loans.c.loan_id == loan_id)).scalar_one_or_none()
        loans = LoanRepository(self.conn)
        loan = None if part is None else loans.get_for_update(loan_id)
        spec = None if loan is None else self.conn.execute(
            select(t.products.c.spec_toml).where(t.products.c.code == loan.product_code)
        ).scalar_one_or_none()
        return PaymentStart(loan, -1 if part is None else int(part),
                            PaymentRepository(self.conn).by_key(key),
                            BookRepository(self.conn).get(),
                            None if spec is None else _product(spec))

    def _start_pg(self, key: str, loan_id: int) -> PaymentStart:
        raw = self.conn.connection.driver_connection
        assert raw is not None
        try:
            with raw.pipeline():
                lock, loan, insts, seen, book, spec = (raw.cursor() for _ in range(6))
                lock.execute(_PG_LOCK, (_PARTITION_NS, loan_id))
                loan.execute(_PG_LOAN, (loan_id,))
                insts.execute(_PG_INSTALLMENTS, (loan_id,))
                seen.execute(_PG_BY_KEY, (key,))
                book.execute(_PG_BOOK)
                spec.execute(_PG_SPEC, (loan_id,))
            row = loan.fetchone()
            seen_row, book_row, spec_row = seen.fetchone(), book.fetchone(), spec.fetchone()
            inst_rows = insts.fetchall()
        except _driver_error() as exc:
            raise _wrapped(exc) from exc
        state = None if row is None else _loan_from_tuple(row, inst_rows)
        return PaymentStart(
            state, -1 if row is None else int(row[-1]),
            None if seen_row is None
            else _payment_from(dict(zip(_PAYMENT_COLS, seen_row, strict=True))),
            None if book_row is None else BookInfo(book_row[0], int(book_row[1]),
                                                   str(book_row[2])),
            None if spec_row is None else _product(str(spec_row[0])))

    def record(self, *, entries: Sequence[JournalEntry], before: LoanState, after: LoanState,
               partition: int, key: str, fingerprint: str, kind: str, amount_minor: int,
               currency: str, business_date: dt.date, entry_id: str,
               allocation: Sequence[AllocationLine],
               suspense_minor: int) -> tuple[PaymentRecord, LoanState]:
        """Write the payment: its entries, the loan as ``after`` (refused with
        :data:`LOAN_CHANGED` if another writer moved its version since ``before`` was
        read) and the payment row; the payment as stored and the loan as saved."""
        alloc = tuple(allocation)
        if not self.pg:
            LedgerRepository(self.conn).post_many(entries)
            saved = LoanRepository(self.conn).save(after)
            payments = PaymentRepository(self.conn)
            pid = payments.add(key=key, fingerprint=fingerprint, loan_id=after.loan_id,
                               kind=kind, amount_minor=amount_minor, currency=currency,
                               business_date=business_date, entry_id=entry_id,
                               allocation=alloc, suspense_minor=suspense_minor)
            return payments.get(pid), saved
        raw = self.conn.connection.driver_connection
        assert raw is not None
        loan_values = (*(getattr(after, k) for k in LOAN_SCALARS), int(after.status),
                       int(after.bucket), int(after.restructured), after.version + 1,
                       after.loan_id, after.version)
        old = {i.n: i for i in before.installments}
        same_schedule = set(old) == {i.n for i in after.installments}
        try:
            with raw.pipeline():
                cur = raw.cursor()
                cur.executemany(_PG_ENTRY, [(e.entry_id, e.business_date, e.kind, e.currency,
                                             e.reverses, e.memo) for e in entries])
                cur.executemany(_PG_LINE, [(e.entry_id, int(ln.account), ln.loan_id,
                                            ln.amount_minor)
                                           for e in entries for ln in e.lines])
                loan = raw.cursor()
                loan.execute(_PG_SAVE_LOAN, loan_values)
                if same_schedule:
                    changed = [(*(getattr(i, f) for f in INST_FIELDS[1:]), after.loan_id, i.n)
                               for i in after.installments if old[i.n] != i]
                    if changed:
                        cur.executemany(_PG_UPDATE_INSTALLMENT, changed)
                else:
                    cur.execute(_PG_DELETE_INSTALLMENTS, (after.loan_id,))
                    cur.executemany(_PG_INSERT_INSTALLMENT, [
                        (after.loan_id, partition, *(getattr(i, f) for f in INST_FIELDS))
                        for i in after.installments])
                pay = raw.cursor()
                pay.execute(_PG_ADD_PAYMENT, (
                    key, fingerprint, after.loan_id, kind, amount_minor, currency,
                    business_date, entry_id, _allocation_json(alloc), suspense_minor))
            updated = loan.rowcount
            got = pay.fetchone()
        except _driver_error() as exc:
            raise _wrapped(exc) from exc
        if updated != 1:
            raise _loan_changed(after.loan_id)
        assert got is not None
        record = PaymentRecord(int(got[0]), key, fingerprint, after.loan_id, kind, amount_minor,
                               currency, business_date, entry_id, alloc, suspense_minor, None)
        return record, replace(after, version=after.version + 1)


_LOAN_COLS = ("loan_id", "borrower_id", "product_code", "currency", "principal_minor",
              "disbursed_day", "status", "days_past_due", "bucket", "charged_minor",
              "exposure_minor_days", "suspense_minor", "last_cob_day", "version",
              "restructured", "partition")
_PAYMENT_COLS = ("payment_id", "idempotency_key", "fingerprint", "loan_id", "kind",
                 "amount_minor", "currency", "business_date", "entry_id", "allocation_json",
                 "suspense_minor", "reversal_entry_id")
_PG_LOCK = ("SELECT pg_advisory_xact_lock_shared(hashtext(current_schema() || %s), partition) "
            "FROM loans WHERE loan_id = %s")
_PG_LOAN = f"SELECT {', '.join(_LOAN_COLS)} FROM loans WHERE loan_id = %s FOR UPDATE"
_PG_INSTALLMENTS = (f"SELECT {', '.join(INST_FIELDS)} FROM installments WHERE loan_id = %s "
                    "ORDER BY n")
_PG_BY_KEY = f"SELECT {', '.join(_PAYMENT_COLS)} FROM payments WHERE idempotency_key = %s"
_PG_BOOK = "SELECT business_date, partitions, currency FROM book"
_PG_SPEC = ("SELECT p.spec_toml FROM products p JOIN loans l ON l.product_code = p.code "
            "WHERE l.loan_id = %s")
_PG_ENTRY = ("INSERT INTO journal_entries (entry_id, business_date, kind, currency, reverses, "
             "memo) VALUES (%s, %s, %s, %s, %s, %s)")
_PG_LINE = ("INSERT INTO journal_lines (entry_id, account, loan_id, amount_minor) "
            "VALUES (%s, %s, %s, %s)")
_PG_SAVE_LOAN = (f"UPDATE loans SET {', '.join(f'{k} = %s' for k in LOAN_SCALARS)}, "
                 "status = %s, bucket = %s, restructured = %s, version = %s "
                 "WHERE loan_id = %s AND version = %s")
_PG_UPDATE_INSTALLMENT = (f"UPDATE installments SET "
                          f"{', '.join(f'{f} = %s' for f in INST_FIELDS[1:])} "
                          "WHERE loan_id = %s AND n = %s")
_PG_DELETE_INSTALLMENTS = "DELETE FROM installments WHERE loan_id = %s"
_PG_INSERT_INSTALLMENT = (f"INSERT INTO installments (loan_id, partition, "
                          f"{', '.join(INST_FIELDS)}) VALUES "
                          f"({', '.join(['%s'] * (len(INST_FIELDS) + 2))})")
_PG_ADD_PAYMENT = ("INSERT INTO payments (idempotency_key, fingerprint, loan_id, kind, "
                   "amount_minor, currency, business_date, entry_id, allocation_json, "
                   "suspense_minor) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s) "
                   "RETURNING payment_id")


def _loan_from_tuple(row: Sequence[Any], inst_rows: Iterable[Sequence[Any]]) -> LoanState:
    """The loan of a PostgreSQL row of ``_LOAN_COLS`` and its instalments' rows of
    ``INST_FIELDS`` (the driver gives the integers as int), what :func:`_loan_from`
    gives, built without a mapping per row."""
    (
        loan_id,
        borrower_id,
        product_code,
        currency,
        principal_minor,
        disbursed_day,
        status,
        days_past_due,
        bucket,
        charged_minor,
        exposure_minor_days,
        suspense_minor,
        last_cob_day,
        version,
        restructured,
        _partition,
    ) = row
    return LoanState(
        loan_id=loan_id,
        borrower_id=borrower_id,
        product_code=product_code,
        currency=currency,
        principal_minor=principal_minor,
        disbursed_day=disbursed_day,
        status=LoanStatus(status),
        installments=tuple(InstallmentState(*r) for r in inst_rows),
        days_past_due=days_past_due,
        bucket=Bucket(bucket),
        charged_minor=charged_minor,
        exposure_minor_days=exposure_minor_days,
        suspense_minor=suspense_minor,
        last_cob_day=last_cob_day,
        version=version,
        restructured=bool(restructured),
    )


def _allocation_json(allocation: Sequence[AllocationLine]) -> str:
    return json.dumps([[a.n, a.component.value, a.amount_minor] for a in allocation])


def _driver_error() -> type[Exception]:
    """What the PostgreSQL driver raises (the payment path uses its connection directly);
    imported when that path runs, so a command on SQLite starts without the driver."""
    try:
        from psycopg import Error
    except ImportError:  # pragma: no cover - PostgreSQL support not installed
        return _NoDriverError
    return Error


class _NoDriverError(Exception):
    """Stands for the driver's error where PostgreSQL support is not installed."""


def _wrapped(exc: Exception) -> Exception:
    """A driver error raised on the raw connection, as SQLAlchemy raises it, so races
    (:func:`dunwell.store.uow.lost_race`) and failures are judged alike."""
    return DBAPIError.instance(None, None, exc, _driver_error())


def _payment_from(m: Any) -> PaymentRecord:
    from dunwell.lending.payments import AllocationLine

    alloc = tuple(AllocationLine(int(n), Component(c), int(v))
                  for n, c, v in json.loads(m["allocation_json"]))
    return PaymentRecord(int(m["payment_id"]), m["idempotency_key"], m["fingerprint"],
                         int(m["loan_id"]), m["kind"], int(m["amount_minor"]), m["currency"],
                         m["business_date"], m["entry_id"], alloc, int(m["suspense_minor"]),
                         m["reversal_entry_id"])
