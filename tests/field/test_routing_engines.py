"""Every router keeps the model (windows, shifts, capacity, eligibility) on the same
small problems, starts a re-planned agent where they are and ends their day at home,
and VROOM (the default) gives the same plan for the same problem. Tiny time limits."""

from __future__ import annotations

import pytest

from dunwell.bootstrap import router_for
from dunwell.field.model import GeoPoint, RoutingProblem, Stop, Vehicle
from dunwell.field.routing import NO_ELIGIBLE, NearestNeighbourRouter, Router, violations
from dunwell.providers.routing_ortools import OrToolsRouter
from dunwell.providers.routing_vroom import VroomRouter
from dunwell.settings import Settings

HOME = GeoPoint(30.0, 104.0)
KM = 1 / 111.195


def at(km_north: float, km_east: float = 0.0) -> GeoPoint:
    return GeoPoint(round(HOME.latitude + km_north * KM, 7),
                    round(HOME.longitude + km_east * KM * 1.155, 7))


def routers() -> list[Router]:
    return [NearestNeighbourRouter(), OrToolsRouter(time_limit_s=1, patience_s=0.2),
            VroomRouter(time_limit_s=1)]


def _mixed() -> RoutingProblem:
    both, only_a = frozenset({"a", "b"}), frozenset({"a"})
    stops = [Stop(k, at(k % 5 - 2, k // 5 - 1), 540, 1020, 20, both if k % 3 else only_a)
             for k in range(1, 13)]
    stops.append(Stop(13, at(1, 1), 600, 660, 20, only_a, priority=50))
    stops.append(Stop(14, at(2, 2), 540, 1020, 20, frozenset({"z"})))  # nobody here
    return RoutingProblem(tuple(stops), (Vehicle("a", HOME, 540, 1020, 5),
                                         Vehicle("b", at(0, 3), 540, 1020, 4)))


@pytest.mark.parametrize("router", routers(), ids=lambda r: r.name)
def test_each_router_keeps_windows_shifts_capacity_and_eligibility(router: Router) -> None:
    problem = _mixed()
    result = router.solve(problem)
    assert violations(problem, result) == []
    assert result.unserved[14] == NO_ELIGIBLE
    counts = {r.agent_id: len(r.stops) for r in result.routes}
    assert counts["a"] <= 5 and counts["b"] <= 4
    only_a = {s.stop_id for s in problem.stops if s.allowed_agents == frozenset({"a"})}
    b_route = next(r for r in result.routes if r.agent_id == "b")
    assert not only_a & {rs.stop_id for rs in b_route.stops}


@pytest.mark.parametrize("router", routers(), ids=lambda r: r.name)
def test_a_re_plan_starts_the_agent_where_they_are_and_ends_the_day_at_home(
        router: Router) -> None:
    # At 14:00 the agent is 6 km north, after their visits of the morning; two visits
    # are left, one of them before 14:00 and so out of reach.
    here = at(6)
    problem = RoutingProblem(
        (Stop(1, at(5), 840, 1020, 20, frozenset({"a"})),
         Stop(2, at(1), 540, 780, 20, frozenset({"a"}))),
        (Vehicle("a", here, 840, 1020, 2, end=HOME),))
    result = router.solve(problem)
    assert violations(problem, result) == []
    route = result.routes[0]
    assert [rs.stop_id for rs in route.stops] == [1]
    assert route.stops[0].travel_m == pytest.approx(1000, abs=2)  # from here, not home
    assert route.stops[0].start_min == 843
    assert route.return_m == pytest.approx(5000, abs=3)  # back home, not to ``here``
    assert 2 in result.unserved


def test_vroom_gives_the_same_plan_for_the_same_problem() -> None:
    problem = _mixed()
    assert VroomRouter(time_limit_s=1).solve(problem) == VroomRouter(time_limit_s=1).solve(problem)


def test_vroom_is_the_default_router_and_each_engine_is_available() -> None:
    assert Settings().day_router == "vroom"
    assert isinstance(router_for("vroom", time_limit_s=1), VroomRouter)
    assert isinstance(router_for("ortools", time_limit_s=1), OrToolsRouter)
    assert isinstance(router_for("nearest"), NearestNeighbourRouter)
