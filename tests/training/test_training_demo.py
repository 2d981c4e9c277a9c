"""The demo's staff: the sample book's people are certified; the mixed group shows
every kind of refusal and a warning on the run's last days."""

from __future__ import annotations

import datetime as dt

from dunwell.app.training import report
from dunwell.bootstrap import Dunwell
from dunwell.simulation.portfolio import seed_book
from dunwell.simulation.training import seed_demo_staff
from dunwell.training.model import Action

START = dt.date(2025, 1, 31)


def test_the_demo_day_shows_refusals_and_a_warning(app: Dunwell) -> None:
    seed_book(app, loans=5, start=START, seed=1)
    people = seed_demo_staff(app, start=START, days=90)
    assert [p.staff_id for p in people] == ["f-11", "f-12", "f-13", "f-14", "c-04"]
    day = START + dt.timedelta(days=89)
    rows = {r.staff.staff_id: r for r in report.status(app, on=day)}
    visit = {sid: rows[sid].verdicts[Action.VISIT] for sid in ("f-01", "f-11", "f-12", "f-13",
                                                                "f-14")}
    assert visit["f-01"].allowed
    assert visit["f-14"].describe() == (
        "no valid certificate in legal_knowledge (expired on 2025-04-26)")
    assert visit["f-11"].describe() == (
        "no valid certificate in visit_safety (expired on 2025-03-17)")
    assert visit["f-12"].describe() == "no valid certificate in visit_safety (missing)"
    assert "suspended since 2025-03-02" in visit["f-13"].describe()
    [f14] = report.status(app, on=START + dt.timedelta(days=66), staff_id="f-14")
    assert f14.verdicts[Action.VISIT].allowed
    assert [(e.subject.value, e.days_left) for e in f14.verdicts[Action.VISIT].expiring] == [
        ("legal_knowledge", 19)]
    call = rows["c-04"].verdicts[Action.CALL]
    assert call.describe() == "no valid certificate in vulnerability (expired on 2025-01-30)"
    assert rows["c-01"].verdicts[Action.CALL].allowed
    for lead in ("tl-01", "tl-02", "m-01"):
        assert rows[lead].verdicts[Action.NEGOTIATE].allowed
