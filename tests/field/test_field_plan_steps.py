"""The steps of planning a date, each on the in-memory book: the actions still to
plan, the agents a visit may go to, and saving the visits with their counts — no
database (the whole plan runs on the book in ``test_field_plan``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from dunwell.app.context import Dunwell
from dunwell.app.field import plan
from dunwell.app.field.visits import add_agent
from dunwell.app.training import service as training
from dunwell.field.assignment import VisitToAssign
from dunwell.field.model import GeoPoint, VisitStatus
from dunwell.training.model import Subject
from fakes.app import fake_app

NOW = dt.datetime(2026, 3, 2, 1, 0, tzinfo=dt.UTC)
DAY = dt.date(2026, 3, 2)
NEAR = GeoPoint(31.2304, 121.4737)


def book() -> Dunwell:
    app = fake_app()
    training.add_staff(app, staff_id="t-1", name="trainer", role="trainer", lead_id=None,
                       now=NOW)
    for agent_id in ("a-1", "a-2"):
        add_agent(app, agent_id=agent_id, name=agent_id, timezone="Asia/Shanghai",
                  territory_name="Huangpu", latitude=31.23, longitude=121.47, radius_m=8000,
                  shift_start=dt.time(9), shift_end=dt.time(18), visits_per_day_max=6,
                  hourly_cost_minor=6000, cost_per_km_minor=150, now=NOW)
    return app


def certify_all(app: Dunwell, agent_id: str) -> None:
    for subject in Subject:
        training.import_certificate(app, staff_id=agent_id, subject=subject.value,
                                    signer_id="t-1", score_pct=90, evidence="course",
                                    issued_on=DAY, expires_on=None, now=NOW)


def day_of(app: Dunwell) -> Any:
    with app.uow() as uow:
        agents = {a.agent_id: a for a in uow.field.agents()}
    return plan._Day(DAY, dt.datetime.combine(DAY, dt.time(0), tzinfo=dt.UTC), 20, 20, {}, {},
                     {}, agents, {}, {})


def row(action_id: int, **more: Any) -> dict[str, Any]:
    return {"plan_date": DAY, "case_id": f"case-{action_id}", "borrower_id": action_id,
            "action_id": action_id, "agent_id": None, "pinned": False, "sequence": None,
            "eta": None, "window_start": None, "window_end": None, "travel_m": 0,
            "travel_min": 0, "service_min": 20, "status": VisitStatus.UNASSIGNED.value,
            "reason": "", "cost_minor": 0, **more}


def action(step: int, decision: str, kind: str = "field_visit") -> dict[str, Any]:
    return {"case_id": f"case-{step}", "step_id": step, "due_date": DAY, "occurrence": 0,
            "business_date": DAY, "borrower_id": step, "kind": kind, "decision": decision}


def test_the_actions_to_plan_leave_out_those_whose_visit_is_done() -> None:
    app = book()
    with app.uow() as uow:
        ids = [uow.actions.add(action(1, "allow")), uow.actions.add(action(2, "allow")),
               uow.actions.add(action(3, "deny")), uow.actions.add(action(4, "allow", "sms"))]
        uow.field.save_visit(row(ids[1], status=VisitStatus.DONE.value, outcome="moved"))
        uow.commit()
    with app.uow() as uow:
        existing = {v.action_id: v for v in uow.field.visits_on(DAY)}
        assert [a["action_id"] for a in plan._actions_to_plan(uow, DAY, existing)] == [ids[0]]


def test_a_visit_goes_only_to_agents_the_training_gate_lets_visit() -> None:
    app = book()
    certify_all(app, "a-2")
    rows = {1: row(1)}
    with app.uow() as uow:
        assignment = plan._assign_agents(uow, day_of(app), [VisitToAssign(1, NEAR, None)],
                                         rows)
    assert assignment.eligible == {1: frozenset({"a-2"})} and rows[1]["reason"] == ""
    lonely = book()
    rows = {1: row(1)}
    with lonely.uow() as uow:
        assignment = plan._assign_agents(uow, day_of(lonely), [VisitToAssign(1, NEAR, None)],
                                         rows)
    assert 1 not in assignment.eligible and rows[1]["reason"] == assignment.unassigned[1]


def test_saving_keeps_a_hand_assignment_counts_each_status_and_drops_the_rest() -> None:
    app = book()
    with app.uow() as uow:
        uow.field.save_visit(row(9))  # planned before, not planned again today
        uow.commit()
    rows = {1: row(1, agent_id="a-1", pinned=True),
            2: row(2, agent_id="a-1", pinned=True, reason=plan.NO_NOTICE),
            3: row(3, status=VisitStatus.PLANNED.value, agent_id="a-2", sequence=1)}
    report = plan.PlanReport(DAY, "nearest")
    with app.uow() as uow:
        plan._save_visits(uow, DAY, rows, {2}, report)
        uow.commit()
    with app.uow() as uow:
        saved = {v.action_id: v.status for v in uow.field.visits_on(DAY)}
    assert saved == {1: VisitStatus.ASSIGNED, 2: VisitStatus.UNASSIGNED,
                     3: VisitStatus.PLANNED}
    assert report.statuses == {"assigned": 1, "unassigned": 1, "planned": 1}
    assert report.reasons == {plan.NO_NOTICE: 1}
