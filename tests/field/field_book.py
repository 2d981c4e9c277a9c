"""The field tests' book: borrowers with open cases whose field visits the guard
allowed on one date, addresses with coordinates, and certified agents. The fixture
itself is in conftest.py."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from dunwell.app.bootstrap import Dunwell
from dunwell.app.field import add_agent, add_certificate
from dunwell.collections.model import CaseStatus, CaseView
from dunwell.compliance.model import Jurisdiction
from dunwell.store.collections_repo import ActionRepository, BorrowerRepository, CaseRepository

DAY = dt.date(2026, 11, 24)
NOW = dt.datetime(2026, 11, 24, 7, 0, tzinfo=dt.UTC)
CENTRE = (30.6586, 104.0647)
VISIT_TAGS = ["reminder_letter", "staff_certified", "audio_video_recording", "prior_notice"]


@dataclass(frozen=True)
class Book:
    app: Dunwell
    action_of: dict[int, int]  # borrower id -> allowed field-visit action id


def put_visit_case(app: Dunwell, borrower_id: int, *, day: dt.date = DAY,
                   window: tuple[str, str] = ("08:00", "20:00"), flags: tuple[str, ...] = (),
                   decision: str = "allow") -> int:
    """A borrower with an open case and a field visit the guard decided on ``day``."""
    from dunwell.compliance.model import Flag

    with app.uow() as uow:
        BorrowerRepository(uow.conn).put(
            borrower_id=borrower_id, name=f"借款人{borrower_id:05d}",
            jurisdiction=Jurisdiction.CN_NIFA, timezone="Asia/Shanghai", language="zh-CN",
            flags=[Flag(f) for f in flags])
        case_id = f"case-{borrower_id}"
        CaseRepository(uow.conn).save(CaseView(
            case_id=case_id, borrower_id=str(borrower_id), status=CaseStatus.OPEN, loans=(),
            opened_on=day - dt.timedelta(days=30), strategy_name="humane", strategy_version=1,
            variant="champion"), day)
        action_id = ActionRepository(uow.conn).add({
            "case_id": case_id, "borrower_id": borrower_id, "business_date": day,
            "kind": "field_visit", "channel": "visit", "recipient": "borrower",
            "tags_json": json.dumps(VISIT_TAGS), "planned_at": f"{day}T14:00",
            "strategy": "humane@1", "variant": "champion", "segment_id": "standard",
            "step_id": "d30_field_visit", "due_date": day - dt.timedelta(days=30),
            "occurrence": 0, "decision": decision, "rule": None, "reason": "allowed",
            "window_start": f"{day}T{window[0]}:00+08:00" if decision == "allow" else None,
            "window_end": f"{day}T{window[1]}:00+08:00" if decision == "allow" else None,
            "defer_until": None, "status": "planned" if decision == "allow" else decision})
        uow.commit()
    return action_id


def offset(km_north: float, km_east: float) -> tuple[float, float]:
    import math

    return (round(CENTRE[0] + km_north / 111.32, 6),
            round(CENTRE[1] + km_east / (111.32 * math.cos(math.radians(CENTRE[0]))), 6))


def certify(app: Dunwell, agent_id: str, *, expires: dt.date = dt.date(2027, 6, 30),
            subjects: tuple[str, ...] = ("communication_skills", "legal_knowledge",
                                         "privacy")) -> None:
    for s in subjects:
        add_certificate(app, agent_id=agent_id, subject=s, expires_on=expires,
                        issued_on=dt.date(2026, 1, 1), now=NOW)


def agent(app: Dunwell, agent_id: str, *, at: tuple[float, float] = CENTRE,
          radius_m: int = 15_000, capacity: int = 10, shift: tuple[str, str] = ("09:00", "17:30"),
          certified: bool = True) -> None:
    add_agent(app, agent_id=agent_id, name=f"Agent {agent_id}", timezone="Asia/Shanghai",
              territory_name=f"area of {agent_id}", latitude=at[0], longitude=at[1],
              radius_m=radius_m, shift_start=dt.time.fromisoformat(shift[0]),
              shift_end=dt.time.fromisoformat(shift[1]), visits_per_day_max=capacity,
              hourly_cost_minor=6_000, cost_per_km_minor=150, now=NOW)
    if certified:
        certify(app, agent_id)
