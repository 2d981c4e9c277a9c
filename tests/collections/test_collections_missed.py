"""Days without a collection run: a step whose window is still open is done late, a
step whose whole window fell in the gap is returned as missed, to be recorded."""

from __future__ import annotations

import datetime as dt

from test_collections_engine import DUE, HUMANE, case_on, done

from dunwell.collections.engine import missed_steps, propose


def on(day: int) -> dt.date:
    return DUE + dt.timedelta(days=day)


def test_a_gap_from_d0_to_d5_misses_the_d1_sms_and_catches_up_the_d3_call() -> None:
    past = [done(p, on(0)) for p in propose(case_on(0), HUMANE, on(0), [])]
    late = propose(case_on(5), HUMANE, on(5), past)
    assert [p.step_id for p in late] == ["d3_call"]
    missed = missed_steps(case_on(5), HUMANE, on(5), on(0), past)
    assert [(p.kind.value, p.step_id) for p in missed] == [("sms_reminder", "d1_sms")]
    assert missed[0].reason.startswith("skipped: ")
    assert f"due {on(1)} to {on(2)}" in missed[0].reason


def test_no_gap_misses_nothing_and_steps_already_done_are_not_missed() -> None:
    past = [done(p, on(d)) for d in range(0, 6)
            for p in propose(case_on(d), HUMANE, on(d), [])]
    assert missed_steps(case_on(5), HUMANE, on(5), on(4), past) == []
    assert missed_steps(case_on(5), HUMANE, on(5), on(5), past) == []
