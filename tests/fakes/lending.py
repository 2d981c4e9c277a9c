"""In-memory repositories of the loan book: the book, products, loans, the ledger,
payments, operator command keys, the audit chain, the day loop's record, the partition
locks and the reconciliation's reads — each the store's repository of the same
attribute, on dictionaries.

They keep their data in ``state["lending"]`` (a :class:`LendingData`), looked up on
every call: a rollback replaces the state's contents, so nothing may hold on to them.
They return the store's records and raise the store's rejections (same codes, same
words); what the store leaves to a database constraint (a duplicate entry id, a book
opened twice) fails here as a programming error.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from dunwell.core.errors import Conflict, NotFound
from dunwell.core.hashchain import GENESIS, ChainRecord, canonical, link_hash
from dunwell.ledger.model import Account, JournalEntry
from dunwell.lending.loans import LoanState
from dunwell.lending.model import Bucket, LoanStatus, Product
from dunwell.lending.payments import AllocationLine
from dunwell.lending.reconcile import SubLedgerRow
from dunwell.store.command_keys_repo import KIND, key_subject
from dunwell.store.day_repo import StepRecord
from dunwell.store.repositories import LOAN_CHANGED, BookInfo, PaymentRecord, PaymentStart
from dunwell.store.verify_repo import OFFENDING_MAX
from fakes import registry


@dataclass
class EventRow:
    """A row of the loans' event log (COB writes them): a status or bucket change."""

    loan_id: int
    business_date: dt.date
    kind: str
    before: int
    after: int


@dataclass
class LendingData:
    book: BookInfo | None = None
    products: dict[str, tuple[Product, str]] = field(default_factory=dict)
    loans: dict[int, LoanState] = field(default_factory=dict)
    partition_of: dict[int, int] = field(default_factory=dict)
    events: list[EventRow] = field(default_factory=list)
    #: loan id -> (business date, score in basis points, model)
    scores: dict[int, tuple[dt.date, int, str]] = field(default_factory=dict)
    entries: dict[str, JournalEntry] = field(default_factory=dict)
    payments: dict[int, PaymentRecord] = field(default_factory=dict)
    audit: list[ChainRecord] = field(default_factory=list)
    day_steps: dict[tuple[dt.date, str], StepRecord] = field(default_factory=dict)
    #: (business date, partition) of every partition COB closed
    cob_runs: set[tuple[dt.date, int]] = field(default_factory=set)
    #: partitions locked (exclusive or not) by the current transaction, for tests to see
    locked: list[tuple[int, bool]] = field(default_factory=list)


def lending_data(state: dict[str, Any]) -> LendingData:
    """The loan book kept in ``state`` (made on first use)."""
    data = state.setdefault("lending", LendingData())
    assert isinstance(data, LendingData)
    return data


class _Repo:
    def __init__(self, state: dict[str, Any]) -> None:
        self._state = state

    @property
    def data(self) -> LendingData:
        return lending_data(self._state)


class FakeBookRepository(_Repo):
    def get(self) -> BookInfo | None:
        return self.data.book

    def require(self) -> BookInfo:
        info = self.get()
        if info is None:
            raise NotFound("the book is not open yet; run `dunwell init` (or `dunwell demo`)",
                           code="book_must_be_open")
        return info

    def open(self, business_date: dt.date, partitions: int, currency: str) -> None:
        assert self.data.book is None, "the book table holds one row"
        self.data.book = BookInfo(business_date, partitions, currency)

    def lock(self) -> None:
        """One writer at a time already: nothing to hold."""

    def advance(self, business_date: dt.date) -> None:
        self.data.book = replace(self.require(), business_date=business_date)


class FakeProductRepository(_Repo):
    def put(self, product: Product, spec_toml: str) -> None:
        self.data.products[product.code] = (product, spec_toml)

    def all(self) -> dict[str, Product]:
        return {code: product for code, (product, _) in self.data.products.items()}

    def get(self, code: str) -> Product:
        found = self.data.products.get(code)
        if found is None:
            raise NotFound(f"unknown product {code!r}; list products with `dunwell products`",
                           code="product_must_exist")
        return found[0]


def _no_loan(loan_id: int) -> NotFound:
    return NotFound(f"loan {loan_id} does not exist; check the loan id",
                    code="loan_must_exist", loan_id=loan_id)


class FakeLoanRepository(_Repo):
    def add_many(self, loans: Sequence[LoanState], partitions: int) -> None:
        for loan in loans:
            assert loan.loan_id not in self.data.loans, "loan ids are unique"
            self.data.loans[loan.loan_id] = loan
            self.data.partition_of[loan.loan_id] = loan.loan_id % partitions

    def next_id(self) -> int:
        return max(self.data.loans, default=0) + 1

    def get(self, loan_id: int) -> LoanState:
        loan = self.data.loans.get(loan_id)
        if loan is None:
            raise _no_loan(loan_id)
        return loan

    def get_for_update(self, loan_id: int) -> LoanState:
        loan = self.get(loan_id)
        self.data.locked.append((self.data.partition_of[loan_id], False))
        return loan

    def save(self, loan: LoanState) -> LoanState:
        stored = self.get(loan.loan_id)
        if stored.version != loan.version:
            raise Conflict(f"loan {loan.loan_id} changed while this command ran; retry it",
                           code=LOAN_CHANGED)
        saved = replace(loan, version=loan.version + 1)
        self.data.loans[loan.loan_id] = saved
        return saved

    def _open(self) -> list[LoanState]:
        return [ln for _, ln in sorted(self.data.loans.items()) if ln.status.is_open]

    def due_for_payment(self, day: int) -> list[tuple[int, int, int, int]]:
        due = []
        for loan in self._open():
            owing = [i for i in loan.installments if i.due_day <= day and i.unpaid_total_minor > 0]
            if owing:
                due.append((loan.loan_id, min(i.n for i in owing),
                            min(i.due_day for i in owing),
                            sum(i.unpaid_total_minor for i in owing)))
        return due

    def summary_by_bucket(self) -> list[tuple[int, int, int]]:
        by_bucket: dict[Bucket, tuple[int, int]] = {}
        for loan in self._open():
            if not loan.installments:
                continue
            n, out = by_bucket.get(loan.bucket, (0, 0))
            by_bucket[loan.bucket] = (n + 1, out + loan.outstanding_principal_minor)
        return [(int(b), n, out) for b, (n, out) in sorted(by_bucket.items())]

    def count_by_status(self) -> dict[LoanStatus, int]:
        counts: dict[LoanStatus, int] = {}
        for loan in self.data.loans.values():
            counts[loan.status] = counts.get(loan.status, 0) + 1
        return counts

    def entered_status(self, status: LoanStatus, *, after: dt.date,
                       through: dt.date) -> set[int]:
        return {e.loan_id for e in self.data.events
                if e.kind == "status_changed" and e.after == int(status)
                and after < e.business_date <= through}

    def put_scores(self, *, business_date: dt.date, model: str,
                   scores: Sequence[tuple[int, int]]) -> None:
        for loan_id, bps in scores:
            self.data.scores[loan_id] = (business_date, bps, model)


class FakeLedgerRepository(_Repo):
    def post(self, entry: JournalEntry) -> None:
        self.post_many([entry])

    def post_many(self, entries: Sequence[JournalEntry]) -> None:
        for e in entries:
            assert e.entry_id not in self.data.entries, f"entry {e.entry_id} posted twice"
            self.data.entries[e.entry_id] = e

    def get(self, entry_id: str) -> JournalEntry:
        found = self.data.entries.get(entry_id)
        if found is None:
            raise NotFound(f"journal entry {entry_id} does not exist", code="entry_must_exist")
        return found

    def is_reversed(self, entry_id: str) -> bool:
        return any(e.reverses == entry_id for e in self.data.entries.values())

    def balances(self, *, as_of: dt.date | None = None,
                 loan_id: int | None = None) -> dict[Account, int]:
        sums: dict[Account, int] = {}
        for e in self.data.entries.values():
            if as_of is not None and e.business_date > as_of:
                continue
            for ln in e.lines:
                if loan_id is None or ln.loan_id == loan_id:
                    sums[ln.account] = sums.get(ln.account, 0) + ln.amount_minor
        return {a: v for a, v in sums.items() if v != 0}

    def total(self) -> int:
        return sum(ln.amount_minor for e in self.data.entries.values() for ln in e.lines)


class FakePaymentPosting(_Repo):
    """The store's payment path (lock and read, then write) on the fakes above."""

    def start(self, key: str, loan_id: int) -> PaymentStart:
        loan = self.data.loans.get(loan_id)
        if loan is not None:
            FakeLoanRepository(self._state).get_for_update(loan_id)
        product = None if loan is None else self.data.products.get(loan.product_code)
        return PaymentStart(loan, self.data.partition_of.get(loan_id, -1),
                            FakePaymentRepository(self._state).by_key(key), self.data.book,
                            None if product is None else product[0])

    def record(self, *, entries: Sequence[JournalEntry], before: LoanState, after: LoanState,
               partition: int, key: str, fingerprint: str, kind: str, amount_minor: int,
               currency: str, business_date: dt.date, entry_id: str,
               allocation: Sequence[AllocationLine],
               suspense_minor: int) -> tuple[PaymentRecord, LoanState]:
        FakeLedgerRepository(self._state).post_many(entries)
        saved = FakeLoanRepository(self._state).save(after)
        payments = FakePaymentRepository(self._state)
        pid = payments.add(key=key, fingerprint=fingerprint, loan_id=after.loan_id, kind=kind,
                           amount_minor=amount_minor, currency=currency,
                           business_date=business_date, entry_id=entry_id,
                           allocation=allocation, suspense_minor=suspense_minor)
        return payments.get(pid), saved


class FakePaymentRepository(_Repo):
    @property
    def posting(self) -> FakePaymentPosting:
        return FakePaymentPosting(self._state)

    def by_key(self, key: str) -> PaymentRecord | None:
        return next((p for p in self.data.payments.values() if p.idempotency_key == key), None)

    def get(self, payment_id: int) -> PaymentRecord:
        found = self.data.payments.get(payment_id)
        if found is None:
            raise NotFound(f"payment {payment_id} does not exist", code="payment_must_exist")
        return found

    def for_loan(self, loan_id: int) -> list[PaymentRecord]:
        return [p for _, p in sorted(self.data.payments.items()) if p.loan_id == loan_id]

    def add(self, *, key: str, fingerprint: str, loan_id: int, kind: str, amount_minor: int,
            currency: str, business_date: dt.date, entry_id: str,
            allocation: Sequence[AllocationLine], suspense_minor: int) -> int:
        assert self.by_key(key) is None, "payment keys are unique"
        payment_id = max(self.data.payments, default=0) + 1
        self.data.payments[payment_id] = PaymentRecord(
            payment_id, key, fingerprint, loan_id, kind, amount_minor, currency, business_date,
            entry_id, tuple(allocation), suspense_minor, None)
        return payment_id

    def mark_reversed(self, payment_id: int, entry_id: str) -> None:
        self.data.payments[payment_id] = replace(self.get(payment_id),
                                                 reversal_entry_id=entry_id)


class FakeAuditRepository(_Repo):
    def head(self, *, lock: bool = False) -> tuple[int, str]:
        chain = self.data.audit
        return (chain[-1].seq, chain[-1].hash) if chain else (0, GENESIS)

    def append_many(self, *, recorded_at: str,
                    entries: Sequence[tuple[str, str, Mapping[str, Any]]]) -> list[ChainRecord]:
        seq, prev = self.head()
        records = []
        for kind, subject, payload in entries:
            seq += 1
            body = canonical(payload)
            digest = link_hash(prev, seq, recorded_at, kind, subject, body)
            records.append(ChainRecord(seq, recorded_at, kind, subject, body, prev, digest))
            prev = digest
        self.data.audit.extend(records)
        return records

    def records(self) -> Iterator[ChainRecord]:
        yield from list(self.data.audit)


class FakeCommandKeyRepository(_Repo):
    """Keys live in the audit chain, as in the store."""

    def find(self, command: str, key: str) -> dict[str, Any] | None:
        subject = key_subject(command, key)
        for r in self.data.audit:
            if r.subject == subject and r.kind == KIND:
                payload: dict[str, Any] = json.loads(r.payload_json)
                return payload
        return None


class FakeDayRepository(_Repo):
    def steps_on(self, business_date: dt.date) -> dict[str, StepRecord]:
        return {step: r for (day, step), r in self.data.day_steps.items()
                if day == business_date}

    def record(self, *, business_date: dt.date, step: str, status: str,
               detail: dict[str, Any], finished_at: dt.datetime) -> None:
        steps = self.data.day_steps
        steps.pop((business_date, step), None)  # a failed step recorded earlier is replaced
        stored = json.loads(json.dumps(detail, sort_keys=True, default=str))
        steps[(business_date, step)] = StepRecord(business_date, step, status, stored,
                                                  finished_at.isoformat())

    def recent(self, days: int) -> list[StepRecord]:
        records = list(self.data.day_steps.values())
        if not records:
            return []
        since = max(r.business_date for r in records) - dt.timedelta(days=days - 1)
        return sorted((r for r in records if r.business_date >= since),
                      key=lambda r: r.business_date)


class FakeLockRepository(_Repo):
    """One unit of work at a time: the locks are recorded, never waited for."""

    def partitions(self, partitions: Iterable[int], *, exclusive: bool) -> None:
        self.data.locked.extend((p, exclusive) for p in partitions)

    def write(self) -> None:
        """Nothing to hold."""


_RECEIVABLES = (Account.PRINCIPAL_RECEIVABLE, Account.INTEREST_RECEIVABLE,
                Account.PENALTY_RECEIVABLE, Account.FEE_RECEIVABLE, Account.SUSPENSE)


class FakeVerifyRepository(_Repo):
    """The reconciliation's reads over the dictionaries, each capped as the store's."""

    def unbalanced_entries(self) -> list[tuple[str, int, int]]:
        bad = [(e.entry_id, sum(ln.amount_minor for ln in e.lines), len(e.lines))
               for e in self.data.entries.values()]
        return sorted(b for b in bad if b[1] != 0 or b[2] < 2)[:OFFENDING_MAX]

    def orphan_lines(self) -> int:
        return 0  # lines live inside their entries here

    def ledger_total(self) -> int:
        return sum(ln.amount_minor for e in self.data.entries.values() for ln in e.lines)

    def journal_by_loan(self) -> dict[tuple[int, int], int]:
        sums: dict[tuple[int, int], int] = {}
        for e in self.data.entries.values():
            for ln in e.lines:
                if ln.loan_id is not None and ln.account in _RECEIVABLES:
                    key = (ln.loan_id, int(ln.account))
                    sums[key] = sums.get(key, 0) + ln.amount_minor
        return sums

    def subledger(self) -> list[SubLedgerRow]:
        return [SubLedgerRow(
            loan.loan_id, loan.status, loan.suspense_minor,
            sum(i.principal_minor - i.paid_principal_minor for i in loan.installments),
            sum(i.interest_accrued_minor - i.paid_interest_minor for i in loan.installments),
            sum(i.penalty_minor - i.paid_penalty_minor for i in loan.installments),
            sum(i.fee_minor - i.paid_fee_minor for i in loan.installments))
            for _, loan in sorted(self.data.loans.items())]

    def payments_without_matching_entry(self) -> list[tuple[int, str]]:
        out = []
        for pid, p in sorted(self.data.payments.items()):
            found = self.data.entries.get(p.entry_id)
            if found is None:
                out.append((pid, "no journal entry"))
                continue
            cash = sum(ln.amount_minor for ln in found.lines if ln.account is Account.CASH)
            if cash != p.amount_minor:
                out.append((pid, f"cash {cash} != amount {p.amount_minor}"))
        return out[:OFFENDING_MAX]

    def _repeated(self, values: Iterable[str]) -> list[str]:
        seen: dict[str, int] = {}
        for v in values:
            seen[v] = seen.get(v, 0) + 1
        return sorted(v for v, n in seen.items() if n > 1)[:OFFENDING_MAX]

    def entries_shared_by_payments(self) -> list[str]:
        return self._repeated(p.entry_id for p in self.data.payments.values())

    def repeated_keys(self) -> list[str]:
        return self._repeated(p.idempotency_key for p in self.data.payments.values())

    def loans_closed_beyond(self, last_day: int) -> list[tuple[int, int]]:
        return [(lid, ln.last_cob_day) for lid, ln in sorted(self.data.loans.items())
                if ln.last_cob_day > last_day][:OFFENDING_MAX]

    def open_loans_behind(self, first_day: int) -> list[tuple[int, int]]:
        return [(lid, ln.last_cob_day) for lid, ln in sorted(self.data.loans.items())
                if ln.status.is_open and ln.last_cob_day < first_day
                and ln.disbursed_day <= first_day][:OFFENDING_MAX]

    def partitions_closed_on(self, business_date: dt.date) -> int:
        return sum(1 for day, _ in self.data.cob_runs if day == business_date)


registry.register("book", FakeBookRepository)
registry.register("products", FakeProductRepository)
registry.register("loans", FakeLoanRepository)
registry.register("ledger", FakeLedgerRepository)
registry.register("payments", FakePaymentRepository)
registry.register("audit", FakeAuditRepository)
registry.register("command_keys", FakeCommandKeyRepository)
registry.register("day", FakeDayRepository)
registry.register("locks", FakeLockRepository)
registry.register("verify", FakeVerifyRepository)
