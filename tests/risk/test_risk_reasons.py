"""Reason codes: the factors pushing a decision towards bad, in English and Chinese."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from dunwell.risk import CreditModel, TrainOptions, train
from dunwell.risk.errors import RiskInputError
from dunwell.risk.model import FeatureSpec, Kind
from dunwell.risk.reasons import family_of, phrase
from dunwell.risk.tabular import read_frame

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "taiwan_sample.csv"
LATE_PAYER = {"ID": 1, "LIMIT_BAL": 20000, "SEX": 2, "EDUCATION": 2, "MARRIAGE": 1, "AGE": 24,
              "PAY_0": 2, "PAY_2": 2, "PAY_3": -1, "PAY_4": -1, "PAY_5": -2, "PAY_6": -2,
              "BILL_AMT1": 3913, "BILL_AMT2": 3102, "BILL_AMT3": 689, "BILL_AMT4": 0,
              "BILL_AMT5": 0, "BILL_AMT6": 0, "PAY_AMT1": 0, "PAY_AMT2": 689, "PAY_AMT3": 0,
              "PAY_AMT4": 0, "PAY_AMT5": 0, "PAY_AMT6": 0}


@pytest.fixture(scope="module", params=["scorecard", "gbm"])
def model(request: pytest.FixtureRequest) -> CreditModel:
    frame = read_frame(SAMPLE.read_bytes())
    options = TrainOptions(family=request.param, max_rounds=150, early_stopping_rounds=20,
                           threads=1)
    return train(frame, target="DEFAULT", options=options, data_sha256="test",
                 rng=np.random.default_rng(4)).model


def test_a_late_payer_hears_about_late_repayments_first_in_both_languages(
        model: CreditModel) -> None:
    en = model.explain(LATE_PAYER, top=3, lang="en")
    zh = model.explain(LATE_PAYER, top=3, lang="zh-CN")
    assert en[0].phrase == "Recent repayments were made late"
    assert zh[0].phrase == "近期还款有逾期"
    assert en[0].feature.startswith("PAY_")
    assert [r.contribution for r in en] == [r.contribution for r in zh]
    assert [r.contribution for r in en] == sorted((r.contribution for r in en), reverse=True)
    assert all(r.contribution > 0 for r in en)
    assert len({r.phrase for r in en}) == len(en) <= 3


def test_a_careful_payer_has_few_or_no_reasons(model: CreditModel) -> None:
    careful = {**LATE_PAYER, "LIMIT_BAL": 500000, "PAY_0": -1, "PAY_2": -1,
               "PAY_AMT1": 20000, "PAY_AMT2": 20000, "AGE": 40}
    assert model.score_rows([careful])[0] < model.score_rows([LATE_PAYER])[0]
    reasons = model.explain(careful, top=3)
    assert all(r.phrase != "Recent repayments were made late" for r in reasons)


def test_an_unknown_language_is_refused(model: CreditModel) -> None:
    with pytest.raises(RiskInputError, match="language 'fr'") as err:
        model.explain(LATE_PAYER, lang="fr")
    assert err.value.code == "risk_language_must_be_known"


@pytest.mark.parametrize(("name", "family"), [
    ("PAY_0", "delinquency"), ("days_past_due", "delinquency"), ("past_delays", "delinquency"),
    ("BILL_AMT3", "amount_owed"), ("outstanding_principal_minor", "amount_owed"),
    ("PAY_AMT2", "repaid_amount"), ("paid_ahead_minor", "repaid_amount"),
    ("LIMIT_BAL", "limit"), ("outstanding_ratio", "utilisation"),
    ("instalments_paid_share", "paid_share"), ("partial_payment", "partial_payment"),
    ("monthly_income", "income"), ("AGE", "age"),
])
def test_feature_families_are_found_from_column_names(name: str, family: str) -> None:
    found = family_of(name)
    assert found is not None and found.name == family


def test_unknown_columns_get_the_generic_sentence() -> None:
    spec = FeatureSpec("phone_model_score", Kind.NUMERIC, "float64", median=0.5)
    assert phrase(spec, 0.9, "en") == (
        "phone model score is higher than for most borrowers, which goes with more "
        "missed payments")
    assert phrase(spec, 0.1, "zh-CN") == "phone model score低于多数借款人，这类情况逾期较多"
    assert phrase(spec, None, "zh") == "未提供phone model score"
    region = FeatureSpec("region", Kind.CATEGORICAL, "string", categories=("n", "s"))
    assert phrase(region, "s", "en") == "region “s” goes with more missed payments"
