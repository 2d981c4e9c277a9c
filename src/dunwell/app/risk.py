"""Early warning on the book: who among the loans that are current will go overdue
within the next 30 days. After each close of business the open book is scored as
columns (``risk.early_warning.features_from_batch`` on the COB partitions) and the
scores feed the collection strategy (its high-risk segment reaches out early with
hardship help). A training set's snapshots are the features of current loans, each
labelled by whether the loan went overdue in the following 30 days
(:func:`went_overdue`); :mod:`dunwell.simulation.early_warning` builds one from a seeded
simulated book.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np

from dunwell.app.context import Dunwell
from dunwell.cob.model import CobParams
from dunwell.core.dates import to_day
from dunwell.lending.model import LoanStatus
from dunwell.risk.early_warning import FEATURES, features_from_batch
from dunwell.store.model_files import is_registry, load_model, read_report
from dunwell.store.model_files import resolve as resolve_model
from dunwell.store.model_files import save as save_model

# The model registry's files are the store's; the edges reach them through here.
__all__ = ["HORIZON_DAYS", "LABEL", "current_features", "is_registry", "load_model",
           "read_report", "resolve_model", "save_model", "score_book", "train_from_csv",
           "went_overdue"]

LABEL = "overdue_30d"
#: The days after a snapshot in which going overdue makes its label 1.
HORIZON_DAYS = 30
#: The longest model name kept with a score.
MODEL_NAME_MAX = 128


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
            batch = uow.cob.load_partition(p, n_day + 1, params).batch
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
    """Loans that became overdue on a day in (start, end]: the label of a snapshot."""
    with app.uow() as uow:
        return uow.loans.entered_status(LoanStatus.OVERDUE, after=start, through=end)


def score_book(app: Dunwell, day: dt.date, model: Any, *, model_name: str) -> int:
    """Score every current loan as of ``day`` and keep each loan's latest score."""
    ids, cols = current_features(app, day)
    probs = model.score_columns(cols) if ids.size else np.zeros(0)
    bps = np.clip(np.rint(np.asarray(probs) * 10_000), 0, 10_000).astype(np.int64)
    scores = [(int(lid), int(s)) for lid, s in zip(ids.tolist(), bps.tolist(), strict=True)]
    with app.uow() as uow:
        uow.loans.put_scores(business_date=day, model=model_name[:MODEL_NAME_MAX],
                             scores=scores)
        uow.commit()
    return int(ids.size)


def train_from_csv(csv_path: Path, out_dir: Path, *, seed: int, now: dt.datetime) -> str:
    """Train the early-warning model (the default family choice) on a training CSV
    and save it as a new version in ``out_dir``; returns the version name."""
    from dunwell.risk import TrainOptions, train
    from dunwell.risk.tabular import fingerprint, read_frame

    data = csv_path.read_bytes()
    trained = train(read_frame(data), target=LABEL, options=TrainOptions(),
                    data_sha256=fingerprint(data), rng=np.random.default_rng(seed))
    return save_model(trained, out_dir, created_at=now.isoformat(),
                      provenance={"source": "simulated book", "seed": seed})
