"""Simulation speed: the real day loop driven by the strategy lab's borrowers.

One strategy (``humane`` by default) runs N borrowers for D days through the lab
runner's own book set-up and day loop (``dunwell simulate``'s internals, on SQLite):
origination, the collection run, dispatch, field plans, the borrowers' answers,
payments and visits, COB, verify, scoring and the limit review. Each day-loop step is
timed by wrapping the loop's step runner, the borrowers' hooks likewise; what is
left is the loop's own bookkeeping (recording each step).

Figures, each against something measured in the same run:

* loan·days/s of the run (every day the loop closes, the lab's warm-up days
  included), and the seconds projected for the target size (10,000 x 180 in <= 60 s,
  plus the same warm-up) at that rate, with its ratio to the target;
* the same loop on a book a tenth the size (the baseline): how the cost per
  loan·day scales with the book;
* on the final book, the reconciliation the loop runs (``verify_book_since_mark``)
  against the full check it replaced (``verify_book``);
* how the cost grows with the days: CPU seconds per open loan·day over the first and
  the last fifth of the measured days (1.0 when a day costs the same per loan however
  long the book has run; above 1 when something reads the whole history each day);
* the floor: COB and verify alone (the loop's real single-day path,
  ``close_day`` then ``verify_book_since_mark``) on a book of ``--floor-loans`` loans
  seeded on one day, per loan·day, and the seconds they alone take at the target size.

    .venv/bin/python bench/simulation.py [--borrowers 10000 --days 180] [--quick]
        [--floor-loans 10000 --floor-days 3]

Writes bench/out/simulation.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

import dunwell.app.day.loop as loop
from dunwell.app.day.clock import DayStep
from dunwell.app.lending.verify import verify_book, verify_book_since_mark
from dunwell.simulation.lab import book as lab_book
from dunwell.simulation.lab import params as lab_params
from dunwell.simulation.lab import runner

OUT = Path(__file__).resolve().parent / "out" / "simulation.json"
TARGET_LOAN_DAYS = 10_000 * 180
TARGET_S = 60.0
START = dt.date(2025, 1, 31)


@dataclass(frozen=True)
class Sizes:
    borrowers: int = 10_000
    days: int = 180
    baseline_borrowers: int = 1_000
    seed: int = 7
    strategy: str = "humane"
    floor_loans: int = 10_000
    floor_days: int = 3
    #: days the book runs before the measured ones, borrowers drawing down over them
    warmup_days: int = lab_book.WARMUP_DAYS


QUICK = Sizes(borrowers=600, days=45, baseline_borrowers=60, floor_loans=600, floor_days=2)


@dataclass
class Timing:
    steps: dict[str, float]
    hooks: dict[str, float]
    total_s: float
    #: per business date: CPU seconds of its steps and hooks, and the loans COB closed
    cpu: dict[dt.date, float] = field(default_factory=lambda: defaultdict(float))
    #: CPU seconds per step or hook (steadier than wall time on a shared machine)
    cpu_of: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    loans: dict[dt.date, int] = field(default_factory=dict)


@contextmanager
def timed_loop() -> Iterator[Timing]:
    """Time every day-loop step and every hook while the block runs."""
    timing = Timing(defaultdict(float), defaultdict(float), 0.0)
    run_step, hook = loop._run_step, loop._hook

    def step(app: Any, day: dt.date, s: DayStep, options: loop.DayOptions) -> Any:
        t0, c0 = time.perf_counter(), time.process_time()
        try:
            status, detail = run_step(app, day, s, options)
            if s is DayStep.COB:
                timing.loans[day] = int(detail.get("loans", 0))
            return status, detail
        finally:
            timing.steps[s.value] += time.perf_counter() - t0
            timing.cpu[day] += time.process_time() - c0
            timing.cpu_of[s.value] += time.process_time() - c0

    def hooked(options: loop.DayOptions, s: DayStep, day: dt.date) -> None:
        hooks = {
            DayStep.COLLECT: options.after_collect,
            DayStep.FIELD_PLAN: options.after_field_plan,
            DayStep.SCORE: options.after_day,
        }
        if hooks.get(s) is None:
            hook(options, s, day)
            return
        t0, c0 = time.perf_counter(), time.process_time()
        try:
            hook(options, s, day)
        finally:
            timing.hooks[f"borrowers after {s.value}"] += time.perf_counter() - t0
            timing.cpu[day] += time.process_time() - c0
            timing.cpu_of[f"borrowers after {s.value}"] += time.process_time() - c0

    loop._run_step, loop._hook = step, hooked  # type: ignore[assignment]
    try:
        yield timing
    finally:
        loop._run_step, loop._hook = run_step, hook


def run_size(
    borrowers: int, sizes: Sizes, workdir: Path, tick: Callable[[], None]
) -> dict[str, Any]:
    """One lab run of ``borrowers`` x ``sizes.days``: timings, and verify full vs
    since-mark on the final book."""
    settings = runner.LabSettings(
        borrowers=borrowers,
        days=sizes.days,
        seeds=(sizes.seed,),
        strategies=(sizes.strategy,),
        start=START,
        params=lab_params.load(),
        warmup_days=sizes.warmup_days,
    )
    plan = runner.plan_for(sizes.strategy, settings, sizes.seed)
    t0, c0 = time.perf_counter(), time.process_time()
    with timed_loop() as timing:
        ran = runner._run_book(
            settings,
            plan,
            sizes.seed,
            workdir=workdir,
            progress=lambda *_: tick(),
            label=f"bench-{borrowers}",
        )
    total, total_cpu = time.perf_counter() - t0, time.process_time() - c0
    # the set-up (population, origination) is in the total but not in the loop
    loop_s = sum(timing.steps.values()) + sum(timing.hooks.values())
    app = ran.book.app
    t1 = time.perf_counter()
    full = verify_book(app)
    full_s = time.perf_counter() - t1
    verify_book_since_mark(app)  # the loop's mark is per process: warm it
    t2 = time.perf_counter()
    fast = verify_book_since_mark(app)
    fast_s = time.perf_counter() - t2
    if fast.as_json() != full.as_json() or not full.ok:
        raise SystemExit("verify since the mark disagrees with the full check")
    app.engine.dispose()
    # the loop closes the warm-up days too (the book opens before the measured start)
    loop_days = runner.days_per_run(settings)
    loan_days = borrowers * loop_days
    return {
        "growth": growth(timing, settings.start),
        "borrowers": borrowers,
        "days": sizes.days,
        "loop_days": loop_days,
        "total_s": round(total, 2),
        "loop_s": round(loop_s, 2),
        "setup_and_bookkeeping_s": round(total - loop_s, 2),
        "loan_days_per_s": round(loan_days / total, 1),
        "steps_s": {k: round(v, 2) for k, v in timing.steps.items()},
        "hooks_s": {k: round(v, 2) for k, v in timing.hooks.items()},
        "cpu_s": {k: round(v, 2) for k, v in timing.cpu_of.items()},
        "total_cpu_s": round(total_cpu, 2),
        "loan_days_per_cpu_s": round(loan_days / total_cpu, 1),
        "verify_full_s": round(full_s, 3),
        "verify_since_mark_s": round(fast_s, 3),
    }


def growth(timing: Timing, start: dt.date) -> dict[str, Any]:
    """CPU seconds per open loan·day over the first and the last fifth of the measured
    days (from ``start``), and their ratio: how a day's cost per loan grows with the
    history the book has gathered."""
    days = sorted(d for d in timing.cpu if d >= start and timing.loans.get(d))
    if len(days) < 2:
        return {}
    k = max(1, len(days) // 5)

    def per_loan_day(span: list[dt.date]) -> float:
        return sum(timing.cpu[d] for d in span) / sum(timing.loans[d] for d in span)

    first, last = per_loan_day(days[:k]), per_loan_day(days[-k:])
    return {
        "days_each": k,
        "first_us_per_loan_day": round(first * 1e6, 1),
        "last_us_per_loan_day": round(last * 1e6, 1),
        "loans_first": timing.loans[days[0]],
        "loans_last": timing.loans[days[-1]],
        "ratio_last_over_first": round(last / first, 2),
    }


def cob_floor(loans: int, days: int, workdir: Path, seed: int) -> dict[str, Any]:
    """COB and verify alone through the day loop's own single-day path on a book of
    ``loans`` borrowers' loans seeded on one day: per loan·day, and the seconds they
    take at the target size (10,000 loans x the run's days with its warm-up)."""
    from dunwell.app.cob import close_day
    from dunwell.simulation.lab.population import build

    pop = build(lab_params.load(), size=loans, seed=seed)
    url = lab_book.run_url(None, workdir, f"floor-{loans}", seed)
    t0 = time.perf_counter()
    book = lab_book.seed(pop, url=url, start=START)
    seed_s = time.perf_counter() - t0
    app = book.app
    cob_s = verify_s = cpu_s = 0.0
    closed = 0
    for k in range(days):
        day = START + dt.timedelta(days=k)
        t1, c1 = time.perf_counter(), time.process_time()
        closed += close_day(app, day).loans_closed
        t2 = time.perf_counter()
        verify_book_since_mark(app)
        cob_s, verify_s = cob_s + t2 - t1, verify_s + time.perf_counter() - t2
        cpu_s += time.process_time() - c1
    app.engine.dispose()
    per = (cob_s + verify_s) / max(closed, 1)
    return {
        "loans": closed // max(days, 1),
        "days": days,
        "seed_s": round(seed_s, 2),
        "cob_s_per_day": round(cob_s / days, 3),
        "verify_s_per_day": round(verify_s / days, 3),
        "us_per_loan_day": round(per * 1e6, 1),
        "cpu_us_per_loan_day": round(cpu_s / max(closed, 1) * 1e6, 1),
    }


def run(sizes: Sizes, console: Console) -> dict[str, Any]:
    with (
        tempfile.TemporaryDirectory(prefix="dunwell-bench-sim-") as tmp,
        Progress(
            TextColumn("{task.description:<28}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("days"),
            TimeElapsedColumn(),
            console=console,
        ) as bar,
    ):
        out = {}
        for label, n in (("baseline", sizes.baseline_borrowers), ("run", sizes.borrowers)):
            task = bar.add_task(f"{label}: {n:,} borrowers", total=sizes.days)

            def tick(task: TaskID = task) -> None:
                bar.advance(task)

            out[label] = run_size(n, sizes, Path(tmp), tick)
        if sizes.floor_loans:
            task = bar.add_task(f"floor: {sizes.floor_loans:,} loans", total=None)
            floor = cob_floor(sizes.floor_loans, sizes.floor_days, Path(tmp), sizes.seed)
            bar.update(task, completed=1, total=1)
        else:
            floor = {}
    main, base = out["run"], out["baseline"]
    rate = main["loan_days_per_s"]
    # the target's run closes the lab's warm-up days as well: 10,000 x (180 + warm-up)
    target_loan_days = TARGET_LOAN_DAYS // 180 * (180 + lab_book.WARMUP_DAYS)
    projected = target_loan_days / rate
    if floor:
        floor["target_s"] = round(floor["us_per_loan_day"] * target_loan_days / 1e6, 1)
        floor["target_cpu_s"] = round(floor["cpu_us_per_loan_day"] * target_loan_days / 1e6, 1)
    return {
        "floor": floor,
        "sizes": {
            "borrowers": sizes.borrowers,
            "days": sizes.days,
            "baseline_borrowers": sizes.baseline_borrowers,
            "seed": sizes.seed,
            "strategy": sizes.strategy,
            "warmup_days": sizes.warmup_days,
        },
        "run": main,
        "baseline": base,
        "ratio_rate_over_baseline": round(rate / base["loan_days_per_s"], 2),
        "projected_target_s": round(projected, 1),
        "measured_at_target_size": (sizes.borrowers * sizes.days == TARGET_LOAN_DAYS
                                    and sizes.warmup_days == lab_book.WARMUP_DAYS),
        "target_loan_days_with_warmup": target_loan_days,
        "ratio_over_target": round(projected / TARGET_S, 2),
        "target_s": TARGET_S,
        "meets_target": projected <= TARGET_S,
        "verify_full_over_since_mark": round(
            main["verify_full_s"] / max(main["verify_since_mark_s"], 1e-6), 1
        ),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
    }


def render(r: dict[str, Any], console: Console) -> None:
    main, base = r["run"], r["baseline"]
    t = Table(
        title=f"simulation: {main['borrowers']:,} borrowers x {main['days']} days "
        f"(+{main['loop_days'] - main['days']} warm-up), "
        f"strategy {r['sizes']['strategy']} (baseline {base['borrowers']:,})"
    )
    for col in ("", "run s", "run CPU s", "run s/loop day", "baseline s"):
        t.add_column(col, justify="left" if not col else "right")
    days = main["loop_days"]
    for name in list(main["steps_s"]) + list(main["hooks_s"]):
        a = main["steps_s"].get(name, main["hooks_s"].get(name, 0.0))
        b = base["steps_s"].get(name, base["hooks_s"].get(name, 0.0))
        cpu = main.get("cpu_s", {}).get(name, 0.0)
        t.add_row(name, f"{a:.2f}", f"{cpu:.2f}", f"{a / days:.3f}", f"{b:.2f}")
    t.add_row(
        "set-up and bookkeeping",
        f"{main['setup_and_bookkeeping_s']:.2f}",
        "",
        "",
        f"{base['setup_and_bookkeeping_s']:.2f}",
    )
    t.add_section()
    t.add_row(
        "total",
        f"{main['total_s']:.2f}",
        f"{main['total_cpu_s']:.2f}",
        f"{main['total_s'] / days:.3f}",
        f"{base['total_s']:.2f}",
    )
    t.add_row(
        "loan·days/s",
        f"{main['loan_days_per_s']:,.0f}",
        f"{main['loan_days_per_cpu_s']:,.0f}",
        "",
        f"{base['loan_days_per_s']:,.0f}",
    )
    console.print(t)
    kind = "measured" if r["measured_at_target_size"] else "projected at this rate"
    console.print(
        f"10,000 x 180 {kind}: {r['projected_target_s']:,.0f} s = "
        f"x{r['ratio_over_target']} the {r['target_s']:g} s target "
        f"({'met' if r['meets_target'] else 'missed'}); rate x"
        f"{r['ratio_rate_over_baseline']} the {base['borrowers']:,}-borrower baseline; "
        f"verify on the final book: full {main['verify_full_s']:.3f} s, since the "
        f"mark {main['verify_since_mark_s']:.3f} s "
        f"(x{r['verify_full_over_since_mark']})"
    )
    g = main.get("growth") or {}
    if g:
        console.print(
            f"growth with the days (CPU per open loan·day): first {g['days_each']} "
            f"measured days {g['first_us_per_loan_day']:,.0f} us "
            f"({g['loans_first']:,} loans), last {g['days_each']} "
            f"{g['last_us_per_loan_day']:,.0f} us ({g['loans_last']:,} loans): "
            f"x{g['ratio_last_over_first']}"
        )
    f = r.get("floor") or {}
    if f:
        console.print(
            f"floor, COB + verify alone on {f['loans']:,} loans ({f['days']} days): "
            f"COB {f['cob_s_per_day']:.3f} s + verify {f['verify_s_per_day']:.3f} s "
            f"a day = {f['us_per_loan_day']:,.0f} us per loan·day "
            f"({f.get('cpu_us_per_loan_day', 0):,.0f} us CPU); "
            f"{f['target_s']:,.0f} s ({f.get('target_cpu_s', 0):,.0f} s CPU) at 10,000 x 180 "
            "with the warm-up, "
            f"against the {r['target_s']:g} s target for the whole run"
        )


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--borrowers", type=int, help="borrowers (default 10,000)")
    ap.add_argument("--days", type=int, help="days (default 180)")
    ap.add_argument("--baseline-borrowers", type=int, help="baseline book (default 1,000)")
    ap.add_argument("--strategy", default="humane", choices=runner.BUILTIN)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument(
        "--floor-loans",
        type=int,
        help="loans of the COB + verify floor book (default 10,000; 0 skips)",
    )
    ap.add_argument("--floor-days", type=int, help="days the floor closes (default 3)")
    ap.add_argument("--quick", action="store_true", help="600 x 45, baseline 60")
    ap.add_argument("--out", type=Path, default=OUT)
    return ap.parse_args(argv)


def sizes_from(args: argparse.Namespace) -> Sizes:
    base = QUICK if args.quick else Sizes()
    borrowers = args.borrowers or base.borrowers
    return replace(
        base,
        borrowers=borrowers,
        days=args.days or base.days,
        baseline_borrowers=args.baseline_borrowers or max(1, borrowers // 10),
        seed=args.seed,
        strategy=args.strategy,
        floor_loans=base.floor_loans if args.floor_loans is None else args.floor_loans,
        floor_days=args.floor_days or base.floor_days,
    )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    result = run(sizes_from(args), Console(stderr=True))
    result["command"] = " ".join(["bench/simulation.py", *sys.argv[1:]])
    render(result, Console())
    line = json.dumps(result, sort_keys=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(line + "\n", encoding="utf-8")
    print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
