"""In-memory repository of the field operation (``uow.field``): addresses, agents,
visits and plans, on dictionaries.

It keeps its data in ``state["field"]`` (a :class:`FieldData`), looked up on every
call. Visits are kept as the rows the store keeps (the same column names and
values), so the store's own reading of a row makes the records. What the field
reads from elsewhere comes from the other fakes, as the store reads the other
tables: the agents' certificates from training, the guard-allowed visit actions and
the cases from collections, the payments from lending.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from dunwell.core.errors import NotFound
from dunwell.field.model import Address, Agent, Certificate, Subject, VisitRecord, VisitStatus
from dunwell.store.field_repo import _visit
from fakes import registry
from fakes.collections import collections_data
from fakes.lending import lending_data

#: A visit row's columns the store fills in when a row leaves them out.
VISIT_DEFAULTS: dict[str, Any] = {
    "agent_id": None, "pinned": False, "sequence": None, "eta": None, "window_start": None,
    "window_end": None, "travel_m": 0, "travel_min": 0, "service_min": 0, "reason": "",
    "cost_minor": 0, "outcome": None, "outcome_at": None, "outcome_latitude": None,
    "outcome_longitude": None, "distance_from_address_m": None, "place_flagged": False,
    "proof": None, "note": "", "letter_no": None}


@dataclass
class FieldData:
    addresses: dict[int, Address] = field(default_factory=dict)
    #: agent id -> (agent, active)
    agents: dict[str, tuple[Agent, bool]] = field(default_factory=dict)
    visits: dict[int, dict[str, Any]] = field(default_factory=dict)
    plans: dict[dt.date, dict[str, Any]] = field(default_factory=dict)


def field_data(state: dict[str, Any]) -> FieldData:
    """The field operation kept in ``state`` (made on first use)."""
    data = state.setdefault("field", FieldData())
    assert isinstance(data, FieldData)
    return data


def _visit_record(row: dict[str, Any]) -> VisitRecord:
    return _visit({**VISIT_DEFAULTS, **row})


def _no_agent(agent_id: str) -> NotFound:
    return NotFound(f"field agent {agent_id} does not exist; add one with "
                    "`dunwell field agent add`", code="field_agent_must_exist")


class FakeFieldRepository:
    def __init__(self, state: dict[str, Any]) -> None:
        self._state = state

    @property
    def data(self) -> FieldData:
        return field_data(self._state)

    # --- addresses --------------------------------------------------------------
    def put_address(self, address: Address, *, at: dt.datetime) -> None:
        self.data.addresses[address.borrower_id] = address

    def addresses(self, borrower_ids: Sequence[int]) -> dict[int, Address]:
        return {b: self.data.addresses[b] for b in borrower_ids if b in self.data.addresses}

    # --- agents and certificates -----------------------------------------------
    def put_agent(self, agent: Agent) -> None:
        if agent.agent_id in self.data.agents:
            raise AssertionError(f"agent {agent.agent_id} stored twice (a primary key)")
        self.data.agents[agent.agent_id] = (agent, True)

    def agents(self, *, active_only: bool = True) -> list[Agent]:
        return [a for k, (a, active) in sorted(self.data.agents.items())
                if active or not active_only]

    def agent(self, agent_id: str) -> Agent:
        if agent_id not in self.data.agents:
            raise _no_agent(agent_id)
        return self.data.agents[agent_id][0]

    def has_agent(self, agent_id: str) -> bool:
        return agent_id in self.data.agents

    def certificates(self, agent_ids: Sequence[str] | None = None,
                     ) -> dict[str, list[Certificate]]:
        """The agents' training certificates in the field's subjects."""
        from fakes.training import training_data

        field_subjects = {s.value for s in Subject}
        out: dict[str, list[Certificate]] = {}
        for cert, _evidence in training_data(self._state).certificates:
            if cert.subject.value not in field_subjects:
                continue
            if agent_ids is not None and cert.staff_id not in agent_ids:
                continue
            out.setdefault(cert.staff_id, []).append(Certificate(
                cert.staff_id, Subject(cert.subject.value), cert.number, cert.issued_on,
                cert.expires_on))
        return out

    # --- what the guard allowed ---------------------------------------------------
    def allowed_visit_actions(self, day: dt.date) -> list[dict[str, Any]]:
        return sorted((dict(a) for a in collections_data(self._state).actions.values()
                       if a["business_date"] == day and a["kind"] == "field_visit"
                       and a["decision"] == "allow"), key=lambda a: int(a["action_id"]))

    def case_exists(self, case_id: str) -> bool:
        return case_id in collections_data(self._state).cases

    # --- visits and plans ---------------------------------------------------------
    def visits_on(self, day: dt.date) -> list[VisitRecord]:
        rows = [r for r in self.data.visits.values() if r["plan_date"] == day]
        # the store orders by agent, sequence, visit id (NULLs first, as SQLite does)
        rows.sort(key=lambda r: (r.get("agent_id") is not None, r.get("agent_id") or "",
                                 r.get("sequence") is not None, r.get("sequence") or 0,
                                 r["visit_id"]))
        return [_visit_record(r) for r in rows]

    def visit(self, visit_id: int) -> VisitRecord:
        if visit_id not in self.data.visits:
            raise NotFound(f"visit {visit_id} does not exist; see `dunwell field plan`",
                           code="visit_must_exist")
        return _visit_record(self.data.visits[visit_id])

    def save_visit(self, row: dict[str, Any]) -> int:
        for visit_id, stored in self.data.visits.items():
            if stored["action_id"] == row["action_id"]:
                stored.update(row)
                return visit_id
        visit_id = max(self.data.visits, default=0) + 1
        self.data.visits[visit_id] = {**row, "visit_id": visit_id}
        return visit_id

    def drop_unfinished(self, day: dt.date, keep_action_ids: Iterable[int]) -> None:
        keep = set(keep_action_ids)
        for visit_id, row in list(self.data.visits.items()):
            if (row["plan_date"] == day and row["status"] != VisitStatus.DONE.value
                    and row["action_id"] not in keep):
                del self.data.visits[visit_id]

    def update_visit(self, visit_id: int, **values: Any) -> None:
        if visit_id in self.data.visits:
            self.data.visits[visit_id].update(values)

    def save_plan(self, day: dt.date, *, solver: str, time_limit_s: int, at: dt.datetime,
                  summary: dict[str, Any]) -> None:
        self.data.plans[day] = {"solver": solver, "time_limit_s": time_limit_s,
                                "planned_at": at.isoformat(),
                                "summary_json": json.dumps(summary, sort_keys=True)}

    def busiest_plan_day(self) -> dt.date | None:
        counts: dict[dt.date, int] = {}
        for row in self.data.visits.values():
            if row.get("agent_id") is not None:
                counts[row["plan_date"]] = counts.get(row["plan_date"], 0) + 1
        if not counts:
            return None
        return max(counts, key=lambda d: (counts[d], d))

    # --- ROI ------------------------------------------------------------------------
    def done_visits(self, date_from: dt.date | None,
                    date_to: dt.date | None) -> list[VisitRecord]:
        return [_visit_record(r) for _, r in sorted(self.data.visits.items())
                if r["status"] == VisitStatus.DONE.value
                and (date_from is None or r["plan_date"] >= date_from)
                and (date_to is None or r["plan_date"] <= date_to)]

    def collected(self, borrower_id: int, start: dt.date, end: dt.date) -> int:
        book = lending_data(self._state)
        loans = {k for k, loan in book.loans.items() if loan.borrower_id == borrower_id}
        return sum(p.amount_minor for p in book.payments.values()
                   if p.loan_id in loans and start <= p.business_date <= end
                   and p.reversal_entry_id is None)


registry.register("field", FakeFieldRepository)
