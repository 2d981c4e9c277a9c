"""Population stability: how far a scoring batch has drifted from the training data.

The training data's distributions are kept with the model (:class:`Reference`):
numeric features by their training deciles plus a missing bin, categories by their
20 commonest values plus "other" and missing, and the score by its deciles.
``PSI = sum((actual - expected) * ln(actual / expected))`` over those bins; below 0.1
is stable, 0.1–0.25 a moderate shift, above 0.25 a major one.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from dunwell.risk.model import PSI_ALERT, PSI_WATCH, Kind, Schema

EPSILON = 1e-4
TOP_CATEGORIES = 20
Array = np.ndarray[Any, Any]


@dataclass(frozen=True)
class Distribution:
    kind: Kind
    shares: tuple[float, ...]
    edges: tuple[float, ...] = ()
    categories: tuple[str, ...] = ()
    mean: float | None = None

    def bin_shares(self, values: Array) -> tuple[Array, float | None]:
        """Shares of ``values`` in this distribution's bins, and their mean if numeric."""
        n = max(len(values), 1)
        if self.kind is Kind.NUMERIC:
            x = values.astype(np.float64)
            present = ~np.isnan(x)
            idx = np.searchsorted(self.edges, x[present], side="right")
            counts = np.bincount(idx, minlength=len(self.edges) + 1).astype(np.float64)
            counts = np.r_[counts, float((~present).sum())]
            mean = float(x[present].mean()) if present.any() else None
            return counts / n, mean
        index = {c: k for k, c in enumerate(self.categories)}
        counts = np.zeros(len(self.categories) + 2, dtype=np.float64)
        for v in values:
            counts[-1 if v is None else index.get(v, len(self.categories))] += 1
        return counts / n, None

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind.value, "shares": list(self.shares), "edges": list(self.edges),
                "categories": list(self.categories), "mean": self.mean}

    @staticmethod
    def from_json(doc: Mapping[str, Any]) -> Distribution:
        return Distribution(kind=Kind(doc["kind"]), shares=tuple(map(float, doc["shares"])),
                            edges=tuple(map(float, doc["edges"])),
                            categories=tuple(map(str, doc["categories"])),
                            mean=None if doc.get("mean") is None else float(doc["mean"]))


def distribution_of(values: Array, kind: Kind) -> Distribution:
    if kind is Kind.NUMERIC:
        x = values.astype(np.float64)
        present = x[~np.isnan(x)]
        edges = np.unique(np.quantile(present, np.linspace(0.1, 0.9, 9))) if present.size \
            else np.zeros(0)
        shell = Distribution(kind, (), edges=tuple(float(e) for e in edges))
        shares, mean = shell.bin_shares(values)
        return Distribution(kind, tuple(map(float, shares)), edges=shell.edges, mean=mean)
    common = Counter(v for v in values if v is not None).most_common(TOP_CATEGORIES)
    shell = Distribution(kind, (), categories=tuple(sorted(c for c, _ in common)))
    shares, _ = shell.bin_shares(values)
    return Distribution(kind, tuple(map(float, shares)), categories=shell.categories)


@dataclass(frozen=True)
class Reference:
    features: Mapping[str, Distribution]
    score: Distribution

    def to_json(self) -> dict[str, Any]:
        return {"score": self.score.to_json(),
                "features": {k: d.to_json() for k, d in self.features.items()}}

    @staticmethod
    def from_json(doc: Mapping[str, Any]) -> Reference:
        return Reference(features={k: Distribution.from_json(d)
                                   for k, d in doc["features"].items()},
                         score=Distribution.from_json(doc["score"]))


def reference_of(cols: Mapping[str, Array], scores: Array, schema: Schema) -> Reference:
    return Reference(
        features={f.name: distribution_of(cols[f.name], f.kind) for f in schema.features},
        score=distribution_of(scores, Kind.NUMERIC))


def psi(expected: Array, actual: Array) -> float:
    e = np.clip(np.asarray(expected, dtype=np.float64), EPSILON, None)
    a = np.clip(np.asarray(actual, dtype=np.float64), EPSILON, None)
    return float(np.sum((a - e) * np.log(a / e)))


def status_of(value: float) -> str:
    if value < PSI_WATCH:
        return "stable"
    return "moderate shift" if value < PSI_ALERT else "major shift"


@dataclass(frozen=True, slots=True)
class Drift:
    name: str
    psi: float
    status: str
    expected_mean: float | None = None
    actual_mean: float | None = None


def drift_of(name: str, reference: Distribution, values: Array) -> Drift:
    shares, mean = reference.bin_shares(values)
    value = round(psi(np.asarray(reference.shares), shares), 6)
    return Drift(name, value, status_of(value), reference.mean, mean)


def monitor(reference: Reference, cols: Mapping[str, Array], scores: Array) -> list[Drift]:
    """The score's drift first, then every feature's, largest PSI first."""
    features = [drift_of(name, dist, cols[name]) for name, dist in reference.features.items()]
    features.sort(key=lambda d: -d.psi)
    return [drift_of("score", reference.score, scores), *features]
