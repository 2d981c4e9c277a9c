"""Snapshots of the book for a close of business on a cluster: ``dunwell export``,
``dunwell import`` and the Spark engine of ``dunwell cob`` (docs/scale.md)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from dunwell.cli.common import DbOption, app_for, clear_errors, console
from dunwell.core.dates import parse_date
from dunwell.core.errors import InvalidInput

if TYPE_CHECKING:
    from dunwell.app.cob import CobDayReport
    from dunwell.app.context import Dunwell

ToOption = Annotated[
    Path, typer.Option("--to", help="Directory to write the snapshot to (created if missing).")
]
FromOption = Annotated[
    Path, typer.Option("--from", help="Directory of a snapshot whose day has been closed.")
]


@contextmanager
def _steps() -> Iterator[Callable[[str, int, int], None]]:
    """A progress bar that follows export, Spark and import step by step."""
    with Progress(
        TextColumn("{task.fields[step]}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task("snapshot", total=None, step="")

        def tick(step: str, done: int, total: int) -> None:
            bar.update(task, completed=done, total=total, step=step)

        yield tick


def export(to: ToOption, db: DbOption = None) -> None:
    """Write the book's open loans to a Parquet snapshot, to close the day elsewhere."""
    from dunwell.app.snapshot import export_snapshot

    with clear_errors():
        app = app_for(db)
        with _steps() as tick:
            report = export_snapshot(app, to, tick)
    state = "unchanged" if report.unchanged else "written"
    console.print(
        f"snapshot of {report.business_date} {state} in {report.directory}: "
        f"{report.loans} loans, {report.installments} instalments, "
        f"{report.partitions} partitions"
    )


def import_book(source: FromOption, db: DbOption = None) -> None:
    """Load a snapshot's closed day into the book; a second import changes nothing."""
    from dunwell.app.snapshot import import_results

    with clear_errors():
        app = app_for(db)
        with _steps() as tick:
            report = import_results(app, source, tick)
    if report.already_closed:
        console.print(f"{report.business_date} is already closed in this book; nothing changed")
        return
    print_reports([report.day])


def engine_cob(
    app: Dunwell,
    engine: str,
    *,
    date: str | None,
    until: str | None,
    master: str,
    snapshots: str | None,
    model: str | None = None,
) -> list[CobDayReport] | None:
    """``dunwell cob --engine spark``: each day exported, closed in Spark, imported.
    None for the local engine (the command runs it)."""
    if engine == "local":
        return None
    if engine != "spark":
        raise InvalidInput(
            f"unknown --engine {engine!r}: give local or spark", code="cob_engine_must_be_known"
        )
    from dunwell.app.cob_spark import close_days_spark

    scoring, name = None, ""
    if model is not None:
        from dunwell.app.day.loop import registered_model

        found, why = registered_model(Path(model))
        if found is None:
            raise InvalidInput(why, code="model_must_be_registered")
        scoring, name = found.model, found.name
    with _steps() as tick:
        return close_days_spark(
            app,
            date=parse_date(date, field="--date") if date else None,
            until=parse_date(until, field="--until") if until else None,
            master=master,
            workdir=Path(snapshots) if snapshots else None,
            progress=tick,
            model=scoring,
            model_name=name,
        )


def print_reports(reports: list[CobDayReport]) -> None:
    from rich.table import Table

    table = Table(title="close of business")
    for col in ("date", "partitions run", "skipped", "loans", "postings", "events"):
        table.add_column(col, justify="right")
    for r in reports:
        table.add_row(
            r.business_date.isoformat(),
            str(r.partitions_run),
            str(r.partitions_skipped),
            str(r.loans_closed),
            str(r.postings),
            str(r.events),
        )
    console.print(table)
