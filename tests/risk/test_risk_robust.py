"""Robust preprocessing and the cross-validated search on bureau-style data: sentinel
codes found and treated, extreme ratios fenced, settings chosen within a budget (a
fake clock counts the time), scoring rows that carry every trait."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from dunwell.app.risk import load_model, save_model
from dunwell.core.errors import InvalidInput
from dunwell.risk import TrainOptions, train
from dunwell.risk.metrics import average_precision
from dunwell.risk.robust import clip_bounds, fit_prep, sentinel_codes
from dunwell.risk.search import CANDIDATES, Searched, SearchOptions, search_train
from dunwell.risk.tabular import read_frame
from dunwell.simulation.bureau import TARGET, bureau_columns, bureau_csv

DATA = Path(__file__).resolve().parents[1] / "data"
BUREAU = DATA / "bureau_sample.csv"
TAIWAN = DATA / "taiwan_sample.csv"
LATE = ("times_30_59_days_late", "times_60_89_days_late", "times_90_days_late")


def fake_clock(step: float) -> Callable[[], float]:
    """Each reading is ``step`` seconds after the one before."""
    now = [0.0]

    def clock() -> float:
        now[0] += step
        return now[0]

    return clock


def searched(frame: pd.DataFrame, target: str, *, budget: float = 60.0, step: float = 10.0,
             **options: object) -> Searched:
    opts = TrainOptions(threads=1, **options)  # type: ignore[arg-type]
    return search_train(frame, target=target, options=opts,
                        search=SearchOptions(budget_seconds=budget), data_sha256="test",
                        rng=np.random.default_rng(20090101), clock=fake_clock(step))


@pytest.fixture(scope="module")
def bureau() -> pd.DataFrame:
    return read_frame(BUREAU.read_bytes())


@pytest.fixture(scope="module")
def default(bureau: pd.DataFrame) -> Searched:
    return searched(bureau, TARGET)


def test_the_sample_is_the_generator_output_with_the_advertised_traits() -> None:
    assert BUREAU.read_text() == bureau_csv(5000, 7)
    cols = bureau_columns(5000, 7)
    assert 0.06 <= cols[TARGET].mean() <= 0.072  # 6.6 % drawn: binomial noise on 5,000
    assert set(np.unique(cols["times_90_days_late"])) >= {96.0, 98.0}
    assert 0.17 <= np.isnan(cols["monthly_income"]).mean() <= 0.23
    assert np.nanmax(cols["debt_ratio"]) > 10_000


def test_sentinels_are_found_only_as_isolated_spikes_in_counts() -> None:
    counts = np.r_[np.zeros(900), np.ones(60), np.full(20, 2), np.full(15, 98), [96] * 5]
    assert sentinel_codes(counts)[0] == (96.0, 98.0)
    assert sentinel_codes(np.r_[np.arange(0, 59), np.arange(0, 30)])[0] == ()  # long tail
    assert sentinel_codes(np.r_[np.zeros(900), [54.0]])[0] == ()  # one odd value
    assert sentinel_codes(np.r_[np.zeros(50), np.full(50, 98)])[0] == ()  # half the rows
    assert sentinel_codes(np.r_[np.full(900, 2.5), np.full(10, 98)])[0] == ()  # not counts


def test_extreme_tails_are_fenced_but_ordinary_skew_is_kept() -> None:
    ratios = np.r_[np.linspace(0, 1, 995), np.full(5, 5000.0)]
    low, high = clip_bounds(ratios)
    assert low is None and high is not None and 1.0 < high < 5.0
    assert clip_bounds(np.exp(np.linspace(0, 3, 1000))) == (None, None)


def test_defaults_on_bureau_data_give_a_sane_cross_validated_auc_with_spread(
        default: Searched) -> None:
    report = default.trained.report
    cv = report["cross_validation"]
    assert 0.72 <= cv["auc_mean"] <= 0.85
    assert 0.0 < cv["auc_sd"] < 0.08
    chosen = next(c for c in cv["candidates"] if c["name"] == cv["chosen"])
    assert len(chosen["fold_auc"]) == 5 and chosen["auc_mean"] == cv["auc_mean"]
    assert chosen["pr_auc_mean"] > 0.15  # chance is the bad rate, 0.07
    assert 0.7 <= report["metrics"]["auc"] <= 0.9
    assert abs(report["metrics"]["mean_predicted"] - report["metrics"]["base_rate"]) < 0.02


def test_sentinels_and_extremes_are_detected_treated_and_reported(default: Searched) -> None:
    prep = default.trained.report["preprocessing"]
    assert prep["enabled"] and prep["fitted_on_rows"] == 4000
    assert {s["column"]: s["codes"] for s in prep["sentinels"]} == {c: [96, 98] for c in LATE}
    clipped = {c["column"] for c in prep["clipped"]}
    assert "revolving_utilisation" in clipped
    assert {m["column"] for m in prep["missing"]} >= {"monthly_income"}
    assert "Sentinel codes turned into missing values" in _html(default)


def _html(result: Searched) -> str:
    from dunwell.risk.report import render_html

    return render_html(result.trained.report)


def test_a_row_with_a_sentinel_an_extreme_and_no_income_scores_and_explains(
        default: Searched, tmp_path: Path) -> None:
    save_model(default.trained, tmp_path)
    model = load_model(tmp_path)
    row = {"borrower_id": 1, "revolving_utilisation": 15_000.0, "age": 40,
           "times_30_59_days_late": 98, "debt_ratio": 35_000.0, "monthly_income": None,
           "open_accounts": 7, "times_90_days_late": 98, "real_estate_loans": 0,
           "times_60_89_days_late": 98, "dependants": ""}
    p = model.score_rows([row])[0]
    assert 0.0 < p < 1.0
    assert p == pytest.approx(default.trained.model.score_rows([row])[0])
    frame = pd.DataFrame([row])
    assert model.score_frame(frame)[0] == pytest.approx(p)
    for reason in model.explain(row, top=5):
        assert reason.phrase != "Recent repayments were made late"


def test_the_budget_bounds_how_many_candidates_are_tried(bureau: pd.DataFrame) -> None:
    small = bureau.iloc[:1500].reset_index(drop=True)
    tiny = searched(small, TARGET, budget=1.0, family="gbm")
    roomy = searched(small, TARGET, budget=86_400.0, family="gbm")
    gbm_names = [c.name for c in CANDIDATES if c.family.value == "gbm"]
    assert [t.candidate.name for t in tiny.tried] == gbm_names[:1]
    assert list(tiny.not_tried) == gbm_names[1:]
    assert [t.candidate.name for t in roomy.tried] == gbm_names and not roomy.not_tried
    # the same seed gives the first candidate the same folds and results either way
    assert tiny.tried[0].fold_auc == roomy.tried[0].fold_auc
    assert roomy.trained.report["cross_validation"]["not_tried"] == []


def test_untreated_models_explain_a_coded_row_as_late_payments() -> None:
    """Where the treatment matters: read as a count, 98 is 98 late payments, and the
    borrower is told so; treated, the count is unknown and no such reason is given."""
    frame = pd.DataFrame(bureau_columns(4000, 3))
    row = {k: (None if isinstance(v, float) and np.isnan(v) else v)
           for k, v in frame.iloc[0].to_dict().items()}
    row.update(dict.fromkeys(LATE, 98))
    phrases = {}
    for robust in (True, False):
        trained = train(frame, target=TARGET, data_sha256="test",
                        options=TrainOptions(threads=1, robust=robust, family="scorecard"),
                        rng=np.random.default_rng(5))
        phrases[robust] = {r.phrase for r in trained.model.explain(row, top=5)}
    assert "Recent repayments were made late" in phrases[False]
    assert "Recent repayments were made late" not in phrases[True]


def test_the_taiwan_sample_trains_with_defaults_and_nothing_is_mistaken_for_a_code() -> None:
    result = searched(read_frame(TAIWAN.read_bytes()), "DEFAULT", budget=45.0)
    cv = result.trained.report["cross_validation"]
    assert [t.candidate.name for t in result.tried] == ["gbm-base", "scorecard"]
    assert 0.72 <= cv["auc_mean"] <= 0.82 and cv["auc_sd"] > 0
    assert result.trained.report["preprocessing"]["sentinels"] == []


@pytest.mark.parametrize(("mutate", "folds", "code"), [
    (lambda f: f.rename(columns={TARGET: "other"}), 5, "risk_target_column_must_exist"),
    (lambda f: f.assign(**{TARGET: 0}), 5, "risk_target_must_have_two_classes"),
    (lambda f: f.iloc[:600].reset_index(drop=True), 10, "risk_rows_must_fill_folds"),
])
def test_bad_input_is_refused_with_a_code_before_any_fitting(
        bureau: pd.DataFrame, mutate: Callable[[pd.DataFrame], pd.DataFrame], folds: int,
        code: str) -> None:
    calls: list[str] = []
    with pytest.raises(InvalidInput) as err:
        search_train(mutate(bureau), target=TARGET, options=TrainOptions(threads=1),
                     search=SearchOptions(folds=folds), data_sha256="test",
                     rng=np.random.default_rng(1), clock=fake_clock(1.0),
                     progress=lambda name, done, total: calls.append(name))
    assert err.value.code == code
    assert calls == []


def test_average_precision_is_the_bad_rate_for_a_useless_score() -> None:
    y = np.r_[np.ones(10), np.zeros(90)]
    assert average_precision(y, np.full(100, 0.5)) == pytest.approx(0.1)
    assert average_precision(y, y.copy()) == pytest.approx(1.0)


def test_preprocessing_fitted_on_training_rows_only_is_kept_with_the_model(
        bureau: pd.DataFrame, tmp_path: Path) -> None:
    trained = train(bureau, target=TARGET, options=TrainOptions(threads=1, max_rounds=100),
                    data_sha256="test", rng=np.random.default_rng(3))
    prep = trained.model.prep
    assert prep is not None and prep.rows == 3000  # the 60 % training split
    save_model(trained, tmp_path)
    loaded = load_model(tmp_path)
    assert loaded.prep == prep
    assert np.allclose(loaded.score_frame(bureau), trained.model.score_frame(bureau))


def test_fit_prep_ignores_columns_without_traits() -> None:
    from dunwell.risk.tabular import feature_columns, infer_schema

    frame = read_frame(TAIWAN.read_bytes())
    y = frame["DEFAULT"].to_numpy()
    schema = infer_schema(frame, "DEFAULT", y)
    prep = fit_prep(feature_columns(frame, schema), schema)
    assert prep.sentinels == () and prep.missing == ()
