"""Gradient boosting (LightGBM): early stopping on the validation split, monotone
constraints where declared, categories as integer codes of the training categories
(unseen and missing both go to LightGBM's missing branch).

Inside LightGBM the features are named ``f0``, ``f1``... so any column name works;
the model is kept as LightGBM's own text format.

One row at a time (a decision) is scored through LightGBM's single-row C entry points,
set up once per model (:class:`SingleRow`): the same predictor code as
``Booster.predict``, so the same numbers, without building a predictor per call.
"""

from __future__ import annotations

import ctypes
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

from dunwell.risk.errors import ModelLoadError, RiskInputError
from dunwell.risk.model import Kind, Schema, TrainOptions

Array = np.ndarray[Any, Any]


class SingleRow:
    """LightGBM's fast single-row prediction of one kind (raw score or SHAP
    contributions) for one booster, configured once (``FastConfig`` with one thread).
    LightGBM's single-row predictor keeps one buffer per OpenMP thread, which every
    caller's thread shares, so calls are serialised by a lock (it is held for the
    microseconds of one row)."""

    def __init__(self, booster: Any, *, contrib: bool, columns: int) -> None:
        from lightgbm import basic

        self._lib: Any = basic._LIB  # type: ignore[attr-defined]  # LightGBM C library
        self._booster = booster  # kept alive as long as the configuration using it
        self._lock = threading.Lock()
        self.columns = columns
        self.width = columns + 1 if contrib else 1
        kind = basic._C_API_PREDICT_CONTRIB if contrib else basic._C_API_PREDICT_RAW_SCORE
        best = int(getattr(booster, "best_iteration", 0) or 0)
        self._handle = ctypes.c_void_p()
        basic._safe_call(self._lib.LGBM_BoosterPredictForMatSingleRowFastInit(
            booster._handle, ctypes.c_int(kind), ctypes.c_int(0),
            ctypes.c_int(best if best > 0 else -1), ctypes.c_int(_FLOAT64),
            ctypes.c_int32(columns), basic._c_str("num_threads=1"),
            ctypes.byref(self._handle)))
        self._out = np.empty(self.width, dtype=np.float64)
        self._out_len = ctypes.c_int64(0)

    def __call__(self, row: Array) -> Array:
        """The prediction of one row (float64, ``columns`` long), as a new array."""
        from lightgbm import basic

        x = np.ascontiguousarray(row, dtype=np.float64)
        with self._lock:
            basic._safe_call(self._lib.LGBM_BoosterPredictForMatSingleRowFast(
                self._handle, x.ctypes.data_as(ctypes.c_void_p), ctypes.byref(self._out_len),
                self._out.ctypes.data_as(ctypes.POINTER(ctypes.c_double))))
            return self._out.copy()

    def __del__(self) -> None:
        handle = getattr(self, "_handle", None)
        if handle is not None and handle.value:
            self._lib.LGBM_FastConfigFree(handle)


#: LightGBM's C API code for float64 input (``C_API_DTYPE_FLOAT64``).
_FLOAT64 = 1


@dataclass(frozen=True)
class Gbm:
    booster: Any
    features: tuple[str, ...]
    codes: Mapping[str, Mapping[str, int]]

    @staticmethod
    def for_schema(booster: Any, schema: Schema) -> Gbm:
        codes = {f.name: {c: k for k, c in enumerate(f.categories)}
                 for f in schema.features if f.kind is Kind.CATEGORICAL}
        return Gbm(booster=booster, features=schema.names, codes=codes)

    def matrix(self, cols: Mapping[str, Array]) -> Array:
        columns = []
        for name in self.features:
            table = self.codes.get(name)
            if table is None:
                columns.append(cols[name].astype(np.float64))
            else:
                columns.append(np.array([np.nan if v is None else table.get(v, np.nan)
                                         for v in cols[name]], dtype=np.float64))
        return np.column_stack(columns)

    def row_matrix(self, values: Mapping[str, float | str | None]) -> Array:
        out = np.empty((1, len(self.features)), dtype=np.float64)
        for k, name in enumerate(self.features):
            v = values[name]
            table = self.codes.get(name)
            if v is None:
                out[0, k] = np.nan
            elif table is None:
                out[0, k] = v
            else:
                out[0, k] = table.get(str(v), np.nan)
        return out

    def raw(self, x: Array) -> Array:
        if x.shape[0] == 1:
            return self._raw_one(x[0])
        return np.asarray(self.booster.predict(x, raw_score=True, num_threads=1),
                          dtype=np.float64)

    @cached_property
    def _raw_one(self) -> SingleRow:
        return SingleRow(self.booster, contrib=False, columns=len(self.features))

    @cached_property
    def _contrib_one(self) -> SingleRow:
        return SingleRow(self.booster, contrib=True, columns=len(self.features))

    def contributions(self, values: Mapping[str, float | str | None]) -> dict[str, float]:
        """SHAP values in log-odds of bad (LightGBM's ``pred_contrib``)."""
        parts = self._contrib_one(self.row_matrix(values)[0])
        return {name: float(parts[k]) for k, name in enumerate(self.features)}

    def importance(self) -> dict[str, float]:
        gain = np.asarray(self.booster.feature_importance(importance_type="gain"),
                          dtype=np.float64)
        total = float(gain.sum()) or 1.0
        return {name: float(g) / total for name, g in zip(self.features, gain, strict=True)}

    def to_text(self) -> str:
        return str(self.booster.model_to_string())

    @staticmethod
    def from_text(text: str, schema: Schema) -> Gbm:
        import lightgbm as lgb

        try:
            booster = lgb.Booster(model_str=text)
        except lgb.basic.LightGBMError as exc:
            raise ModelLoadError(f"the LightGBM model cannot be read: {exc}") from None
        if booster.num_feature() != len(schema.features):
            raise ModelLoadError(
                f"the LightGBM model has {booster.num_feature()} features but the schema "
                f"lists {len(schema.features)}")
        return Gbm.for_schema(booster, schema)


def monotone_vector(schema: Schema, monotone: Mapping[str, int]) -> list[int]:
    for name in monotone:
        if name not in schema.names:
            raise RiskInputError(f"--monotone names {name!r}, which is not a feature",
                                 code="risk_monotone_column_must_be_a_feature", column=name)
        if schema.feature(name).kind is Kind.CATEGORICAL:
            raise RiskInputError(f"--monotone names {name!r}, which is categorical; only "
                                 "numeric columns can be monotone",
                                 code="risk_monotone_column_must_be_numeric", column=name)
    return [int(monotone.get(n, 0)) for n in schema.names]


def gbm_params(options: TrainOptions, rows: int, seed: int,
               overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """LightGBM's parameters: the defaults below, then ``overrides`` (a search
    candidate's). ``min_child_samples`` given as a negative number ``-k`` means
    ``max(20, rows // k)``."""
    params: dict[str, Any] = {
        "objective": "binary", "metric": "auc", "learning_rate": options.learning_rate,
        "num_leaves": 15, "max_depth": 6, "min_child_samples": -200,
        "feature_fraction": 0.7, "bagging_fraction": 0.8, "bagging_freq": 1,
        "lambda_l2": 5.0, "cat_smooth": 20.0, "min_data_per_group": 50,
        "seed": seed, "deterministic": True, "force_row_wise": True,
        "num_threads": options.threads, "verbose": -1, **(overrides or {}),
    }
    if params["min_child_samples"] < 0:
        params["min_child_samples"] = max(20, rows // -int(params["min_child_samples"]))
    return params


def fit_gbm(train: Mapping[str, Array], y_train: Array, valid: Mapping[str, Array] | None,
            y_valid: Array | None, schema: Schema, options: TrainOptions, *, seed: int,
            overrides: Mapping[str, Any] | None = None, rounds: int | None = None) -> Gbm:
    """Fit with early stopping on ``valid``, or without a validation split for exactly
    ``rounds`` rounds (a refit whose number of rounds cross-validation found)."""
    import lightgbm as lgb

    shell = Gbm.for_schema(None, schema)
    x_train = shell.matrix(train)
    categorical = [k for k, f in enumerate(schema.features) if f.kind is Kind.CATEGORICAL]
    params = gbm_params(options, len(y_train), seed, overrides)
    constraints = monotone_vector(schema, options.monotone)
    if any(constraints):
        params["monotone_constraints"] = constraints
        params["monotone_constraints_method"] = "advanced"
    names = [f"f{k}" for k in range(len(schema.features))]
    train_set = lgb.Dataset(x_train, label=y_train, feature_name=names,
                            categorical_feature=categorical, free_raw_data=True)
    if valid is None or y_valid is None:
        booster = lgb.train(params, train_set, num_boost_round=max(1, rounds or 1))
        return Gbm.for_schema(lgb.Booster(model_str=booster.model_to_string()), schema)
    valid_set = lgb.Dataset(shell.matrix(valid), label=y_valid, reference=train_set)
    booster = lgb.train(params, train_set, num_boost_round=options.max_rounds,
                        valid_sets=[valid_set],
                        callbacks=[lgb.early_stopping(options.early_stopping_rounds,
                                                      verbose=False)])
    best = booster.best_iteration or booster.current_iteration()
    text = booster.model_to_string(num_iteration=best)
    return Gbm.for_schema(lgb.Booster(model_str=text), schema)


def rounds_of(gbm: Gbm) -> int:
    """Boosting rounds in a fitted model (one tree per round for a binary objective)."""
    return int(gbm.booster.num_trees())
