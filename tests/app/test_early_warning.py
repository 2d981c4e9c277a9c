"""Early warning on the book: a training set from a simulated book, a real model,
scores after the close, and the strategy's high-risk segment acting on them."""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import pytest
import sqlalchemy as sa

from dunwell.app.cob import close_until
from dunwell.app.collections.collect import collect_day
from dunwell.app.risk import (
    HORIZON_DAYS,
    LABEL,
    load_model,
    score_book,
    train_from_csv,
    went_overdue,
)
from dunwell.bootstrap import Dunwell
from dunwell.risk.credit_model import CreditModel
from dunwell.risk.early_warning import FEATURES
from dunwell.simulation.early_warning import build_training_csv, snapshot_due
from dunwell.simulation.portfolio import run_days, seed_book
from dunwell.store import collection_tables as c
from fakes.app import fake_app
from fakes.lending import EventRow, lending_data

START = dt.date(2025, 1, 31)
NOW = dt.datetime(2025, 6, 1, tzinfo=dt.UTC)


def simulate(book: Dunwell, seed: int, on_day: Callable[[dt.date], None]) -> None:
    seed_book(book, loans=60, start=START, seed=seed)
    run_days(book, days=75, seed=seed, on_day=on_day)


@dataclass(frozen=True)
class Trained:
    rows: int
    table: list[dict[str, str]]
    model: CreditModel


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Trained:
    """The training set of a simulated book (its own SQLite book, whatever the test's
    database) and the model trained on it, built once for the module."""
    where = tmp_path_factory.mktemp("early_warning")
    path = where / "ew.csv"
    rows = build_training_csv(path, loans=60, days=75, seed=5, every=5, first=20,
                              run=simulate)
    with path.open(encoding="utf-8") as fh:
        table = list(csv.DictReader(fh))
    version = train_from_csv(path, where / "model", seed=5, now=NOW)
    return Trained(rows, table, load_model(where / "model", version))


def test_a_model_trained_on_a_simulated_book_scores_the_current_loans(
        app: Dunwell, trained: Trained) -> None:
    rows, table, model = trained.rows, trained.table, trained.model
    assert len(table) == rows > 200
    assert set(table[0]) == {*FEATURES, LABEL}
    assert {r[LABEL] for r in table} == {"0", "1"}

    seed_book(app, loans=30, start=START, seed=9)
    close_until(app, START + dt.timedelta(days=20))
    scored = score_book(app, START + dt.timedelta(days=21), model, model_name="ew")
    with app.engine.connect() as conn:
        stored = conn.execute(sa.select(c.loan_scores.c.score_bps)).scalars().all()
    assert scored == len(stored) == 30
    assert all(0 <= s <= 10_000 for s in stored)


def test_a_high_early_warning_score_sends_the_borrower_to_the_high_risk_segment(
        app: Dunwell) -> None:
    seed_book(app, loans=8, start=START, seed=9)
    due = dt.date(2025, 2, 28)
    close_until(app, due - dt.timedelta(days=6))
    with app.engine.begin() as conn:
        conn.execute(sa.insert(c.loan_scores), [
            {"loan_id": k, "business_date": due, "score_bps": 9_000 if k == 1 else 500,
             "model": "test"} for k in range(1, 9)])
    collect_day(app, due - dt.timedelta(days=5), now=NOW)
    with app.engine.connect() as conn:
        rows = conn.execute(sa.select(c.case_actions.c.borrower_id, c.case_actions.c.segment_id,
                                      c.case_actions.c.kind)).all()
    assert (1, "high_risk", "hardship_outreach") in [tuple(r) for r in rows]
    assert all(seg != "high_risk" for b, seg, _ in rows if b != 1)


@pytest.mark.parametrize(("k", "due"), [(19, False), (20, True), (25, False), (30, True),
                                        (45, False), (50, True)])
def test_snapshots_are_taken_every_few_days_while_their_label_fits_the_run(
        k: int, due: bool) -> None:
    # from day 20, every 10 days, while 30 more days of the 80-day run can label it
    assert snapshot_due(k, days=80, every=10, first=20) is due
    assert not snapshot_due(60, days=80, every=10, first=20)


def test_the_label_is_a_move_to_overdue_inside_the_window() -> None:
    book = fake_app()
    events = lending_data(getattr(book.db, "state")).events  # noqa: B009
    events.extend([
        EventRow(1, START + dt.timedelta(days=1), "status_changed", 2, 3),
        EventRow(2, START + dt.timedelta(days=31), "status_changed", 2, 3),  # too late
        EventRow(3, START, "status_changed", 2, 3),  # on the snapshot's own day
        EventRow(4, START + dt.timedelta(days=5), "status_changed", 3, 2),  # cured
        EventRow(5, START + dt.timedelta(days=5), "bucket_changed", 0, 3)])
    assert went_overdue(book, START, START + dt.timedelta(days=HORIZON_DAYS)) == {1}
