"""Population stability between training data and a scoring batch."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from dunwell.risk import CreditModel, TrainOptions, train
from dunwell.risk.model import Kind
from dunwell.risk.monitor import distribution_of, psi, status_of
from dunwell.risk.tabular import read_frame

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "taiwan_sample.csv"


@pytest.fixture(scope="module")
def model() -> CreditModel:
    frame = read_frame(SAMPLE.read_bytes())
    return train(frame, target="DEFAULT", options=TrainOptions(family="scorecard"),
                 data_sha256="test", rng=np.random.default_rng(2)).model


def test_identical_data_has_zero_psi_everywhere(model: CreditModel) -> None:
    drifts = model.monitor_frame(read_frame(SAMPLE.read_bytes()))
    assert drifts[0].name == "score"
    assert all(d.psi == 0.0 and d.status == "stable" for d in drifts)
    assert {d.name for d in drifts[1:]} == set(model.schema.names)


def test_a_shifted_batch_has_a_large_psi_for_the_shifted_feature_and_the_score(
        model: CreditModel) -> None:
    frame = read_frame(SAMPLE.read_bytes())
    late = frame.assign(PAY_0=frame["PAY_0"].clip(lower=0) + 2, LIMIT_BAL=frame["LIMIT_BAL"] / 4)
    drifts = {d.name: d for d in model.monitor_frame(late)}
    assert drifts["PAY_0"].psi > 0.25 and drifts["PAY_0"].status == "major shift"
    assert drifts["LIMIT_BAL"].psi > 0.25
    assert drifts["score"].psi > 0.25
    score = drifts["score"]
    assert score.actual_mean is not None and score.expected_mean is not None
    assert score.actual_mean > score.expected_mean
    assert drifts["AGE"].psi == 0.0


def test_psi_follows_the_usual_formula_and_thresholds() -> None:
    expected = np.array([0.5, 0.5])
    actual = np.array([0.25, 0.75])
    assert psi(expected, actual) == pytest.approx(
        (0.25 - 0.5) * np.log(0.25 / 0.5) + (0.75 - 0.5) * np.log(0.75 / 0.5))
    assert [status_of(v) for v in (0.05, 0.1, 0.2, 0.25, 1.0)] == [
        "stable", "moderate shift", "moderate shift", "major shift", "major shift"]


def test_categories_unseen_in_training_and_missing_values_get_their_own_bins() -> None:
    training = np.array(["a", "a", "b", None], dtype=object)
    dist = distribution_of(training, Kind.CATEGORICAL)
    assert dist.categories == ("a", "b")
    assert dist.shares == (0.5, 0.25, 0.0, 0.25)
    shares, _ = dist.bin_shares(np.array(["c", "c", "a", None], dtype=object))
    assert list(shares) == [0.25, 0.0, 0.5, 0.25]
