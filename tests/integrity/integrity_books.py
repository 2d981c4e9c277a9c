"""What the integrity tests share: fresh books on every backend, the invariants a
sound book keeps, and a dump of every table to compare two books row by row."""

from __future__ import annotations

import datetime as dt
import os
import tempfile
import uuid
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from dunwell.app.lending.verify import verify_book
from dunwell.bootstrap import Dunwell, bootstrap
from dunwell.ledger.model import Account
from dunwell.lending.model import LoanStatus
from dunwell.settings import Settings
from dunwell.store import tables as t

PG_ENV = "DUNWELL_TEST_POSTGRES_URL"
STRESS = os.environ.get("DUNWELL_STRESS") == "1"
INCOME = (Account.INTEREST_INCOME, Account.PENALTY_INCOME, Account.FEE_INCOME)


def backends() -> list[str]:
    return ["sqlite", "postgres"] if os.environ.get(PG_ENV) else ["sqlite"]


@contextmanager
def fresh_url(backend: str, directory: Path | None = None) -> Iterator[str]:
    """A URL to an empty database: a SQLite file, or a new PostgreSQL schema that is
    dropped afterwards."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory(dir=directory) as tmp:
            yield f"sqlite:///{Path(tmp) / 'book.sqlite'}"
        return
    base = make_url(os.environ[PG_ENV])
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(base)
    try:
        with admin.begin() as conn:
            conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
        url = base.update_query_dict({"options": f"-csearch_path={schema}"})
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        admin.dispose()


def app_at(url: str, partitions: int = 3) -> Dunwell:
    return bootstrap(Settings(db_url=url, partitions=partitions, log_level="WARNING"))


_TABLES: dict[str, list[sa.Table]] = {}


def empty_book(app: Dunwell) -> None:
    """Delete every row of every table (the schema stays): a fresh book without the
    cost of migrating a new database."""
    key = app.engine.url.render_as_string(hide_password=False)
    if key not in _TABLES:
        reflected = sa.MetaData()
        reflected.reflect(app.engine)
        _TABLES[key] = [tb for tb in reversed(reflected.sorted_tables)
                        if tb.name != "alembic_version"]
    tables = _TABLES[key]
    with app.engine.begin() as conn:  # DELETE: on a small book far cheaper than TRUNCATE
        for table in tables:
            conn.execute(table.delete())


def book_problems(app: Dunwell) -> list[str]:
    """Every invariant of a sound book that does not hold, described; empty when sound.

    - ``dunwell book verify`` passes;
    - the ledger sums to zero, and so does each loan's share of it;
    - cash: the cash account equals payments not reversed less principal disbursed;
    - each loan's cash in (payments not reversed) equals what its instalments say was
      paid plus what it holds in suspense;
    - no money made: principal lent plus everything charged (income in the journal,
      and the loan's own ``charged_minor``) equals what is still owed plus what was
      paid, waived and written off.
    """
    problems: list[str] = []
    report = verify_book(app)
    problems += [f"verify {c.name}: {c.offending[:3]}" for c in report.checks if not c.ok]
    with app.engine.connect() as conn, app.uow() as uow:
        jl = t.journal_lines.c
        total = conn.execute(sa.select(sa.func.coalesce(sa.func.sum(jl.amount_minor), 0)))
        if (grand := int(total.scalar_one())) != 0:
            problems.append(f"the ledger sums to {grand}")
        journal: dict[int, dict[Account, int]] = defaultdict(lambda: defaultdict(int))
        rows = conn.execute(sa.select(jl.loan_id, jl.account, sa.func.sum(jl.amount_minor))
                            .group_by(jl.loan_id, jl.account))
        for loan_id, account, amount in rows:
            journal[-1 if loan_id is None else int(loan_id)][Account(int(account))] += int(amount)
        paid_in: dict[int, int] = defaultdict(int)
        p = t.payments.c
        for loan_id, amount in conn.execute(
                sa.select(p.loan_id, sa.func.sum(p.amount_minor))
                .where(p.reversal_entry_id.is_(None)).group_by(p.loan_id)):
            paid_in[int(loan_id)] = int(amount)
        cash = sum(j.get(Account.CASH, 0) for j in journal.values())
        loan_ids = [int(r[0]) for r in conn.execute(sa.select(t.loans.c.loan_id))]
        lent = 0
        for loan_id in loan_ids:
            loan = uow.loans.get(loan_id)
            lent += loan.principal_minor
            mine = journal.get(loan_id, {})
            if sum(mine.values()) != 0:
                problems.append(f"loan {loan_id}'s lines sum to {sum(mine.values())}")
            insts = loan.installments
            applied = sum(i.paid_principal_minor + i.paid_interest_minor + i.paid_fee_minor
                          + i.paid_penalty_minor for i in insts)
            if paid_in[loan_id] != applied + loan.suspense_minor:
                problems.append(f"loan {loan_id}: cash in {paid_in[loan_id]} but paid "
                                f"{applied} and held {loan.suspense_minor}")
            owed = 0
            if loan.status is not LoanStatus.CHARGED_OFF:
                owed = sum(i.unpaid_principal_minor + i.interest_accrued_minor
                           - i.paid_interest_minor + i.unpaid_penalty_minor
                           + i.unpaid_fee_minor for i in insts)
            charged = -sum(mine.get(a, 0) for a in INCOME)
            waived = mine.get(Account.WAIVER_EXPENSE, 0)
            written_off = mine.get(Account.WRITE_OFF, 0)
            if loan.principal_minor + charged != owed + applied + waived + written_off:
                problems.append(
                    f"loan {loan_id}: lent {loan.principal_minor} + charged {charged} but owes "
                    f"{owed}, paid {applied}, waived {waived}, wrote off {written_off}")
            if loan.charged_minor != charged:
                problems.append(f"loan {loan_id}: charged_minor {loan.charged_minor} but the "
                                f"journal's income is {charged}")
        if cash != sum(paid_in.values()) - lent:
            problems.append(f"cash {cash} but payments {sum(paid_in.values())} and lent {lent}")
    return problems


#: Tables a resumed run must leave exactly as an uninterrupted one; surrogate ids
#: (line, event and payment ids) are left out, their content is compared.
def dump(engine: sa.Engine) -> dict[str, list[tuple[Any, ...]]]:
    out: dict[str, list[tuple[Any, ...]]] = {}
    with engine.connect() as conn:
        for table in (t.book, t.loans, t.installments, t.journal_entries, t.cob_runs):
            out[table.name] = sorted(tuple(r) for r in conn.execute(sa.select(table)))
        for table, skip in ((t.journal_lines, "line_id"), (t.loan_events, "event_id"),
                            (t.payments, "payment_id")):
            cols = [c for c in table.c if c.name != skip]
            out[table.name] = sorted(tuple(r) for r in conn.execute(sa.select(*cols)))
    return out


def book_date(app: Dunwell) -> dt.date:
    with app.uow() as uow:
        return uow.book.require().business_date


def open_loans(app: Dunwell) -> list[int]:
    codes = [int(s) for s in LoanStatus if s.is_open]
    with app.engine.connect() as conn:
        q = sa.select(t.loans.c.loan_id).where(t.loans.c.status.in_(codes))
        return sorted(int(r[0]) for r in conn.execute(q))
