"""The COB runner: idempotent per (date, partition), resumable after a kill, and
the ledger always agrees with the loans' own numbers."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from dunwell.app.cob import close_day, close_partition, close_until
from dunwell.bootstrap import Dunwell, bootstrap
from dunwell.cob.model import CobParams
from dunwell.core.errors import DomainError
from dunwell.ledger.model import Account
from dunwell.lending.model import LoanStatus
from dunwell.settings import Settings
from dunwell.simulation.portfolio import run_days, seed_book
from dunwell.store import tables as t

START = dt.date(2025, 1, 31)


def dump(engine: sa.Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row that matters, in a stable order, without surrogate keys."""
    out: dict[str, list[tuple[Any, ...]]] = {}
    with engine.connect() as conn:
        for table in (t.book, t.loans, t.installments, t.journal_entries, t.cob_runs):
            out[table.name] = sorted(tuple(r) for r in conn.execute(sa.select(table)))
        lines = sa.select(t.journal_lines.c.entry_id, t.journal_lines.c.account,
                          t.journal_lines.c.loan_id, t.journal_lines.c.amount_minor)
        out["journal_lines"] = sorted(tuple(r) for r in conn.execute(lines))
        events = sa.select(t.loan_events.c.loan_id, t.loan_events.c.business_date,
                           t.loan_events.c.kind, t.loan_events.c.before, t.loan_events.c.after)
        out["loan_events"] = sorted(tuple(r) for r in conn.execute(events))
    return out


def assert_ledger_matches_loans(app: Dunwell) -> None:
    with app.uow() as uow:
        assert uow.ledger.total() == 0
    with app.engine.connect() as conn:
        ids = [r[0] for r in conn.execute(sa.select(t.loans.c.loan_id))]
    with app.uow() as uow:
        for loan_id in ids:
            loan = uow.loans.get(loan_id)
            bal = uow.ledger.balances(loan_id=loan_id)
            insts = loan.installments
            expected = {
                Account.PRINCIPAL_RECEIVABLE: sum(i.unpaid_principal_minor for i in insts),
                Account.INTEREST_RECEIVABLE: sum(i.interest_accrued_minor - i.paid_interest_minor
                                                 for i in insts),
                Account.PENALTY_RECEIVABLE: sum(i.unpaid_penalty_minor for i in insts),
                Account.FEE_RECEIVABLE: sum(i.unpaid_fee_minor for i in insts),
                Account.SUSPENSE: -loan.suspense_minor,
            }
            got = {a: bal.get(a, 0) for a in expected}
            assert got == expected, f"loan {loan_id}"


def test_seventy_days_of_the_day_loop_keep_the_ledger_equal_to_the_loans(
        simulated_book: Callable[..., Dunwell]) -> None:
    # the 40-loan sample book the field, dashboard and ladder tests share, simulated
    # once per worker: its COB passed two due dates, 7 loans overdue, 10 paid off
    app = simulated_book(loans=40, start=START, seed=7, days=70)
    ledger_equals_the_loans_after(app, days=70)


@pytest.mark.stress
def test_ninety_days_of_cob_on_a_bigger_book_keep_the_ledger_equal_to_the_loans(
        app: Dunwell) -> None:
    seed_book(app, loans=60, start=START, seed=3)
    run_days(app, days=90, seed=3)
    ledger_equals_the_loans_after(app, days=90)


def ledger_equals_the_loans_after(app: Dunwell, *, days: int) -> None:
    """``app`` holds the sample book seeded on ``START`` and run ``days`` days: the
    ledger agrees with every loan, overdue ones and paid-off ones among them."""
    assert_ledger_matches_loans(app)
    with app.uow() as uow:
        statuses = uow.loans.count_by_status()
        assert uow.book.require().business_date == START + dt.timedelta(days=days)
    assert statuses.get(LoanStatus.OVERDUE, 0) > 0
    assert statuses.get(LoanStatus.PAID_OFF, 0) > 0


def test_closing_a_day_twice_changes_nothing(app: Dunwell) -> None:
    seed_book(app, loans=30, start=START, seed=5)
    close_until(app, START + dt.timedelta(days=40))
    before = dump(app.engine)
    report = close_day(app, START + dt.timedelta(days=40))
    assert report.partitions_run == 0
    assert report.partitions_skipped == app.settings.partitions
    assert dump(app.engine) == before


def test_a_day_after_the_open_date_is_refused_with_what_to_do(app: Dunwell) -> None:
    seed_book(app, loans=5, start=START, seed=5)
    with pytest.raises(DomainError) as err:
        close_day(app, START + dt.timedelta(days=2))
    assert err.value.code == "cob_date_must_be_open_date"
    assert "--until" in err.value.message


#: The killed COB's book: 240 loans in 16 partitions, closed for 45 days.
KILLED_DAYS = 45


def killed_book(app: Dunwell) -> None:
    seed_book(app, loans=240, start=START, seed=11)


@pytest.fixture(scope="session")
def closed_reference(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The killed COB's book closed through its last day without interruption, on
    SQLite: built once per worker for both databases' runs, which copy it."""
    path = tmp_path_factory.mktemp("reference") / "ref.sqlite"
    reference = bootstrap(Settings(db_url=f"sqlite:///{path}", partitions=16,
                                   log_level="WARNING"))
    try:
        killed_book(reference)
        close_until(reference, START + dt.timedelta(days=KILLED_DAYS - 1))
    finally:
        reference.engine.dispose()
    return path


def test_a_cob_killed_half_way_resumes_to_the_same_books(
        db_url: str, tmp_path: Path, closed_reference: Path) -> None:
    days = KILLED_DAYS
    until = START + dt.timedelta(days=days - 1)
    shutil.copyfile(closed_reference, tmp_path / "ref.sqlite")
    reference = bootstrap(Settings(db_url=f"sqlite:///{tmp_path / 'ref.sqlite'}",
                                   partitions=16, log_level="WARNING"))
    victim = bootstrap(Settings(db_url=db_url, partitions=16, log_level="WARNING"))
    killed_book(victim)

    env = {**os.environ, "DUNWELL_DB_URL": db_url, "DUNWELL_PARTITIONS": "16",
           "DUNWELL_LOG_LEVEL": "WARNING"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "dunwell.cli.main", "cob", "--until", until.isoformat()],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    total = days * 16
    done = 0
    while proc.poll() is None:  # no deadline: a busy machine starts the COB later
        with victim.engine.connect() as conn:
            done = conn.execute(sa.select(sa.func.count()).select_from(t.cob_runs)).scalar_one()
        if done >= total // 3:
            break
        time.sleep(0.01)
    assert proc.poll() is None, "the COB finished before it could be killed; enlarge the run"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    with victim.engine.connect() as conn:
        done = conn.execute(sa.select(sa.func.count()).select_from(t.cob_runs)).scalar_one()
    assert 0 < done < total

    close_until(victim, until)
    assert dump(victim.engine) == dump(reference.engine)
    assert_ledger_matches_loans(victim)
    reference.engine.dispose()
    victim.engine.dispose()


def test_a_partition_closes_once_and_says_what_it_wrote(app: Dunwell) -> None:
    seed_book(app, loans=12, start=START, seed=3, partitions=3)
    with app.uow() as uow:
        params = {code: CobParams.of(p) for code, p in uow.products.all().items()}
    first = close_partition(app, START, 1, params=params, currency="CNY")
    again = close_partition(app, START, 1, params=params, currency="CNY")
    assert first is not None and again is None
    result, lines = first
    assert result.loans_closed == 4  # loans 1, 4, 7 and 10 of 12 are in partition 1
    with app.uow() as uow:
        assert uow.cob.completed_partitions(START) == {1}
        entry = uow.ledger.get(f"cob:{START.isoformat()}:p1") if lines else None
    assert lines == (0 if entry is None else len(entry.lines))
