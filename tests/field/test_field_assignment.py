"""Assignment by territory and workload: only certified agents whose territory
covers the address; the least loaded (by share of capacity) first; full agents
take no more; a visit nobody may take is left with its reason."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from dunwell.field.assignment import VisitToAssign, assign
from dunwell.field.model import Agent, Certificate, GeoPoint, Shift, Subject, Territory
from dunwell.field.rules import covers

DAY = dt.date(2026, 11, 24)
CENTRE = GeoPoint(30.6586, 104.0647)
EAST = GeoPoint(30.6586, 104.1647)  # about 9.6 km east


def agent(agent_id: str, centre: GeoPoint, radius_m: int = 5_000, capacity: int = 10) -> Agent:
    return Agent(agent_id, agent_id, "Asia/Shanghai", Territory(agent_id, centre, radius_m),
                 Shift(dt.time(9), dt.time(17)), capacity, 6_000, 150)


def certs(*agent_ids: str, expires: dt.date = dt.date(2027, 1, 1)) -> dict[str, list[Certificate]]:
    return {a: [Certificate(a, s, f"{a}-{s.value}", dt.date(2026, 1, 1), expires)
                for s in Subject] for a in agent_ids}


def near(p: GeoPoint, k: int) -> GeoPoint:
    return GeoPoint(p.latitude + 0.001 * k, p.longitude)


def test_each_visit_goes_to_an_agent_whose_territory_covers_it() -> None:
    agents = [agent("west", CENTRE), agent("east", EAST)]
    visits = [VisitToAssign(1, near(CENTRE, 1)), VisitToAssign(2, near(EAST, 1))]
    plan = assign(visits, agents, certs("west", "east"), DAY)
    assert plan.agent_of == {1: "west", 2: "east"}
    assert plan.eligible == {1: frozenset({"west"}), 2: frozenset({"east"})}


def test_overlapping_territories_share_the_work_evenly() -> None:
    agents = [agent("a", CENTRE), agent("b", near(CENTRE, 2))]
    visits = [VisitToAssign(k, near(CENTRE, k)) for k in range(1, 7)]
    plan = assign(visits, agents, certs("a", "b"), DAY)
    assert plan.load("a") == 3 and plan.load("b") == 3


def test_load_is_weighed_against_capacity_and_full_agents_take_no_more() -> None:
    agents = [agent("small", CENTRE, capacity=1), agent("large", CENTRE, capacity=3)]
    visits = [VisitToAssign(k, near(CENTRE, k)) for k in range(1, 6)]
    plan = assign(visits, agents, certs("small", "large"), DAY)
    assert plan.load("small") == 1 and plan.load("large") == 3
    assert plan.unassigned == {5: "every certified agent covering this address is at capacity "
                                  "(visits per day)"}


def test_an_agent_whose_certificate_expired_gets_nothing() -> None:
    agents = [agent("lapsed", CENTRE), agent("valid", CENTRE)]
    c = {**certs("lapsed", expires=DAY - dt.timedelta(days=1)), **certs("valid")}
    plan = assign([VisitToAssign(1, CENTRE), VisitToAssign(2, CENTRE)], agents, c, DAY)
    assert set(plan.agent_of.values()) == {"valid"}
    assert plan.eligible[1] == frozenset({"valid"})


def test_an_address_outside_every_territory_is_left_with_a_reason() -> None:
    plan = assign([VisitToAssign(1, GeoPoint(31.2304, 121.4737))], [agent("a", CENTRE)],
                  certs("a"), DAY)
    assert plan.unassigned == {1: "no certified agent's territory covers this address"}


def test_a_visit_pinned_by_hand_stays_with_its_agent_even_outside_the_territory() -> None:
    agents = [agent("west", CENTRE), agent("east", EAST)]
    plan = assign([VisitToAssign(1, near(CENTRE, 1), pinned_agent="east")], agents,
                  certs("west", "east"), DAY)
    assert plan.agent_of == {1: "east"} and plan.eligible == {1: frozenset({"east"})}


@settings(max_examples=60, deadline=None)
@given(points=st.lists(st.tuples(st.floats(-0.15, 0.15), st.floats(-0.15, 0.15)), max_size=40),
       capacities=st.lists(st.integers(1, 6), min_size=1, max_size=4),
       lapsed=st.sets(st.integers(0, 3)))
def test_assignments_respect_certificates_territories_and_capacity(
        points: list[tuple[float, float]], capacities: list[int], lapsed: set[int]) -> None:
    agents = [agent(f"a{k}", near(CENTRE, 20 * k), radius_m=9_000, capacity=c)
              for k, c in enumerate(capacities)]
    valid = {a.agent_id for k, a in enumerate(agents) if k not in lapsed}
    c = {**certs(*{a.agent_id for a in agents} - valid, expires=DAY - dt.timedelta(days=1)),
         **certs(*valid)}
    visits = [VisitToAssign(k, GeoPoint(CENTRE.latitude + dn, CENTRE.longitude + de))
              for k, (dn, de) in enumerate(points)]
    plan = assign(visits, agents, c, DAY)
    by_id = {a.agent_id: a for a in agents}
    for v in visits:
        assert (v.visit_id in plan.agent_of) != (v.visit_id in plan.unassigned)
        who = plan.agent_of.get(v.visit_id)
        if who is not None:
            assert who in valid and covers(by_id[who].territory, v.location)
    for a in agents:
        assert plan.load(a.agent_id) <= a.visits_per_day_max
