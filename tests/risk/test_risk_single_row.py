"""One decision's model call: LightGBM's single-row path gives the probabilities and
contributions ``Booster.predict`` gives (within 1e-12), and ``score_and_explain``
gives what ``score_rows`` and ``explain`` give one by one — on a model with a
category, missing values and an unseen category, and on bureau-style data with robust
preprocessing (sentinel codes and fences)."""

from __future__ import annotations

import threading
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from dunwell.app.origination.service import RiskModelAdapter
from dunwell.risk import CreditModel, TrainOptions, train
from dunwell.risk.reasons import top_reasons
from dunwell.risk.tabular import read_frame

DATA = Path(__file__).resolve().parents[1] / "data"
FAST = TrainOptions(family="gbm", max_rounds=120, early_stopping_rounds=20, threads=1)
ROWS = 150


def _trained(frame: pd.DataFrame, target: str) -> CreditModel:
    return train(
        frame,
        target=target,
        options=replace(FAST),
        data_sha256="test",
        rng=np.random.default_rng(3),
    ).model


@pytest.fixture(scope="module")
def taiwan() -> tuple[CreditModel, list[dict[str, Any]]]:
    """A category (unseen values too) and missing values."""
    frame = read_frame((DATA / "taiwan_sample.csv").read_bytes())
    rng = np.random.default_rng(5)
    frame["region"] = rng.choice(["north", "south", "east", "west"], len(frame))
    frame.loc[rng.random(len(frame)) < 0.1, "LIMIT_BAL"] = np.nan
    model = _trained(frame, "DEFAULT")
    rows = frame.drop(columns=["DEFAULT"]).head(ROWS).to_dict("records")
    for k, row in enumerate(rows[:20]):
        row["region"] = "unknown" if k % 2 else None
    return model, rows


@pytest.fixture(scope="module")
def bureau() -> tuple[CreditModel, list[dict[str, Any]]]:
    frame = read_frame((DATA / "bureau_sample.csv").read_bytes())
    model = _trained(frame, "serious_delinquency_2y")
    assert model.prep is not None  # robust preprocessing is in the path
    return model, frame.drop(columns=["serious_delinquency_2y"]).head(ROWS).to_dict("records")


def _matrix(model: CreditModel, row: dict[str, Any]) -> Any:
    assert model.gbm is not None
    return model.gbm.row_matrix(model._treated(model._values(row)))


@pytest.mark.parametrize("which", ["taiwan", "bureau"])
def test_the_single_row_path_equals_booster_predict(
    request: pytest.FixtureRequest, which: str
) -> None:
    model, rows = request.getfixturevalue(which)
    assert model.gbm is not None
    booster = model.gbm.booster
    for row in rows:
        x = _matrix(model, row)
        raw = booster.predict(x, raw_score=True, num_threads=1)
        assert abs(float(model.gbm.raw(x)[0]) - float(raw[0])) <= 1e-12
        contrib = booster.predict(x, pred_contrib=True, num_threads=1)[0]
        fast = model.gbm.contributions(model._treated(model._values(row)))
        assert np.max(np.abs(np.array(list(fast.values())) - contrib[:-1])) <= 1e-12


@pytest.mark.parametrize("which", ["taiwan", "bureau"])
def test_score_and_explain_equals_the_batch_score_and_reasons_from_predict(
    request: pytest.FixtureRequest, which: str
) -> None:
    model, rows = request.getfixturevalue(which)
    assert model.gbm is not None
    batch = model.score_rows(rows)  # many rows: Booster.predict
    for row, want in zip(rows, batch, strict=True):
        p, worded = model.score_and_explain(row, top=3, langs=("en", "zh-CN"))
        assert abs(p - want) <= 1e-12
        treated = model._treated(model._values(row))
        contrib = model.gbm.booster.predict(
            model.gbm.row_matrix(treated), pred_contrib=True, num_threads=1
        )[0]
        parts = dict(zip(model.gbm.features, map(float, contrib[:-1]), strict=True))
        if model.prep is not None:
            parts = model.prep.fold(parts)
        shown = {n: treated[n] for n in model.schema.names}
        specs = {f.name: f for f in model.schema.features}
        for lang in ("en", "zh-CN"):
            assert worded[lang] == top_reasons(parts, shown, specs, top=3, lang=lang)
            assert worded[lang] == model.explain(row, top=3, lang=lang)


class OneByOne:
    """The model as a plain ``score_rows`` / ``explain`` pair (no combined call)."""

    def __init__(self, model: CreditModel) -> None:
        self.model = model

    def score_rows(self, rows: list[dict[str, Any]]) -> list[float]:
        return self.model.score_rows(rows)

    def explain(self, row: dict[str, Any], *, top: int, lang: str) -> list[Any]:
        return self.model.explain(row, top=top, lang=lang)


def test_the_adapter_decides_alike_with_one_call_or_three(
    bureau: tuple[CreditModel, list[dict[str, Any]]],
) -> None:
    model, rows = bureau
    fast, plain = RiskModelAdapter(model, "risk:v1"), RiskModelAdapter(OneByOne(model), "risk:v1")
    for row in rows:
        assert fast.score(row) == plain.score(row)


def test_threads_scoring_at_once_get_their_own_rows(
    taiwan: tuple[CreditModel, list[dict[str, Any]]],
) -> None:
    model, rows = taiwan
    want = [model.score_and_explain(r, langs=("en",)) for r in rows]
    got: dict[int, list[Any]] = {}

    def work(k: int) -> None:
        got[k] = [model.score_and_explain(r, langs=("en",)) for r in rows]

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(g == want for g in got.values())
