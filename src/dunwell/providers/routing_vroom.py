"""VROOM (through ``pyvroom``) behind the routing port: vehicle routing with time windows.

The same model as the other routers (see ``dunwell.field.routing``): a matrix of
travel minutes (haversine at the problem's speed, rounded up) is VROOM's durations and
the metres between places its costs, so it serves as many visits as it can first
(weighted by each visit's priority) and then travels as few metres as it can. An
agent's start and end may differ (a re-plan starts them where they are); a visit goes
only to its allowed agents (one VROOM skill per set of allowed agents); an agent makes
at most ``capacity`` visits (VROOM's ``max_tasks``); a visit starts within its window.

VROOM's local search stops by itself when no move improves the plan; the time limit
only caps it. Its answer is the order of visits per agent; the times on each route are
then computed here, each visit as early as its window allows, so every router's plans
are timed the same way and checked by the same :func:`violations`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import vroom

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

#: How hard VROOM searches (0-5). Measured on the bench's 200 visits / 10 agents
#: (docs/field.md): 1 is the least that serves 190 visits within 260 km, and ends in
#: about 2 s; 2 and above find a little shorter travel but take 2 to 7 times as long.
EXPLORATION = 1
#: VROOM's priorities run 0-100; a visit's priority is clipped into that range.
PRIORITY_MAX = 100


class VroomRouter:
    """VROOM's heuristics and local search; stops on its own at a local optimum, or at
    ``time_limit_s``. Deterministic for a problem: the same problem gives the same
    plan (VROOM draws no random numbers)."""

    name = "vroom"

    def __init__(self, *, time_limit_s: int = 5, exploration: int = EXPLORATION,
                 threads: int = 2) -> None:
        if time_limit_s <= 0:
            raise ValueError("time limit must be at least one second")
        self.time_limit_s = time_limit_s
        self.exploration = exploration
        self.threads = threads

    def solve(self, problem: RoutingProblem) -> RoutingResult:
        vehicles = problem.vehicles
        routable = [s for s in problem.stops
                    if any(v.agent_id in s.allowed_agents for v in vehicles)]
        unserved = {s.stop_id: NO_ELIGIBLE for s in problem.stops if s not in routable}
        if not vehicles or not routable:
            return _result(problem, (), unserved, {})
        places = Places.of(vehicles, routable, problem.speed_kmh)
        solution = self._input(places, routable).solve(
            exploration_level=self.exploration, nb_threads=self.threads,
            timeout=dt.timedelta(seconds=self.time_limit_s))
        orders: dict[int, list[int]] = {}
        for r in solution.to_dict().get("routes", []):
            orders[int(r["vehicle"])] = [int(step["id"]) for step in r["steps"]
                                         if step["type"] == "job"]
        return _result(problem, routable, unserved, orders)

    def _input(self, places: Places, stops: Sequence[Stop]) -> Any:
        problem = vroom.Input()
        problem.set_durations_matrix("car", places.minutes)
        problem.set_costs_matrix("car", places.metres)
        skills = {frozen: k + 1 for k, frozen in
                  enumerate(sorted({s.allowed_agents for s in stops}, key=sorted))}
        for k, v in enumerate(places.vehicles):
            own = {skill for agents, skill in skills.items() if v.agent_id in agents}
            problem.add_vehicle(vroom.Vehicle(
                k, start=places.start_of(k), end=places.end_of(k), skills=own,
                time_window=vroom.TimeWindow(v.shift_start_min, v.shift_end_min),
                max_tasks=v.capacity))
        for k, s in enumerate(stops):
            problem.add_job(vroom.Job(
                s.stop_id, location=places.stop_of(k), default_service=s.service_min,
                skills={skills[s.allowed_agents]},
                priority=max(0, min(PRIORITY_MAX, s.priority)),
                time_windows=[vroom.TimeWindow(s.window_start_min, s.window_end_min)]))
        return problem


@dataclass(frozen=True, slots=True)
class Places:
    """Every place VROOM sees: each agent's start, each agent's end, each visit; the
    metres and minutes between every pair."""

    vehicles: tuple[Vehicle, ...]
    metres: list[list[int]]
    minutes: list[list[int]]

    @classmethod
    def of(cls, vehicles: Sequence[Vehicle], stops: Sequence[Stop],
           speed_kmh: int) -> Places:
        points: list[GeoPoint] = ([v.start for v in vehicles] + [v.home for v in vehicles]
                                  + [s.location for s in stops])
        metres = [[haversine_m(a, b) for b in points] for a in points]
        minutes = [[travel_minutes(d, speed_kmh) for d in row] for row in metres]
        return cls(tuple(vehicles), metres, minutes)

    def start_of(self, k: int) -> int:
        return k

    def end_of(self, k: int) -> int:
        return len(self.vehicles) + k

    def stop_of(self, k: int) -> int:
        return 2 * len(self.vehicles) + k


def timed_route(vehicle: Vehicle, order: Sequence[Stop], speed_kmh: int) -> Route:
    """The route visiting ``order`` in turn, each visit as early as its window allows,
    leaving the start at the shift start."""
    here, free = vehicle.start, vehicle.shift_start_min
    legs: list[RouteStop] = []
    for s in order:
        d = haversine_m(here, s.location)
        t = travel_minutes(d, speed_kmh)
        start = max(free + t, s.window_start_min)
        legs.append(RouteStop(s.stop_id, free + t, start, d, t))
        here, free = s.location, start + s.service_min
    if not legs:
        return Route(vehicle.agent_id, (), 0, 0, vehicle.shift_start_min)
    back_d = haversine_m(here, vehicle.home)
    back_t = travel_minutes(back_d, speed_kmh)
    return Route(vehicle.agent_id, tuple(legs), back_d, back_t, free + back_t)


def _result(problem: RoutingProblem, stops: Sequence[Stop], unserved: dict[int, str],
            orders: dict[int, list[int]]) -> RoutingResult:
    by_id = {s.stop_id: s for s in stops}
    routes = tuple(timed_route(v, [by_id[i] for i in orders.get(k, [])], problem.speed_kmh)
                   for k, v in enumerate(problem.vehicles))
    served = {rs.stop_id for r in routes for rs in r.stops}
    unserved.update({s.stop_id: explain_unserved(problem, s)
                     for s in stops if s.stop_id not in served})
    return RoutingResult(routes, dict(sorted(unserved.items())))
