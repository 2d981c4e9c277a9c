"""The risk vocabulary: families, options, the feature schema and reason codes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from dunwell.risk.errors import ModelLoadError

#: Points scaling of the scorecard: 600 points at good:bad odds of 50:1, and every
#: 20 points doubles the odds.
BASE_SCORE = 600.0
BASE_ODDS = 50.0
PDO = 20.0

#: Population stability thresholds: below 0.1 stable, up to 0.25 a moderate shift,
#: above that a major one.
PSI_WATCH = 0.1
PSI_ALERT = 0.25


class Family(StrEnum):
    SCORECARD = "scorecard"
    GBM = "gbm"


class Kind(StrEnum):
    NUMERIC = "numeric"
    CATEGORICAL = "categorical"


@dataclass(frozen=True, slots=True)
class Reason:
    """One factor pushing a decision towards the bad outcome.

    ``contribution`` is in log-odds of the bad outcome, relative to a typical
    borrower of the training data; larger means a stronger push.
    """

    feature: str
    phrase: str
    contribution: float


@dataclass(frozen=True, slots=True)
class FeatureSpec:
    name: str
    kind: Kind
    dtype: str
    categories: tuple[str, ...] = ()
    median: float | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "kind": self.kind.value, "dtype": self.dtype}
        if self.kind is Kind.CATEGORICAL:
            out["categories"] = list(self.categories)
        else:
            out["median"] = self.median
        return out

    @staticmethod
    def from_json(doc: Mapping[str, Any]) -> FeatureSpec:
        """A feature as saved; a numeric one without its training median is refused
        (reasons would compare its values with a made-up median)."""
        spec = FeatureSpec(
            name=str(doc["name"]),
            kind=Kind(doc["kind"]),
            dtype=str(doc["dtype"]),
            categories=tuple(str(c) for c in doc.get("categories", ())),
            median=None if doc.get("median") is None else float(doc["median"]),
        )
        if spec.kind is Kind.NUMERIC and spec.median is None:
            raise ModelLoadError(f"numeric feature {spec.name!r} is saved without its "
                                 "training median; retrain or restore the model")
        return spec


@dataclass(frozen=True, slots=True)
class DroppedColumn:
    name: str
    reason: str


@dataclass(frozen=True, slots=True)
class Schema:
    """What a model reads: its features in order, the target it was trained on (never
    read when scoring) and the columns it set aside, with why."""

    features: tuple[FeatureSpec, ...]
    target: str
    dropped: tuple[DroppedColumn, ...] = ()

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.features)

    def feature(self, name: str) -> FeatureSpec:
        for spec in self.features:
            if spec.name == name:
                return spec
        raise KeyError(name)

    def to_json(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "features": [f.to_json() for f in self.features],
            "dropped": [{"name": d.name, "reason": d.reason} for d in self.dropped],
        }

    @staticmethod
    def from_json(doc: Mapping[str, Any]) -> Schema:
        return Schema(
            features=tuple(FeatureSpec.from_json(f) for f in doc["features"]),
            target=str(doc["target"]),
            dropped=tuple(DroppedColumn(str(d["name"]), str(d["reason"]))
                          for d in doc.get("dropped", ())),
        )


@dataclass(frozen=True, slots=True)
class TrainOptions:
    """How to train. ``monotone`` maps a column to +1 (risk rises with it) or -1;
    ``robust`` fits :mod:`dunwell.risk.robust`'s treatments on the training rows."""

    family: str = "auto"
    monotone: Mapping[str, int] = field(default_factory=dict)
    categorical: tuple[str, ...] = ()
    drop: tuple[str, ...] = ()
    keep_protected: bool = False
    calibration: str = "platt"
    valid_share: float = 0.2
    test_share: float = 0.2
    max_rounds: int = 2000
    learning_rate: float = 0.03
    early_stopping_rounds: int = 100
    threads: int = 2
    robust: bool = True
