"""OR-Tools behind the routing port: vehicle routing with time windows.

Nodes are one start and one end per agent (the same place unless a re-plan starts
the agent where they are) and one per visit. The
arc cost is the haversine distance in metres; a time dimension carries travel
minutes plus the service time of the place left, with waiting allowed (slack); a
visit's cumulative time (its start) must lie in its window and each agent's
route in their shift; a count dimension caps visits per agent; a visit may go only
to its allowed agents; and every visit is optional at a drop penalty scaled by its
priority, so infeasible visits are left out rather than making the problem
infeasible, and low-priority ones go first. The first solution is built by parallel
cheapest insertion (better than the cheapest arc when windows are tight), then
improved by guided local search, which stops when ``patience_s`` pass without a
better plan, or at the time limit.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from dunwell.field.model import (
    GeoPoint,
    Route,
    RouteStop,
    RoutingProblem,
    RoutingResult,
    Stop,
    Vehicle,
)
from dunwell.field.routing import NO_ELIGIBLE, explain_unserved
from dunwell.field.rules import haversine_m, travel_minutes

#: Metres of travel a dropped visit costs: serving a visit is worth up to this detour.
DROP_PENALTY_M = 200_000
HORIZON_MIN = 3 * 24 * 60
#: Workload balance: each visit the busiest agent makes costs this many metres, so
#: visits spread over agents unless keeping them together saves more travel.
BALANCE_M_PER_VISIT = 1_000
#: Seconds of search without a better plan after which the search stops.
PATIENCE_S = 1.0


class _NoImprovement:
    """Called at each solution the search finds; ends the search once ``patience_s``
    have passed since the last one that lowered the cost."""

    def __init__(self, routing: Any, patience_s: float) -> None:
        self.routing, self.patience_s = routing, patience_s
        self.best: int | None = None
        self.since = time.monotonic()

    def __call__(self) -> None:
        cost = int(self.routing.CostVar().Max())
        now = time.monotonic()
        if self.best is None or cost < self.best:
            self.best, self.since = cost, now
        elif now - self.since >= self.patience_s:
            self.routing.solver().FinishCurrentSearch()


class OrToolsRouter:
    name = "ortools"

    def __init__(self, *, time_limit_s: int = 10, drop_penalty_m: int = DROP_PENALTY_M,
                 balance_m_per_visit: int = BALANCE_M_PER_VISIT,
                 patience_s: float = PATIENCE_S) -> None:
        if time_limit_s <= 0:
            raise ValueError("time limit must be at least one second")
        self.time_limit_s = time_limit_s
        self.patience_s = patience_s
        self.drop_penalty_m = drop_penalty_m
        self.balance_m_per_visit = balance_m_per_visit

    def solve(self, problem: RoutingProblem) -> RoutingResult:
        network, unserved = routable_network(problem)
        if network is None:
            return unrouted(problem, (), unserved)
        model = Model(network, drop_penalty_m=self.drop_penalty_m,
                      balance_m_per_visit=self.balance_m_per_visit)
        stop = _NoImprovement(model.routing, self.patience_s)
        model.routing.AddAtSolutionCallback(stop)
        solution = model.routing.SolveWithParameters(search_parameters(self.time_limit_s))
        if solution is None:
            return unrouted(problem, network.stops, unserved)
        routes = tuple(model.route(solution, k) for k in range(network.vehicle_count))
        served = {rs.stop_id for r in routes for rs in r.stops}
        unserved.update({s.stop_id: explain_unserved(problem, s)
                         for s in network.stops if s.stop_id not in served})
        return RoutingResult(routes, dict(sorted(unserved.items())))


@dataclass(frozen=True, slots=True)
class Network:
    """The nodes the solver sees, one start per agent, one end per agent, then one per
    visit that some agent may take, with the metres and minutes between every pair and
    the service time of each node (none at a start or an end)."""

    vehicles: tuple[Vehicle, ...]
    stops: tuple[Stop, ...]
    distance_m: tuple[tuple[int, ...], ...]
    travel_min: tuple[tuple[int, ...], ...]
    service_min: tuple[int, ...]

    @classmethod
    def of(cls, vehicles: Sequence[Vehicle], stops: Sequence[Stop],
           speed_kmh: int) -> Network:
        places: list[GeoPoint] = ([v.start for v in vehicles] + [v.home for v in vehicles]
                                  + [s.location for s in stops])
        distance = tuple(tuple(haversine_m(a, b) for b in places) for a in places)
        minutes = tuple(tuple(travel_minutes(d, speed_kmh) for d in row) for row in distance)
        service = (0,) * (2 * len(vehicles)) + tuple(s.service_min for s in stops)
        return cls(tuple(vehicles), tuple(stops), distance, minutes, service)

    @property
    def vehicle_count(self) -> int:
        return len(self.vehicles)

    @property
    def node_count(self) -> int:
        return 2 * len(self.vehicles) + len(self.stops)

    def end_node(self, k: int) -> int:
        """The node where the ``k``-th agent's day ends."""
        return self.vehicle_count + k

    def stop_node(self, k: int) -> int:
        """The node of the ``k``-th visit."""
        return 2 * self.vehicle_count + k

    def stop_at(self, node: int) -> Stop:
        return self.stops[node - 2 * self.vehicle_count]


def routable_network(problem: RoutingProblem) -> tuple[Network | None, dict[int, str]]:
    """The network of the visits some agent may take (None when there is nothing to
    route), and the visits nobody may take, explained."""
    vehicles = problem.vehicles
    routable = [s for s in problem.stops if any(v.agent_id in s.allowed_agents for v in vehicles)]
    unserved = {s.stop_id: NO_ELIGIBLE for s in problem.stops if s not in routable}
    if not vehicles or not routable:
        return None, unserved
    return Network.of(vehicles, routable, problem.speed_kmh), unserved


def unrouted(problem: RoutingProblem, stops: Sequence[Stop],
             unserved: dict[int, str]) -> RoutingResult:
    """Every agent stays home; each of ``stops`` is explained."""
    routes = tuple(Route(v.agent_id, (), 0, 0, v.shift_start_min) for v in problem.vehicles)
    unserved.update({s.stop_id: explain_unserved(problem, s) for s in stops})
    return RoutingResult(routes, dict(sorted(unserved.items())))


def search_parameters(time_limit_s: int) -> Any:
    """Parallel cheapest insertion first, improved by guided local search until the
    limit (or until :class:`_NoImprovement` ends it)."""
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = (
        routing_enums_pb2.FirstSolutionStrategy.PARALLEL_CHEAPEST_INSERTION)
    params.local_search_metaheuristic = (
        routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH)
    params.time_limit.seconds = time_limit_s
    return params


class Model:
    """The OR-Tools routing model of a :class:`Network` (see the module doc); it holds
    the callbacks the solver calls for as long as the model lives."""

    def __init__(self, network: Network, *, drop_penalty_m: int,
                 balance_m_per_visit: int) -> None:
        self.network = network
        n_v = network.vehicle_count
        self.manager = pywrapcp.RoutingIndexManager(network.node_count, n_v,
                                                    list(range(n_v)),
                                                    list(range(n_v, 2 * n_v)))
        self.routing = pywrapcp.RoutingModel(self.manager)
        self._callbacks = (self._distance_m, self._time_min, self._visits)
        arc_cost = self.routing.RegisterTransitCallback(self._callbacks[0])
        self.routing.SetArcCostEvaluatorOfAllVehicles(arc_cost)
        self.time = self._time_dimension()
        self._visit_count_dimension(balance_m_per_visit)
        self._constrain_visits(drop_penalty_m)
        self._constrain_shifts()

    def _node(self, index: int) -> int:
        return int(self.manager.IndexToNode(index))

    def _distance_m(self, i: int, j: int) -> int:
        return self.network.distance_m[self._node(i)][self._node(j)]

    def _time_min(self, i: int, j: int) -> int:
        a, b = self._node(i), self._node(j)
        return self.network.travel_min[a][b] + self.network.service_min[a]

    def _visits(self, i: int) -> int:
        return 0 if self._node(i) < 2 * self.network.vehicle_count else 1

    def _time_dimension(self) -> Any:
        """Travel plus the service time of the place left; waiting allowed."""
        transit = self.routing.RegisterTransitCallback(self._callbacks[1])
        self.routing.AddDimension(transit, HORIZON_MIN, HORIZON_MIN, False, "time")
        return self.routing.GetDimensionOrDie("time")

    def _visit_count_dimension(self, balance_m_per_visit: int) -> None:
        """Visits per agent within capacity; the busiest agent's count costs metres."""
        transit = self.routing.RegisterUnaryTransitCallback(self._callbacks[2])
        capacities = [v.capacity for v in self.network.vehicles]
        self.routing.AddDimensionWithVehicleCapacity(transit, 0, capacities, True, "visits")
        self.routing.GetDimensionOrDie("visits").SetGlobalSpanCostCoefficient(
            balance_m_per_visit)

    def _constrain_visits(self, drop_penalty_m: int) -> None:
        """Each visit starts in its window, goes to an allowed agent, or is dropped."""
        agent_index = {v.agent_id: k for k, v in enumerate(self.network.vehicles)}
        for k, s in enumerate(self.network.stops):
            index = self.manager.NodeToIndex(self.network.stop_node(k))
            self.time.CumulVar(index).SetRange(s.window_start_min, s.window_end_min)
            allowed = sorted(agent_index[a] for a in s.allowed_agents if a in agent_index)
            self.routing.VehicleVar(index).SetValues([-1, *allowed])
            self.routing.AddDisjunction([index], drop_penalty_m * max(1, s.priority))

    def _constrain_shifts(self) -> None:
        """Each agent leaves and is back within the shift, leaving as late and coming
        back as early as the route allows."""
        for k, v in enumerate(self.network.vehicles):
            start, end = self.time.CumulVar(self.routing.Start(k)), self.time.CumulVar(
                self.routing.End(k))
            start.SetRange(v.shift_start_min, v.shift_end_min)
            end.SetRange(v.shift_start_min, v.shift_end_min)
            self.routing.AddVariableMinimizedByFinalizer(end)
            self.routing.AddVariableMaximizedByFinalizer(start)

    def route(self, solution: Any, k: int) -> Route:
        """The ``k``-th agent's route in ``solution``, leg by leg."""
        network, vehicle = self.network, self.network.vehicles[k]
        index = self.routing.Start(k)
        prev_node = self._node(index)
        free = solution.Value(self.time.CumulVar(index))
        legs: list[RouteStop] = []
        index = solution.Value(self.routing.NextVar(index))
        while not self.routing.IsEnd(index):
            node = self._node(index)
            s = network.stop_at(node)
            start = solution.Value(self.time.CumulVar(index))
            d, t = network.distance_m[prev_node][node], network.travel_min[prev_node][node]
            legs.append(RouteStop(s.stop_id, free + t, start, d, t))
            free, prev_node = start + s.service_min, node
            index = solution.Value(self.routing.NextVar(index))
        if not legs:
            return Route(vehicle.agent_id, (), 0, 0, vehicle.shift_start_min)
        end_node = network.end_node(k)
        back_d = network.distance_m[prev_node][end_node]
        back_t = network.travel_min[prev_node][end_node]
        end = solution.Value(self.time.CumulVar(index))
        return Route(vehicle.agent_id, tuple(legs), back_d, back_t, max(end, free + back_t))
