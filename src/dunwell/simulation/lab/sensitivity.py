"""The sensitivity report: every uncertain parameter at x0.5 and x1.5, each strategy
rerun on the first seed (a smaller population by default), and whether each of the
issue's targets still holds at that point. The ml policy is trained once, on the base
parameters' history book (the main runs' policy when given), and deployed unchanged at
every point: the question is
whether its advantage survives a world that differs from the one it learnt in."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
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
) -> dict[str, Any]:
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
    parameters, rows = [], []
    for param in settings.params.uncertain:
        parameters.append(
            {"name": param.name, "low": param.low, "base": param.value, "high": param.high}
        )
        for scale in SCALES:
            if on_point is not None:
                on_point(param.name, scale)
            point = dataclasses.replace(small, params=settings.params.scaled(param.name, scale))
            figures: dict[str, dict[str, Any]] = {}
            for strategy in point.strategies:
                res = run_one(
                    point,
                    strategy,
                    seed,
                    workdir=workdir / f"{param.name}-{scale}",
                    progress=progress,
                    trained=trained,
                )
                figures[strategy] = res.run["metrics"]
            rows.append(
                {
                    "parameter": param.name,
                    "scale": scale,
                    "strategies": {
                        name: {
                            "recovered": m["recovered"],
                            "contacts": m["contacts"],
                            "complaints": m["complaints"],
                        }
                        for name, m in figures.items()
                    },
                    "conclusions": sensitivity_conclusions(figures),
                }
            )
    return {"parameters": parameters, "rows": rows}
