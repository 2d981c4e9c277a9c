"""``dunwell simulate``: the strategy lab — each collection strategy run through the
real day loop on the same synthetic borrowers, compared in a report."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from dunwell.cli.common import clear_errors, console

if TYPE_CHECKING:
    import datetime as dt

DEFAULT_START = "2025-01-31"
#: The lab book's default warm-up (``simulation.lab.book.WARMUP_DAYS``; kept here so
#: ``--help`` does not import the lab).
WARMUP_DAYS = 45


def simulate(
    borrowers: Annotated[
        int, typer.Option(min=2, max=200_000, help="Synthetic borrowers who apply.")
    ] = 200,
    days: Annotated[int, typer.Option(min=1, max=3660, help="Business days to run.")] = 90,
    seed: Annotated[int, typer.Option(help="First seed (the population and its shocks).")] = 7,
    seeds: Annotated[
        int, typer.Option(min=1, max=50, help="How many seeds, from --seed upwards.")
    ] = 1,
    strategies: Annotated[
        str, typer.Option(help="Comma-separated strategies: humane, aggressive, ml.")
    ] = "humane,aggressive",
    start: Annotated[str, typer.Option(help="First measured business date.")] = DEFAULT_START,
    warmup_days: Annotated[
        int,
        typer.Option(
            min=0,
            max=365,
            help="Days before --start the book opens, the borrowers drawing down over them "
            "(so the measured days start with dues and arrears); 0: all on --start.",
        ),
    ] = WARMUP_DAYS,
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            help="Database URL: SQLite (one file per run next to it) or PostgreSQL "
            "(one schema per run). Default: temporary SQLite files.",
        ),
    ] = None,
    report: Annotated[Path | None, typer.Option(help="Write the HTML report here.")] = None,
    json_path: Annotated[
        Path | None, typer.Option("--json", help="Write the result document (JSON) here.")
    ] = None,
    sensitivity: Annotated[
        bool, typer.Option(help="Also rerun with each uncertain parameter at x0.5 and x1.5.")
    ] = False,
    parameters: Annotated[
        Path | None, typer.Option(help="A parameter file (default: the built-in parameters.toml).")
    ] = None,
    jobs: Annotated[
        int,
        typer.Option(
            min=1, max=16, help="Worker processes for the runs and the sensitivity points."
        ),
    ] = 1,
) -> None:
    """Run collection strategies on the same simulated borrowers and compare them."""
    with clear_errors():
        doc = run_simulation(
            borrowers=borrowers,
            days=days,
            seed=seed,
            seeds=seeds,
            strategies=strategies,
            start=start,
            db=db,
            sensitivity=sensitivity,
            parameters=parameters,
            warmup_days=warmup_days,
            jobs=jobs,
        )
        write_outputs(doc, report=report, json_path=json_path)


def run_simulation(
    *,
    borrowers: int,
    days: int,
    seed: int,
    seeds: int,
    strategies: str,
    start: str,
    db: str | None,
    sensitivity: bool,
    parameters: Path | None = None,
    warmup_days: int = WARMUP_DAYS,
    jobs: int = 1,
) -> dict[str, Any]:
    """Every run with a progress bar, then the result document; prints the table."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    from dunwell.core.dates import parse_date
    from dunwell.core.errors import InvalidInput
    from dunwell.simulation.lab import params as lab_params
    from dunwell.simulation.lab import runner, summary

    names = tuple(s.strip() for s in strategies.split(",") if s.strip())
    if not names or len(set(names)) != len(names):
        raise InvalidInput(
            "--strategies needs one or more distinct names, e.g. humane,aggressive",
            code="simulate_strategy_must_be_known",
            field="strategies",
        )
    settings = runner.LabSettings(
        borrowers=borrowers,
        days=days,
        seeds=tuple(range(seed, seed + seeds)),
        strategies=names,
        start=parse_date(start, field="--start"),
        params=lab_params.load(parameters),
        db_url=db,
        warmup_days=warmup_days,
    )
    for name in names:
        runner.plan_for(name, settings, seed)  # an unknown or missing strategy fails now
    total = runner.days_per_run(settings) * runner.runs_closed(settings)
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("days"),
        TimeElapsedColumn(),
        console=console,
    ) as bar:
        task = bar.add_task("simulating", total=total)

        def tick(strategy: str, s: int, day: dt.date) -> None:
            bar.update(task, advance=1, description=f"{strategy} seed {s} {day}")

        results, workdir = runner.run_lab(settings, progress=tick, jobs=jobs)
        sens = None
        if sensitivity:
            from dunwell.simulation.lab import sensitivity as lab_sensitivity

            points = len(settings.params.uncertain) * 2
            sens_task = bar.add_task("sensitivity", total=points)

            def point(name: str, scale: float) -> None:
                bar.update(sens_task, advance=1, description=f"sensitivity {name} x{scale} done")

            trained = next((r.plan for r in results if r.plan is not None), None)
            sens = lab_sensitivity.run(
                settings,
                workdir=workdir / "sensitivity",
                on_point=point,
                trained=trained,
                jobs=jobs,
            )
    stories = runner.pick_stories(results)
    doc = summary.summarise([r.run for r in results], runner.settings_json(settings), stories, sens)
    console.print(comparison_table(doc))
    console.print(f"books: {', '.join(sorted({r.url for r in results}))}", highlight=False)
    return doc


def comparison_table(doc: dict[str, Any]) -> Any:
    from rich.table import Table

    table = Table(title=f"strategies compared (mean over {len(doc['settings']['seeds'])} seed(s))")
    keys = (
        "recovered",
        "recovery_rate",
        "contacts",
        "contacts_per_case",
        "complaints",
        "cost",
        "cost_per_unit_recovered",
        "cures",
        "plans_made",
        "plans_kept",
        "visits",
        "violations",
        "denials",
    )
    table.add_column("metric")
    names = list(doc["strategies"])
    for name in names:
        table.add_column(name, justify="right")
    for key in keys:
        table.add_row(key, *(str(doc["strategies"][n].get(key, "")) for n in names))
    rows = doc.get("comparison", [])
    if not rows:
        return table
    from rich.console import Group

    targets = Table(title="the targets, per seed and on the mean")
    for column in ("target", "goal", "on the mean", "per seed", "met"):
        targets.add_column(column, justify="left" if column in ("target", "goal") else "right")
    for row in rows:
        per_seed = ", ".join("—" if v is None else f"{v:+.1%}" for v in row.get("per_seed", []))
        measured = row.get("measured")
        targets.add_row(
            row["name"],
            row["target"],
            "—" if measured is None else f"{measured:+.1%}",
            per_seed,
            f"{row.get('seeds_met', '?')}/{len(row.get('per_seed', []))} seeds, "
            + ("met" if row["met"] else "not met"),
        )
    return Group(table, targets)


def write_outputs(doc: dict[str, Any], *, report: Path | None, json_path: Path | None) -> None:
    if json_path is not None:
        json_path.parent.mkdir(parents=True, exist_ok=True)
        json_path.write_text(
            json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False), encoding="utf-8"
        )
        console.print(f"result document: {json_path}", highlight=False)
    if report is not None:
        from dunwell.simulation.lab.report import write_html

        report.parent.mkdir(parents=True, exist_ok=True)
        write_html(doc, report)
        console.print(f"report: {report}", highlight=False)
