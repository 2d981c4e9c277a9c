"""Days without a collection run: when the run comes back, steps whose whole window
fell in the gap are recorded as skipped with the days they were due, not lost."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from dunwell.app.cob import close_until
from dunwell.app.collections.collect import collect_day
from dunwell.app.day.loop import DayOptions, open_date, run_until
from dunwell.bootstrap import Dunwell
from dunwell.simulation.portfolio import seed_book
from dunwell.store import collection_tables as c

START = dt.date(2025, 1, 31)


def morning(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(7, 0), tzinfo=dt.UTC)


def test_a_gap_in_collection_runs_records_the_steps_it_missed(app: Dunwell) -> None:
    seed_book(app, loans=40, start=START, seed=5)
    day = START
    while True:  # run the loop until cases are open
        run_until(app, day, DayOptions(dispatch=False))
        with app.engine.connect() as conn:
            open_cases = conn.execute(sa.select(sa.func.count()).select_from(c.cases)
                                      .where(c.cases.c.status == "open")).scalar_one()
        if open_cases:
            break
        day += dt.timedelta(days=1)
        assert day < START + dt.timedelta(days=90), "no case opened"
    gap_end = open_date(app) + dt.timedelta(days=4)
    close_until(app, gap_end)  # four days closed without a collection run
    report = collect_day(app, open_date(app), now=morning(open_date(app)))
    assert report.steps_missed > 0
    with app.engine.connect() as conn:
        skipped = conn.execute(sa.select(c.case_actions.c.step_id, c.case_actions.c.reason)
                               .where(c.case_actions.c.decision == "skipped")).all()
    assert len(skipped) == report.steps_missed
    assert all(r.reason.startswith("skipped: ") and "no collection run between" in r.reason
               for r in skipped)
