"""A close of business killed at random moments resumes to the same books.

A book of 300 loans on the four built-in products, disbursed on 2025-01-15 and closed
through 2025-02-20 with a seeded mix of payments (short, exact, over, early full
repayment), is built twice. One copy is closed through 2025-03-20 without
interruption. The other is closed by a child process that is SIGKILLed at seeded
random moments and started again, until one run finishes; after every kill the book
must still verify. Then every table — book, loans, instalments, journal entries and
lines, loan events, COB runs, payments — must equal the uninterrupted copy row by
row (surrogate line, event and payment ids left out, their content compared).

The child is a forked process calling ``close_until`` (no interpreter start, so a
kill lands while partitions are being written); ``make stress`` kills it 100 times,
and also kills the real ``dunwell cob`` command started as a subprocess.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path

import pytest
import sqlalchemy as sa
from integrity_books import STRESS, app_at, backends, book_problems, dump, fresh_url

from dunwell.app.cob import close_until
from dunwell.app.lending.book import LoanRequest, disburse, open_book, register_product
from dunwell.app.lending.payments import quote_payoff, receive_payment
from dunwell.app.lending.verify import verify_book
from dunwell.bootstrap import Dunwell
from dunwell.core.dates import to_day
from dunwell.core.errors import DomainError
from dunwell.core.money import format_minor
from dunwell.lending.payments import PaymentKind
from dunwell.lending.products import builtin_product_texts
from dunwell.store import tables as t

START = dt.date(2025, 1, 15)
PAID_THROUGH = dt.date(2025, 2, 20)
UNTIL = dt.date(2025, 3, 20)
LOANS = 300
PARTITIONS = 4
KILLS = 100 if STRESS else 4
CLI_KILLS = 10
#: A run that is never killed must finish within this many seconds.
RUN_SECONDS_MAX = 600


def build_book(app: Dunwell, *, seed: int = 7) -> None:
    """The book as it stands before the close under test (deterministic)."""
    rng = random.Random(seed)
    with app.uow() as uow:
        open_book(uow, business_date=START, partitions=PARTITIONS, currency="CNY")
        products = [register_product(uow, text) for text in builtin_product_texts()]
        requests = [LoanRequest(k + 1, p.code, rng.randrange(1_000, 50_001) * 100,
                                p.term_months_min)
                    for k, p in enumerate(products[k % len(products)] for k in range(LOANS))]
        disburse(uow, requests)
        uow.commit()
    for stop in (dt.date(2025, 2, 15), PAID_THROUGH):
        close_until(app, stop - dt.timedelta(days=1))
        with app.uow() as uow:
            due = uow.loans.due_for_payment(to_day(stop))
        for loan_id, n, _, owed in due:
            share = rng.choice([0, 0, 30, 100, 100, 100, 140, -1])
            if share == 0:
                continue
            try:
                with app.uow() as uow:
                    if share < 0:
                        amount, kind = quote_payoff(uow, loan_id=loan_id), PaymentKind.PAYOFF
                    else:
                        amount, kind = max(1, owed * share // 100), PaymentKind.REGULAR
                    receive_payment(uow, loan_id=loan_id, amount=format_minor(amount, "CNY"),
                                    currency="CNY", idempotency_key=f"b:{loan_id}:{n}:{stop}",
                                    kind=kind, providers=app.providers)
                    uow.commit()
            except DomainError:
                continue
    close_until(app, PAID_THROUGH)


def _close_in_child(url: str) -> None:
    app = app_at(url, PARTITIONS)
    close_until(app, UNTIL)
    app.engine.dispose()


def partitions_closed(app: Dunwell) -> int:
    with app.engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(t.cob_runs))
                   .scalar_one())


def kill_and_resume(victim: Dunwell, url: str, *, kills: int, seed: int,
                    run_seconds: float, cli: bool = False) -> int:
    """Start the close and SIGKILL it at a random moment, ``kills`` times, then let one
    run finish. A moment is drawn as a number of partitions still to close (so the
    kills spread over what is left of the run, each landing while the close works)
    plus a random fraction of one partition's time. Returns how many kills landed
    while the close was running."""
    rng = random.Random(seed)
    total = PARTITIONS * ((UNTIL - START).days + 1)
    partition_seconds = run_seconds / total
    landed = 0
    ctx = multiprocessing.get_context("fork")
    for k in range(kills + 1):
        last = k == kills
        done = partitions_closed(victim)
        target = done + rng.randint(0, max(1, (total - done) // (kills - k + 1)))
        victim.engine.dispose()  # nothing of the parent's pool crosses the fork
        if cli:
            env = {**os.environ, "DUNWELL_DB_URL": url, "DUNWELL_PARTITIONS": str(PARTITIONS),
                   "DUNWELL_LOG_LEVEL": "WARNING"}
            proc = subprocess.Popen(
                [sys.executable, "-m", "dunwell.cli.main", "cob", "--until", UNTIL.isoformat()],
                env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            alive = proc.poll
            pid = proc.pid
        else:
            child = ctx.Process(target=_close_in_child, args=(url,), daemon=True)
            child.start()
            assert child.pid is not None
            pid = child.pid

            def alive(c: multiprocessing.process.BaseProcess = child) -> int | None:
                return None if c.is_alive() else 0
        deadline = time.monotonic() + RUN_SECONDS_MAX
        while (time.monotonic() < deadline and alive() is None
               and (last or partitions_closed(victim) < target)):
            time.sleep(0.005)
        if not last:
            time.sleep(rng.uniform(0, partition_seconds))
        if alive() is None:
            os.kill(pid, signal.SIGKILL)
            if last:
                raise AssertionError(f"the close did not finish within {RUN_SECONDS_MAX} s")
            landed += 1
        if cli:
            proc.wait(timeout=60)
        else:
            child.join(timeout=60)
        report = verify_book(victim)
        assert report.ok, [c for c in report.checks if not c.ok]
    return landed


def run_kill_test(backend: str, tmp_path: Path, *, kills: int, seed: int,
                  cli: bool = False) -> int:
    """The whole comparison; returns how many kills landed mid-run."""
    with ExitStack() as stack:
        reference = app_at(stack.enter_context(fresh_url("sqlite", tmp_path)), PARTITIONS)
        url = stack.enter_context(fresh_url(backend, tmp_path))
        victim = app_at(url, PARTITIONS)
        stack.callback(reference.engine.dispose)
        stack.callback(victim.engine.dispose)
        build_book(reference)
        if backend == "sqlite":  # the same book, byte for byte
            victim.engine.dispose()
            reference.engine.dispose()  # the last connection closed folds the WAL in
            shutil.copyfile(reference.engine.url.database or "", victim.engine.url.database or "")
        else:
            build_book(victim)
        began = time.monotonic()
        close_until(reference, UNTIL)
        run_seconds = time.monotonic() - began
        landed = kill_and_resume(victim, url, kills=kills, seed=seed,
                                 run_seconds=run_seconds * (3 if cli else 1), cli=cli)
        assert landed > 0, "every kill came after the close had finished"
        assert dump(victim.engine) == dump(reference.engine)
        assert partitions_closed(victim) == PARTITIONS * ((UNTIL - START).days + 1)
        assert not book_problems(victim)
        return landed


@pytest.mark.parametrize("backend", backends())
def test_a_cob_killed_at_random_moments_resumes_to_the_same_books(
        backend: str, tmp_path: Path, record_property: Callable[[str, object], None]) -> None:
    landed = run_kill_test(backend, tmp_path, kills=KILLS, seed=2025)
    record_property("kills_landed", landed)  # figures for `make stress` (--junitxml)
    record_property("kills_planned", KILLS)


@pytest.mark.slow
@pytest.mark.skipif(not STRESS, reason="the command-line variant runs in `make stress`")
@pytest.mark.parametrize("backend", backends())
def test_the_cob_command_killed_at_random_moments_resumes_to_the_same_books(
        backend: str, tmp_path: Path, record_property: Callable[[str, object], None]) -> None:
    landed = run_kill_test(backend, tmp_path, kills=CLI_KILLS, seed=75, cli=True)
    record_property("kills_landed", landed)
    record_property("kills_planned", CLI_KILLS)
