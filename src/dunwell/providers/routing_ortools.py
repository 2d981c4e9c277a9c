"""OR-Tools behind the routing port: vehicle routing with time windows.

Nodes are one start per agent (start = end of their day) and one per visit. The
arc cost is the haversine distance in metres; a time dimension carries travel
minutes plus the service time of the place left, with waiting allowed (slack); a
visit's cumulative time (its start) must lie in its window and each agent's
route in their shift; a count dimension caps visits per agent; a visit may go only
to its allowed agents; and every visit is optional at a large drop penalty, so
infeasible visits are left out rather than making the problem infeasible. The first
solution is the cheapest-arc construction, improved by guided local search until
the time limit.
"""

from __future__ import annotations

from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from dunwell.field.model import (
    GeoPoint,
    Route,
    RouteStop,
    RoutingProblem,
    RoutingResult,
)
from dunwell.field.routing import NO_ELIGIBLE, explain_unserved
from dunwell.field.rules import haversine_m, travel_minutes

#: Metres of travel a dropped visit costs: serving a visit is worth up to this detour.
DROP_PENALTY_M = 200_000
HORIZON_MIN = 3 * 24 * 60
#: Workload balance: each visit the busiest agent makes costs this many metres, so
#: visits spread over agents unless keeping them together saves more travel.
BALANCE_M_PER_VISIT = 1_000


class OrToolsRouter:
    name = "ortools"

    def __init__(self, *, time_limit_s: int = 10, drop_penalty_m: int = DROP_PENALTY_M,
                 balance_m_per_visit: int = BALANCE_M_PER_VISIT) -> None:
        if time_limit_s <= 0:
            raise ValueError("time limit must be at least one second")
        self.time_limit_s = time_limit_s
        self.drop_penalty_m = drop_penalty_m
        self.balance_m_per_visit = balance_m_per_visit

    def solve(self, problem: RoutingProblem) -> RoutingResult:
        vehicles = list(problem.vehicles)
        routable = [s for s in problem.stops
                    if any(v.agent_id in s.allowed_agents for v in vehicles)]
        unserved = {s.stop_id: NO_ELIGIBLE for s in problem.stops if s not in routable}
        if not vehicles or not routable:
            routes = tuple(Route(v.agent_id, (), 0, 0, v.shift_start_min) for v in vehicles)
            unserved.update({s.stop_id: explain_unserved(problem, s) for s in routable})
            return RoutingResult(routes, dict(sorted(unserved.items())))
        places: list[GeoPoint] = [v.start for v in vehicles] + [s.location for s in routable]
        n_v = len(vehicles)
        n = len(places)
        dist = [[haversine_m(a, b) for b in places] for a in places]
        mins = [[travel_minutes(d, problem.speed_kmh) for d in row] for row in dist]
        service = [0] * n_v + [s.service_min for s in routable]

        manager = pywrapcp.RoutingIndexManager(n, n_v, list(range(n_v)), list(range(n_v)))
        routing = pywrapcp.RoutingModel(manager)

        def distance_cb(i: int, j: int) -> int:
            return dist[int(manager.IndexToNode(i))][int(manager.IndexToNode(j))]

        def time_cb(i: int, j: int) -> int:
            a, b = int(manager.IndexToNode(i)), int(manager.IndexToNode(j))
            return mins[a][b] + service[a]

        def count_cb(i: int) -> int:
            return 0 if manager.IndexToNode(i) < n_v else 1

        dist_idx = routing.RegisterTransitCallback(distance_cb)
        routing.SetArcCostEvaluatorOfAllVehicles(dist_idx)
        time_idx = routing.RegisterTransitCallback(time_cb)
        routing.AddDimension(time_idx, HORIZON_MIN, HORIZON_MIN, False, "time")
        time_dim = routing.GetDimensionOrDie("time")
        count_idx = routing.RegisterUnaryTransitCallback(count_cb)
        routing.AddDimensionWithVehicleCapacity(count_idx, 0, [v.capacity for v in vehicles],
                                                True, "visits")
        routing.GetDimensionOrDie("visits").SetGlobalSpanCostCoefficient(
            self.balance_m_per_visit)
        agent_index = {v.agent_id: k for k, v in enumerate(vehicles)}
        for k, s in enumerate(routable):
            index = manager.NodeToIndex(n_v + k)
            time_dim.CumulVar(index).SetRange(s.window_start_min, s.window_end_min)
            allowed = sorted(agent_index[a] for a in s.allowed_agents if a in agent_index)
            routing.VehicleVar(index).SetValues([-1, *allowed])
            routing.AddDisjunction([index], self.drop_penalty_m)
        for k, v in enumerate(vehicles):
            time_dim.CumulVar(routing.Start(k)).SetRange(v.shift_start_min, v.shift_end_min)
            time_dim.CumulVar(routing.End(k)).SetRange(v.shift_start_min, v.shift_end_min)
            routing.AddVariableMinimizedByFinalizer(time_dim.CumulVar(routing.End(k)))
            routing.AddVariableMaximizedByFinalizer(time_dim.CumulVar(routing.Start(k)))

        params = pywrapcp.DefaultRoutingSearchParameters()
        params.first_solution_strategy = (
            routing_enums_pb2.FirstSolutionStrategy.PATH_CHEAPEST_ARC)
        params.local_search_metaheuristic = (
            routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH)
        params.time_limit.seconds = self.time_limit_s
        solution = routing.SolveWithParameters(params)
        if solution is None:
            routes = tuple(Route(v.agent_id, (), 0, 0, v.shift_start_min) for v in vehicles)
            unserved.update({s.stop_id: explain_unserved(problem, s) for s in routable})
            return RoutingResult(routes, dict(sorted(unserved.items())))

        served: set[int] = set()
        out_routes: list[Route] = []
        for k, v in enumerate(vehicles):
            index = routing.Start(k)
            prev_node = manager.IndexToNode(index)
            free = solution.Value(time_dim.CumulVar(index))
            legs: list[RouteStop] = []
            index = solution.Value(routing.NextVar(index))
            while not routing.IsEnd(index):
                node = manager.IndexToNode(index)
                s = routable[node - n_v]
                start = solution.Value(time_dim.CumulVar(index))
                d, t = dist[prev_node][node], mins[prev_node][node]
                legs.append(RouteStop(s.stop_id, free + t, start, d, t))
                served.add(s.stop_id)
                free = start + s.service_min
                prev_node = node
                index = solution.Value(routing.NextVar(index))
            back_d, back_t = (dist[prev_node][k], mins[prev_node][k]) if legs else (0, 0)
            end = solution.Value(time_dim.CumulVar(index))
            out_routes.append(Route(v.agent_id, tuple(legs), back_d, back_t,
                                    max(end, free + back_t) if legs else v.shift_start_min))
        for s in routable:
            if s.stop_id not in served:
                unserved[s.stop_id] = explain_unserved(problem, s)
        return RoutingResult(tuple(out_routes), dict(sorted(unserved.items())))
