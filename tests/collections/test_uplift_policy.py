"""The uplift policy on a small simulated book: an exploring history, a policy
trained on it, and a day planned with it — every choice explained, the budget kept,
every contact allowed by the guard, the same inputs giving the same policy."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

import numpy as np
import pytest

from dunwell.app.cob import close_until
from dunwell.app.collections.collect import Experiment, collect_day
from dunwell.app.collections.uplift import (
    Budget,
    UpliftPolicy,
    load_policy,
    save_policy,
    train_uplift_policy,
    training_set,
)
from dunwell.app.day.clock import BookClock, DayStep
from dunwell.app.day.loop import DayOptions, open_date, run_until
from dunwell.bootstrap import Dunwell
from dunwell.core.errors import DomainError, InvalidInput
from dunwell.simulation.portfolio import answer_contacts, pay_today, seed_book

START = dt.date(2025, 1, 1)
#: The exploring history: the day loop through 17 February, its quiet days before 28
#: January closed by COB alone.
QUIET_UNTIL = dt.date(2025, 1, 27)
HISTORY_ENDS = dt.date(2025, 2, 17)
ML = Experiment(champion="ml")


def history(app: Dunwell, *, days: int, policy: UpliftPolicy) -> None:
    """Days of the day loop on the ml menu with ``policy``, the sample borrowers
    answering and paying each morning."""
    rng = random.Random(11)
    behaviours: dict[int, object] = {}

    def morning(today: dt.date) -> None:
        answer_contacts(app, today, rng)
        pay_today(app, today, rng, behaviours)  # type: ignore[arg-type]

    options = DayOptions(experiment=ML, policy=policy, after_collect=morning, dispatch=False)
    run_until(app, open_date(app) + dt.timedelta(days=days - 1), options)


def test_a_policy_learnt_from_the_books_history_plans_a_day(app: Dunwell,
                                                           tmp_path: Path) -> None:
    seed_book(app, loans=80, start=START, seed=5)
    with pytest.raises(InvalidInput) as err:
        training_set(app)
    assert err.value.code == "uplift_history_must_not_be_empty"
    # nothing falls due before 1 February: the loop would find no case to plan, contact
    # to answer or payment to make until the pre-due reminders of 29 January, so COB
    # alone closes the days before (the book comes out as the loop leaves it)
    close_until(app, QUIET_UNTIL)
    history(app, days=(HISTORY_ENDS - QUIET_UNTIL).days,
            policy=UpliftPolicy.exploring(seed=2, budget=Budget(contacts=20)))
    every_contact_was_allowed_and_the_budget_kept(app, budget=20)

    with app.uow() as uow:
        explored = [a for d in uow.uplift.run_dates() for a in uow.actions.on_date(d)
                    if a["strategy"] == "ml@1" and not a["case_id"].startswith("pre-")
                    and a["segment_id"] == "menu"]
    assert explored and all(a["reason"].startswith("ml untrained explore: ") for a in explored)
    assert {a["decision"] for a in explored} >= {"allow", "withheld"}

    policy = train_uplift_policy(app, seed=3, budget=Budget(contacts=6), min_rows=30)
    again = train_uplift_policy(app, seed=3, budget=Budget(contacts=6), min_rows=30)
    assert policy.report == again.report
    assert policy.model is not None and again.model is not None
    assert policy.model.to_files() == again.model.to_files()
    report = policy.report
    assert report["explored_rows"] > 0 and report["evaluated_on"] in (
        "randomised case-days", "all case-days")
    assert {q["arm"] for q in report["qini"]} >= {"call"}  # enough history for calls

    saved = save_policy(policy, tmp_path / "uplift", created_at="2025-02-18T00:00:00+00:00")
    assert saved.version == "v1"
    loaded = load_policy(tmp_path / "uplift")
    assert loaded.version == "v1" and loaded.budget == Budget(contacts=6)
    data = training_set(app)
    for arm, p in policy.model.predict(data.x).items():
        np.testing.assert_allclose(loaded.model.predict(data.x)[arm], p)  # type: ignore[union-attr]
    (tmp_path / "uplift" / "v1" / "arm_none.txt").write_text("tampered", encoding="utf-8")
    with pytest.raises(DomainError) as bad:
        load_policy(tmp_path / "uplift")
    assert bad.value.code == "risk_model_artifact_must_load"

    day = open_date(app)
    collect_day(app, day, now=BookClock().at(day, DayStep.COLLECT), experiment=ML,
                policy=loaded)
    with app.uow() as uow:
        rows = [a for a in uow.actions.on_date(day) if a["case_id"].startswith("case-")]
        active = {c.view.case_id for c in uow.cases.active().values()
                  if c.view.strategy_name == "ml"}
    menu = [a for a in rows if a["segment_id"] == "menu" and a["kind"] != "legal_review"]
    chosen = [a for a in menu if a["decision"] != "withheld"]
    assert len(chosen) <= 6  # the day's contact budget
    assert all(a["reason"].startswith("ml v1: ") for a in menu)
    assert all("; guard: " in a["reason"] for a in chosen)
    per_case: dict[str, int] = {}
    for a in menu:
        per_case[a["case_id"]] = per_case.get(a["case_id"], 0) + 1
    assert set(per_case.values()) == {1}  # one explained decision per case and day
    menu_cases = {a["case_id"] for a in menu}
    assert menu_cases <= active


def every_contact_was_allowed_and_the_budget_kept(app: Dunwell, *, budget: int) -> None:
    """Every outbound contact made for a step was allowed by the guard, and the policy
    never chose more than ``budget`` contacts on a day."""
    with app.uow() as uow:
        rows = {a["action_id"]: a for d in uow.uplift.run_dates()
                for a in uow.actions.on_date(d)}
        linked = [rows[a] for a in uow.uplift.contact_action_ids()]
    assert linked and all(a["decision"] == "allow" for a in linked)
    by_day: dict[dt.date, int] = {}
    for a in rows.values():
        if (a["segment_id"] == "menu" and a["case_id"].startswith("case-") and a["channel"]
                and a["decision"] != "withheld" and " explore: " in a["reason"]):
            by_day[a["business_date"]] = by_day.get(a["business_date"], 0) + 1
    assert by_day and max(by_day.values()) <= budget
