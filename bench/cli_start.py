"""CLI start: the median wall time of ``dunwell --help`` and of three commands that read
a small book, over N runs, against baselines measured in the same run.

The help's baseline is ``python -c "import typer"``: the command line cannot start
without Typer (and the Rich it brings), so that time is the floor no change to Dunwell
can go under, and the ratio is what Dunwell adds on top of it. A read's baseline is
``python -c "import sqlalchemy"``: a command that opens the database cannot start
without SQLAlchemy. ``python -c pass`` (the bare interpreter) is timed too, for scale. A
group's help (``dunwell field --help``, the group with the most commands) is timed
beside the root's, since every group is loaded only when asked for. The reads
(``dunwell portfolio``, ``dunwell book verify``, ``dunwell day status``) run on a SQLite
book of a few dozen loans closed for two days, built once before the timing. All
commands run alternately in fresh interpreters, so a machine busy with other work slows
them alike. Each read's CPU time (user + system, from the child's resource usage) is
kept beside its wall time: on a machine shared with other work it moves far less than
the wall time does.

    .venv/bin/python bench/cli_start.py [--runs 15] [--loans 40] [--quick]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

OUT = Path(__file__).resolve().parent / "out" / "cli_start.json"
TARGET_S = 0.5


#: The reads timed: a command each for the book, its reconciliation and the day loop.
READS = {"portfolio": ("portfolio",), "book_verify": ("book", "verify"),
         "day_status": ("day", "status")}


@dataclass(frozen=True)
class Sizes:
    runs: int = 15
    loans: int = 40


QUICK = Sizes(runs=1, loans=8)


def cli_command(*args: str, with_help: bool = True) -> list[str]:
    """``dunwell ARGS [--help]`` through the console script beside this interpreter, or
    the module."""
    script = Path(sys.executable).parent / "dunwell"
    head = [str(script)] if script.exists() else [sys.executable, "-m", "dunwell.cli.main"]
    return [*head, *args, *(["--help"] if with_help else [])]


def small_book(directory: Path, loans: int) -> str:
    """A SQLite book of ``loans`` loans closed for two days (migrated, so a read finds
    its schema at the newest revision), and its URL."""
    import datetime as dt

    from dunwell.app.cob import close_until
    from dunwell.bootstrap import bootstrap
    from dunwell.settings import Settings
    from dunwell.simulation.portfolio import seed_book

    url = f"sqlite:///{directory / 'book.sqlite'}"
    app = bootstrap(Settings(db_url=url, log_level="WARNING"))
    start = dt.date(2025, 1, 31)
    seed_book(app, loans=loans, start=start, seed=7)
    close_until(app, start + dt.timedelta(days=1))
    app.db.dispose()
    return url


def _seconds(command: list[str]) -> tuple[float, float]:
    """The wall time and the CPU time (user + system) of one run of ``command``. The
    commands may write byte code (PYTHONDONTWRITEBYTECODE is dropped from their
    environment), so that the first run fills the cache for Dunwell's own modules as an
    installed package has it: without it every run compiles them from source again."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["COLUMNS"] = "100"
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, env=env)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def run(sizes: Sizes) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="dunwell-cli-start-") as tmp:
        url = small_book(Path(tmp), sizes.loans)
        commands = {"help": cli_command(), "group_help": cli_command("field"),
                    **{name: cli_command(*args, "--db", url, with_help=False)
                       for name, args in READS.items()},
                    "baseline": [sys.executable, "-c", "import typer"],
                    "read_baseline": [sys.executable, "-c", "import sqlalchemy"],
                    "interpreter": [sys.executable, "-c", "pass"]}
        for command in commands.values():
            _seconds(command)  # the first run fills the byte-code cache
        times: dict[str, list[float]] = {name: [] for name in commands}
        cpu: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(sizes.runs):
            for name, command in commands.items():
                wall, used = _seconds(command)
                times[name].append(wall)
                cpu[name].append(used)
    med = {name: statistics.median(seconds) for name, seconds in times.items()}
    cpu_med = {name: statistics.median(seconds) for name, seconds in cpu.items()}
    reads = {name: {"command": "dunwell " + " ".join(args),
                    "s_median": round(med[name], 4),
                    "cpu_s_median": round(cpu_med[name], 4),
                    "cpu_ratio_over_sqlalchemy": round(
                        cpu_med[name] / cpu_med["read_baseline"], 2),
                    "ratio_over_sqlalchemy": round(med[name] / med["read_baseline"], 2),
                    "ratio_over_interpreter": round(med[name] / med["interpreter"], 2)}
             for name, args in READS.items()}
    return {"sizes": sizes.__dict__, "help_s_median": round(med["help"], 4),
            "help_s_min": round(min(times["help"]), 4),
            "group_help_s_median": round(med["group_help"], 4),
            "baseline_s_median": round(med["baseline"], 4),
            "read_baseline_s_median": round(med["read_baseline"], 4),
            "read_baseline_cpu_s_median": round(cpu_med["read_baseline"], 4),
            "load_average": [round(x, 2) for x in os.getloadavg()],
            "interpreter_s_median": round(med["interpreter"], 4),
            "ratio_help_over_baseline": round(med["help"] / med["baseline"], 2),
            "ratio_group_help_over_baseline": round(med["group_help"] / med["baseline"], 2),
            "reads": reads,
            "target_s": TARGET_S,
            "meets_target": max(med["help"], med["group_help"]) <= TARGET_S,
            "reads_meet_target": max(med[name] for name in READS) <= TARGET_S}


def render(r: dict[str, Any], console: Console) -> None:
    t = Table(title=f"CLI start: median of {r['sizes']['runs']} runs (the reads on a SQLite "
                    f"book of {r['sizes']['loans']} loans)")
    for col in ("command", "median s", "x baseline", "x bare python", "CPU s", "target"):
        t.add_column(col)
    target = f"<= {r['target_s']:g} s"
    interpreter = r["interpreter_s_median"]
    t.add_row("dunwell --help", f"{r['help_s_median']:.3f}",
              f"x{r['ratio_help_over_baseline']} (typer)",
              f"x{r['help_s_median'] / interpreter:.2f}", "", target)
    t.add_row("dunwell field --help", f"{r['group_help_s_median']:.3f}",
              f"x{r['ratio_group_help_over_baseline']} (typer)",
              f"x{r['group_help_s_median'] / interpreter:.2f}", "", target)
    for read in r["reads"].values():
        t.add_row(read["command"], f"{read['s_median']:.3f}",
                  f"x{read['ratio_over_sqlalchemy']} (sqlalchemy)",
                  f"x{read['ratio_over_interpreter']}",
                  f"{read['cpu_s_median']:.3f} (x{read['cpu_ratio_over_sqlalchemy']})", target)
    t.add_row('python -c "import typer" (help baseline)', f"{r['baseline_s_median']:.3f}",
              "", f"x{r['baseline_s_median'] / interpreter:.2f}", "")
    t.add_row('python -c "import sqlalchemy" (read baseline)',
              f"{r['read_baseline_s_median']:.3f}", "",
              f"x{r['read_baseline_s_median'] / interpreter:.2f}",
              f"{r['read_baseline_cpu_s_median']:.3f}", "")
    t.add_row("python -c pass (the interpreter)", f"{interpreter:.3f}", "", "x1", "")
    t.caption = (f"help: target {'met' if r['meets_target'] else 'MISSED'}; reads: target "
                 f"{'met' if r['reads_meet_target'] else 'MISSED'}")
    console.print(t)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=Sizes().runs)
    ap.add_argument("--quick", action="store_true", help="1 run on 8 loans, for a smoke run")
    ap.add_argument("--loans", type=int, default=Sizes().loans, help="loans in the book read")
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args(argv)
    result = run(QUICK if args.quick else Sizes(runs=args.runs, loans=args.loans))
    result["command"] = " ".join(["bench/cli_start.py", *(argv if argv is not None
                                                          else sys.argv[1:])])
    render(result, Console())
    line = json.dumps(result, sort_keys=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(line + "\n", encoding="utf-8")
    print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
