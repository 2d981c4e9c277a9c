"""Field routing: VROOM and OR-Tools against the greedy nearest-neighbour baseline and
against each other, same problem, same run.

A seeded city: visits spread around a centre (denser in the middle), agents whose
circular territories overlap and together cover the city, 8-hour shifts
(09:00-17:00), 20-minute visits, 20 km/h urban speed, and visit windows drawn like
the guard's: the whole day, a morning, an afternoon, or two hours. Both routers get
the same problem and the same territory/workload assignment (the baseline follows it
first; the solvers may move a visit to any agent whose territory covers it). Every
result is checked against windows, shifts and capacity before it is reported. The
target: serve >= 190 of the 200 visits with <= 260 km of travel in <= 5 s; VROOM is
run when ``pyvroom`` is installed, and each engine's figures are given as ratios to
the nearest-neighbour baseline and to VROOM.

    .venv/bin/python bench/field_routing.py [--visits 200 --agents 10 --time-limit 5]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import random
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from dunwell.field.assignment import VisitToAssign, assign
from dunwell.field.model import (
    Agent,
    Certificate,
    GeoPoint,
    RoutingProblem,
    RoutingResult,
    Shift,
    Stop,
    Subject,
    Territory,
    Vehicle,
)
from dunwell.field.routing import NearestNeighbourRouter, Router, violations
from dunwell.providers.routing_ortools import OrToolsRouter

try:
    from dunwell.providers.routing_vroom import VroomRouter
except ImportError:  # pyvroom not installed: the bench runs without it
    VroomRouter = None  # type: ignore[assignment,misc]

CENTRE = GeoPoint(30.6586, 104.0647)  # a city centre
DAY = dt.date(2026, 11, 24)
OUT = Path(__file__).resolve().parent / "out" / "field_routing.json"
TARGET_SOLVE_S = 5.0
TARGET_SERVED = 190  # of the default 200 visits
TARGET_KM = 260.0


@dataclass(frozen=True)
class Sizes:
    visits: int = 200
    agents: int = 10
    time_limit_s: int = 5
    seed: int = 11
    city_radius_km: float = 12.0
    capacity: int = 25
    service_min: int = 20
    speed_kmh: int = 20


QUICK = Sizes(visits=20, agents=3, time_limit_s=1)


def _offset(km_north: float, km_east: float) -> GeoPoint:
    lat = CENTRE.latitude + km_north / 111.32
    lon = CENTRE.longitude + km_east / (111.32 * math.cos(math.radians(CENTRE.latitude)))
    return GeoPoint(round(lat, 6), round(lon, 6))


def build_problem(sizes: Sizes) -> RoutingProblem:
    """The seeded city: same sizes and seed, same problem."""
    rng = random.Random(sizes.seed)
    shift = Shift(dt.time(9), dt.time(17))
    agents = []
    for k in range(sizes.agents):
        angle = 2 * math.pi * k / sizes.agents
        ring = sizes.city_radius_km * 0.55
        centre = _offset(ring * math.cos(angle), ring * math.sin(angle))
        agents.append(Agent(f"a-{k + 1:02d}", f"agent {k + 1}", "Asia/Shanghai",
                            Territory(f"sector {k + 1}", centre,
                                      int(sizes.city_radius_km * 0.75 * 1000)),
                            shift, sizes.capacity, 6_000, 150))
    certs = {a.agent_id: [Certificate(a.agent_id, s, f"{a.agent_id}-{s.value}",
                                      dt.date(2026, 1, 1), dt.date(2027, 1, 1))
                          for s in Subject] for a in agents}
    windows = ((540, 1020), (540, 720), (780, 1020), None)  # minutes after midnight
    points: list[GeoPoint] = []
    spans: list[tuple[int, int]] = []
    for _ in range(sizes.visits):
        r = sizes.city_radius_km * min(1.0, abs(rng.gauss(0, 0.45)))
        a = rng.uniform(0, 2 * math.pi)
        points.append(_offset(r * math.cos(a), r * math.sin(a)))
        w = rng.choices(windows, weights=(40, 25, 25, 10))[0]
        if w is None:
            start = rng.randrange(540, 900, 30)
            w = (start, start + 120)
        spans.append(w)
    plan = assign([VisitToAssign(k + 1, p) for k, p in enumerate(points)], agents, certs, DAY)
    stops = tuple(Stop(k + 1, p, ws, we, sizes.service_min,
                       plan.eligible.get(k + 1, frozenset()), plan.agent_of.get(k + 1))
                  for k, (p, (ws, we)) in enumerate(zip(points, spans, strict=True)))
    vehicles = tuple(Vehicle(a.agent_id, a.start, 540, 1020, a.visits_per_day_max)
                     for a in agents)
    return RoutingProblem(stops, vehicles, sizes.speed_kmh)


def _measure(router: Router, problem: RoutingProblem) -> tuple[RoutingResult, float]:
    t0 = time.perf_counter()
    result = router.solve(problem)
    return result, time.perf_counter() - t0


def routers(sizes: Sizes) -> list[Router]:
    """The baseline first, then each engine (VROOM when pyvroom is installed)."""
    out: list[Router] = [NearestNeighbourRouter(),
                         OrToolsRouter(time_limit_s=sizes.time_limit_s)]
    if VroomRouter is not None:
        out.append(VroomRouter(time_limit_s=sizes.time_limit_s))
    return out


def _ratios(f: dict[str, Any], base: dict[str, Any]) -> dict[str, float | None]:
    return {"served": round(f["served"] / base["served"], 3) if base["served"] else None,
            "travel_km": round(f["travel_km"] / base["travel_km"], 3)
            if base["travel_km"] else None,
            "solve_s": round(f["solve_s"] / base["solve_s"], 3) if base["solve_s"] else None}


def meets(f: dict[str, Any], sizes: Sizes) -> bool:
    """The target on the default problem, scaled by visits on another size."""
    served = TARGET_SERVED * sizes.visits / 200
    km = TARGET_KM * sizes.visits / 200
    return bool(f["served"] >= served and f["travel_km"] <= km
                and f["solve_s"] <= TARGET_SOLVE_S)


def run(sizes: Sizes) -> dict[str, Any]:
    problem = build_problem(sizes)
    figures: dict[str, Any] = {"sizes": sizes.__dict__}
    engines = routers(sizes)
    for router in engines:
        result, seconds = _measure(router, problem)
        broken = violations(problem, result)
        if broken:
            raise AssertionError(f"{router.name} broke the model: {broken[:5]}")
        figures[router.name] = {"solve_s": round(seconds, 3), "served": result.served,
                                "unserved": len(result.unserved),
                                "travel_km": round(result.distance_m / 1000, 1),
                                "travel_h": round(result.travel_min / 60, 2)}
    nn, ort = figures["nearest"], figures["ortools"]
    figures["travel_ratio_ortools_over_nearest"] = round(
        ort["travel_km"] / nn["travel_km"], 3) if nn["travel_km"] else None
    figures["served_ratio_ortools_over_nearest"] = round(
        ort["served"] / nn["served"], 3) if nn["served"] else None
    figures["engines"] = [r.name for r in engines]
    for r in engines:
        f = figures[r.name]
        f["vs_nearest"] = _ratios(f, nn)
        if "vroom" in figures:
            f["vs_vroom"] = _ratios(f, figures["vroom"])
        f["meets_target"] = meets(f, sizes)
    default = "vroom" if "vroom" in figures else "ortools"
    figures["default"] = default
    figures["meets_target"] = figures[default]["meets_target"]
    return figures


def render(r: dict[str, Any], console: Console) -> None:
    s = r["sizes"]
    t = Table(title=f"field routing: {s['visits']} visits, {s['agents']} agents, 8-hour shifts, "
                    f"seed {s['seed']}, solver limit {s['time_limit_s']} s")
    for col in ("router", "solve s", "served", "unserved", "km", "served/NN", "km/NN",
                "served/VROOM", "km/VROOM", "target"):
        t.add_column(col, justify="right")
    for name in r["engines"]:
        f = r[name]
        vv = f.get("vs_vroom", {"served": None, "travel_km": None})
        t.add_row(name, f"{f['solve_s']:.2f}", str(f["served"]), str(f["unserved"]),
                  f"{f['travel_km']:.1f}",
                  f"x{f['vs_nearest']['served']}", f"x{f['vs_nearest']['travel_km']}",
                  f"x{vv['served']}" if vv["served"] else "-",
                  f"x{vv['travel_km']}" if vv["travel_km"] else "-",
                  "met" if f["meets_target"] else "missed")
    t.caption = (f"target: >= {TARGET_SERVED} of 200 visits, <= {TARGET_KM:g} km, <= "
                 f"{TARGET_SOLVE_S:g} s (scaled by visits on other sizes); default router "
                 f"{r['default']}: {'met' if r['meets_target'] else 'MISSED'}")
    console.print(t)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    d = Sizes()
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--visits", type=int, default=d.visits)
    ap.add_argument("--agents", type=int, default=d.agents)
    ap.add_argument("--time-limit", type=int, default=d.time_limit_s)
    ap.add_argument("--seed", type=int, default=d.seed)
    ap.add_argument("--quick", action="store_true", help="tiny sizes, for a smoke run")
    ap.add_argument("--out", type=Path, default=OUT)
    return ap.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    sizes = QUICK if args.quick else Sizes(visits=args.visits, agents=args.agents,
                                           time_limit_s=args.time_limit, seed=args.seed)
    result = run(sizes)
    result["command"] = " ".join(["bench/field_routing.py", *(argv if argv is not None
                                                               else sys.argv[1:])])
    render(result, Console(width=max(110, Console().width)))
    line = json.dumps(result, sort_keys=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(line + "\n", encoding="utf-8")
    print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
