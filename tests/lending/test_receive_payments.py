"""``receive_payments`` posts a batch as ``receive_payment`` posts its payments one by
one in the same transaction: the same receipts, and every row of the loans, their
instalments, the journal, the payments and the outbox (the receipt notices) equal, ids
included. The batch holds partial payments, two payments on one loan (the second pays
what the first left, its key with quotes, a backslash, a tab and CJK), a payment that
clears what is due and one beyond it, and a key repeated with the same data (its
replay).

The book is the lab's: a small population seeded on one day and closed until its
first instalments are overdue. One by one on a SQLite copy, the batch on the test's own
database (SQLite, and PostgreSQL when configured).
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from dunwell.app.cob import close_until
from dunwell.app.lending.payments import (
    PaymentRequest,
    Receipt,
    ReceiptStatus,
    receive_payment,
    receive_payments,
)
from dunwell.core.dates import to_day
from dunwell.core.errors import Conflict, NotFound
from dunwell.core.money import format_minor
from dunwell.simulation.lab import book as lab_book
from dunwell.simulation.lab import params as lab_params
from dunwell.simulation.lab.population import build
from dunwell.store import channel_tables as ch
from dunwell.store import tables as t

OPENED = dt.date(2025, 1, 2)
BORROWERS = 24
SEED = 5
#: Closed this many days after opening: the first instalments (due after 30) are late.
DAYS = 36
TABLES = (t.loans, t.installments, t.journal_entries, t.journal_lines, t.payments, ch.outbox)


def seeded(url: str) -> lab_book.Book:
    pop = build(lab_params.load(), size=BORROWERS, seed=SEED)
    book = lab_book.seed(pop, url=url, start=OPENED)
    # windows one after the other: on PostgreSQL a pair of windows written at once
    # numbers its journal lines in another order than SQLite (the same lines; the pair's
    # own tests compare them), and this test compares every row, line ids included
    close_until(book.app, OPENED + dt.timedelta(days=DAYS), paired=False)
    return book


def requests(book: lab_book.Book) -> list[PaymentRequest]:
    """A day's payments on the loans owing something due: shares of what is owed, two
    on the first loan, everything owed and more on others, and a replayed key."""
    with book.app.uow() as uow:
        day = to_day(uow.book.require().business_date)
        due = uow.loans.due_for_payment(day)
    assert len(due) >= 6, "the seeded book should have loans owing"
    out = []
    for k, (loan_id, _n, _due, owed) in enumerate(due):
        share = (0.3, 1.0, 0.5, 1.7)[k % 4]
        amount = max(1, int(owed * share))
        out.append(PaymentRequest(loan_id, format_minor(amount, "CNY"), "CNY", f"test:{loan_id}:a"))
    first = due[0][0]
    out.insert(
        2,
        PaymentRequest(
            # a key with what JSON and SQL text escape, as a client may send it
            first, format_minor(max(1, due[0][3] // 2), "CNY"), "CNY",
            f"test:{first}:b \"'\\ 还\t款",
        ),
    )
    out.append(out[1])  # the same key and data again: its replay
    return out


def rows(book: lab_book.Book) -> dict[str, list[tuple[Any, ...]]]:
    out = {}
    with book.app.engine.connect() as conn:
        for table in TABLES:
            order = list(table.primary_key.columns) or list(table.columns)
            out[table.name] = [tuple(r) for r in conn.execute(sa.select(table).order_by(*order))]
    return out


def one_by_one(book: lab_book.Book, batch: list[PaymentRequest]) -> list[Receipt]:
    app = book.app
    with app.uow() as uow:
        receipts = [
            receive_payment(
                uow,
                loan_id=r.loan_id,
                amount=r.amount,
                currency=r.currency,
                idempotency_key=r.idempotency_key,
                settings=app.settings,
                providers=app.providers,
            )
            for r in batch
        ]
        uow.commit()
    return receipts


def in_batch(book: lab_book.Book, batch: list[PaymentRequest]) -> list[Receipt]:
    app = book.app
    with app.uow() as uow:
        receipts = receive_payments(uow, batch, settings=app.settings, providers=app.providers)
        uow.commit()
    return receipts


def test_a_batch_posts_what_one_by_one_posts(
    db_url: str, tmp_path: Path, _sqlite_template: Path
) -> None:
    path = tmp_path / "one-by-one.sqlite"
    shutil.copyfile(_sqlite_template, path)
    one, many = seeded(f"sqlite:///{path}"), seeded(db_url)
    try:
        batch = requests(one)
        assert requests(many) == batch
        before = rows(one)
        expected = one_by_one(one, batch)
        got = in_batch(many, batch)
        assert got == expected
        assert [r.status for r in got].count(ReceiptStatus.REPLAYED) == 1
        assert got[0].loan.loan_id == got[2].loan.loan_id  # two payments on one loan
        assert got[2].loan.version == got[0].loan.version + 1
        written, after = rows(one), rows(many)
        for name in ("payments", "outbox", "journal_entries"):
            assert len(written[name]) > len(before[name]), name
        for name, table_rows in written.items():
            assert after[name] == table_rows, name
    finally:
        one.app.engine.dispose()
        many.app.engine.dispose()


def test_a_refused_request_refuses_the_batch_and_writes_nothing(db_url: str) -> None:
    book = seeded(db_url)
    try:
        batch = requests(book)
        before = rows(book)
        unknown = PaymentRequest(10**9, "1.00", "CNY", "test:unknown")
        with pytest.raises(NotFound):
            in_batch(book, [*batch[:3], unknown])
        r = batch[0]
        reused = PaymentRequest(r.loan_id, "0.01", "CNY", r.idempotency_key)
        with pytest.raises(Conflict):
            in_batch(book, [*batch[:3], reused])
        assert rows(book) == before
    finally:
        book.app.engine.dispose()
