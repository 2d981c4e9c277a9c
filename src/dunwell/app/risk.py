"""Early warning on the book: who among the loans that are current will go overdue
within the next 30 days. After each close of business the open book is scored as
columns (``risk.early_warning.features_from_batch`` on the COB partitions) and the
scores feed the collection strategy (its high-risk segment reaches out early with
hardship help). A training set comes from a seeded simulated book: snapshots of the
features of current loans, labelled by what happened in the following 30 days.
"""

from __future__ import annotations

import csv
import datetime as dt
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import delete, insert, select

from dunwell.bootstrap import Dunwell, bootstrap
from dunwell.cob.model import CobParams
from dunwell.core.dates import to_day
from dunwell.risk.early_warning import FEATURES, features_from_batch
from dunwell.settings import Settings
from dunwell.store import collection_tables as c
from dunwell.store import tables as t
from dunwell.store.cob_io import load_partition

LABEL = "overdue_30d"
HORIZON_DAYS = 30
OVERDUE = 3  # LoanStatus.OVERDUE
#: Rows written per scoring insert.
SCORE_BATCH_ROWS = 5_000


def current_features(app: Dunwell, day: dt.date) -> tuple[np.ndarray[Any, Any], dict[str, Any]]:
    """Loan ids and early-warning features of the open loans with nothing past due,
    as of ``day`` (the book's open date, after the close of the day before)."""
    n_day = to_day(day)
    ids: list[Any] = []
    parts: list[dict[str, Any]] = []
    with app.uow() as uow:
        info = uow.book.require()
        params = {code: CobParams.of(p) for code, p in uow.products.all().items()}
        for p in range(info.partitions):
            batch = load_partition(uow.conn, p, n_day + 1, params).batch
            if not len(batch):
                continue
            cols = features_from_batch(batch, n_day)
            keep = cols["days_past_due"] == 0
            ids.append(batch.loan_id[keep])
            parts.append({k: np.asarray(v)[keep] for k, v in cols.items()})
    if not ids:
        return np.zeros(0, dtype=np.int64), {k: np.zeros(0) for k in FEATURES}
    return np.concatenate(ids), {k: np.concatenate([p[k] for p in parts]) for k in FEATURES}


def went_overdue(app: Dunwell, start: dt.date, end: dt.date) -> set[int]:
    """Loans that became overdue on a day in (start, end]."""
    q = (select(t.loan_events.c.loan_id)
         .where(t.loan_events.c.kind == "status_changed", t.loan_events.c.after == OVERDUE,
                t.loan_events.c.business_date > start, t.loan_events.c.business_date <= end))
    with app.engine.connect() as conn:
        return {int(r[0]) for r in conn.execute(q)}


def build_training_csv(path: Path, *, loans: int, days: int, seed: int, every: int = 10,
                       first: int = 20,
                       run: Callable[[Dunwell, int, Callable[[dt.date], None]], None]
                       ) -> int:
    """Simulate a book for ``days`` days; every ``every`` days from day ``first``
    snapshot the current loans' features; label each with whether it went overdue in
    the next 30 days. Writes a CSV (features + ``overdue_30d``); returns its rows."""
    with tempfile.TemporaryDirectory() as tmp:
        app = bootstrap(Settings(db_url=f"sqlite:///{Path(tmp) / 'ew.sqlite'}",
                                 log_level="WARNING"))
        snaps: list[tuple[dt.date, np.ndarray[Any, Any], dict[str, Any]]] = []
        start: list[dt.date] = []

        def on_day(day: dt.date) -> None:
            if not start:
                start.append(day)
            k = (day - start[0]).days + 1
            if k >= first and k % every == 0 and k + HORIZON_DAYS <= days:
                ids, cols = current_features(app, day + dt.timedelta(days=1))
                snaps.append((day, ids, cols))

        run(app, seed, on_day)
        rows = 0
        with path.open("w", newline="", encoding="utf-8") as fh:
            out = csv.writer(fh)
            out.writerow([*FEATURES, LABEL])
            for day, ids, cols in snaps:
                bad = went_overdue(app, day, day + dt.timedelta(days=HORIZON_DAYS))
                for k, loan_id in enumerate(ids.tolist()):
                    out.writerow([*(cols[f][k].item() for f in FEATURES),
                                  int(loan_id in bad)])
                    rows += 1
        app.db.dispose()
    return rows


def score_book(app: Dunwell, day: dt.date, model: Any, *, model_name: str) -> int:
    """Score every current loan as of ``day`` and keep each loan's latest score."""
    ids, cols = current_features(app, day)
    probs = model.score_columns(cols) if ids.size else np.zeros(0)
    bps = np.clip(np.rint(np.asarray(probs) * 10_000), 0, 10_000).astype(np.int64)
    with app.uow() as uow:
        if ids.size:
            for k in range(0, ids.size, SCORE_BATCH_ROWS):
                chunk = ids[k:k + SCORE_BATCH_ROWS].tolist()
                uow.conn.execute(delete(c.loan_scores).where(c.loan_scores.c.loan_id.in_(chunk)))
                uow.conn.execute(insert(c.loan_scores), [
                    {"loan_id": lid, "business_date": day, "score_bps": int(s),
                     "model": model_name[:128]}
                    for lid, s in zip(chunk, bps[k:k + SCORE_BATCH_ROWS].tolist(), strict=True)])
        uow.commit()
    return int(ids.size)


def train_from_csv(csv_path: Path, out_dir: Path, *, seed: int, now: dt.datetime) -> str:
    """Train the early-warning model (the default family choice) on a training CSV
    and save it as a new version in ``out_dir``; returns the version name."""
    from dunwell.risk import TrainOptions, save_model, train
    from dunwell.risk.tabular import fingerprint, read_frame

    data = csv_path.read_bytes()
    trained = train(read_frame(data), target=LABEL, options=TrainOptions(),
                    data_sha256=fingerprint(data), rng=np.random.default_rng(seed))
    return save_model(trained, out_dir, created_at=now.isoformat(),
                      provenance={"source": "simulated book", "seed": seed})
