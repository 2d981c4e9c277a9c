"""The sensitivity report: every uncertain parameter at x0.5 and x1.5, each strategy
rerun on the first seed (a smaller population by default), and whether each of the
issue's targets still holds at that point. The ml policy is trained once, on the base
parameters' history book (the main runs' policy when given), and deployed unchanged at
every point: the question is
whether its advantage survives a world that differs from the one it learnt in."""

from __future__ import annotations

import dataclasses
import multiprocessing
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Any

from dunwell.simulation.lab.runner import (
    ML,
    LabSettings,
    Progress,
    StrategyPlan,
    run_one,
    train_ml_plan,
)
from dunwell.simulation.lab.summary import sensitivity_conclusions

SCALES = (0.5, 1.5)
#: The sensitivity runs' population, as a share of the main runs' (at least 40).
SHARE_PCT = 25
BORROWERS_MIN = 40


def run(
    settings: LabSettings,
    *,
    workdir: Path,
    progress: Progress | None = None,
    on_point: Callable[[str, float], None] | None = None,
    trained: StrategyPlan | None = None,
    jobs: int = 1,
) -> dict[str, Any]:
    """Every point's runs (``jobs`` points at a time in worker processes when above 1;
    the results do not depend on it)."""
    small = dataclasses.replace(
        settings,
        borrowers=max(BORROWERS_MIN, settings.borrowers * SHARE_PCT // 100),
        seeds=settings.seeds[:1],
        # SQLite books go to the points' own directories (one file per point and run)
        db_url=None if (settings.db_url or "sqlite").startswith("sqlite") else settings.db_url,
    )
    seed = small.seeds[0]
    if ML in small.strategies and trained is None:
        trained = train_ml_plan(small, seed, workdir=workdir / "ml-history", progress=progress)
    parameters = [
        {"name": p.name, "low": p.low, "base": p.value, "high": p.high}
        for p in settings.params.uncertain
    ]
    points = [
        (
            param.name,
            scale,
            dataclasses.replace(small, params=settings.params.scaled(param.name, scale)),
        )
        for param in settings.params.uncertain
        for scale in SCALES
    ]
    figures: dict[tuple[str, float], dict[str, dict[str, Any]]] = {}
    if jobs <= 1:
        for name, scale, point in points:
            figures[(name, scale)] = _point(
                point, seed, workdir / f"{name}-{scale}", trained, progress
            )
            if on_point is not None:
                on_point(name, scale)
    else:
        spawn = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=jobs, mp_context=spawn) as pool:
            futures = {
                pool.submit(_point, point, seed, workdir / f"{name}-{scale}", trained, None): (
                    name,
                    scale,
                )
                for name, scale, point in points
            }
            for future in as_completed(futures):
                name, scale = futures[future]
                figures[(name, scale)] = future.result()
                if on_point is not None:
                    on_point(name, scale)
    rows = [
        {
            "parameter": name,
            "scale": scale,
            "strategies": {
                strategy: {
                    "recovered": m["recovered"],
                    "contacts": m["contacts"],
                    "complaints": m["complaints"],
                    "cost": m["cost"],
                }
                for strategy, m in figures[(name, scale)].items()
            },
            "conclusions": sensitivity_conclusions(figures[(name, scale)]),
        }
        for name, scale, _ in points
    ]
    return {"parameters": parameters, "rows": rows}


def _point(
    point: LabSettings,
    seed: int,
    workdir: Path,
    trained: StrategyPlan | None,
    progress: Progress | None,
) -> dict[str, dict[str, Any]]:
    """Each strategy's metrics at one sensitivity point."""
    return {
        strategy: run_one(
            point, strategy, seed, workdir=workdir, progress=progress, trained=trained
        ).run["metrics"]
        for strategy in point.strategies
    }
