"""A training set for the early-warning model from a seeded simulated book: every few
days the current loans' features are snapshot, and each snapshot is labelled by
whether the loan went overdue in the following 30 days (:mod:`dunwell.app.risk`)."""

from __future__ import annotations

import csv
import datetime as dt
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from dunwell.app.risk import HORIZON_DAYS, LABEL, current_features, went_overdue
from dunwell.bootstrap import Dunwell, bootstrap
from dunwell.risk.early_warning import FEATURES
from dunwell.settings import Settings

#: One snapshot: the day it was taken after, the current loans' ids and their features.
Snapshot = tuple[dt.date, np.ndarray[Any, Any], dict[str, Any]]
#: Runs a simulated book: ``run(app, seed, on_day)`` calls ``on_day`` after each day.
Simulate = Callable[[Dunwell, int, Callable[[dt.date], None]], None]


def build_training_csv(path: Path, *, loans: int, days: int, seed: int, every: int = 10,
                       first: int = 20, run: Simulate) -> int:
    """Simulate a book for ``days`` days; every ``every`` days from day ``first``
    snapshot the current loans' features; label each with whether it went overdue in
    the next 30 days. Writes a CSV (features + ``overdue_30d``); returns its rows.

    ``loans`` is the size of the book ``run`` seeds (it is ``run`` that books them)."""
    with tempfile.TemporaryDirectory() as tmp:
        app = bootstrap(Settings(db_url=f"sqlite:///{Path(tmp) / 'ew.sqlite'}",
                                 log_level="WARNING"))
        try:
            snaps = snapshots(app, run, seed=seed, days=days, every=every, first=first)
            return write_training_csv(app, path, snaps)
        finally:
            app.db.dispose()


def snapshot_due(k: int, *, days: int, every: int, first: int) -> bool:
    """Whether the book's ``k``-th day (from 1) is snapshot: from day ``first``, every
    ``every`` days, while the 30 days that label it still fall inside the run."""
    return k >= first and k % every == 0 and k + HORIZON_DAYS <= days


def snapshots(app: Dunwell, run: Simulate, *, seed: int, days: int, every: int,
              first: int) -> list[Snapshot]:
    """Run the simulated book, taking the current loans' features on the days
    :func:`snapshot_due` picks (as of the next morning, after the day's close)."""
    snaps: list[Snapshot] = []
    start: list[dt.date] = []

    def on_day(day: dt.date) -> None:
        if not start:
            start.append(day)
        k = (day - start[0]).days + 1
        if snapshot_due(k, days=days, every=every, first=first):
            ids, cols = current_features(app, day + dt.timedelta(days=1))
            snaps.append((day, ids, cols))

    run(app, seed, on_day)
    return snaps


def write_training_csv(app: Dunwell, path: Path, snaps: list[Snapshot]) -> int:
    """Write each snapshot's rows, labelled from the book's later events; returns the
    rows written."""
    rows = 0
    with path.open("w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow([*FEATURES, LABEL])
        for day, ids, cols in snaps:
            bad = went_overdue(app, day, day + dt.timedelta(days=HORIZON_DAYS))
            for k, loan_id in enumerate(ids.tolist()):
                out.writerow([*(cols[f][k].item() for f in FEATURES), int(loan_id in bad)])
                rows += 1
    return rows
