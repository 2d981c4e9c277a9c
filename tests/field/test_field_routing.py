"""Routing: the nearest-neighbour baseline and OR-Tools on small worked examples.
Speed 20 km/h, so 1 km takes 3 minutes; times are minutes after midnight; shifts
09:00-17:00 (540-1020); visits last 20 minutes. Every result is checked stop by
stop against windows, shifts and capacity, not only for "a result"."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dunwell.field.model import GeoPoint, RoutingProblem, RoutingResult, Stop, Vehicle
from dunwell.field.routing import NearestNeighbourRouter, violations
from dunwell.providers.routing_ortools import OrToolsRouter

DEPOT = GeoPoint(30.0, 104.0)
KM = 1 / 111.195  # degrees of latitude in one kilometre on the haversine sphere


def north(km: float) -> GeoPoint:
    return GeoPoint(round(DEPOT.latitude + km * KM, 7), DEPOT.longitude)


def stop(sid: int, where: GeoPoint, window: tuple[int, int] = (540, 1020),
         agents: frozenset[str] = frozenset({"a"})) -> Stop:
    return Stop(sid, where, window[0], window[1], 20, agents)


def van(agent_id: str = "a", capacity: int = 10) -> Vehicle:
    return Vehicle(agent_id, DEPOT, 540, 1020, capacity)


def etas(result: RoutingResult) -> list[list[tuple[int, int]]]:
    return [[(s.stop_id, s.start_min) for s in r.stops] for r in result.routes]


def assert_in_windows(problem: RoutingProblem, result: RoutingResult) -> None:
    stops = {s.stop_id: s for s in problem.stops}
    for r in result.routes:
        for rs in r.stops:
            s = stops[rs.stop_id]
            assert s.window_start_min <= rs.start_min <= s.window_end_min
    assert violations(problem, result) == []


WORKED = RoutingProblem(
    stops=(stop(1, north(1)), stop(2, north(2)), stop(3, north(-1), (900, 960))),
    vehicles=(van(),))


def test_nearest_neighbour_goes_to_the_visit_it_can_start_soonest_and_waits_for_a_window() -> None:
    result = NearestNeighbourRouter().solve(WORKED)
    # 1 km north at 09:03, 1 km further at 09:26, then 3 km south, waiting until 15:00.
    assert etas(result) == [[(1, 543), (2, 566), (3, 900)]]
    route = result.routes[0]
    assert [s.travel_min for s in route.stops] == [3, 3, 9]
    assert route.end_min == 923 and route.return_min == 3
    assert result.unserved == {}
    assert_in_windows(WORKED, result)


def test_a_window_that_cannot_be_met_within_the_shift_is_left_out_with_its_reason() -> None:
    late = RoutingProblem((stop(1, north(1)), stop(2, north(1), (1005, 1010))), (van(),))
    for router in (NearestNeighbourRouter(), OrToolsRouter(time_limit_s=1)):
        result = router.solve(late)
        assert result.unserved == {2: "the visit window cannot be met within any eligible "
                                      "agent's shift (travel from their start included)"}
        assert_in_windows(late, result)


def test_capacity_caps_the_visits_of_one_agent_and_the_rest_are_explained() -> None:
    busy = RoutingProblem(tuple(stop(k, north(k / 2)) for k in range(1, 4)), (van(capacity=2),))
    for router in (NearestNeighbourRouter(), OrToolsRouter(time_limit_s=1)):
        result = router.solve(busy)
        assert result.served == 2
        assert list(result.unserved.values()) == [
            "eligible agents' days are full (visits per day or working time)"]
        assert_in_windows(busy, result)


def test_a_visit_goes_only_to_an_agent_allowed_to_take_it() -> None:
    problem = RoutingProblem((stop(1, north(1), agents=frozenset({"b"})),
                              stop(2, north(1), agents=frozenset())), (van("a"), van("b")))
    for router in (NearestNeighbourRouter(), OrToolsRouter(time_limit_s=1)):
        result = router.solve(problem)
        assert {r.agent_id: [s.stop_id for s in r.stops] for r in result.routes} == {
            "a": [], "b": [1]}
        assert result.unserved == {2: "no certified agent may take this visit"}


def test_ortools_serves_the_worked_example_within_windows_and_no_longer_than_the_baseline(
) -> None:
    result = OrToolsRouter(time_limit_s=1).solve(WORKED)
    assert result.served == 3
    assert_in_windows(WORKED, result)
    assert result.distance_m <= NearestNeighbourRouter().solve(WORKED).distance_m


def random_problem(seed: int, n: int, vehicles: int) -> RoutingProblem:
    rng = random.Random(seed)
    ids = [f"v{k}" for k in range(vehicles)]
    stops = []
    for k in range(n):
        start = rng.choice((540, 600, 720, 840, 960))
        stops.append(Stop(k + 1, GeoPoint(DEPOT.latitude + rng.uniform(-0.05, 0.05),
                                          DEPOT.longitude + rng.uniform(-0.05, 0.05)),
                          start, start + rng.choice((60, 120, 240)), rng.choice((10, 20, 30)),
                          frozenset(rng.sample(ids, rng.randint(1, vehicles)))))
    fleet = tuple(Vehicle(a, GeoPoint(DEPOT.latitude + rng.uniform(-0.02, 0.02),
                                      DEPOT.longitude), rng.choice((480, 540)),
                          rng.choice((960, 1020)), rng.randint(2, 8)) for a in ids)
    return RoutingProblem(tuple(stops), fleet)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(0, 25), vehicles=st.integers(1, 4))
def test_the_baseline_never_breaks_a_window_a_shift_or_a_capacity(seed: int, n: int,
                                                                  vehicles: int) -> None:
    problem = random_problem(seed, n, vehicles)
    result = NearestNeighbourRouter().solve(problem)
    assert violations(problem, result) == []
    assert result.served + len(result.unserved) == n


@pytest.mark.parametrize("seed", [3, 17])
def test_ortools_plans_check_out_stop_by_stop_on_random_days(seed: int) -> None:
    problem = random_problem(seed, 18, 3)
    result = OrToolsRouter(time_limit_s=1).solve(problem)
    assert_in_windows(problem, result)
    assert result.served + len(result.unserved) == 18
    assert result.served >= NearestNeighbourRouter().solve(problem).served - 1
