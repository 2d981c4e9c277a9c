"""Training on the Taiwan sample: no leakage, held-out AUC, calibration, the two
families behind one interface, schema checks, and the online path's speed."""

from __future__ import annotations

import time
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from dunwell.risk import Family, Trained, TrainOptions, train
from dunwell.risk.errors import SchemaMismatch
from dunwell.risk.metrics import auc
from dunwell.risk.tabular import feature_columns, read_frame

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "taiwan_sample.csv"
FAST = TrainOptions(max_rounds=150, early_stopping_rounds=20, threads=1)


def fit(frame: pd.DataFrame, **options: object) -> Trained:
    return train(frame, target="DEFAULT", options=replace(FAST, **options),  # type: ignore[arg-type]
                 data_sha256="test", rng=np.random.default_rng(7))


@pytest.fixture(scope="module")
def sample() -> pd.DataFrame:
    return read_frame(SAMPLE.read_bytes())


@pytest.fixture(scope="module")
def halves(sample: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """80 % to train on, 20 % never seen by training."""
    held = np.random.default_rng(11).random(len(sample)) < 0.2
    return sample[~held].reset_index(drop=True), sample[held].reset_index(drop=True)


@pytest.fixture(scope="module")
def scorecard(halves: tuple[pd.DataFrame, pd.DataFrame]) -> Trained:
    return fit(halves[0], family="scorecard")


@pytest.fixture(scope="module")
def gbm(halves: tuple[pd.DataFrame, pd.DataFrame]) -> Trained:
    return fit(halves[0], family="gbm", monotone={"PAY_0": 1})


@pytest.mark.parametrize("family", ["scorecard", "gbm"])
def test_held_out_auc_is_well_above_chance(request: pytest.FixtureRequest, family: str,
                                           halves: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    trained: Trained = request.getfixturevalue(family)
    held = halves[1]
    p = trained.model.score_frame(held)
    assert auc(held["DEFAULT"].to_numpy(), p) > 0.72


@pytest.mark.parametrize("family", ["scorecard", "gbm"])
def test_mean_prediction_is_within_a_few_points_of_the_bad_rate(
        request: pytest.FixtureRequest, family: str,
        halves: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    trained: Trained = request.getfixturevalue(family)
    held = halves[1]
    p = trained.model.score_frame(held)
    assert abs(float(p.mean()) - float(held["DEFAULT"].mean())) < 0.05
    assert p.min() > 0.0 and p.max() < 1.0


def test_the_target_and_the_identifier_never_become_features(scorecard: Trained) -> None:
    schema = scorecard.model.schema
    assert "DEFAULT" not in schema.names and "ID" not in schema.names
    assert {d.name: d.reason for d in schema.dropped}["ID"] == "an identifier by its name"


def test_scores_do_not_depend_on_the_target_column(
        gbm: Trained, halves: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    held = halves[1]
    flipped = held.assign(DEFAULT=1 - held["DEFAULT"])
    without = held.drop(columns=["DEFAULT"])
    p = gbm.model.score_frame(held)
    assert np.array_equal(p, gbm.model.score_frame(flipped))
    assert np.array_equal(p, gbm.model.score_frame(without))


def test_unnamed_identifiers_and_copies_of_the_target_are_set_aside(
        sample: pd.DataFrame) -> None:
    rng = np.random.default_rng(3)
    frame = sample.assign(ref=rng.permutation(len(sample)) * 7 + 100_000,
                          applicant=[f"A-{k:05d}" for k in rng.permutation(len(sample))],
                          outcome_flag=sample["DEFAULT"].map({0: "no", 1: "yes"}),
                          default_copy=sample["DEFAULT"])
    trained = fit(frame, family="scorecard")
    reasons = {d.name: d.reason for d in trained.model.schema.dropped}
    assert reasons["ref"] == "an identifier: a different whole number on every row"
    assert reasons["applicant"] == "an identifier: a different text on every row"
    assert reasons["default_copy"] == reasons["outcome_flag"] == "it restates the target"
    assert reasons["SEX"] == reasons["MARRIAGE"] == "a protected characteristic"


def test_auto_keeps_the_family_with_the_better_validation_auc(
        halves: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    trained = fit(halves[0])
    valid = trained.report["validation_auc"]
    assert set(valid) == {"scorecard", "gbm"}
    assert trained.model.family is Family(max(valid, key=lambda f: valid[f]))


def test_a_declared_monotone_direction_holds_in_the_gbm(gbm: Trained,
                                                        sample: pd.DataFrame) -> None:
    row = sample.iloc[10].to_dict()
    scores = gbm.model.score_rows([{**row, "PAY_0": v} for v in range(-2, 9)])
    assert scores == sorted(scores)


@pytest.mark.parametrize("family", ["scorecard", "gbm"])
def test_one_row_at_a_time_gives_the_batch_probabilities(
        request: pytest.FixtureRequest, family: str,
        halves: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    model = request.getfixturevalue(family).model
    held = halves[1].head(40)
    rows = held.to_dict(orient="records")
    assert np.allclose(model.score_rows(rows), model.score_frame(held), rtol=0, atol=1e-12)


def test_scorecard_scores_one_row_in_well_under_two_milliseconds(
        scorecard: Trained, sample: pd.DataFrame) -> None:
    row = sample.iloc[0].to_dict()
    model = scorecard.model
    model.score_rows([row])
    started = time.perf_counter()
    for _ in range(500):
        model.score_rows([row])
    assert (time.perf_counter() - started) / 500 < 0.002


def test_rows_with_a_missing_field_or_junk_are_refused_naming_the_field(
        scorecard: Trained, sample: pd.DataFrame) -> None:
    row = sample.iloc[0].to_dict()
    model = scorecard.model
    missing = {k: v for k, v in row.items() if k != "LIMIT_BAL"}
    with pytest.raises(SchemaMismatch, match="'LIMIT_BAL' is missing") as err:
        model.score_rows([missing])
    assert err.value.code == "risk_column_must_be_present"
    with pytest.raises(SchemaMismatch, match="'AGE' must be a number") as err:
        model.score_rows([{**row, "AGE": "forty"}])
    assert err.value.code == "risk_column_must_be_numeric"
    with pytest.raises(SchemaMismatch, match="'AGE' must be finite"):
        model.score_rows([{**row, "AGE": float("inf")}])
    assert 0 < model.score_rows([{**row, "AGE": None, "PAY_0": "2"}])[0] < 1
    typed = {**row, "AGE": np.int64(30), "LIMIT_BAL": Decimal("50000.00"), "PAY_0": np.float32(1)}
    plain = {**row, "AGE": 30, "LIMIT_BAL": 50000, "PAY_0": 1}
    assert model.score_rows([typed]) == model.score_rows([plain])


def test_a_frame_with_a_wrongly_typed_column_is_refused(scorecard: Trained,
                                                        sample: pd.DataFrame) -> None:
    frame = sample.head(5).astype({"PAY_AMT1": "string"})
    frame.loc[2, "PAY_AMT1"] = "n/a?"
    with pytest.raises(SchemaMismatch, match="'PAY_AMT1' must be numeric; line 4"):
        feature_columns(frame, scorecard.model.schema)


def test_categories_missing_values_and_an_imbalanced_target_train(
        sample: pd.DataFrame) -> None:
    rng = np.random.default_rng(5)
    frame = sample.copy()
    frame["region"] = rng.choice(["north", "south", "east", "west"], len(frame))
    frame.loc[rng.random(len(frame)) < 0.1, "LIMIT_BAL"] = np.nan
    bads = np.flatnonzero(frame["DEFAULT"].to_numpy() == 1)
    frame = frame.drop(index=bads[150:]).reset_index(drop=True)  # about 6 % bad
    for family in ("scorecard", "gbm"):
        trained = fit(frame, family=family)
        assert trained.model.schema.feature("region").categories == (
            "east", "north", "south", "west")
        p = trained.model.score_frame(frame.assign(region="unknown-region"))
        assert np.isfinite(p).all()
        assert abs(float(p.mean()) - float(frame["DEFAULT"].mean())) < 0.05

