"""K-fold evaluation of the default training on a whole CSV: ``dunwell risk evaluate``.

Each fold trains exactly as ``dunwell risk train`` would on the other folds (its own
schema, split, family choice and calibration) and scores the held-out fold as
``dunwell risk score`` would. Time comes from the ``clock`` argument.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from dunwell.risk.errors import RiskInputError
from dunwell.risk.metrics import auc, brier, ks
from dunwell.risk.model import TrainOptions
from dunwell.risk.tabular import binary_target
from dunwell.risk.training import fit, prepare

MAX_FOLDS = 20


def load_libraries() -> None:
    """Import the fitting libraries before the clock starts, so folds time fitting."""
    for name in ("sklearn.linear_model", "sklearn.isotonic", "optbinning", "lightgbm"):
        importlib.import_module(name)


@dataclass(frozen=True, slots=True)
class FoldResult:
    fold: int
    family: str
    auc: float
    ks: float
    brier: float
    base_rate: float
    mean_predicted: float
    train_rows: int
    test_rows: int
    seconds: float


def folds_of(y: np.ndarray[Any, Any], folds: int,
             rng: np.random.Generator) -> np.ndarray[Any, Any]:
    """A fold number per row, stratified by outcome."""
    out = np.empty(y.size, dtype=np.int64)
    for label in (0, 1):
        where = rng.permutation(np.flatnonzero(y == label))
        out[where] = np.arange(where.size) % folds
    return out


def cross_validate(frame: pd.DataFrame, *, target: str, folds: int, options: TrainOptions,
                   rng: np.random.Generator, clock: Callable[[], float]) -> list[FoldResult]:
    if not 2 <= folds <= MAX_FOLDS:
        raise RiskInputError(f"--folds must be between 2 and {MAX_FOLDS}, got {folds}",
                             code="risk_folds_must_be_in_range")
    load_libraries()
    y_all = binary_target(frame, target)
    fold_of = folds_of(y_all, folds, rng)
    results = []
    for k in range(folds):
        train_rows, test_rows = frame[fold_of != k], frame[fold_of == k]
        started = clock()
        schema, cols, y = prepare(train_rows.reset_index(drop=True), target, options)
        model, _ = fit(schema, cols, y, options, rng=rng)
        p = model.score_frame(test_rows.reset_index(drop=True))
        seconds = clock() - started
        y_test = y_all[fold_of == k]
        results.append(FoldResult(
            fold=k + 1, family=model.family.value, auc=round(auc(y_test, p), 4),
            ks=round(ks(y_test, p), 4), brier=round(brier(y_test, p), 4),
            base_rate=round(float(y_test.mean()), 4), mean_predicted=round(float(p.mean()), 4),
            train_rows=int(y.size), test_rows=int(y_test.size), seconds=round(seconds, 2)))
    return results


def summarise(results: list[FoldResult]) -> dict[str, float]:
    aucs = np.array([r.auc for r in results])
    kss = np.array([r.ks for r in results])
    return {"folds": len(results), "auc_mean": round(float(aucs.mean()), 4),
            "auc_std": round(float(aucs.std(ddof=1)) if aucs.size > 1 else 0.0, 4),
            "ks_mean": round(float(kss.mean()), 4),
            "ks_std": round(float(kss.std(ddof=1)) if kss.size > 1 else 0.0, 4),
            "seconds_total": round(sum(r.seconds for r in results), 1),
            "seconds_per_fold": round(sum(r.seconds for r in results) / len(results), 1)}
