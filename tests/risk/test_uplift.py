"""The uplift model: it finds who responds to which action on data with a known
effect, its Qini figures say so on held-out rows, it is deterministic, and it reads
back as it was written."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from dunwell.core.errors import DomainError, InvalidInput
from dunwell.risk.uplift import (
    FEATURES,
    CaseState,
    Contact,
    UpliftModel,
    evaluate,
    features,
    fit_uplift,
    holdout,
    qini,
)

DPD = FEATURES.index("dpd")


def synthetic(n: int, seed: int) -> tuple[np.ndarray, list[str], np.ndarray]:
    """Calls help early cases a lot (+30 pp before D+15) and late ones not at all;
    reminders do nothing; everyone pays 20 % of the time on their own."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, len(FEATURES)))
    x[:, DPD] = rng.integers(1, 60, size=n)
    x[:, FEATURES.index("language")] = 0
    arms = rng.choice(["none", "call", "reminder"], size=n)
    p = 0.2 + 0.3 * ((arms == "call") & (x[:, DPD] < 15))
    y = (rng.random(n) < p).astype(np.float64)
    return x, list(arms), y


def test_the_model_finds_who_a_call_helps() -> None:
    x, arms, y = synthetic(6_000, seed=1)
    model = fit_uplift(x, arms, y, languages=("zh-CN",), horizon_days=7, seed=3)
    assert model.arms == ("none", "reminder", "call")
    lift = model.uplift(x)
    early = x[:, DPD] < 15
    assert lift["call"][early].mean() > 0.2
    assert abs(lift["call"][~early].mean()) < 0.08
    assert abs(lift["reminder"].mean()) < 0.05
    hx, harms, hy = synthetic(3_000, seed=2)
    figures = {q.arm: q for q in evaluate(model, hx, harms, hy)}
    pair = np.isin(harms, ["call", "none"])
    truth = 0.3 * (hx[pair, DPD] < 15) + 1e-6 * hx[pair, 0]  # the true uplift, ties broken
    oracle = qini("call", truth, (np.asarray(harms)[pair] == "call").astype(float), hy[pair])
    assert figures["call"].coefficient > 0.6 * oracle.coefficient > 0.05
    assert figures["call"].area > 0.6 * oracle.area
    assert figures["call"].top_uplift > figures["call"].ate > 0.05
    assert abs(figures["reminder"].ate) < 0.05


def test_training_is_deterministic_and_the_files_read_back() -> None:
    x, arms, y = synthetic(1_500, seed=4)
    a = fit_uplift(x, arms, y, languages=("zh-CN",), horizon_days=7, seed=9)
    b = fit_uplift(x, arms, y, languages=("zh-CN",), horizon_days=7, seed=9)
    files = a.to_files()
    assert files == b.to_files()
    back = UpliftModel.from_files(files.__getitem__)
    assert back.arms == a.arms and back.horizon_days == 7
    for arm, p in a.predict(x).items():
        np.testing.assert_allclose(back.predict(x)[arm], p)
    with pytest.raises(DomainError) as err:
        UpliftModel.from_files({**files, "uplift.json": "{"}.__getitem__)
    assert err.value.code == "risk_model_artifact_must_load"


def test_an_arm_with_little_history_gets_no_model() -> None:
    x, arms, y = synthetic(1_000, seed=5)
    arms = ["visit" if k < 10 else a for k, a in enumerate(arms)]
    model = fit_uplift(x, arms, y, languages=(), horizon_days=7, seed=1)
    assert "visit" not in model.arms
    assert model.meta["skipped_arms"]["visit"].startswith("10 rows")


def test_without_untreated_days_there_is_nothing_to_compare_with() -> None:
    x, _, y = synthetic(500, seed=6)
    with pytest.raises(InvalidInput) as err:
        fit_uplift(x, ["call"] * 500, y, languages=(), horizon_days=7, seed=1)
    assert err.value.code == "uplift_history_must_have_untreated_days"


def test_qini_of_the_perfect_and_the_reversed_order() -> None:
    treated = np.array([1, 1, 1, 1, 0, 0, 0, 0], dtype=np.float64)
    y = np.array([1, 1, 0, 0, 0, 0, 1, 1], dtype=np.float64)
    perfect = y * (2 * treated - 1)
    assert qini("call", perfect, treated, y).coefficient == pytest.approx(1.0)
    assert qini("call", -perfect, treated, y).coefficient < 0
    assert qini("call", perfect, treated, y).ate == pytest.approx(0.0)


def test_features_of_a_case() -> None:
    today = dt.date(2025, 3, 10)
    state = CaseState(
        dpd=12, overdue_minor=50_000, outstanding_minor=200_000,
        payments=((dt.date(2025, 3, 1), 10_000), (dt.date(2024, 12, 1), 5_000)),
        contacts=(Contact(dt.date(2025, 3, 8), "call", "outbound", "no_answer"),
                  Contact(dt.date(2025, 3, 5), "sms", "outbound", "delivered"),
                  Contact(dt.date(2025, 2, 20), "call", "outbound", "conversation"),
                  Contact(dt.date(2025, 3, 10), "call", "outbound", "conversation")),
        broken_promises=1, pending_promise=True, flags=frozenset({"hardship_plan"}),
        language="zh-CN")
    row = dict(zip(FEATURES, features(state, today, ("en", "zh-CN")), strict=True))
    assert row["dpd"] == 12 and row["overdue_share"] == 0.25
    assert row["payments_30d"] == 1 and row["days_since_payment"] == 9
    assert row["calls_7d"] == 1 and row["calls_30d"] == 2 and row["messages_7d"] == 1
    assert row["conversations_30d"] == 1 and row["days_since_conversation"] == 18
    assert row["no_answer_30d"] == 1 and row["outbound_30d"] == 3
    assert row["pending_promise"] == 1 and row["hardship"] == 1 and row["language"] == 1
    unknown = features(CaseState(3, 1, 1, language="fr"), today, ("zh-CN",))
    assert np.isnan(unknown[FEATURES.index("language")])


def test_the_holdout_keeps_a_borrower_on_one_side() -> None:
    keys = [str(k % 500) for k in range(5_000)]
    mask = holdout(keys, 20, seed=1)
    assert 0.15 < mask.mean() < 0.25
    by_key: dict[str, set[bool]] = {}
    for k, m in zip(keys, mask, strict=True):
        by_key.setdefault(k, set()).add(bool(m))
    assert all(len(v) == 1 for v in by_key.values())
    with pytest.raises(InvalidInput):
        holdout(keys, 100, seed=1)
