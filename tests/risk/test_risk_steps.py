"""A feature's side of the training median: saved with the model, never made up."""

from __future__ import annotations

import pytest

from dunwell.risk.errors import ModelLoadError, RiskInputError
from dunwell.risk.model import FeatureSpec, Kind
from dunwell.risk.reasons import side


def test_a_numeric_feature_reads_back_with_its_median() -> None:
    spec = FeatureSpec("PAY_0", Kind.NUMERIC, "int64", median=0.0)
    assert FeatureSpec.from_json(spec.to_json()) == spec


def test_a_numeric_feature_saved_without_its_median_is_refused_on_load() -> None:
    with pytest.raises(ModelLoadError) as caught:
        FeatureSpec.from_json({"name": "PAY_0", "kind": "numeric", "dtype": "int64"})
    assert "PAY_0" in caught.value.message and "median" in caught.value.message


def test_a_categorical_feature_needs_no_median() -> None:
    region = FeatureSpec("region", Kind.CATEGORICAL, "string", categories=("n", "s"))
    assert FeatureSpec.from_json(region.to_json()) == region
    assert side(region, "s") == "category"


def test_a_value_is_high_or_low_against_the_median_and_missing_when_absent() -> None:
    spec = FeatureSpec("AGE", Kind.NUMERIC, "int64", median=35.0)
    assert (side(spec, 35), side(spec, 34.9), side(spec, None)) == ("high", "low", "missing")


def test_without_a_median_there_is_no_side_rather_than_a_side_of_zero() -> None:
    with pytest.raises(RiskInputError) as caught:
        side(FeatureSpec("AGE", Kind.NUMERIC, "int64"), 40)
    assert caught.value.code == "risk_numeric_feature_must_have_median"
