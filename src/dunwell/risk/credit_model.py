"""The model as the decision path sees it: a schema, a scoring family, a calibrator.

``score_rows`` and ``explain`` take plain dicts (one HTTP request's worth of rows);
``score_columns`` takes the columnar form a CSV batch becomes. Both check their
input against the schema and give the same probabilities. A model trained with robust
preprocessing (:mod:`dunwell.risk.robust`) applies the same treatments to every row
it scores; contributions and reasons are given per input column.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from dunwell.risk.calibration import Calibrator
from dunwell.risk.gbm import Gbm
from dunwell.risk.model import Family, Reason, Schema
from dunwell.risk.monitor import Drift, Reference, monitor
from dunwell.risk.reasons import top_reasons
from dunwell.risk.robust import Prep
from dunwell.risk.scorecard import Scorecard
from dunwell.risk.tabular import feature_columns, row_values

Array = np.ndarray[Any, Any]
Values = dict[str, float | str | None]


class CreditModel:
    """A trained, calibrated credit model: probability of the bad outcome per row."""

    def __init__(self, *, schema: Schema, family: Family, calibrator: Calibrator,
                 scorecard: Scorecard | None = None, gbm: Gbm | None = None,
                 reference: Reference | None = None, version: str | None = None,
                 meta: Mapping[str, Any] | None = None, prep: Prep | None = None) -> None:
        if (family is Family.SCORECARD) != (scorecard is not None) or \
                (family is Family.GBM) != (gbm is not None):
            raise ValueError("a CreditModel holds exactly the artifact of its family")
        self._schema = schema
        self.prep = prep
        self._features = prep.features(schema) if prep is not None else schema
        self._specs = {f.name: f for f in schema.features}
        self.family = family
        self.calibrator = calibrator
        self.scorecard = scorecard
        self.gbm = gbm
        self.reference = reference
        self.version = version
        self.meta: Mapping[str, Any] = dict(meta or {})

    @property
    def schema(self) -> Schema:
        """The input's columns, as checked when scoring."""
        return self._schema

    @property
    def features(self) -> Schema:
        """What the scorecard or the booster reads: the input's columns, then any
        indicators the preprocessing derives."""
        return self._features

    def _values(self, row: Mapping[str, object]) -> Values:
        return dict(zip(self._schema.names, row_values(row, self._schema), strict=True))

    def _treated(self, values: Values) -> Values:
        return self.prep.row(values) if self.prep is not None else values

    def _fold(self, parts: dict[str, float]) -> dict[str, float]:
        return self.prep.fold(parts) if self.prep is not None else parts

    def model_columns(self, cols: Mapping[str, Array]) -> Mapping[str, Array]:
        """Input columns as the scorecard or the booster reads them."""
        return self.prep.columns(cols) if self.prep is not None else cols

    def raw_columns(self, cols: Mapping[str, Array]) -> Array:
        """Uncalibrated log-odds of bad."""
        cols = self.model_columns(cols)
        if self.scorecard is not None:
            return self.scorecard.raw_columns(cols)
        assert self.gbm is not None
        return self.gbm.raw(self.gbm.matrix(cols))

    def score_columns(self, cols: Mapping[str, Array]) -> Array:
        return self.calibrator.apply(self.raw_columns(cols))

    def score_frame(self, frame: pd.DataFrame) -> Array:
        """Probabilities for a parsed CSV; the target column, if present, is not read."""
        return self.score_columns(feature_columns(frame, self._schema))

    def score_rows(self, rows: Sequence[Mapping[str, object]]) -> list[float]:
        """Probability of the bad outcome for each row (a dict of column -> value)."""
        values = [self._treated(self._values(row)) for row in rows]
        if self.scorecard is not None:
            sc, cal = self.scorecard, self.calibrator
            return [cal.apply_one(sc.raw_row(v)) for v in values]
        assert self.gbm is not None
        if not values:
            return []
        x = np.vstack([self.gbm.row_matrix(v) for v in values])
        return [float(p) for p in self.calibrator.apply(self.gbm.raw(x))]

    def contributions(self, row: Mapping[str, object]) -> dict[str, float]:
        """Each input column's push on the log-odds of bad (positive = towards bad)."""
        return self._fold(self._parts(self._treated(self._values(row))))

    def _parts(self, values: Values) -> dict[str, float]:
        if self.scorecard is not None:
            return self.scorecard.contributions(values)
        assert self.gbm is not None
        return self.gbm.contributions(values)

    def explain(self, row: Mapping[str, object], *, top: int = 3,
                lang: str = "en") -> list[Reason]:
        """The strongest factors pushing this row towards bad, phrased for the borrower
        in ``lang`` (``en`` or ``zh-CN``); fewer than ``top`` when fewer push that way."""
        return self.explain_in(row, top=top, langs=(lang,))[lang]

    def explain_in(self, row: Mapping[str, object], *, top: int = 3,
                   langs: Sequence[str] = ("en",)) -> dict[str, list[Reason]]:
        """:meth:`explain` in each of ``langs``: the contributions are computed once."""
        treated = self._treated(self._values(row))
        parts = self._fold(self._parts(treated))
        shown = {name: treated[name] for name in self._schema.names}
        return {lang: top_reasons(parts, shown, self._specs, top=top, lang=lang)
                for lang in langs}

    def score_and_explain(self, row: Mapping[str, object], *, top: int = 3,
                          langs: Sequence[str] = ("en",)) -> tuple[float, dict[str, list[Reason]]]:
        """One decision's model call: the probability of bad (as :meth:`score_rows`) and
        the reasons in each of ``langs`` (as :meth:`explain`), the row checked and
        treated once."""
        values = self._values(row)
        treated = self._treated(values)
        if self.scorecard is not None:
            probability = self.calibrator.apply_one(self.scorecard.raw_row(treated))
        else:
            assert self.gbm is not None
            raw = self.gbm.raw(self.gbm.row_matrix(treated))
            probability = float(self.calibrator.apply(raw)[0])
        parts = self._fold(self._parts(treated))
        shown = {name: treated[name] for name in self._schema.names}
        return probability, {lang: top_reasons(parts, shown, self._specs, top=top, lang=lang)
                             for lang in langs}

    def importance(self, cols: Mapping[str, Array]) -> dict[str, float]:
        if self.scorecard is not None:
            return self._fold(self.scorecard.importance(self.model_columns(cols)))
        assert self.gbm is not None
        return self._fold(self.gbm.importance())

    def monitor_frame(self, frame: pd.DataFrame) -> list[Drift]:
        """PSI of the score and of each feature between training data and ``frame``."""
        if self.reference is None:
            raise ValueError("this model carries no training reference")
        cols = feature_columns(frame, self._schema)
        return monitor(self.reference, cols, self.score_columns(cols))
