"""Probability calibration on a held-out split: Platt scaling (a logistic curve on
the raw log-odds, which keeps the ranking and so the AUC) or isotonic regression."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from dunwell.risk.errors import ModelLoadError, RiskInputError

METHODS = ("platt", "isotonic")
Array = np.ndarray[Any, Any]


@dataclass(frozen=True)
class Calibrator:
    method: str
    a: float = 1.0
    b: float = 0.0
    xs: tuple[float, ...] = ()
    ys: tuple[float, ...] = ()

    def apply(self, raw: Array) -> Array:
        if self.method == "platt":
            z = np.clip(self.a * raw + self.b, -40.0, 40.0)
            return np.asarray(1.0 / (1.0 + np.exp(-z)), dtype=np.float64)
        return np.interp(raw, self.xs, self.ys)

    def apply_one(self, raw: float) -> float:
        if self.method == "platt":
            z = min(max(self.a * raw + self.b, -40.0), 40.0)
            return 1.0 / (1.0 + math.exp(-z))
        return float(np.interp(raw, self.xs, self.ys))

    def to_json(self) -> dict[str, Any]:
        if self.method == "platt":
            return {"method": "platt", "a": self.a, "b": self.b}
        return {"method": "isotonic", "xs": list(self.xs), "ys": list(self.ys)}

    @staticmethod
    def from_json(doc: Mapping[str, Any]) -> Calibrator:
        method = doc.get("method")
        if method == "platt":
            return Calibrator("platt", a=float(doc["a"]), b=float(doc["b"]))
        if method == "isotonic":
            return Calibrator("isotonic", xs=tuple(map(float, doc["xs"])),
                              ys=tuple(map(float, doc["ys"])))
        raise ModelLoadError(f"calibration method {method!r} is not known")


def fit_calibrator(raw: Array, y: Array, method: str, *, seed: int) -> Calibrator:
    if method not in METHODS:
        raise RiskInputError(f"--calibration {method!r} is not known; use platt or isotonic",
                             code="risk_calibration_must_be_known")
    if method == "platt":
        from sklearn.linear_model import LogisticRegression

        model = LogisticRegression(C=1e6, max_iter=1000, random_state=seed)
        model.fit(raw.reshape(-1, 1), y)
        return Calibrator("platt", a=float(model.coef_[0, 0]), b=float(model.intercept_[0]))
    from sklearn.isotonic import IsotonicRegression

    iso = IsotonicRegression(y_min=1e-4, y_max=1 - 1e-4, out_of_bounds="clip").fit(raw, y)
    return Calibrator("isotonic", xs=tuple(map(float, iso.X_thresholds_)),
                      ys=tuple(map(float, iso.y_thresholds_)))
