"""Training: the target and identifiers set aside, a stratified train / validation /
test split, robust preprocessing fitted on the training split, one or both families
fitted, the better validation AUC kept, its probabilities calibrated on the
validation split and measured on the test split. (``dunwell risk train`` chooses by
cross-validation instead: :mod:`dunwell.risk.search`.)

Nothing here reads files or the clock: the CSV comes in as a parsed frame with its
fingerprint, and a seeded random generator comes in as an argument.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from dunwell.risk.calibration import METHODS, Calibrator, fit_calibrator
from dunwell.risk.credit_model import CreditModel
from dunwell.risk.errors import RiskInputError
from dunwell.risk.gbm import fit_gbm, monotone_vector
from dunwell.risk.metrics import auc
from dunwell.risk.model import Family, Schema, TrainOptions
from dunwell.risk.monitor import reference_of
from dunwell.risk.report import build_report
from dunwell.risk.robust import Prep, fit_prep
from dunwell.risk.scorecard import fit_scorecard
from dunwell.risk.tabular import binary_target, feature_columns, infer_schema

Array = np.ndarray[Any, Any]
FAMILY_CHOICES = ("auto", "scorecard", "gbm")


@dataclass(frozen=True)
class Trained:
    model: CreditModel
    report: dict[str, Any]


def check_options(options: TrainOptions) -> None:
    if options.family not in FAMILY_CHOICES:
        raise RiskInputError(f"--family {options.family!r} is not known; use "
                             f"{', '.join(FAMILY_CHOICES)}", code="risk_family_must_be_known")
    if options.calibration not in METHODS:
        raise RiskInputError(f"--calibration {options.calibration!r} is not known; use "
                             f"{' or '.join(METHODS)}", code="risk_calibration_must_be_known")
    for name, sign in options.monotone.items():
        if sign not in (-1, 1):
            raise RiskInputError(f"--monotone {name}={sign}: the direction must be +1 or -1",
                                 code="risk_monotone_must_be_valid", column=name)
    shares = options.valid_share + options.test_share
    if not (options.valid_share >= 0.05 and options.test_share >= 0.0 and shares <= 0.6):
        raise RiskInputError("validation and test shares must leave at least 40 % to train",
                             code="risk_split_must_be_in_range")
    if not 1 <= options.max_rounds <= 100_000:
        raise RiskInputError("--max-rounds must be between 1 and 100000",
                             code="risk_max_rounds_must_be_in_range")


def split(y: Array, options: TrainOptions,
          rng: np.random.Generator) -> tuple[Array, Array, Array]:
    """Stratified positions for training, validation and test."""
    parts: list[list[Array]] = [[], [], []]
    for label in (0, 1):
        where = rng.permutation(np.flatnonzero(y == label))
        n_valid = max(1, round(where.size * options.valid_share))
        n_test = round(where.size * options.test_share)
        parts[1].append(where[:n_valid])
        parts[2].append(where[n_valid:n_valid + n_test])
        parts[0].append(where[n_valid + n_test:])
    train, valid, test = (np.sort(np.concatenate(p)) for p in parts)
    return train, valid, test


def take(cols: Mapping[str, Array], rows: Array) -> dict[str, Array]:
    return {k: v[rows] for k, v in cols.items()}


def prepare(frame: pd.DataFrame, target: str,
            options: TrainOptions) -> tuple[Schema, dict[str, Array], Array]:
    check_options(options)
    y = binary_target(frame, target)
    schema = infer_schema(frame, target, y, categorical=options.categorical,
                          drop=options.drop, keep_protected=options.keep_protected)
    monotone_vector(schema, options.monotone)
    return schema, feature_columns(frame, schema), y


def fit(schema: Schema, cols: Mapping[str, Array], y: Array, options: TrainOptions, *,
        rng: np.random.Generator,
        meta: Mapping[str, Any] | None = None) -> tuple[CreditModel, dict[str, Any]]:
    """Fit on prepared columns; returns the model and what the report needs. The split
    and every model's seed come from ``rng``."""
    train_at, valid_at, test_at = split(y, options, rng)
    seed = int(rng.integers(0, 2**31 - 1))
    train, valid = take(cols, train_at), take(cols, valid_at)
    prep = fit_prep(train, schema) if options.robust else None
    features = prep.features(schema) if prep is not None else schema
    m_train, m_valid = (prep.columns(c) if prep else c for c in (train, valid))
    candidates: dict[Family, tuple[CreditModel, Array]] = {}
    identity = Calibrator("platt", a=1.0, b=0.0)
    if options.family in ("auto", "scorecard"):
        scorecard = fit_scorecard(m_train, y[train_at], features, monotone=options.monotone,
                                  seed=seed)
        model = CreditModel(schema=schema, family=Family.SCORECARD, calibrator=identity,
                            scorecard=scorecard, prep=prep)
        candidates[Family.SCORECARD] = (model, model.raw_columns(valid))
    if options.family in ("auto", "gbm"):
        gbm = fit_gbm(m_train, y[train_at], m_valid, y[valid_at], features, options,
                      seed=seed)
        model = CreditModel(schema=schema, family=Family.GBM, calibrator=identity, gbm=gbm,
                            prep=prep)
        candidates[Family.GBM] = (model, model.raw_columns(valid))
    valid_auc = {f: auc(y[valid_at], raw) for f, (_, raw) in candidates.items()}
    chosen = max(valid_auc, key=lambda f: (valid_auc[f], f is Family.SCORECARD))
    draft, raw_valid = candidates[chosen]
    calibrator = fit_calibrator(raw_valid, y[valid_at], options.calibration, seed=seed)
    scores = calibrator.apply(draft.raw_columns(cols))
    model = CreditModel(schema=schema, family=chosen, calibrator=calibrator,
                        scorecard=draft.scorecard, gbm=draft.gbm,
                        reference=reference_of(cols, scores, schema), meta=meta, prep=prep)
    held_out = test_at if test_at.size else valid_at
    return model, {
        "valid_auc": {f.value: round(a, 4) for f, a in valid_auc.items()},
        "held_out": held_out, "held_out_name": "test" if test_at.size else "validation",
        "scores": scores, "sizes": {"train": int(train_at.size), "validation":
                                    int(valid_at.size), "test": int(test_at.size)},
        "preprocessing": describe_prep(prep),
    }


def describe_prep(prep: Prep | None) -> dict[str, Any]:
    if prep is None:
        return {"enabled": False}
    return {"enabled": True, **prep.describe()}


def train(frame: pd.DataFrame, *, target: str, options: TrainOptions, data_sha256: str,
          rng: np.random.Generator) -> Trained:
    """Train the default (or the requested) family on a parsed CSV."""
    schema, cols, y = prepare(frame, target, options)
    meta = {"target": target, "data_sha256": data_sha256, "rows": int(y.size),
            "base_rate": round(float(y.mean()), 4),
            "options": {"family": options.family, "calibration": options.calibration,
                        "monotone": dict(options.monotone),
                        "categorical": list(options.categorical), "drop": list(options.drop),
                        "max_rounds": options.max_rounds, "robust": options.robust}}
    model, facts = fit(schema, cols, y, options, rng=rng, meta=meta)
    report = build_report(model, cols, y, facts)
    model.meta = {**meta, "metrics": report["metrics"], "valid_auc": facts["valid_auc"]}
    return Trained(model=model, report=report)
