"""Repositories: the only place that builds SQL for row-by-row use cases. They take
a SQLAlchemy connection inside the caller's transaction and return domain objects."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, update

from dunwell.core.errors import Conflict, NotFound
from dunwell.ledger.model import Account, JournalEntry, Line
from dunwell.lending.errors import BOOK_NOT_OPEN
from dunwell.lending.loans import InstallmentState, LoanState
from dunwell.lending.model import Bucket, Component, LoanStatus, Product
from dunwell.lending.payments import AllocationLine
from dunwell.lending.products import load_product
from dunwell.store import collection_tables as c
from dunwell.store import tables as t
from dunwell.store.locks import lock_partitions

#: A product file parsed once (products are immutable values; every disbursement and
#: COB reads them all, and parsing TOML cost more than the rest of a disbursement).
_product = lru_cache(maxsize=1024)(load_product)

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
        values = {k: getattr(loan, k) for k in LOAN_SCALARS}
        values.update(status=int(loan.status), bucket=int(loan.bucket),
                      restructured=int(loan.restructured), version=loan.version + 1)
        part = self.conn.execute(select(t.loans.c.partition)
                                 .where(t.loans.c.loan_id == loan.loan_id)).scalar_one_or_none()
        if part is None:
            raise _no_loan(loan.loan_id)
        lock_partitions(self.conn, (int(part),), exclusive=False)
        done = self.conn.execute(update(t.loans).where(t.loans.c.loan_id == loan.loan_id)
                                 .where(t.loans.c.version == loan.version).values(**values))
        if done.rowcount != 1:
            raise Conflict(f"loan {loan.loan_id} changed while this command ran; retry it",
                           code=LOAN_CHANGED)
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
        alloc = json.dumps([[a.n, a.component.value, a.amount_minor] for a in allocation])
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


def _payment_from(m: Any) -> PaymentRecord:
    alloc = tuple(AllocationLine(int(n), Component(c), int(v))
                  for n, c, v in json.loads(m["allocation_json"]))
    return PaymentRecord(int(m["payment_id"]), m["idempotency_key"], m["fingerprint"],
                         int(m["loan_id"]), m["kind"], int(m["amount_minor"]), m["currency"],
                         m["business_date"], m["entry_id"], alloc, int(m["suspense_minor"]),
                         m["reversal_entry_id"])
