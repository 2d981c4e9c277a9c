"""The steps of routing, one at a time: checking a plan leg by leg, and building the
solver's network. Speed 20 km/h, so 1 km takes 3 minutes; shift 09:00-17:00
(540-1020); visits last 20 minutes."""

from __future__ import annotations

from dunwell.field.model import GeoPoint, Route, RouteStop, RoutingProblem, Stop, Vehicle
from dunwell.field.routing import (
    NO_ELIGIBLE,
    coverage_violations,
    leg_violations,
    return_violations,
    route_violations,
)
from dunwell.providers.routing_ortools import (
    Model,
    Network,
    routable_network,
    search_parameters,
    unrouted,
)

DEPOT = GeoPoint(30.0, 104.0)
ONE_KM_NORTH = GeoPoint(30.0089932, 104.0)  # 1,000 m on the haversine sphere
VAN = Vehicle("a", DEPOT, 540, 1020, 2)
VISIT = Stop(1, ONE_KM_NORTH, 600, 660, 20, frozenset({"a"}))
STOPS = {1: VISIT}


def test_a_leg_that_keeps_every_rule_has_nothing_to_say() -> None:
    # 1 km at 09:00 arrives 09:03 and waits for the window at 10:00
    leg = RouteStop(1, 543, 600, 1000, 3)
    assert leg_violations(leg, VISIT, agent_id="a", here=DEPOT, free_min=540,
                          speed_kmh=20) == []


def test_a_leg_reports_eligibility_travel_arrival_and_window_each_in_its_words() -> None:
    leg = RouteStop(1, 541, 661, 900, 2)
    assert leg_violations(leg, VISIT, agent_id="b", here=DEPOT, free_min=540,
                          speed_kmh=20) == [
        "stop 1: agent b is not allowed",
        "stop 1: leg 900 m/2 min, expected 1000 m/3 min",
        "stop 1: arrives at 541 before it can (543)",
        "stop 1: starts at 661 after window end 660",
    ]
    early = RouteStop(1, 543, 590, 1000, 3)
    assert leg_violations(early, VISIT, agent_id="a", here=DEPOT, free_min=540,
                          speed_kmh=20) == [
        "stop 1: starts at 590 before arrival or window start 600"]


def test_the_way_back_must_match_the_last_place_and_end_within_the_shift() -> None:
    route = Route("a", (RouteStop(1, 543, 600, 1000, 3),), 1000, 3, 623)
    assert return_violations(route, VAN, here=ONE_KM_NORTH, free_min=620, speed_kmh=20) == []
    too_soon = Route("a", route.stops, 1000, 3, 622)
    assert return_violations(too_soon, VAN, here=ONE_KM_NORTH, free_min=620,
                             speed_kmh=20) == ["a: return leg inconsistent"]
    stayed_late = Route("a", (), 0, 0, 1030)
    assert return_violations(stayed_late, VAN, here=DEPOT, free_min=540, speed_kmh=20) == [
        "a: back at 1030, after shift end 1020"]


def test_a_route_is_checked_visit_by_visit_and_records_what_it_served() -> None:
    leg = RouteStop(1, 543, 600, 1000, 3)
    seen: set[int] = set()
    route = Route("a", (leg, RouteStop(9, 0, 0, 0, 0), leg), 1000, 3, 623)
    assert route_violations(route, VAN, STOPS, speed_kmh=20, seen=seen) == [
        "a: 3 visits exceed capacity 2",
        "a: unknown stop 9",
        "stop 1 served twice",
        "stop 1: leg 1000 m/3 min, expected 0 m/0 min",
        "stop 1: arrives at 543 before it can (620)",
    ]
    assert seen == {1}


def test_every_stop_is_served_or_explained_and_never_both() -> None:
    assert coverage_violations([1, 2, 3], {1}, {2: "full"}) == [
        "stop 3 neither served nor explained"]
    assert coverage_violations([1, 2], {1, 2}, {2: "full"}) == [
        "stop 2 both served and unserved"]


def test_the_network_numbers_starts_then_ends_then_visits_with_travel_between_each_pair(
        ) -> None:
    network = Network.of([VAN], [VISIT], speed_kmh=20)
    assert (network.vehicle_count, network.node_count, network.end_node(0),
            network.stop_node(0)) == (1, 3, 1, 2)
    assert network.stop_at(2) is VISIT
    assert network.distance_m == ((0, 0, 1000), (0, 0, 1000), (1000, 1000, 0))
    assert network.travel_min == ((0, 0, 3), (0, 0, 3), (3, 3, 0))
    assert network.service_min == (0, 0, 20)


def test_only_visits_some_agent_may_take_are_routed_the_others_explained() -> None:
    nobody = Stop(2, ONE_KM_NORTH, 600, 660, 20, frozenset({"z"}))
    network, unserved = routable_network(RoutingProblem((VISIT, nobody), (VAN,)))
    assert network is not None and network.stops == (VISIT,)
    assert unserved == {2: NO_ELIGIBLE}
    nothing, explained = routable_network(RoutingProblem((nobody,), (VAN,)))
    assert (nothing, explained) == (None, {2: NO_ELIGIBLE})


def test_when_nothing_is_routed_every_agent_stays_home_and_each_visit_is_explained() -> None:
    result = unrouted(RoutingProblem((VISIT,), (VAN,)), (VISIT,), {})
    assert result.routes == (Route("a", (), 0, 0, 540),)
    assert result.unserved == {1: "eligible agents' days are full (visits per day or "
                                  "working time)"}


def test_the_solver_model_reads_a_route_back_leg_by_leg() -> None:
    model = Model(Network.of([VAN], [VISIT], speed_kmh=20), drop_penalty_m=200_000,
                  balance_m_per_visit=1_000)
    solution = model.routing.SolveWithParameters(search_parameters(1))
    route = model.route(solution, 0)
    assert route.stops == (RouteStop(1, route.stops[0].arrival_min, 600, 1000, 3),)
    assert route.stops[0].arrival_min >= 543
    assert (route.return_m, route.return_min, route.end_min) == (1000, 3, 623)
