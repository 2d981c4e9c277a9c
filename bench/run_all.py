"""``make bench``: COB throughput figures, printed as a table and one JSON line.

(a) kernel loans/s, (b) row-by-row loans/s, (c) their ratio, (d) kernel time over
the memory-bound floor, (e) COB end to end through PostgreSQL in loans x days/s,
(f) origination latency: p50/p95/p99 of POST /v1/applications at 500 requests/s on
the real server (bench/origination_latency.py, docs/origination.md),
(g) field routing: OR-Tools against the nearest-neighbour baseline on 200 visits and
10 agents (bench/field_routing.py, docs/field.md),
(h) CLI start: the median time of `dunwell --help` against `python -c "import typer"`
(bench/cli_start.py),
(i) COB over a Parquet snapshot: Spark local mode against the local runner, and the
cores a 50 M-loan book needs to close in 30 minutes (bench/spark_cob.py, docs/scale.md),
(j) payments at volume: posted/s over HTTP on PostgreSQL from 16 clients against
2,000/s and a one-worker one-client baseline (bench/payments_http.py, docs/scale.md).
At the end bench/summary.py puts every figure beside its same-run baseline and target
in bench/out/results.json and draws bench/out/results.svg.
See docs/benchmarks.md for what each figure means.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

import numpy as np  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.markup import escape  # noqa: E402
from rich.progress import (  # noqa: E402
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table  # noqa: E402

import cli_start  # noqa: E402
import cob_kernel  # noqa: E402
import cob_postgres  # noqa: E402
import field_routing  # noqa: E402
import origination_latency  # noqa: E402
import payments_http  # noqa: E402
import simulation  # noqa: E402
import spark_cob  # noqa: E402
import stress_payments  # noqa: E402
import summary  # noqa: E402
from kernel_profile import profile_day  # noqa: E402

OUT = HERE / "out" / "cob.json"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--loans", type=int, help="loans in the kernel batch (default 1,000,000)")
    ap.add_argument("--sample", type=int, help="loans timed row by row (default 20,000)")
    ap.add_argument("--reps", type=int, help="timed repetitions, best kept (default 5)")
    ap.add_argument("--pg-loans", type=int, help="loans in the PostgreSQL book (default 100,000)")
    ap.add_argument("--pg-days", type=int, help="days closed through PostgreSQL (default 30)")
    ap.add_argument("--partitions", type=int, help="COB partitions in PostgreSQL (default 8)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    ap.add_argument("--skip-postgres", action="store_true", help="leave out figure (e)")
    ap.add_argument("--skip-origination", action="store_true", help="leave out figure (f)")
    ap.add_argument("--skip-field", action="store_true", help="leave out figure (g)")
    ap.add_argument("--skip-cli", action="store_true", help="leave out figure (h)")
    ap.add_argument("--skip-simulation", action="store_true",
                    help="leave out the simulation speed (bench/simulation.py)")
    ap.add_argument("--skip-spark", action="store_true", help="leave out figure (i)")
    ap.add_argument("--skip-payments", action="store_true", help="leave out figure (j)")
    ap.add_argument("--profile", choices=("auto", "always", "never"), default="auto",
                    help="statement profile of the kernel (auto: when a target is missed)")
    ap.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    ap.add_argument("--out", type=Path, default=OUT)
    return ap.parse_args(argv)


def sizes_from(args: argparse.Namespace) -> tuple[cob_kernel.Sizes, cob_postgres.PgSizes]:
    k = cob_kernel.QUICK if args.quick else cob_kernel.Sizes()
    pg = cob_postgres.PG_QUICK if args.quick else cob_postgres.PgSizes()
    kernel = cob_kernel.Sizes(loans=args.loans or k.loans, sample=args.sample or k.sample,
                              reps=args.reps or k.reps, row_reps=min(args.reps or k.row_reps,
                                                                     k.row_reps),
                              seed=args.seed)
    pgs = cob_postgres.PgSizes(loans=args.pg_loans or pg.loans, days=args.pg_days or pg.days,
                               partitions=args.partitions or pg.partitions, seed=pg.seed)
    return kernel, pgs


def run(args: argparse.Namespace, console: Console) -> dict[str, Any]:
    ks, pgs = sizes_from(args)
    progress = Progress(TextColumn("{task.description:<34}"), BarColumn(),
                        MofNCompleteColumn(), TimeElapsedColumn(), console=console)
    steps = {
        "portfolio": (f"portfolio of {ks.loans:,} loans", 1),
        "check": ("kernel == rules on the sample", 1),
        "rows": (f"row by row, {ks.sample:,} loans", ks.row_reps),
        "kernel": ("kernel, whole batch", ks.reps),
        "floor": ("memory-bound floor", ks.reps),
    }
    if not args.skip_postgres:
        steps["pg_seed"] = (f"PostgreSQL: seed {pgs.loans:,} loans", 1)
        steps["pg_days"] = (f"PostgreSQL: close {pgs.baseline_days} + {pgs.days} days",
                            pgs.baseline_days + pgs.days)
    ols = origination_latency.QUICK if args.quick else origination_latency.Sizes()
    if not args.skip_origination:
        steps["orig_load"] = (f"origination: {ols.rate} req/s, "
                              f"{ols.warmup_seconds + ols.seconds:g} s",
                              int(ols.rate * (ols.warmup_seconds + ols.seconds)))
    frs = field_routing.QUICK if args.quick else field_routing.Sizes()
    if not args.skip_field:
        steps["field"] = (f"field routing: {frs.visits} visits, {frs.agents} agents", 1)
    cls = cli_start.QUICK if args.quick else cli_start.Sizes()
    if not args.skip_cli:
        steps["cli"] = (f"CLI start: {cls.runs} runs", 1)
    with progress:
        tasks = {k: progress.add_task(d, total=n) for k, (d, n) in steps.items()}

        def tick(step: str, n: int) -> None:
            if step in tasks:
                progress.advance(tasks[step], n)

        result = cob_kernel.run(ks, tick)
        portfolio = result.pop("_portfolio")
        missed = not (result["meets_speedup"] and result["meets_floor"])
        if args.profile == "always" or (args.profile == "auto" and missed):
            task = progress.add_task("kernel statement profile", total=1)
            result["profile"] = profile_day(portfolio.batch, portfolio.day, reps=ks.reps)
            progress.advance(task)
        del portfolio
        if args.skip_postgres:
            result["postgres"] = {"skipped": "--skip-postgres"}
        else:
            result["postgres"] = cob_postgres.run(pgs, tick)
        if args.skip_origination:
            result["origination"] = {"skipped": "--skip-origination"}
        else:
            result["origination"] = origination_latency.run(
                ols, lambda step, n: tick("orig_load", n) if step == "load" else None)
        run_quick_figures(args, frs, cls, tick, result)
        result["simulation"] = run_simulation(args, console)
    result["command"] = " ".join(["bench/run_all.py", *sys.argv[1:]])
    result["machine"] = {"cpus": os.cpu_count(), "python": platform.python_version(),
                         "numpy": np.__version__, "platform": platform.platform()}
    return result


def run_quick_figures(args: argparse.Namespace, frs: field_routing.Sizes,
                      cls: cli_start.Sizes, tick: Callable[[str, int], None],
                      result: dict[str, Any]) -> None:
    """Figures (g), (h), (i) and (j), each unless skipped."""
    if args.skip_field:
        result["field_routing"] = {"skipped": "--skip-field"}
    else:
        result["field_routing"] = field_routing.run(frs)
        tick("field", 1)
    if args.skip_cli:
        result["cli_start"] = {"skipped": "--skip-cli"}
    else:
        result["cli_start"] = cli_start.run(cls)
        tick("cli", 1)
    if args.skip_spark or args.quick:  # Spark takes a minute to start and warm up
        result["spark_cob"] = {"skipped": "--skip-spark" if args.skip_spark else "--quick"}
    else:
        result["spark_cob"] = spark_cob.run(spark_cob.Sizes())
        spark_cob.save(result["spark_cob"])
    result["payments_http"] = run_payments(args)


def run_simulation(args: argparse.Namespace, console: Console) -> dict[str, Any]:
    """The lab's day loop, 10,000 x 180 (600 x 45 with --quick): bench/simulation.py."""
    if args.skip_simulation:
        return {"skipped": "--skip-simulation"}
    return simulation.run(simulation.QUICK if args.quick else simulation.Sizes(), console)


def run_payments(args: argparse.Namespace) -> dict[str, Any]:
    """Figure (j): bench/payments_http.py (its quick sizes with --quick); it needs
    PostgreSQL, so --skip-postgres leaves it out too."""
    if args.skip_payments or args.skip_postgres:
        return {"skipped": "--skip-payments" if args.skip_payments else "--skip-postgres"}
    db = os.environ.get("DUNWELL_STRESS_POSTGRES_URL", stress_payments.DEFAULT_DB)
    out = payments_http.run(payments_http.QUICK if args.quick else payments_http.Sizes(), db)
    payments_http.save(out)
    return out


def _rate(x: float) -> str:
    return f"{x / 1e6:,.2f} M/s" if x >= 1e6 else f"{x:,.0f} /s"


def render_cli_start(t: Table, cs: dict[str, Any], ok: dict[bool, str]) -> None:
    if "skipped" in cs:
        t.add_row("(h) CLI start", f"skipped: {cs['skipped']}", "", "")
        return
    t.add_row("(h) CLI start, dunwell --help",
              f"{cs['help_s_median']:.3f} s median of {cs['sizes']['runs']} runs "
              f"(x{cs['ratio_help_over_baseline']} of `python -c \"import typer\"`, "
              f"{cs['baseline_s_median']:.3f} s)",
              f"<= {cs['target_s']:g} s", ok[cs["meets_target"]])


def render_snapshot_and_payments(t: Table, r: dict[str, Any], ok: dict[bool, str]) -> None:
    """Rows (i) and (j)."""
    t.add_row("(i) COB on a snapshot: Spark local / local",
              spark_cob.describe(r.get("spark_cob", {"skipped": "not run"})), "", "")
    pay = r.get("payments_http", {"skipped": "not run"})
    t.add_row("(j) payments at volume, PostgreSQL", payments_http.describe(pay), ">= 2,000/s",
              "" if "skipped" in pay else ok[pay["ratio_to_target"] >= 1 and pay["ok"]])


def render(r: dict[str, Any], console: Console) -> None:
    pf = r["portfolio"]
    t = Table(title=f"COB benchmark: {pf['loans']:,} loans, {pf['installments']:,} instalments, "
                    f"{pf['share_past_due']:.1%} past due")
    for col in ("figure", "value", "target", "ok"):
        t.add_column(col)
    ok = {True: "[green]yes[/]", False: "[red]NO[/]"}
    t.add_row("(a) kernel loans/s", f"{_rate(r['kernel_loans_per_s'])}  "
              f"({r['kernel_s'] * 1e3:.1f} ms/day)", "", "")
    t.add_row("(b) row-by-row loans/s", f"{_rate(r['rows_loans_per_s'])}  "
              f"({r['rows_sample']:,}-loan sample)", "", "")
    t.add_row("(c) kernel / row-by-row", f"{r['speedup_kernel_over_rows']:,.0f}x", ">= 100x",
              ok[r["meets_speedup"]])
    t.add_row("(d) kernel time / floor time", f"{r['kernel_over_floor']:.2f}x  (floor "
              f"{r['floor_s'] * 1e3:.1f} ms, {r['floor_gb_per_s']:.1f} GB/s)", "<= 5x",
              ok[r["meets_floor"]])
    pg = r["postgres"]
    if "skipped" in pg:
        t.add_row("(e) PostgreSQL loans x days/s", f"skipped: {pg['skipped']}", "", "")
    else:
        t.add_row("(e) PostgreSQL loans x days/s", f"{_rate(pg['loan_days_per_s'])}  "
                  f"({pg['loans']:,} loans x {pg['days']} days, {pg['partitions']} partitions,"
                  f" {pg['day_s_mean']:.2f} s/day; x{pg['ratio_over_day_by_day']} of day by day,"
                  f" book verify {'clean' if pg['verify_ok'] else 'FAILED'})",
                  f">= {pg['target_loan_days_per_s']:,} /s", ok[pg["meets_target"]])
        ph = pg.get("phases_s", {})
        if ph:
            t.add_row("    where the time goes", ", ".join(
                f"{k} {v:.1f} s" for k, v in ph.items() if not k.startswith("write:")), "", "")
    og = r.get("origination", {"skipped": "not run"})
    if "skipped" in og:
        t.add_row("(f) origination latency", f"skipped: {og['skipped']}", "", "")
    else:
        t.add_row(f"(f) origination latency at {og['sizes']['rate']} req/s",
                  f"p50 {og['p50_ms']:.1f} ms, p95 {og['p95_ms']:.1f} ms, p99 "
                  f"{og['p99_ms']:.1f} ms ({og['achieved_rps']:.0f} req/s achieved, "
                  f"{og['server_cpu_ms_per_request']:.2f} ms server CPU/request)",
                  f"p99 <= {og['target_p99_ms']:g} ms", ok[og["meets_target"]])
    fr = r.get("field_routing", {"skipped": "not run"})
    if "skipped" in fr:
        t.add_row("(g) field routing", f"skipped: {fr['skipped']}", "", "")
    else:
        nn, ort = fr["nearest"], fr["ortools"]
        t.add_row(f"(g) field routing, {fr['sizes']['visits']} visits / "
                  f"{fr['sizes']['agents']} agents",
                  f"OR-Tools {ort['solve_s']:.1f} s, {ort['served']} served, "
                  f"{ort['travel_km']:.0f} km; nearest {nn['served']} served, "
                  f"{nn['travel_km']:.0f} km (travel x{fr['travel_ratio_ortools_over_nearest']})",
                  "<= 10 s, less travel, >= served", ok[fr["meets_target"]])
    render_cli_start(t, r.get("cli_start", {"skipped": "not run"}), ok)
    sim = r.get("simulation", {"skipped": "not run"})
    t.add_row("simulation speed, day loop", f"skipped: {sim['skipped']}" if "skipped" in sim
              else f"{sim['run']['loan_days_per_s']:,.0f} loan·days/s; 10,000 x 180 in "
              f"{sim['projected_target_s']:,.0f} s (x{sim['ratio_over_target']} the target)",
              "<= 60 s", "" if "skipped" in sim else ok[sim["meets_target"]])
    render_snapshot_and_payments(t, r, ok)
    console.print(t)
    prof = r.get("profile")
    if prof:
        pt = Table(title=f"cob_day by step (best per statement, {prof['page_faults_per_day']:,}"
                         f" page faults/day; same kernel on {prof['chunk_loans']:,}-loan slices:"
                         f" {prof['chunked_ms']:.0f} ms)")
        for col in ("step / statement", "ms", "%"):
            pt.add_column(col)
        for s in prof["sections"]:
            pt.add_row(s["section"][:70], f"{s['ms']:.1f}", f"{s['pct']:.1f}")
        pt.add_section()
        for s in prof["statements"][:15]:
            pt.add_row(escape(f"{s['function']}:{s['line']}  {s['code'][:60]}"), f"{s['ms']:.1f}",
                       "" if s["pct_of_cob_day"] is None else f"{s['pct_of_cob_day']:.1f}")
        console.print(pt)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    out_console = Console()
    result = run(args, Console(stderr=True))
    render(result, out_console)
    if "profile" in result:
        result["profile"]["statements"] = result["profile"]["statements"][:25]
    line = json.dumps(result, default=float, sort_keys=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(line + "\n", encoding="utf-8")
    summary.write(args.out.parent, json.loads(line), console=out_console)
    out_console.print(f"summary: {args.out.parent / summary.RESULTS}, "
                      f"chart: {args.out.parent / summary.CHART}", highlight=False)
    print(line)  # last, so a caller can read the run's JSON from the last line
    missed = not (result["meets_speedup"] and result["meets_floor"])
    missed = missed or not result["origination"].get("meets_target", True)
    missed = missed or not result["field_routing"].get("meets_target", True)
    missed = missed or not result["cli_start"].get("meets_target", True)
    return 1 if args.strict and missed else 0


if __name__ == "__main__":
    sys.exit(main())
