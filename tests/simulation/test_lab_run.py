"""A small strategy-lab run through the real day loop: every book verifies, the guard
was never overridden, both strategies meet the same borrowers, and a seed replays."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import sqlalchemy as sa

from dunwell.core.errors import InvalidInput
from dunwell.simulation.lab import params as lab_params
from dunwell.simulation.lab import runner
from dunwell.simulation.lab.summary import summarise

START = dt.date(2025, 1, 31)


def _settings(
    db_url: str | None,
    *,
    borrowers: int,
    days: int,
    strategies: tuple[str, ...] = ("humane", "aggressive"),
) -> runner.LabSettings:
    return runner.LabSettings(
        borrowers=borrowers,
        days=days,
        seeds=(3,),
        strategies=strategies,
        start=START,
        params=lab_params.load(),
        db_url=db_url,
    )


def _loans(url: str) -> list[tuple[int, int, int]]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return [
                tuple(r)
                for r in conn.execute(
                    sa.text(
                        "SELECT loan_id, borrower_id, principal_minor FROM loans ORDER BY loan_id"
                    )
                )
            ]
    finally:
        engine.dispose()


def test_two_strategies_on_the_same_borrowers(db_url: str, tmp_path: Path) -> None:
    base = db_url if not db_url.startswith("sqlite") else f"sqlite:///{tmp_path / 'lab.sqlite'}"
    settings = _settings(base, borrowers=16, days=33)
    days_seen: list[dt.date] = []
    results, _ = runner.run_lab(
        settings, workdir=tmp_path, progress=lambda s, seed, day: days_seen.append(day)
    )
    assert [r.strategy for r in results] == ["humane", "aggressive"]
    assert len(days_seen) == 2 * 33
    humane, aggressive = results
    # each book verified at the end (run_lab raises otherwise), and no contact was made
    # that the guard did not allow
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
        assert len(r.run["daily"]["dates"]) == 33
    # the same people, decided the same way by origination, in both books
    assert _loans(humane.url) == _loans(aggressive.url)
    assert humane.url != aggressive.url
    # pressure is what differs: the aggressive ladder calls every day from D+1
    assert aggressive.run["metrics"]["contacts"] > humane.run["metrics"]["contacts"]
    stories = {s["name"] for r in results for s in r.stories}
    assert stories == {"family_emergency_plan", "refusal_to_court"}
    doc = summarise(
        [r.run for r in results], runner.settings_json(settings), results[0].stories, None
    )
    assert set(doc["strategies"]) == {"humane", "aggressive"}


def test_a_seed_replays_exactly(tmp_path: Path) -> None:
    settings = _settings(None, borrowers=8, days=31, strategies=("humane",))
    first = runner.run_one(settings, "humane", 3, workdir=tmp_path / "a")
    again = runner.run_one(settings, "humane", 3, workdir=tmp_path / "b")
    for run in (first.run, again.run):
        run.pop("seconds")
    assert first.run == again.run
    assert first.stories == again.stories


def test_an_unknown_strategy_is_refused_before_anything_runs() -> None:
    with pytest.raises(InvalidInput) as err:
        runner.plan_for("kind", _settings(None, borrowers=5, days=1), 1)
    assert err.value.code == "simulate_strategy_must_be_known"
