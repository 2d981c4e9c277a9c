"""Repository for the field operation: addresses, agents, their certificates, the
guard-allowed visit actions of a date, visits and plans, and what ROI reads."""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, and_, delete, func, insert, select, update

from dunwell.core.errors import NotFound
from dunwell.field.model import (
    Address,
    Agent,
    Certificate,
    GeoPoint,
    Shift,
    Subject,
    Territory,
    VisitOutcome,
    VisitRecord,
    VisitStatus,
)
from dunwell.store import collection_tables as c
from dunwell.store import field_tables as f
from dunwell.store import tables as t
from dunwell.store import training_tables as tr
from dunwell.store.collections_repo import chunks


def _ts(text: str | None) -> dt.datetime | None:
    return None if not text else dt.datetime.fromisoformat(text)


class FieldRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    # --- addresses --------------------------------------------------------------

    def put_address(self, address: Address, *, at: dt.datetime) -> None:
        loc = address.location
        row = {"address_text": address.text, "updated_at": at.isoformat(),
               "latitude": loc.latitude if loc else None,
               "longitude": loc.longitude if loc else None}
        table = f.borrower_addresses
        if self.conn.execute(select(table.c.borrower_id)
                             .where(table.c.borrower_id == address.borrower_id)).first():
            self.conn.execute(update(table).where(table.c.borrower_id == address.borrower_id)
                              .values(**row))
        else:
            self.conn.execute(insert(table).values(borrower_id=address.borrower_id, **row))

    def addresses(self, borrower_ids: Sequence[int]) -> dict[int, Address]:
        out: dict[int, Address] = {}
        table = f.borrower_addresses
        for chunk in chunks(borrower_ids):
            for r in self.conn.execute(select(table).where(table.c.borrower_id.in_(chunk))):
                m = r._mapping
                loc = (GeoPoint(float(m["latitude"]), float(m["longitude"]))
                       if m["latitude"] is not None and m["longitude"] is not None else None)
                out[int(m["borrower_id"])] = Address(int(m["borrower_id"]), m["address_text"], loc)
        return out

    # --- agents and certificates -----------------------------------------------

    def put_agent(self, agent: Agent) -> None:
        self.conn.execute(insert(f.field_agents).values(**_agent_row(agent)))

    def agents(self, *, active_only: bool = True) -> list[Agent]:
        q = select(f.field_agents).order_by(f.field_agents.c.agent_id)
        if active_only:
            q = q.where(f.field_agents.c.active.is_(True))
        return [_agent(r._mapping) for r in self.conn.execute(q)]

    def agent(self, agent_id: str) -> Agent:
        row = self.conn.execute(select(f.field_agents)
                                .where(f.field_agents.c.agent_id == agent_id)).first()
        if row is None:
            raise NotFound(f"field agent {agent_id} does not exist; add one with "
                           "`dunwell field agent add`", code="field_agent_must_exist")
        return _agent(row._mapping)

    def has_agent(self, agent_id: str) -> bool:
        return self.conn.execute(select(f.field_agents.c.agent_id)
                                 .where(f.field_agents.c.agent_id == agent_id)).first() is not None

    def certificates(self, agent_ids: Sequence[str] | None = None) -> dict[str, list[Certificate]]:
        """The agents' training certificates in the field's subjects (issued through
        ``dunwell training``; the field id is the staff id)."""
        table = tr.training_certificates
        q = (select(table).where(table.c.subject.in_([s.value for s in Subject]))
             .order_by(table.c.certificate_id))
        if agent_ids is not None:
            q = q.where(table.c.staff_id.in_(list(agent_ids)))
        out: dict[str, list[Certificate]] = defaultdict(list)
        for r in self.conn.execute(q):
            m = r._mapping
            out[m["staff_id"]].append(Certificate(m["staff_id"], Subject(m["subject"]),
                                                  m["certificate_no"], m["issued_on"],
                                                  m["expires_on"]))
        return dict(out)

    # --- what the guard allowed ---------------------------------------------------

    def allowed_visit_actions(self, day: dt.date) -> list[dict[str, Any]]:
        a = c.case_actions
        q = (select(a).where(a.c.business_date == day, a.c.kind == "field_visit",
                             a.c.decision == "allow").order_by(a.c.action_id))
        return [dict(r._mapping) for r in self.conn.execute(q)]

    def case_exists(self, case_id: str) -> bool:
        return self.conn.execute(select(c.cases.c.case_id)
                                 .where(c.cases.c.case_id == case_id)).first() is not None

    # --- visits and plans ---------------------------------------------------------

    def visits_on(self, day: dt.date) -> list[VisitRecord]:
        q = (select(f.visits).where(f.visits.c.plan_date == day)
             .order_by(f.visits.c.agent_id, f.visits.c.sequence, f.visits.c.visit_id))
        return [_visit(r._mapping) for r in self.conn.execute(q)]

    def visit(self, visit_id: int) -> VisitRecord:
        row = self.conn.execute(select(f.visits).where(f.visits.c.visit_id == visit_id)).first()
        if row is None:
            raise NotFound(f"visit {visit_id} does not exist; see `dunwell field plan`",
                           code="visit_must_exist")
        return _visit(row._mapping)

    def save_visit(self, row: dict[str, Any]) -> int:
        """Insert or update the visit of ``row['action_id']``; returns its id (stable
        across re-plans)."""
        found = self.conn.execute(select(f.visits.c.visit_id)
                                  .where(f.visits.c.action_id == row["action_id"])).first()
        if found is not None:
            self.conn.execute(update(f.visits).where(f.visits.c.visit_id == found[0])
                              .values(**row))
            return int(found[0])
        res = self.conn.execute(insert(f.visits).values(**row))
        pk = res.inserted_primary_key
        assert pk is not None
        return int(pk[0])

    def drop_unfinished(self, day: dt.date, keep_action_ids: Iterable[int]) -> None:
        """Remove the date's visits without an outcome whose action is not re-planned."""
        keep = list(keep_action_ids)
        q = delete(f.visits).where(f.visits.c.plan_date == day,
                                   f.visits.c.status != VisitStatus.DONE.value)
        if keep:
            q = q.where(f.visits.c.action_id.not_in(keep))
        self.conn.execute(q)

    def update_visit(self, visit_id: int, **values: Any) -> None:
        self.conn.execute(update(f.visits).where(f.visits.c.visit_id == visit_id).values(**values))

    def save_plan(self, day: dt.date, *, solver: str, time_limit_s: int, at: dt.datetime,
                  summary: dict[str, Any]) -> None:
        values = {"solver": solver, "time_limit_s": time_limit_s, "planned_at": at.isoformat(),
                  "summary_json": json.dumps(summary, sort_keys=True)}
        if self.conn.execute(select(f.visit_plans.c.plan_date)
                             .where(f.visit_plans.c.plan_date == day)).first():
            self.conn.execute(update(f.visit_plans).where(f.visit_plans.c.plan_date == day)
                              .values(**values))
        else:
            self.conn.execute(insert(f.visit_plans).values(plan_date=day, **values))

    def busiest_plan_day(self) -> dt.date | None:
        """The plan date with the most visits given to agents (the latest on a tie)."""
        v = f.visits
        row = self.conn.execute(
            select(v.c.plan_date, func.count().label("n")).where(v.c.agent_id.is_not(None))
            .group_by(v.c.plan_date).order_by(func.count().desc(), v.c.plan_date.desc())
            .limit(1)).first()
        return None if row is None else row[0]

    # --- ROI ------------------------------------------------------------------------

    def done_visits(self, date_from: dt.date | None, date_to: dt.date | None) -> list[VisitRecord]:
        q = select(f.visits).where(f.visits.c.status == VisitStatus.DONE.value)
        if date_from is not None:
            q = q.where(f.visits.c.plan_date >= date_from)
        if date_to is not None:
            q = q.where(f.visits.c.plan_date <= date_to)
        return [_visit(r._mapping) for r in self.conn.execute(q.order_by(f.visits.c.visit_id))]

    def collected(self, borrower_id: int, start: dt.date, end: dt.date) -> int:
        """Paid by ``borrower_id`` (not reversed) with business dates in [start, end]."""
        q = (select(t.payments.c.amount_minor)
             .join(t.loans, t.loans.c.loan_id == t.payments.c.loan_id)
             .where(and_(t.loans.c.borrower_id == borrower_id,
                         t.payments.c.business_date >= start,
                         t.payments.c.business_date <= end,
                         t.payments.c.reversal_entry_id.is_(None))))
        return sum(int(a) for (a,) in self.conn.execute(q))


def _agent_row(a: Agent) -> dict[str, Any]:
    return {"agent_id": a.agent_id, "name": a.name, "timezone": a.timezone,
            "territory_name": a.territory.name,
            "centre_latitude": a.territory.centre.latitude,
            "centre_longitude": a.territory.centre.longitude,
            "radius_m": a.territory.radius_m,
            "shift_start": a.shift.start.isoformat("minutes"),
            "shift_end": a.shift.end.isoformat("minutes"),
            "visits_per_day_max": a.visits_per_day_max,
            "hourly_cost_minor": a.hourly_cost_minor, "cost_per_km_minor": a.cost_per_km_minor}


def _agent(m: Any) -> Agent:
    return Agent(m["agent_id"], m["name"], m["timezone"],
                 Territory(m["territory_name"], GeoPoint(float(m["centre_latitude"]),
                                                         float(m["centre_longitude"])),
                           int(m["radius_m"])),
                 Shift(dt.time.fromisoformat(m["shift_start"]),
                       dt.time.fromisoformat(m["shift_end"])),
                 int(m["visits_per_day_max"]), int(m["hourly_cost_minor"]),
                 int(m["cost_per_km_minor"]))


def _visit(m: Any) -> VisitRecord:
    loc = (GeoPoint(float(m["outcome_latitude"]), float(m["outcome_longitude"]))
           if m["outcome_latitude"] is not None else None)
    return VisitRecord(
        visit_id=int(m["visit_id"]), plan_date=m["plan_date"], case_id=m["case_id"],
        borrower_id=int(m["borrower_id"]), action_id=int(m["action_id"]),
        agent_id=m["agent_id"], pinned=bool(m["pinned"]), sequence=m["sequence"],
        eta=_ts(m["eta"]), window_start=_ts(m["window_start"]), window_end=_ts(m["window_end"]),
        travel_m=int(m["travel_m"]), travel_min=int(m["travel_min"]),
        service_min=int(m["service_min"]), status=VisitStatus(m["status"]), reason=m["reason"],
        cost_minor=int(m["cost_minor"]),
        outcome=VisitOutcome(m["outcome"]) if m["outcome"] else None,
        outcome_at=_ts(m["outcome_at"]), outcome_location=loc,
        distance_from_address_m=m["distance_from_address_m"],
        place_flagged=bool(m["place_flagged"]), proof=m["proof"], note=m["note"],
        letter_no=m["letter_no"])
