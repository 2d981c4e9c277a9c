"""``dunwell demo``: a sample book on the embedded default, 90 days of COB."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from dunwell.app.bootstrap import Dunwell, bootstrap
from dunwell.app.collect import Experiment
from dunwell.app.seed import run_days, seed_book
from dunwell.cli.book import balances_table, portfolio_table
from dunwell.cli.common import clear_errors, console
from dunwell.core.dates import parse_date
from dunwell.settings import Settings
from dunwell.store.collections_repo import ActionRepository

DEMO_DB = Path("var") / "demo.sqlite"


def decisions_table(app: Dunwell) -> Table:
    """Every contact the strategy proposed over the run, by what the guard decided."""
    with app.uow() as uow:
        totals = ActionRepository(uow.conn).decision_totals()
    table = Table(title="collection steps proposed, by the guard's decision")
    for col in ("step", "decision", "rule", "count"):
        table.add_column(col, justify="right" if col == "count" else "left")
    for kind, decision, rule, count in totals:
        table.add_row(kind, decision, rule or "", str(count))
    return table


def demo(
    loans: Annotated[int, typer.Option(min=1, max=100_000, help="Loans to book.")] = 400,
    days: Annotated[int, typer.Option(min=1, max=3660, help="Business days to close.")] = 90,
    seed: Annotated[int, typer.Option(help="Seed for the borrowers' behaviour.")] = 42,
    start: Annotated[str, typer.Option(help="First business date.")] = "2025-01-31",
    db: Annotated[str | None, typer.Option("--db", help="Database URL (default: a fresh "
                                           f"SQLite file {DEMO_DB}).")] = None,
    challenger: Annotated[str | None, typer.Option(
        help="Challenger strategy for a share of new cases, e.g. aggressive.")] = None,
    share: Annotated[int, typer.Option(min=0, max=100,
                                       help="Percent of new cases on the challenger.")] = 0,
) -> None:
    """Book sample loans across all four repayment methods and run COB day by day."""
    with clear_errors():
        if db is None:
            DEMO_DB.parent.mkdir(parents=True, exist_ok=True)
            for suffix in ("", "-wal", "-shm"):
                Path(f"{DEMO_DB}{suffix}").unlink(missing_ok=True)
            db = f"sqlite:///{DEMO_DB}"
        app = bootstrap(Settings(db_url=db, log_level="WARNING"))
        first = parse_date(start, field="--start")
        seed_book(app, loans=loans, start=first, seed=seed)
        with Progress(TextColumn("closing {task.fields[day]}"), BarColumn(),
                      MofNCompleteColumn(), TextColumn("days"), TimeElapsedColumn(),
                      console=console) as bar:
            task = bar.add_task("days", total=days, day=str(first))

            def tick(day: dt.date) -> None:
                bar.update(task, advance=1, day=day.isoformat())

            run_days(app, days=days, seed=seed, on_day=tick,
                     experiment=Experiment(challenger=challenger, share_pct=share, seed=seed))
    console.print(portfolio_table(app))
    console.print(balances_table(app))
    console.print(decisions_table(app))
    console.print(f"book kept in {db}; try `dunwell portfolio --db {db}` or "
                  f"`dunwell loan 1 --db {db}`")
