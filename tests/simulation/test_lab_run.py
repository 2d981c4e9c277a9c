"""A small strategy-lab run through the real day loop, shared by the module's tests:
every book verifies, the guard was never overridden, both strategies meet the same
borrowers, the book already has arrears when the measured days start, the field plan
routes the visits the guard allowed, the stories are told once each and summarised,
and a seed replays."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest
import sqlalchemy as sa

from dunwell.core.errors import InvalidInput
from dunwell.simulation.lab import params as lab_params
from dunwell.simulation.lab import runner, stories
from dunwell.simulation.lab.summary import summarise

START = dt.date(2025, 1, 31)
#: Long enough for the first cohorts' first instalments to fall due before START.
WARMUP = 34
DAYS = 20
SEED = 3


def _settings(
    db_url: str | None,
    *,
    borrowers: int,
    days: int,
    strategies: tuple[str, ...] = ("humane", "aggressive"),
    warmup: int = WARMUP,
) -> runner.LabSettings:
    return runner.LabSettings(
        borrowers=borrowers,
        days=days,
        seeds=(SEED,),
        strategies=strategies,
        start=START,
        params=lab_params.load(),
        db_url=db_url,
        warmup_days=warmup,
    )


def _loans(url: str) -> list[tuple[int, int, int, int]]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return [
                (int(a), int(b), int(c), int(d))
                for a, b, c, d in conn.execute(
                    sa.text(
                        "SELECT loan_id, borrower_id, principal_minor, disbursed_day FROM loans "
                        "ORDER BY loan_id"
                    )
                )
            ]
    finally:
        engine.dispose()


class Shared:
    def __init__(self, settings: runner.LabSettings, workdir: Path) -> None:
        self.settings, self.workdir = settings, workdir
        self.days_seen: list[dt.date] = []
        self.results, _ = runner.run_lab(
            settings, workdir=workdir, progress=lambda s, seed, day: self.days_seen.append(day)
        )


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Shared:
    """One run of humane and aggressive on the same 12 borrowers (every book verified
    at the end: run_lab raises otherwise)."""
    workdir = tmp_path_factory.mktemp("lab")
    return Shared(_settings(None, borrowers=12, days=DAYS), workdir)


def test_two_strategies_on_the_same_borrowers(lab: Shared) -> None:
    results = lab.results
    assert [r.strategy for r in results] == ["humane", "aggressive"]
    assert len(lab.days_seen) == 2 * (WARMUP + DAYS)
    humane, aggressive = results
    for r in results:
        assert r.run["metrics"]["violations"] == 0
        assert set(r.run) >= {
            "metrics",
            "denials_by_rule",
            "roll_rates",
            "vintages",
            "daily",
            "seconds",
        }
        assert len(r.run["daily"]["dates"]) == DAYS
        assert r.run["daily"]["dates"][0] == START.isoformat()
    # the same people, decided the same way by origination, on the same days
    assert _loans(humane.url) == _loans(aggressive.url)
    assert humane.url != aggressive.url
    # pressure is what differs: the aggressive ladder calls every day from D+1
    assert aggressive.run["metrics"]["contacts"] > humane.run["metrics"]["contacts"]
    doc = summarise([r.run for r in results], runner.settings_json(lab.settings), [], None)
    assert set(doc["strategies"]) == {"humane", "aggressive"}


def test_the_loans_are_staggered_so_the_first_measured_day_has_arrears(lab: Shared) -> None:
    humane = lab.results[0]
    disbursed = {d for _l, _b, _p, d in _loans(humane.url)}
    assert len(disbursed) > 3  # cohorts on several days before the start
    opened = runner.opened_on(lab.settings)
    assert min(disbursed) == (opened - dt.date(1970, 1, 1)).days
    assert float(humane.run["daily"]["overdue_balance"][0]) > 0
    assert humane.run["daily"]["open_cases"][0] > 0


def test_the_field_plan_routes_the_visits_the_aggressive_ladder_was_allowed(
    lab: Shared,
) -> None:
    aggressive = lab.results[1]
    metrics = aggressive.run["metrics"]
    assert metrics["visits"] > 0
    assert isinstance(metrics["visit_roi"], float)
    engine = sa.create_engine(aggressive.url)
    try:
        with engine.connect() as conn:
            reasons = {
                str(r)
                for (r,) in conn.execute(
                    sa.text("SELECT reason FROM visits WHERE status = 'unassigned'")
                )
            }
    finally:
        engine.dispose()
    # a visit left unplanned is left so by the notice period, never for want of a notice
    assert not any(r.startswith("no visit notice") for r in reasons)
    for r in lab.results:
        if r.run["metrics"]["visits"] == 0:
            assert r.run["metrics"]["visit_roi"] is None


def test_the_named_stories_are_told_once_each_and_repeats_are_summarised(lab: Shared) -> None:
    picked = runner.pick_stories(lab.results)
    assert [s["name"] for s in picked] == ["family_emergency_plan", "refusal_to_court"]
    assert picked[0]["strategy"] == "humane"
    aggressive_refusal = next(s for s in lab.results[1].stories if s["name"] == "refusal_to_court")
    texts = [e["text"] for e in aggressive_refusal["events"]]
    assert any(" calls, " in t and " answered" in t for t in texts)  # daily calls folded
    assert len(texts) < stories.EVENTS_MAX
    assert sum(t.startswith("call") for t in texts) <= 2


@pytest.mark.skipif(
    not os.environ.get("DUNWELL_TEST_POSTGRES_URL"), reason="PostgreSQL is not configured"
)
def test_a_tiny_run_on_postgresql(db_url: str, tmp_path: Path) -> None:
    if db_url.startswith("sqlite"):
        pytest.skip("the module's shared run covers SQLite")
    settings = _settings(db_url, borrowers=4, days=2, strategies=("humane",), warmup=3)
    (result,), _ = runner.run_lab(settings, workdir=tmp_path)
    try:
        assert result.run["metrics"]["violations"] == 0
        assert len(_loans(result.url)) > 0
    finally:  # the lab leaves its schema for inspection; the test's is not wanted
        _drop_own_schema(result.url)


def _drop_own_schema(url: str) -> None:
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            schema = conn.exec_driver_sql("SELECT current_schema()").scalar_one()
            assert schema.startswith("lab_"), schema
            conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
    finally:
        engine.dispose()


def test_an_unknown_strategy_is_refused_before_anything_runs() -> None:
    with pytest.raises(InvalidInput) as err:
        runner.plan_for("kind", _settings(None, borrowers=5, days=1), 1)
    assert err.value.code == "simulate_strategy_must_be_known"


def test_a_seed_replays_exactly_in_worker_processes_in_the_same_order(tmp_path: Path) -> None:
    """A small lab run in this process, then again two worker processes at a time:
    every figure and every story equal to the first time's (all but the seconds each
    took)."""
    first = Shared(_settings(None, borrowers=6, days=4, warmup=12), tmp_path / "one")
    days: list[dt.date] = []
    results, _ = runner.run_lab(
        first.settings, workdir=tmp_path / "two", jobs=2,
        progress=lambda s, seed, day: days.append(day)
    )
    assert [r.run["strategy"] for r in results] == [r.run["strategy"] for r in first.results]
    for mine, theirs in zip(results, first.results, strict=True):
        assert {k: v for k, v in mine.run.items() if k != "seconds"} == {
            k: v for k, v in theirs.run.items() if k != "seconds"
        }
        assert mine.stories == theirs.stories
    assert len(days) == len(first.days_seen) > 0


def test_an_ml_policy_that_cannot_be_trained_stops_the_pooled_lab(tmp_path: Path) -> None:
    settings = _settings(None, borrowers=4, days=1, strategies=("humane", "ml"), warmup=0)
    with pytest.raises(runner.MlHistoryTooSmall) as err:
        runner.run_lab(settings, workdir=tmp_path, jobs=2)
    assert err.value.code == "simulate_ml_history_must_be_large_enough"
