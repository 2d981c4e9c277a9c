"""The points scorecard: optimal binning with weight of evidence (WOE), then a
logistic regression on the WOE values, scaled to points.

OptBinning finds the bins (monotonic event rate for numeric columns unless a trend
is declared); the fitted bins are copied into plain tables, so scoring needs neither
OptBinning nor pandas and one row costs a bisect and a multiply per feature. WOE here
is OptBinning's: ln(share of goods / share of bads), so a higher WOE is safer.
"""

from __future__ import annotations

import bisect
import math
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from dunwell.risk.model import BASE_ODDS, BASE_SCORE, PDO, Kind, Schema

#: Columns whose information value is below this are left out of the regression.
MIN_INFORMATION_VALUE = 0.02
FACTOR = PDO / math.log(2.0)
OFFSET = BASE_SCORE - FACTOR * math.log(BASE_ODDS)
Array = np.ndarray[Any, Any]


@dataclass(frozen=True)
class Bins:
    """One feature's bins: numeric ``splits`` (left-closed intervals) or categorical
    ``groups``; a WOE per bin, one for missing values and 0 for unseen categories."""

    feature: str
    kind: Kind
    woe: tuple[float, ...]
    woe_missing: float
    labels: tuple[str, ...]
    event_rates: tuple[float, ...]
    counts: tuple[int, ...]
    iv: float
    splits: tuple[float, ...] = ()
    groups: tuple[tuple[str, ...], ...] = ()
    _lookup: dict[str, int] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        for k, group in enumerate(self.groups):
            for category in group:
                self._lookup[category] = k

    def woe_of(self, value: float | str | None) -> float:
        if value is None:
            return self.woe_missing
        if self.kind is Kind.NUMERIC:
            return self.woe[bisect.bisect_right(self.splits, value)]
        k = self._lookup.get(str(value))
        return 0.0 if k is None else self.woe[k]

    def woe_column(self, values: Array) -> Array:
        if self.kind is Kind.NUMERIC:
            x = values.astype(np.float64)
            out = np.asarray(self.woe)[np.searchsorted(self.splits, np.nan_to_num(x),
                                                       side="right")]
            return np.where(np.isnan(x), self.woe_missing, out)
        return np.array([self.woe_of(v) for v in values], dtype=np.float64)

    def to_json(self) -> dict[str, Any]:
        return {"feature": self.feature, "kind": self.kind.value, "woe": list(self.woe),
                "woe_missing": self.woe_missing, "labels": list(self.labels),
                "event_rates": list(self.event_rates), "counts": list(self.counts),
                "iv": self.iv, "splits": list(self.splits),
                "groups": [list(g) for g in self.groups]}

    @staticmethod
    def from_json(doc: Mapping[str, Any]) -> Bins:
        return Bins(feature=doc["feature"], kind=Kind(doc["kind"]),
                    woe=tuple(map(float, doc["woe"])), woe_missing=float(doc["woe_missing"]),
                    labels=tuple(doc["labels"]), event_rates=tuple(doc["event_rates"]),
                    counts=tuple(doc["counts"]), iv=float(doc["iv"]),
                    splits=tuple(map(float, doc["splits"])),
                    groups=tuple(tuple(map(str, g)) for g in doc["groups"]))


@dataclass(frozen=True)
class Scorecard:
    """``logit(P(bad)) = intercept + sum(coef * woe)`` over the selected features."""

    bins: tuple[Bins, ...]
    coef: tuple[float, ...]
    intercept: float
    woe_mean: tuple[float, ...]

    @property
    def features(self) -> tuple[str, ...]:
        return tuple(b.feature for b in self.bins)

    def raw_columns(self, cols: Mapping[str, Array]) -> Array:
        n = len(next(iter(cols.values())))
        out = np.full(n, self.intercept, dtype=np.float64)
        for b, c in zip(self.bins, self.coef, strict=True):
            out += c * b.woe_column(cols[b.feature])
        return out

    def raw_row(self, values: Mapping[str, float | str | None]) -> float:
        total = self.intercept
        for b, c in zip(self.bins, self.coef, strict=True):
            total += c * b.woe_of(values[b.feature])
        return total

    def contributions(self, values: Mapping[str, float | str | None]) -> dict[str, float]:
        """Each feature's push on the log-odds of bad, against the training average."""
        return {b.feature: c * (b.woe_of(values[b.feature]) - m)
                for b, c, m in zip(self.bins, self.coef, self.woe_mean, strict=True)}

    def points_table(self) -> list[dict[str, Any]]:
        """Points per bin (PDO 20, 600 points at odds 50:1); a row's score is the sum."""
        share = (OFFSET - FACTOR * self.intercept) / len(self.bins)
        rows = []
        for b, c in zip(self.bins, self.coef, strict=True):
            labels = [*b.labels, "missing"]
            woes = [*b.woe, b.woe_missing]
            for label, woe in zip(labels, woes, strict=True):
                rows.append({"feature": b.feature, "bin": label, "woe": round(woe, 4),
                             "points": round(share - FACTOR * c * woe, 1)})
        return rows

    def importance(self, cols: Mapping[str, Array]) -> dict[str, float]:
        raw = {b.feature: abs(c) * float(np.std(b.woe_column(cols[b.feature])))
               for b, c in zip(self.bins, self.coef, strict=True)}
        total = sum(raw.values()) or 1.0
        return {k: v / total for k, v in raw.items()}

    def to_json(self) -> dict[str, Any]:
        return {"bins": [b.to_json() for b in self.bins], "coef": list(self.coef),
                "intercept": self.intercept, "woe_mean": list(self.woe_mean),
                "scaling": {"base_score": BASE_SCORE, "base_odds": BASE_ODDS, "pdo": PDO},
                "points": self.points_table()}

    @staticmethod
    def from_json(doc: Mapping[str, Any]) -> Scorecard:
        return Scorecard(bins=tuple(Bins.from_json(b) for b in doc["bins"]),
                         coef=tuple(map(float, doc["coef"])),
                         intercept=float(doc["intercept"]),
                         woe_mean=tuple(map(float, doc["woe_mean"])))


def points_of(raw: Array | float) -> Array | float:
    """Scorecard points for a log-odds of bad: higher points, safer borrower."""
    return OFFSET - FACTOR * raw


def _trend(name: str, monotone: Mapping[str, int]) -> str:
    sign = monotone.get(name, 0)
    return "ascending" if sign > 0 else "descending" if sign < 0 else "auto_asc_desc"


def _bins_from(optb: Any, name: str, kind: Kind) -> Bins:
    table = optb.binning_table.build()
    k = len(optb.splits) + (1 if kind is Kind.NUMERIC else 0)
    woe = [float(w) for w in table["WoE"].iloc[: k + 2]]
    labels = [str(b) for b in table["Bin"].iloc[:k]]
    return Bins(
        feature=name, kind=kind, woe=tuple(woe[:k]), woe_missing=woe[k + 1],
        labels=tuple(labels),
        event_rates=tuple(float(r) for r in table["Event rate"].iloc[:k].fillna(0.0)),
        counts=tuple(int(c) for c in table["Count"].iloc[:k]),
        iv=float(table["IV"].iloc[-1]),
        splits=tuple(float(s) for s in optb.splits) if kind is Kind.NUMERIC else (),
        groups=(tuple(tuple(str(c) for c in g) for g in optb.splits)
                if kind is Kind.CATEGORICAL else ()),
    )


def fit_bins(cols: Mapping[str, Array], y: Array, schema: Schema, *,
             monotone: Mapping[str, int]) -> list[Bins]:
    """Optimal bins for every feature (OptBinning), as plain tables."""
    import pandas as pd
    from optbinning import BinningProcess

    names = list(schema.names)
    kinds = {f.name: f.kind for f in schema.features}
    categorical = [n for n in names if kinds[n] is Kind.CATEGORICAL]
    params = {n: {"monotonic_trend": _trend(n, monotone)} for n in names
              if kinds[n] is Kind.NUMERIC}
    process = BinningProcess(names, categorical_variables=categorical or None,
                             binning_fit_params=params)
    frame = pd.DataFrame({n: cols[n] for n in names})
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Setting an item of incompatible dtype")
        process.fit(frame, y)
        return [_bins_from(process.get_binned_variable(n), n, kinds[n]) for n in names]


def fit_scorecard(cols: Mapping[str, Array], y: Array, schema: Schema, *,
                  monotone: Mapping[str, int], seed: int) -> Scorecard:
    """Bins, WOE, then a logistic regression whose coefficients all point the same way
    (a safer bin never costs points): features that come out reversed are dropped."""
    from sklearn.linear_model import LogisticRegression

    all_bins = fit_bins(cols, y, schema, monotone=monotone)
    ranked = sorted(all_bins, key=lambda b: -b.iv)
    chosen = [b for b in ranked if b.iv >= MIN_INFORMATION_VALUE] or ranked[:1]
    woe = {b.feature: b.woe_column(cols[b.feature]) for b in chosen}
    for _ in range(len(chosen)):
        x = np.column_stack([woe[b.feature] for b in chosen])
        model = LogisticRegression(C=1.0, max_iter=2000, random_state=seed).fit(x, y)
        coef = model.coef_[0]
        if len(chosen) == 1 or (coef < 0).all():
            break
        chosen.pop(int(np.argmax(coef)))
    return Scorecard(bins=tuple(chosen), coef=tuple(float(c) for c in coef),
                     intercept=float(model.intercept_[0]),
                     woe_mean=tuple(float(woe[b.feature].mean()) for b in chosen))

