"""Choosing a model's settings by stratified k-fold cross-validation within a time
budget: what ``dunwell risk train`` does by default.

1. A stratified test split (``TrainOptions.test_share``, 20 %) is set aside; nothing
   below sees it until the final measurement.
2. The training rows are cut into ``folds`` stratified folds. Every candidate of
   :data:`CANDIDATES` (in that order; ``--family`` keeps one family's) is fitted on
   each fold's other rows, robust preprocessing included (fitted on those rows only),
   and scored on the fold: AUC, PR-AUC and KS per fold. LightGBM stops early (after
   :data:`SEARCH_PATIENCE` rounds without a better AUC) on a stratified 20 % of the
   fold's training rows. Brier is measured on the candidate's
   out-of-fold scores after calibrating them.
3. Candidates are tried in order while the budget lasts: the first always runs; the
   next starts only if the time spent so far plus the last candidate's time fits in
   the budget. A candidate started is finished, on every fold.
4. The best mean AUC wins (a tie goes to the earlier candidate). It is refitted on
   all training rows (LightGBM for the mean of its folds' best rounds), calibrated on
   its out-of-fold scores, and measured on the test split.

Every split and seed is drawn from ``rng`` before the first candidate runs, so a
candidate's results do not depend on how many others the budget allowed: for a given
seed, runs differ only in how far down the list the search got. Time comes from the
``clock`` argument (the caller's ``time.perf_counter``, or a fake one in tests).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from dunwell.risk.calibration import Calibrator, fit_calibrator
from dunwell.risk.credit_model import CreditModel
from dunwell.risk.errors import RiskInputError
from dunwell.risk.evaluate import MAX_FOLDS, folds_of
from dunwell.risk.gbm import fit_gbm, rounds_of
from dunwell.risk.metrics import auc, average_precision, brier, ks
from dunwell.risk.model import Family, Schema, TrainOptions
from dunwell.risk.monitor import reference_of
from dunwell.risk.report import build_report
from dunwell.risk.robust import fit_prep
from dunwell.risk.scorecard import fit_scorecard
from dunwell.risk.training import Trained, describe_prep, prepare, take

Array = np.ndarray[Any, Any]
#: Each fold must hold at least this many rows of each outcome.
MIN_CLASS_ROWS_PER_FOLD = 5
INNER_STOP_SHARE = 0.2
#: LightGBM's early-stopping patience inside the search (rounds without a better AUC).
SEARCH_PATIENCE = 50
MAX_BUDGET_SECONDS = 86_400.0
DEFAULT_BUDGET_SECONDS = 60.0
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True, slots=True)
class Candidate:
    """One setting to try: a family and, for LightGBM, parameters over the defaults
    (``min_child_samples=-k`` means at least ``rows // k`` rows per leaf, and 20)."""

    name: str
    family: Family
    params: Mapping[str, Any] = field(default_factory=dict)


#: The search space, cheapest and most often best first.
CANDIDATES: tuple[Candidate, ...] = (
    Candidate("gbm-base", Family.GBM, {"learning_rate": 0.05}),
    Candidate("scorecard", Family.SCORECARD),
    Candidate("gbm-shallow", Family.GBM, {"learning_rate": 0.05, "num_leaves": 7,
                                          "max_depth": 3, "min_child_samples": -100,
                                          "lambda_l2": 10.0}),
    Candidate("gbm-regularised", Family.GBM, {"learning_rate": 0.05, "min_child_samples": -100,
                                              "lambda_l2": 20.0, "feature_fraction": 0.5}),
    Candidate("gbm-wide", Family.GBM, {"learning_rate": 0.05, "num_leaves": 31, "max_depth": 8,
                                       "min_child_samples": -400, "feature_fraction": 0.5}),
    Candidate("gbm-slow", Family.GBM, {"learning_rate": 0.02}),
)


@dataclass(frozen=True, slots=True)
class SearchOptions:
    folds: int = 5
    budget_seconds: float = DEFAULT_BUDGET_SECONDS


@dataclass(frozen=True)
class Tried:
    """A candidate's cross-validated results; ``seconds`` as the clock measured."""

    candidate: Candidate
    fold_auc: tuple[float, ...]
    fold_pr_auc: tuple[float, ...]
    fold_ks: tuple[float, ...]
    fold_brier: tuple[float, ...]
    rounds: tuple[int, ...]
    seconds: float
    oof: Array = field(repr=False, compare=False)

    @property
    def auc_mean(self) -> float:
        return round(float(np.mean(self.fold_auc)), 4)

    @property
    def auc_sd(self) -> float:
        return round(float(np.std(self.fold_auc, ddof=1)), 4) if len(self.fold_auc) > 1 else 0.0

    def to_json(self) -> dict[str, Any]:
        """The report's record (time left out, so a report depends on the seed only)."""
        return {"name": self.candidate.name, "family": self.candidate.family.value,
                "params": dict(self.candidate.params), "auc_mean": self.auc_mean,
                "auc_sd": self.auc_sd, "fold_auc": list(self.fold_auc),
                "pr_auc_mean": round(float(np.mean(self.fold_pr_auc)), 4),
                "ks_mean": round(float(np.mean(self.fold_ks)), 4),
                "brier_mean": round(float(np.mean(self.fold_brier)), 4),
                "fold_pr_auc": list(self.fold_pr_auc), "fold_ks": list(self.fold_ks),
                "fold_brier": list(self.fold_brier), "rounds": list(self.rounds)}


@dataclass(frozen=True)
class Searched:
    trained: Trained
    tried: tuple[Tried, ...]
    chosen: str
    not_tried: tuple[str, ...]


@dataclass(frozen=True)
class _Plan:
    """Every split and seed, drawn before the search starts."""

    train_at: Array
    test_at: Array
    fold_of: Array
    inner: tuple[tuple[Array, Array], ...]
    seeds: Mapping[str, int]
    final_seed: int


def check_search(search: SearchOptions) -> None:
    if not 2 <= search.folds <= MAX_FOLDS:
        raise RiskInputError(f"--folds must be between 2 and {MAX_FOLDS}, got {search.folds}",
                             code="risk_folds_must_be_in_range")
    if not 0 < search.budget_seconds <= MAX_BUDGET_SECONDS:
        raise RiskInputError(
            f"--budget must be more than 0 and at most {MAX_BUDGET_SECONDS:.0f} seconds, "
            f"got {search.budget_seconds:g}", code="risk_budget_must_be_in_range")


def candidates_for(options: TrainOptions) -> tuple[Candidate, ...]:
    if options.family == "auto":
        return CANDIDATES
    return tuple(c for c in CANDIDATES if c.family.value == options.family)


def holdout(y: Array, share: float, rng: np.random.Generator) -> tuple[Array, Array]:
    """Stratified positions: the rest, and ``share`` of each outcome (at least one)."""
    kept: list[Array] = []
    held: list[Array] = []
    for label in (0, 1):
        where = rng.permutation(np.flatnonzero(y == label))
        n = max(1, round(where.size * share))
        held.append(where[:n])
        kept.append(where[n:])
    return np.sort(np.concatenate(kept)), np.sort(np.concatenate(held))


def _check_fold_sizes(y_train: Array, folds: int, target: str) -> None:
    bads = int(y_train.sum())
    fewest = min(bads, int(y_train.size) - bads)
    need = folds * MIN_CLASS_ROWS_PER_FOLD
    if fewest < need:
        raise RiskInputError(
            f"{folds}-fold cross-validation needs at least {MIN_CLASS_ROWS_PER_FOLD} rows of "
            f"each outcome per fold ({need} of each in the training rows, after the test "
            f"split); {target!r} has {fewest} of the rarer outcome there. Use fewer --folds "
            "or more data", code="risk_rows_must_fill_folds", folds=folds)


def _plan(y: Array, options: TrainOptions, search: SearchOptions, target: str,
          rng: np.random.Generator) -> _Plan:
    if options.test_share < 0.05:
        raise RiskInputError("cross-validated training needs a test split of at least 5 %",
                             code="risk_split_must_be_in_range")
    train_at, test_at = holdout(y, options.test_share, rng)
    y_train = y[train_at]
    _check_fold_sizes(y_train, search.folds, target)
    fold_of = folds_of(y_train, search.folds, rng)
    inner = []
    for k in range(search.folds):
        rows = np.flatnonzero(fold_of != k)
        fit_part, stop_part = holdout(y_train[rows], INNER_STOP_SHARE, rng)
        inner.append((rows[fit_part], rows[stop_part]))
    seeds = {c.name: int(s) for c, s in
             zip(CANDIDATES, rng.integers(0, 2**31 - 1, size=len(CANDIDATES)), strict=True)}
    return _Plan(train_at, test_at, fold_of, tuple(inner), seeds,
                 int(rng.integers(0, 2**31 - 1)))


def _fit_one(candidate: Candidate, schema: Schema, cols: Mapping[str, Array], y: Array,
             fit_rows: Array, stop_rows: Array | None, options: TrainOptions, *, seed: int,
             rounds: int | None = None) -> CreditModel:
    """A candidate fitted on ``fit_rows`` (LightGBM stopping early on ``stop_rows``, or
    for ``rounds`` rounds), preprocessing fitted on ``fit_rows`` and ``stop_rows``."""
    seen = fit_rows if stop_rows is None else np.sort(np.r_[fit_rows, stop_rows])
    prep = fit_prep(take(cols, seen), schema) if options.robust else None
    features = prep.features(schema) if prep is not None else schema

    def model_cols(rows: Array) -> Mapping[str, Array]:
        part = take(cols, rows)
        return prep.columns(part) if prep is not None else part

    identity = Calibrator("platt", a=1.0, b=0.0)
    if candidate.family is Family.SCORECARD:
        scorecard = fit_scorecard(model_cols(seen), y[seen], features,
                                  monotone=options.monotone, seed=seed)
        return CreditModel(schema=schema, family=Family.SCORECARD, calibrator=identity,
                           scorecard=scorecard, prep=prep)
    if stop_rows is None:
        gbm = fit_gbm(model_cols(fit_rows), y[fit_rows], None, None, features, options,
                      seed=seed, overrides=candidate.params, rounds=rounds)
    else:
        gbm = fit_gbm(model_cols(fit_rows), y[fit_rows], model_cols(stop_rows), y[stop_rows],
                      features, options, seed=seed, overrides=candidate.params)
    return CreditModel(schema=schema, family=Family.GBM, calibrator=identity, gbm=gbm,
                       prep=prep)


def _try(candidate: Candidate, schema: Schema, cols: Mapping[str, Array], y: Array,
         plan: _Plan, options: TrainOptions, *, clock: Callable[[], float],
         step: Callable[[], None]) -> Tried:
    started = clock()
    y_train = y[plan.train_at]
    oof = np.zeros(plan.train_at.size, dtype=np.float64)
    aucs, prs, kss, rounds = [], [], [], []
    for k, (fit_part, stop_part) in enumerate(plan.inner):
        fit_rows, stop_rows = plan.train_at[fit_part], plan.train_at[stop_part]
        model = _fit_one(candidate, schema, cols, y, fit_rows, stop_rows, options,
                         seed=plan.seeds[candidate.name])
        held = plan.fold_of == k
        raw = model.raw_columns(take(cols, plan.train_at[held]))
        oof[held] = raw
        aucs.append(round(auc(y_train[held], raw), 4))
        prs.append(round(average_precision(y_train[held], raw), 4))
        kss.append(round(ks(y_train[held], raw), 4))
        if model.gbm is not None:
            rounds.append(rounds_of(model.gbm))
        step()
    calibrator = fit_calibrator(oof, y_train, options.calibration,
                                seed=plan.seeds[candidate.name])
    p = calibrator.apply(oof)
    briers = tuple(round(brier(y_train[plan.fold_of == k], p[plan.fold_of == k]), 4)
                   for k in range(len(plan.inner)))
    return Tried(candidate, tuple(aucs), tuple(prs), tuple(kss), briers, tuple(rounds),
                 seconds=clock() - started, oof=oof)


def run_search(schema: Schema, cols: Mapping[str, Array], y: Array, plan: _Plan,
               options: TrainOptions, search: SearchOptions, *, clock: Callable[[], float],
               progress: Progress | None = None) -> tuple[list[Tried], list[str]]:
    """Try the candidates in order within the budget; returns those tried and the names
    of those the budget left out."""
    todo = candidates_for(options)
    tried: list[Tried] = []
    started = clock()
    last = 0.0
    done = 0
    total = len(todo) * search.folds
    for at, candidate in enumerate(todo):
        if tried and clock() - started + last > search.budget_seconds:
            return tried, [c.name for c in todo[at:]]

        def step(name: str = candidate.name) -> None:
            nonlocal done
            done += 1
            if progress is not None:
                progress(name, done, total)

        result = _try(candidate, schema, cols, y, plan, options, clock=clock, step=step)
        last = result.seconds
        tried.append(result)
    return tried, []


def best_of(tried: Sequence[Tried]) -> Tried:
    """The highest mean AUC; the earlier candidate on a tie."""
    return max(reversed(tried), key=lambda t: t.auc_mean)


def search_train(frame: pd.DataFrame, *, target: str, options: TrainOptions,
                 search: SearchOptions, data_sha256: str, rng: np.random.Generator,
                 clock: Callable[[], float], progress: Progress | None = None) -> Searched:
    """``dunwell risk train``: robust preprocessing, settings chosen by cross-validation
    within ``search.budget_seconds``, the choice refitted, calibrated and measured."""
    check_search(search)
    schema, cols, y = prepare(frame, target, options)
    options = replace(options, early_stopping_rounds=min(options.early_stopping_rounds,
                                                         SEARCH_PATIENCE))
    plan = _plan(y, options, search, target, rng)
    tried, not_tried = run_search(schema, cols, y, plan, options, search, clock=clock,
                                  progress=progress)
    best = best_of(tried)
    mean_rounds = round(float(np.mean(best.rounds))) if best.rounds else None
    draft = _fit_one(best.candidate, schema, cols, y, plan.train_at, None, options,
                     seed=plan.final_seed, rounds=mean_rounds)
    calibrator = fit_calibrator(best.oof, y[plan.train_at], options.calibration,
                                seed=plan.final_seed)
    scores = calibrator.apply(draft.raw_columns(cols))
    cv = {"folds": search.folds, "rows": int(plan.train_at.size), "chosen": best.candidate.name,
          "auc_mean": best.auc_mean, "auc_sd": best.auc_sd, "budget_seconds":
          search.budget_seconds, "candidates": [t.to_json() for t in tried],
          "not_tried": not_tried}
    meta = {"target": target, "data_sha256": data_sha256, "rows": int(y.size),
            "base_rate": round(float(y.mean()), 4),
            "options": {"family": options.family, "calibration": options.calibration,
                        "monotone": dict(options.monotone),
                        "categorical": list(options.categorical), "drop": list(options.drop),
                        "max_rounds": options.max_rounds, "robust": options.robust,
                        "folds": search.folds, "budget_seconds": search.budget_seconds,
                        "candidate": best.candidate.name,
                        "params": dict(best.candidate.params), "rounds": mean_rounds}}
    model = CreditModel(schema=schema, family=best.candidate.family, calibrator=calibrator,
                        scorecard=draft.scorecard, gbm=draft.gbm, prep=draft.prep,
                        reference=reference_of(cols, scores, schema), meta=meta)
    per_family: dict[str, float] = {}
    for t in tried:
        name = t.candidate.family.value
        per_family[name] = max(per_family.get(name, 0.0), t.auc_mean)
    facts = {"valid_auc": per_family, "held_out": plan.test_at, "held_out_name": "test",
             "scores": scores, "preprocessing": describe_prep(draft.prep),
             "cross_validation": cv,
             "sizes": {"train": int(plan.train_at.size), "validation": 0,
                       "test": int(plan.test_at.size)}}
    report = build_report(model, cols, y, facts)
    model.meta = {**meta, "metrics": report["metrics"], "valid_auc": per_family,
                  "cross_validation": {k: cv[k] for k in ("folds", "chosen", "auc_mean",
                                                          "auc_sd", "not_tried")}}
    return Searched(Trained(model=model, report=report), tuple(tried),
                    best.candidate.name, tuple(not_tried))
