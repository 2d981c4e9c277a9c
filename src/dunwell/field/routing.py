"""The routing port, a greedy nearest-neighbour baseline, and a route checker.

The model: each agent leaves their start (the territory centre, or where they are
when a day is re-planned) no earlier than the shift start and is back at their end
(the start unless given) by the shift end; a visit starts inside its window
(arriving early means waiting) and takes its service time; an agent makes at most
``capacity`` visits; a visit goes only to one of its ``allowed_agents``. Travel time
is the haversine distance at the problem's speed, rounded up to whole minutes. A
router may leave visits unserved; each gets a reason.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Protocol

from dunwell.field.model import (
    GeoPoint,
    Route,
    RouteStop,
    RoutingProblem,
    RoutingResult,
    Stop,
    Vehicle,
)
from dunwell.field.rules import haversine_m, travel_minutes

NO_ELIGIBLE = "no certified agent may take this visit"


class Router(Protocol):
    """Solves a :class:`RoutingProblem`; implementations must respect every
    constraint that :func:`violations` checks."""

    name: str

    def solve(self, problem: RoutingProblem) -> RoutingResult: ...


def _leg(a: GeoPoint, b: GeoPoint, speed_kmh: int) -> tuple[int, int]:
    d = haversine_m(a, b)
    return d, travel_minutes(d, speed_kmh)


def explain_unserved(problem: RoutingProblem, stop: Stop) -> str:
    """Why a router may have left ``stop`` out, in words a planner can act on."""
    vehicles = [v for v in problem.vehicles if v.agent_id in stop.allowed_agents]
    if not vehicles:
        return NO_ELIGIBLE
    alone = False
    for v in vehicles:
        _, t = _leg(v.start, stop.location, problem.speed_kmh)
        start = max(v.shift_start_min + t, stop.window_start_min)
        _, back = _leg(stop.location, v.home, problem.speed_kmh)
        if start <= stop.window_end_min and start + stop.service_min + back <= v.shift_end_min:
            alone = True
            break
    if not alone:
        return ("the visit window cannot be met within any eligible agent's shift "
                "(travel from their start included)")
    return "eligible agents' days are full (visits per day or working time)"


class NearestNeighbourRouter:
    """Greedy baseline, nearest in time: agents in id order each build their day by
    repeatedly going to the allowed visit they could *start* soonest (waiting for a
    window counts), ties broken by the visit assigned to them by territory and
    workload, then by distance. Fast and simple; it never revisits a choice."""

    name = "nearest"

    def solve(self, problem: RoutingProblem) -> RoutingResult:
        pending = {s.stop_id: s for s in problem.stops}
        routes = []
        for v in problem.vehicles:
            tour = _Tour(v)
            mine = {sid: s for sid, s in pending.items() if v.agent_id in s.allowed_agents}
            for _ in range(min(len(mine), v.capacity)):
                best: tuple[int, int, int, int] | None = None
                chosen: RouteStop | None = None
                for s in mine.values():
                    step = tour.attempt(s, problem.speed_kmh)
                    if step is None:
                        continue
                    key = (step.start_min, 0 if s.preferred_agent == v.agent_id else 1,
                           step.travel_m, s.stop_id)
                    if best is None or key < best:
                        best, chosen = key, step
                if chosen is None:
                    break
                tour.add(chosen, mine.pop(chosen.stop_id))
                del pending[chosen.stop_id]
            routes.append(tour.route(problem.speed_kmh))
        unserved = {sid: explain_unserved(problem, s) for sid, s in sorted(pending.items())}
        return RoutingResult(tuple(routes), unserved)


class _Tour:
    def __init__(self, vehicle: Vehicle) -> None:
        self.vehicle = vehicle
        self.stops: list[RouteStop] = []
        self.here = vehicle.start
        self.free_min = vehicle.shift_start_min  # when the agent can leave ``here``

    def attempt(self, s: Stop, speed_kmh: int) -> RouteStop | None:
        v = self.vehicle
        if len(self.stops) >= v.capacity:
            return None
        d, t = _leg(self.here, s.location, speed_kmh)
        arrival = self.free_min + t
        start = max(arrival, s.window_start_min)
        if start > s.window_end_min:
            return None
        _, back = _leg(s.location, v.home, speed_kmh)
        if start + s.service_min + back > v.shift_end_min:
            return None
        return RouteStop(s.stop_id, arrival, start, d, t)

    def add(self, step: RouteStop, s: Stop) -> None:
        self.stops.append(step)
        self.here = s.location
        self.free_min = step.start_min + s.service_min

    def route(self, speed_kmh: int) -> Route:
        d, t = _leg(self.here, self.vehicle.home, speed_kmh) if self.stops else (0, 0)
        end = self.free_min + t if self.stops else self.vehicle.shift_start_min
        return Route(self.vehicle.agent_id, tuple(self.stops), d, t, end)


def leg_violations(rs: RouteStop, stop: Stop, *, agent_id: str, here: GeoPoint,
                   free_min: int, speed_kmh: int) -> list[str]:
    """What is wrong with one visit of a route, reached from ``here`` where the agent
    is free from ``free_min``: eligibility, the leg's travel, arrival and the window."""
    out: list[str] = []
    if agent_id not in stop.allowed_agents:
        out.append(f"stop {rs.stop_id}: agent {agent_id} is not allowed")
    d, t = _leg(here, stop.location, speed_kmh)
    if rs.travel_m != d or rs.travel_min != t:
        out.append(f"stop {rs.stop_id}: leg {rs.travel_m} m/{rs.travel_min} min, "
                   f"expected {d} m/{t} min")
    if rs.arrival_min < free_min + t:
        out.append(f"stop {rs.stop_id}: arrives at {rs.arrival_min} before it can "
                   f"({free_min + t})")
    if rs.start_min < max(rs.arrival_min, stop.window_start_min):
        out.append(f"stop {rs.stop_id}: starts at {rs.start_min} before arrival or "
                   f"window start {stop.window_start_min}")
    if rs.start_min > stop.window_end_min:
        out.append(f"stop {rs.stop_id}: starts at {rs.start_min} after window end "
                   f"{stop.window_end_min}")
    return out


def return_violations(route: Route, vehicle: Vehicle, *, here: GeoPoint, free_min: int,
                      speed_kmh: int) -> list[str]:
    """What is wrong with the way back from the last visit (at ``here``, free from
    ``free_min``) and the end of the day."""
    out: list[str] = []
    if route.stops:
        d, t = _leg(here, vehicle.home, speed_kmh)
        if route.return_m != d or route.end_min < free_min + t:
            out.append(f"{route.agent_id}: return leg inconsistent")
    if route.end_min > vehicle.shift_end_min:
        out.append(f"{route.agent_id}: back at {route.end_min}, after shift end "
                   f"{vehicle.shift_end_min}")
    return out


def route_violations(route: Route, vehicle: Vehicle, stops: Mapping[int, Stop], *,
                     speed_kmh: int, seen: set[int]) -> list[str]:
    """What is wrong with one agent's route, visit by visit; adds the visits served to
    ``seen`` (a visit already there is served twice)."""
    out: list[str] = []
    if len(route.stops) > vehicle.capacity:
        out.append(f"{route.agent_id}: {len(route.stops)} visits exceed capacity "
                   f"{vehicle.capacity}")
    here, free = vehicle.start, vehicle.shift_start_min
    for rs in route.stops:
        s = stops.get(rs.stop_id)
        if s is None:
            out.append(f"{route.agent_id}: unknown stop {rs.stop_id}")
            continue
        if rs.stop_id in seen:
            out.append(f"stop {rs.stop_id} served twice")
        seen.add(rs.stop_id)
        out += leg_violations(rs, s, agent_id=route.agent_id, here=here, free_min=free,
                              speed_kmh=speed_kmh)
        here, free = s.location, rs.start_min + s.service_min
    return out + return_violations(route, vehicle, here=here, free_min=free,
                                   speed_kmh=speed_kmh)


def coverage_violations(stop_ids: Iterable[int], served: set[int],
                        unserved: Mapping[int, str]) -> list[str]:
    """Every stop served or explained, and never both."""
    out = [f"stop {sid} neither served nor explained"
           for sid in stop_ids if sid not in served and sid not in unserved]
    return out + [f"stop {sid} both served and unserved" for sid in unserved if sid in served]


def violations(problem: RoutingProblem, result: RoutingResult) -> list[str]:
    """Every way ``result`` breaks the model (empty: a valid plan): windows, shifts,
    capacity, eligibility, travel times, each stop served at most once and every
    stop either served or explained."""
    stops = {s.stop_id: s for s in problem.stops}
    vehicles = {v.agent_id: v for v in problem.vehicles}
    seen: set[int] = set()
    out: list[str] = []
    for r in result.routes:
        v = vehicles.get(r.agent_id)
        if v is None:
            out.append(f"route for unknown agent {r.agent_id}")
            continue
        out += route_violations(r, v, stops, speed_kmh=problem.speed_kmh, seen=seen)
    return out + coverage_violations(stops, seen, result.unserved)
