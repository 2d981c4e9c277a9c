"""The strategy lab's origination: the time the lab's population takes to apply and
draw down, one by one against in batches, on fresh SQLite books.

The borrowers apply in the lab's daily cohorts over the warm-up (the days closed between
cohorts, as the day loop does, the closing not timed). Each way builds its own book from
the same population; the ways alternate over the runs so a busy machine slows both
alike, and the ratio is taken between medians of the same run.

    .venv/bin/python bench/lab_origination.py [--borrowers 300] [--warmup 45] [--runs 3]
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from dunwell.app.cob import close_until
from dunwell.simulation.lab import book as lab_book
from dunwell.simulation.lab import params as lab_params
from dunwell.simulation.lab.population import Population, build

OPENED = dt.date(2025, 1, 2)


def originate_seconds(pop: Population, workdir: Path, warmup: int, *, batch: bool) -> float:
    url = f"sqlite:///{workdir / f'book-{batch}.sqlite'}"
    book = lab_book.open_lab_book(pop, url=url, opened=OPENED)
    spent = 0.0
    try:
        for day, cohort in enumerate(lab_book.cohorts(pop, warmup)):
            today = OPENED + dt.timedelta(days=day)
            t0 = time.perf_counter()
            if cohort:
                lab_book.originate(book, pop, cohort, today=today, batch=batch)
            spent += time.perf_counter() - t0
            close_until(book.app, today)
    finally:
        book.app.engine.dispose()
    return spent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--borrowers", type=int, default=300)
    parser.add_argument("--warmup", type=int, default=45)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    pop = build(lab_params.load(), size=args.borrowers, seed=args.seed)
    times: dict[bool, list[float]] = {False: [], True: []}
    console = Console()
    with console.status("timing the lab's origination..."):
        for run in range(args.runs):
            for batch in (False, True) if run % 2 == 0 else (True, False):
                with tempfile.TemporaryDirectory() as tmp:
                    times[batch].append(originate_seconds(pop, Path(tmp), args.warmup, batch=batch))
    one, many = statistics.median(times[False]), statistics.median(times[True])
    table = Table(title=f"lab origination, {args.borrowers} borrowers over {args.warmup} days")
    for column in ("way", "median s", "ms a borrower", "ratio"):
        table.add_column(column, justify="right")
    for name, seconds in (("one by one", one), ("batches", many)):
        ms = seconds * 1000 / args.borrowers
        table.add_row(name, f"{seconds:.2f}", f"{ms:.1f}", f"{one / seconds:.2f}x")
    console.print(table)


if __name__ == "__main__":
    main()
