"""Catching up in windows (several days of a partition closed in memory and written
once) gives the same books as closing day by day: on SQLite, and on PostgreSQL
against the same book closed day by day on SQLite (so the two databases also give
identical books)."""

from __future__ import annotations

import datetime as dt
import random
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from dunwell.app.cob import close_until
from dunwell.app.lending.payments import quote_payoff, receive_payment
from dunwell.app.lending.verify import verify_book
from dunwell.bootstrap import Dunwell, bootstrap
from dunwell.core.dates import to_day
from dunwell.core.errors import DomainError, InvalidInput
from dunwell.core.money import format_minor
from dunwell.lending.payments import PaymentKind
from dunwell.settings import Settings
from dunwell.simulation.portfolio import seed_book
from dunwell.store import tables as t

START = dt.date(2025, 1, 20)
PAID = dt.date(2025, 2, 20)  # closed through the day before, then a round of payments
UNTIL = dt.date(2025, 3, 31)
PARTITIONS = 3


def dump(engine: sa.Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row that matters (``version`` included), without surrogate keys."""
    out: dict[str, list[tuple[Any, ...]]] = {}
    with engine.connect() as conn:
        for table in (t.book, t.loans, t.installments, t.journal_entries, t.cob_runs, t.payments):
            cols = [c for c in table.c if c.name != "payment_id"]
            out[table.name] = sorted(tuple(r) for r in conn.execute(sa.select(*cols)))
        lines = sa.select(
            t.journal_lines.c.entry_id,
            t.journal_lines.c.account,
            t.journal_lines.c.loan_id,
            t.journal_lines.c.amount_minor,
        )
        out["journal_lines"] = sorted(tuple(r) for r in conn.execute(lines))
        events = sa.select(
            t.loan_events.c.loan_id,
            t.loan_events.c.business_date,
            t.loan_events.c.kind,
            t.loan_events.c.before,
            t.loan_events.c.after,
        )
        out["loan_events"] = sorted(tuple(r) for r in conn.execute(events))
    return out


def build(url: str) -> Dunwell:
    """A book with paid, part-paid, overpaid, paid-off and unpaid loans at ``PAID``."""
    app = bootstrap(Settings(db_url=url, partitions=PARTITIONS, log_level="WARNING"))
    seed_book(app, loans=48, start=START, seed=5)
    rng = random.Random(5)
    for stop in (PAID,):
        close_until(app, stop - dt.timedelta(days=1))
        with app.uow() as uow:
            due = uow.loans.due_for_payment(to_day(stop))
        for loan_id, n, _, owed in due:
            share = rng.choice([0, 0, 30, 100, 100, 140, -1])
            if share == 0:
                continue
            try:
                with app.uow() as uow:
                    if share < 0:
                        amount, kind = quote_payoff(uow, loan_id=loan_id), PaymentKind.PAYOFF
                    else:
                        amount, kind = max(1, owed * share // 100), PaymentKind.REGULAR
                    receive_payment(
                        uow,
                        loan_id=loan_id,
                        amount=format_minor(amount, "CNY"),
                        currency="CNY",
                        idempotency_key=f"w:{loan_id}:{n}:{stop}",
                        kind=kind,
                        providers=app.providers,
                    )
                    uow.commit()
            except DomainError:
                continue
    return app


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The book built once on SQLite; each test closes copies of it."""
    path = tmp_path_factory.mktemp("windows") / "built.sqlite"
    app = build(f"sqlite:///{path}")
    app.engine.dispose()  # the last connection closed folds the WAL in
    yield path


def copy_of(built: Path, tmp_path: Path, name: str) -> Dunwell:
    shutil.copyfile(built, tmp_path / name)
    return bootstrap(
        Settings(db_url=f"sqlite:///{tmp_path / name}", partitions=PARTITIONS, log_level="WARNING")
    )


def test_windows_close_the_same_books_as_day_by_day(
    db_url: str, tmp_path: Path, built: Path
) -> None:
    by_day = copy_of(built, tmp_path, "by_day.sqlite")
    windowed = (
        copy_of(built, tmp_path, "windowed.sqlite")
        if db_url.startswith("sqlite")
        else build(db_url)
    )
    assert dump(windowed.engine) == dump(by_day.engine)
    days = close_until(by_day, UNTIL, window_days=1)
    reports = close_until(windowed, UNTIL)
    assert [(r.business_date, r.loans_closed, r.postings, r.events) for r in reports] == [
        (r.business_date, r.loans_closed, r.postings, r.events) for r in days
    ]
    assert sum(r.events for r in reports) > 0, "the run should move some loans' standing"
    assert dump(windowed.engine) == dump(by_day.engine)
    report = verify_book(windowed)
    assert report.ok, [c for c in report.checks if not c.ok]
    for app in (by_day, windowed):
        app.engine.dispose()


def test_a_window_after_a_half_closed_day_finishes_that_day_first(
    tmp_path: Path, built: Path
) -> None:
    from dunwell.app.cob import close_partition
    from dunwell.cob.model import CobParams

    reference = copy_of(built, tmp_path, "ref.sqlite")
    app = copy_of(built, tmp_path, "half.sqlite")
    with app.uow() as uow:
        params = {c: CobParams.of(p) for c, p in uow.products.all().items()}
    close_partition(app, PAID, 1, params=params, currency="CNY")  # a run killed mid-day
    close_until(app, UNTIL)
    close_until(reference, UNTIL, window_days=1)
    assert dump(app.engine) == dump(reference.engine)
    for a in (app, reference):
        a.engine.dispose()


def test_a_window_must_be_a_day_or_more(tmp_path: Path, built: Path) -> None:
    app = copy_of(built, tmp_path, "w.sqlite")
    with pytest.raises(InvalidInput) as err:
        close_until(app, UNTIL, window_days=0)
    assert err.value.code == "cob_window_must_be_positive"
    app.engine.dispose()


def test_paired_windows_close_the_same_books_as_one_window_after_another(
    db_url: str, tmp_path: Path, built: Path
) -> None:
    """On PostgreSQL two windows are written at once on two connections; the books
    equal those of the windows written one after the other (on SQLite: the pair is
    never used, and both calls close the same way)."""
    import dunwell.app.cob as cob

    one_by_one = copy_of(built, tmp_path, "one_by_one.sqlite")
    paired = (
        copy_of(built, tmp_path, "paired.sqlite") if db_url.startswith("sqlite") else build(db_url)
    )
    calls: list[tuple[int, int]] = []
    pair = cob._close_window_pair

    def counted(app: Dunwell, first: dt.date, widths: tuple[int, int], *a: Any) -> Any:
        calls.append(widths)
        return pair(app, first, widths, *a)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(cob, "_close_window_pair", counted)
        reports = close_until(paired, UNTIL)
    want = close_until(one_by_one, UNTIL, paired=False)
    if db_url.startswith("postgresql"):
        assert calls == [(14, 13)], "40 days: a pair of windows of 14 and 13, then one of 13"
    else:
        assert calls == []
    assert [(r.business_date, r.loans_closed, r.postings, r.events) for r in reports] == [
        (r.business_date, r.loans_closed, r.postings, r.events) for r in want
    ]
    assert dump(paired.engine) == dump(one_by_one.engine)
    report = verify_book(paired)
    assert report.ok, [c for c in report.checks if not c.ok]
    for app in (one_by_one, paired):
        app.engine.dispose()


def test_a_failed_first_window_leaves_the_second_uncommitted(
    db_url: str, tmp_path: Path, built: Path
) -> None:
    """The second window of a pair commits only after the first did: when the first
    fails, neither is written and the book stays at its open date."""
    if not db_url.startswith("postgresql"):
        pytest.skip("windows are paired on PostgreSQL only")
    import dunwell.store.cob_io as cob_io

    app = build(db_url)
    before = dump(app.engine)
    advance = cob_io.advance_book

    def first_fails(conn: sa.Connection, *, open_date: dt.date, to: dt.date) -> None:
        if open_date == PAID:
            raise RuntimeError("the first window's transaction is lost")
        advance(conn, open_date=open_date, to=to)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(cob_io, "advance_book", first_fails)
        with pytest.raises(RuntimeError, match="first window's transaction is lost"):
            close_until(app, UNTIL)
    assert dump(app.engine) == before
    report = verify_book(app)
    assert report.ok, [c for c in report.checks if not c.ok]
    close_until(app, UNTIL)  # and the next run closes them
    reference = copy_of(built, tmp_path, "ref.sqlite")
    close_until(reference, UNTIL, window_days=1)
    assert dump(app.engine) == dump(reference.engine)
    for a in (app, reference):
        a.engine.dispose()


def test_a_pair_left_unfinished_writes_nothing(db_url: str, tmp_path: Path, built: Path) -> None:
    """When the runner fails part-way through a pair (here the kernel, on the second
    partition), neither window commits: the first must not commit the partitions it
    was handed so far."""
    if not db_url.startswith("postgresql"):
        pytest.skip("windows are paired on PostgreSQL only")
    import dunwell.app.cob as cob

    app = build(db_url)
    before = dump(app.engine)
    kernel = cob.cob_day
    calls = 0

    def fails_later(batch: Any, day: int) -> Any:
        nonlocal calls
        calls += 1
        if calls > 27:  # the first partition's 14 + 13 days went to the writers
            raise RuntimeError("the kernel failed")
        return kernel(batch, day)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(cob, "cob_day", fails_later)
        with pytest.raises(RuntimeError, match="the kernel failed"):
            close_until(app, UNTIL)
    assert calls == 28
    assert dump(app.engine) == before
    report = verify_book(app)
    assert report.ok, [c for c in report.checks if not c.ok]
    app.engine.dispose()
