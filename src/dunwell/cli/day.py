"""``dunwell day run`` and ``dunwell day status``: the lender's day, date by date."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from dunwell.cli.common import DbOption, app_for, clear_errors, console
from dunwell.core.dates import parse_date

if TYPE_CHECKING:
    from dunwell.app.context import Dunwell
    from dunwell.app.day.loop import DayOptions, StepRecord

day_app = typer.Typer(help="The lender's day: COB, verification, scoring, collection, "
                      "messages, letters, field plans, plans and legal, date by date.",
                      no_args_is_help=True)


def day_options(app: Dunwell, *, router: str, challenger: str | None,
                share: int) -> DayOptions:
    from dunwell.app.collections.collect import Experiment
    from dunwell.app.day.loop import DayOptions, registered_model
    from dunwell.bootstrap import router_for
    settings = app.settings
    model, why = registered_model(settings.early_warning_model_dir)
    chosen = None if router == "none" else router_for(
        router, time_limit_s=settings.day_routing_seconds)
    return DayOptions(
        router=chosen, model=model, model_missing_reason=why,
        experiment=Experiment(challenger=challenger, share_pct=share) if challenger else None)


@day_app.command("run")
def run(
    until: Annotated[str | None, typer.Option(
        "--until", help="Run every business date through this one (default: the book's "
        "open date only).")] = None,
    router: Annotated[str, typer.Option(
        help="Field routing: ortools, nearest, or none to skip planning visits.")] = "",
    challenger: Annotated[str | None, typer.Option(
        help="Challenger strategy for a share of new cases, e.g. aggressive.")] = None,
    share: Annotated[int, typer.Option(min=0, max=100,
                                       help="Percent of new cases on the challenger.")] = 0,
    db: DbOption = None,
) -> None:
    """Run the book day by day; each step is recorded, so a second run skips what is
    done and an interrupted run resumes where it stopped."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    from dunwell.app.day.loop import STEPS, open_date, run_until
    with clear_errors():
        app = app_for(db)
        last = parse_date(until, field="--until") if until else open_date(app)
        options = day_options(app, router=router or app.settings.day_router,
                              challenger=challenger, share=share)
        with Progress(TextColumn("day {task.fields[day]} {task.fields[step]:<10}"),
                      BarColumn(), MofNCompleteColumn(), TextColumn("steps"),
                      TimeElapsedColumn(), console=console, transient=True) as bar:
            first = open_date(app)
            total = ((last - first).days + 1) * len(STEPS)
            task = bar.add_task("day", total=max(total, 0), day=str(first), step="")

            def tick(day: dt.date, step: str, done: int, _steps: int) -> None:
                offset = (day - first).days * len(STEPS)
                bar.update(task, completed=offset + done, day=day.isoformat(), step=step)

            reports = run_until(app, last, options, tick)
    console.print(status_table([r for rep in reports for r in rep.steps.values()],
                               title=f"day run: {len(reports)} business dates"))


@day_app.command("status")
def status_cmd(
    days: Annotated[int, typer.Option(min=1, max=3660,
                                      help="How many business dates to show.")] = 10,
    db: DbOption = None,
) -> None:
    """The steps done, skipped or failed per business date."""
    from dunwell.app.day.loop import open_date, status
    with clear_errors():
        app = app_for(db)
        records = status(app, days=days)
        opened = open_date(app)
    console.print(status_table(records, title=f"the day loop (book open on {opened})"))


def status_table(records: list[StepRecord], *, title: str, rows_max: int = 30) -> Table:
    from dunwell.app.day.loop import STEPS
    by_day: dict[dt.date, dict[str, StepRecord]] = defaultdict(dict)
    for r in records:
        by_day[r.business_date][r.step] = r
    table = Table(title=title)
    table.add_column("date", no_wrap=True)
    for step in STEPS:
        table.add_column(step.value, no_wrap=True)
    table.add_column("notes")
    days = sorted(by_day)
    for day in days[-rows_max:]:
        steps = by_day[day]
        cells = [_cell(steps.get(s.value)) for s in STEPS]
        table.add_row(day.isoformat(), *cells, _notes(steps))
    if len(days) > rows_max:
        table.caption = f"last {rows_max} of {len(days)} dates"
    return table


_STYLE = {"done": "[green]done[/green]", "skipped": "[yellow]skipped[/yellow]",
          "failed": "[red]FAILED[/red]"}


def _cell(record: StepRecord | None) -> str:
    return "-" if record is None else _STYLE.get(record.status, record.status)


def _notes(steps: dict[str, StepRecord]) -> str:
    notes = []
    collect = steps.get("collect")
    if collect is not None and collect.status == "done":
        d = collect.detail
        notes.append(f"{d.get('cases_open', 0)} cases, {d.get('allowed', 0)} steps allowed, "
                     f"{d.get('letters_issued', 0)} letters, "
                     f"{d.get('referrals_proposed', 0)} referrals")
    for name in ("dispatch", "late_dispatch"):
        sent = steps.get(name)
        if sent is not None and sent.detail.get("messages"):
            notes.append(f"{name} " + ", ".join(f"{k} {v}" for k, v in
                                                sorted(sent.detail["messages"].items())))
    plan = steps.get("field_plan")
    if plan is not None and plan.status == "done":
        notes.append(f"{plan.detail.get('planned', 0)}/{plan.detail.get('candidates', 0)} "
                     "visits routed")
    for r in steps.values():
        if r.status in ("skipped", "failed") and r.detail.get("reason"):
            notes.append(f"{r.step}: {r.detail['reason']}")
        if r.status == "failed" and r.detail.get("failed"):
            notes.append(f"{r.step}: {', '.join(r.detail['failed'])}")
    return "; ".join(notes)
