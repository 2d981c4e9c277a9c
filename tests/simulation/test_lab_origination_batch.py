"""The lab's population comes into the book the same whether the borrowers apply and
draw down in batches (``submit_applications``, ``draw_down_many``) or one by one: the
same counts, the same borrowers and loans, and every row of the applicants, their
months, the applications, the credit lines, the drawdowns, the products, the loans,
the instalments, the ledger, the borrowers and their addresses equal, ids included.

The same small population applies in daily cohorts over a short warm-up (the days
closed between cohorts, as the lab's day loop does) on two fresh books: one by one on
a SQLite book, in batches on the test's own database (SQLite, and PostgreSQL when
configured).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import sqlalchemy as sa

from dunwell.app.cob import close_until
from dunwell.simulation.lab import book as lab_book
from dunwell.simulation.lab import params as lab_params
from dunwell.simulation.lab.population import Population, build
from dunwell.store import collection_tables as c
from dunwell.store import field_tables as f
from dunwell.store import origination_tables as o
from dunwell.store import tables as t

OPENED = dt.date(2025, 1, 2)
BORROWERS = 40
WARMUP = 10
SEED = 11
TABLES = (
    o.applicants,
    o.merchant_months,
    o.applications,
    o.credit_lines,
    o.drawdowns,
    t.products,
    t.loans,
    t.installments,
    t.journal_entries,
    t.journal_lines,
    c.borrowers,
    f.borrower_addresses,
)


def population() -> Population:
    """The lab's population with some borrowers' means cut, so that some are declined and
    some are approved for lines too small to draw on (the lab's own borrowers all
    qualify at these sizes)."""
    pop = build(lab_params.load(), size=BORROWERS, seed=SEED)
    scale = np.choose(np.arange(BORROWERS) % 6, [1.0, 0.02, 0.1, 0.3, 3.0, 0.05])
    return dataclasses.replace(
        pop,
        income_minor=(pop.income_minor * scale).astype(np.int64),
        sales_minor=(pop.sales_minor * scale).astype(np.int64),
    )


def warm_up(pop: Population, url: str, *, batch: bool) -> lab_book.Book:
    """The lab's warm-up: the cohorts apply day by day, each day closed after."""
    book = lab_book.open_lab_book(pop, url=url, opened=OPENED)
    for day, cohort in enumerate(lab_book.cohorts(pop, WARMUP)):
        today = OPENED + dt.timedelta(days=day)
        if cohort:
            lab_book.originate(book, pop, cohort, today=today, batch=batch)
        close_until(book.app, today)
    return book


def rows(book: lab_book.Book) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of :data:`TABLES` in key order, read through the store's table types
    (encrypted columns read back as their plain values: the ciphertexts differ)."""
    out = {}
    with book.app.engine.connect() as conn:
        for table in TABLES:
            order = list(table.primary_key.columns) or list(table.columns)
            out[table.name] = [tuple(r) for r in conn.execute(sa.select(table).order_by(*order))]
    return out


def test_the_lab_book_is_the_same_in_batches_as_one_by_one(
    db_url: str, tmp_path: Path, _sqlite_template: Path
) -> None:
    pop = population()
    path = tmp_path / "one-by-one.sqlite"
    shutil.copyfile(_sqlite_template, path)
    one = warm_up(pop, f"sqlite:///{path}", batch=False)
    many = warm_up(pop, db_url, batch=True)
    try:
        assert one.applied == many.applied == BORROWERS
        assert 0 < one.approved < BORROWERS
        assert many.approved == one.approved
        assert many.declined_by_reason == one.declined_by_reason
        assert one.declined_by_reason.get("not_affordable", 0) > 0
        assert sum(one.declined_by_reason.values()) > one.declined_by_reason["not_affordable"]
        assert many.borrower_index == one.borrower_index
        assert many.loan_index == one.loan_index
        expected = rows(one)
        assert all(expected.values())
        got = rows(many)
        for name, written in expected.items():
            assert got[name] == written, name
    finally:
        one.app.engine.dispose()
        many.app.engine.dispose()
