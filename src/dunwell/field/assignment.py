"""Who may take a visit, and a first assignment by territory and workload.

An agent is *eligible* for a visit on a date when they hold valid certificates in
every required subject on that date and the visit's address lies in their
territory. The assignment gives each visit, in order, to the eligible agent with the
lowest share of their daily capacity used so far (ties: the nearer territory centre,
then the agent id); a visit whose eligible agents are all full, or that has none,
is left unassigned with a reason.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from dunwell.field.model import Agent, Certificate, GeoPoint
from dunwell.field.rules import certification_gaps, covers, haversine_m


@dataclass(frozen=True, slots=True)
class VisitToAssign:
    visit_id: int
    location: GeoPoint
    pinned_agent: str | None = None  # a person chose this agent: keep it


@dataclass(frozen=True, slots=True)
class Assignment:
    agent_of: dict[int, str] = field(default_factory=dict)
    eligible: dict[int, frozenset[str]] = field(default_factory=dict)
    unassigned: dict[int, str] = field(default_factory=dict)

    def load(self, agent_id: str) -> int:
        return sum(1 for a in self.agent_of.values() if a == agent_id)


def certified_agents(agents: Sequence[Agent], certificates: Mapping[str, Sequence[Certificate]],
                     day: dt.date) -> list[Agent]:
    return [a for a in agents if not certification_gaps(certificates.get(a.agent_id, ()), day)]


def assign(visits: Sequence[VisitToAssign], agents: Sequence[Agent],
           certificates: Mapping[str, Sequence[Certificate]], day: dt.date) -> Assignment:
    """Assign ``visits`` (in the given order) by territory and workload."""
    certified = certified_agents(agents, certificates, day)
    by_id = {a.agent_id: a for a in certified}
    uncertified = {a.agent_id for a in agents} - set(by_id)
    load = {a.agent_id: 0 for a in certified}
    out = Assignment()
    for v in visits:
        if v.pinned_agent is not None:
            if v.pinned_agent not in by_id:
                why = ("is not certified on that date" if v.pinned_agent in uncertified
                       else "does not exist")
                out.unassigned[v.visit_id] = f"pinned agent {v.pinned_agent} {why}"
                continue
            out.eligible[v.visit_id] = frozenset({v.pinned_agent})
            out.agent_of[v.visit_id] = v.pinned_agent
            load[v.pinned_agent] += 1
            continue
        covering = [a for a in certified if covers(a.territory, v.location)]
        if not covering:
            out.unassigned[v.visit_id] = (
                "no certified agent's territory covers this address" if certified
                else "no agent holds valid certificates in all required subjects on this date")
            continue
        out.eligible[v.visit_id] = frozenset(a.agent_id for a in covering)
        room = [a for a in covering if load[a.agent_id] < a.visits_per_day_max]
        if not room:
            out.unassigned[v.visit_id] = ("every certified agent covering this address is at "
                                          "capacity (visits per day)")
            continue
        best = min(room, key=lambda a: (load[a.agent_id] * 1_000_000 // a.visits_per_day_max,
                                        haversine_m(a.territory.centre, v.location),
                                        a.agent_id))
        out.agent_of[v.visit_id] = best.agent_id
        load[best.agent_id] += 1
    return out
