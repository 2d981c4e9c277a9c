"""Robust preprocessing for bureau-style data, fitted on training rows only and kept
with the model so scoring treats every row the same way.

Three treatments, each found from the training rows and recorded with its thresholds:

* **Sentinel codes** in count-like columns (whole numbers from 0, 99 % of them at most
  :data:`COUNT_MAX_BULK`): up to :data:`SENTINEL_MAX_CODES` values far above the bulk
  (each above ``2 x bulk max + 10``), each repeated on at least
  :data:`SENTINEL_MIN_ROWS` rows and together on at most :data:`SENTINEL_MAX_SHARE`
  of the rows, are codes ("96", "98": not reported, refused) rather than counts. They
  become missing, and a ``COLUMN__sentinel`` feature keeps which code it was (0 when
  none), so the model may still learn what the code means.
* **Extreme values** in continuous columns (at least :data:`CLIP_MIN_DISTINCT`
  distinct values): values beyond the fences ``p99 + 3 (p99 - p1)`` and
  ``p1 - 3 (p99 - p1)`` (:data:`CLIP_TAIL_FACTOR`; percentiles of the training rows)
  are clipped to the fence. The fences sit outside the data's own range, so the top
  1 % of genuine values stays apart from the extremes (ratios in the thousands, data
  errors) and ranks above them are only merged beyond the fence.
* **Missing values** (an income not given) stay missing: LightGBM sends them down the
  branch it learned for missing values and the scorecard gives them the missing bin's
  WOE, so each already acts as its own indicator. Columns missing on at least
  :data:`MISSING_MIN_SHARE` of the rows are recorded with their share. (A separate
  0/1 indicator feature was measured on the bureau-style sample and did not raise
  the cross-validated AUC, so none is added.)

The derived ``__sentinel`` features are appended after the input's features;
contributions and reasons fold them back onto the column they came from.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from dunwell.risk.model import FeatureSpec, Kind, Schema

Array = np.ndarray[Any, Any]
Values = Mapping[str, float | str | None]

COUNT_MAX_BULK = 100.0
SENTINEL_MAX_CODES = 3
SENTINEL_MIN_ROWS = 3
SENTINEL_MAX_SHARE = 0.05
CLIP_QUANTILES = (0.01, 0.99)
CLIP_TAIL_FACTOR = 3.0
CLIP_MIN_DISTINCT = 20
MISSING_MIN_SHARE = 0.01
SENTINEL_SUFFIX = "__sentinel"


@dataclass(frozen=True, slots=True)
class Sentinel:
    column: str
    codes: tuple[float, ...]
    rows: int
    bulk_max: float


@dataclass(frozen=True, slots=True)
class Clip:
    column: str
    low: float | None
    high: float | None
    rows_low: int
    rows_high: int
    observed_min: float
    observed_max: float


@dataclass(frozen=True, slots=True)
class MissingFlag:
    column: str
    rows: int
    share: float


@dataclass(frozen=True)
class Prep:
    """The treatments found on training rows; :meth:`columns` and :meth:`row` apply them."""

    sentinels: tuple[Sentinel, ...] = ()
    clips: tuple[Clip, ...] = ()
    missing: tuple[MissingFlag, ...] = ()
    rows: int = 0

    @property
    def derived(self) -> dict[str, str]:
        """Derived feature -> the input column it comes from, in model order."""
        return {s.column + SENTINEL_SUFFIX: s.column for s in self.sentinels}

    def source_of(self, feature: str) -> str:
        return self.derived.get(feature, feature)

    def features(self, schema: Schema) -> Schema:
        """The model's features: the input's, then the derived indicators."""
        extra = tuple(FeatureSpec(name, Kind.NUMERIC, "int64", median=0.0)
                      for name in self.derived)
        return Schema(schema.features + extra, schema.target, schema.dropped)

    def columns(self, cols: Mapping[str, Array]) -> dict[str, Array]:
        out = dict(cols)
        for s in self.sentinels:
            x = np.asarray(cols[s.column], dtype=np.float64).copy()
            hit = np.isin(x, s.codes)
            out[s.column + SENTINEL_SUFFIX] = np.where(hit, x, 0.0)
            x[hit] = np.nan
            out[s.column] = x
        for c in self.clips:
            out[c.column] = np.clip(np.asarray(out[c.column], dtype=np.float64),
                                    -np.inf if c.low is None else c.low,
                                    np.inf if c.high is None else c.high)
        return out

    def row(self, values: Values) -> dict[str, float | str | None]:
        out = dict(values)
        for s in self.sentinels:
            v = values[s.column]
            code = v is not None and float(v) in s.codes
            out[s.column + SENTINEL_SUFFIX] = float(v) if code and v is not None else 0.0
            if code:
                out[s.column] = None
        for c in self.clips:
            v = out[c.column]
            if v is not None:
                x = float(v)
                if c.low is not None:
                    x = max(x, c.low)
                if c.high is not None:
                    x = min(x, c.high)
                out[c.column] = x
        return out

    def fold(self, parts: Mapping[str, float]) -> dict[str, float]:
        """Per-feature amounts (contributions, importance) summed onto input columns."""
        out: dict[str, float] = {}
        for name, amount in parts.items():
            source = self.source_of(name)
            out[source] = out.get(source, 0.0) + amount
        return out

    def describe(self) -> dict[str, Any]:
        """What was treated and the thresholds, for the report."""
        return {
            "fitted_on_rows": self.rows,
            "sentinels": [{"column": s.column, "codes": [_num(c) for c in s.codes],
                           "rows": s.rows, "bulk_max": _num(s.bulk_max),
                           "indicator": s.column + SENTINEL_SUFFIX} for s in self.sentinels],
            "clipped": [{"column": c.column, "low": c.low, "high": c.high,
                         "rows_low": c.rows_low, "rows_high": c.rows_high,
                         "observed_min": c.observed_min, "observed_max": c.observed_max}
                        for c in self.clips],
            "missing": [{"column": m.column, "rows": m.rows, "share": m.share,
                         "handled": "kept missing: LightGBM's missing branch, the "
                                    "scorecard's missing bin"} for m in self.missing],
        }

    def to_json(self) -> dict[str, Any]:
        return {"rows": self.rows,
                "sentinels": [{"column": s.column, "codes": list(s.codes), "rows": s.rows,
                               "bulk_max": s.bulk_max} for s in self.sentinels],
                "clips": [{"column": c.column, "low": c.low, "high": c.high,
                           "rows_low": c.rows_low, "rows_high": c.rows_high,
                           "observed_min": c.observed_min, "observed_max": c.observed_max}
                          for c in self.clips],
                "missing": [{"column": m.column, "rows": m.rows, "share": m.share}
                            for m in self.missing]}

    @staticmethod
    def from_json(doc: Mapping[str, Any]) -> Prep:
        def opt(v: Any) -> float | None:
            return None if v is None else float(v)

        return Prep(
            sentinels=tuple(Sentinel(str(s["column"]), tuple(map(float, s["codes"])),
                                     int(s["rows"]), float(s["bulk_max"]))
                            for s in doc.get("sentinels", ())),
            clips=tuple(Clip(str(c["column"]), opt(c["low"]), opt(c["high"]),
                             int(c["rows_low"]), int(c["rows_high"]),
                             float(c["observed_min"]), float(c["observed_max"]))
                        for c in doc.get("clips", ())),
            missing=tuple(MissingFlag(str(m["column"]), int(m["rows"]), float(m["share"]))
                          for m in doc.get("missing", ())),
            rows=int(doc.get("rows", 0)))


def _num(v: float) -> float | int:
    return int(v) if float(v).is_integer() else v


def sentinel_codes(present: Array) -> tuple[tuple[float, ...], float]:
    """The sentinel codes of a column's present values, and the bulk's largest value;
    no codes when the column is not count-like or has no isolated spike above its bulk."""
    if present.size == 0 or present.min() < 0 or not np.all(present == np.round(present)):
        return (), float("nan")
    values, counts = np.unique(present, return_counts=True)
    if float(np.quantile(present, 0.99)) > COUNT_MAX_BULK:
        return (), float("nan")
    limit = SENTINEL_MAX_SHARE * present.size
    tail = 0
    for k in range(values.size - 1, max(values.size - 1 - SENTINEL_MAX_CODES, 0), -1):
        tail += int(counts[k])
        below = float(values[k - 1])
        if counts[k] < SENTINEL_MIN_ROWS or tail > limit:
            break
        if values[k] > 2 * below + 10:
            return tuple(float(c) for c in values[k:]), below
    return (), float("nan")


def clip_bounds(present: Array) -> tuple[float | None, float | None]:
    """The clipping fences of a continuous column with values beyond them, else ``None``."""
    if present.size == 0 or np.unique(present).size < CLIP_MIN_DISTINCT:
        return None, None
    lo, hi = (float(q) for q in np.quantile(present, CLIP_QUANTILES))
    spread = hi - lo
    if spread <= 0:
        return None, None
    low_fence, high_fence = lo - CLIP_TAIL_FACTOR * spread, hi + CLIP_TAIL_FACTOR * spread
    low = low_fence if float(present.min()) < low_fence else None
    high = high_fence if float(present.max()) > high_fence else None
    return low, high


def fit_prep(cols: Mapping[str, Array], schema: Schema) -> Prep:
    """Find the treatments on training rows (``cols`` holds the input's features)."""
    taken = set(schema.names)
    sentinels: list[Sentinel] = []
    clips: list[Clip] = []
    missing: list[MissingFlag] = []
    rows = 0
    for spec in schema.features:
        if spec.kind is not Kind.NUMERIC:
            continue
        x = np.asarray(cols[spec.name], dtype=np.float64)
        rows = x.size
        absent = np.isnan(x)
        present = x[~absent]
        if absent.mean() >= MISSING_MIN_SHARE:
            missing.append(MissingFlag(spec.name, int(absent.sum()),
                                       round(float(absent.mean()), 4)))
        codes, bulk_max = sentinel_codes(present)
        if codes and spec.name + SENTINEL_SUFFIX not in taken:
            hit = np.isin(present, codes)
            sentinels.append(Sentinel(spec.name, codes, int(hit.sum()), bulk_max))
            present = present[~hit]
        low, high = clip_bounds(present)
        if low is not None or high is not None:
            clips.append(Clip(spec.name, low, high,
                              int((present < low).sum()) if low is not None else 0,
                              int((present > high).sum()) if high is not None else 0,
                              float(present.min()), float(present.max())))
    return Prep(tuple(sentinels), tuple(clips), tuple(missing), rows)
