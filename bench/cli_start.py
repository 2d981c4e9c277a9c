"""CLI start: the median wall time of ``dunwell --help`` over N runs, against a baseline
measured in the same run.

The baseline is ``python -c "import typer"``: the command line cannot start without
Typer (and the Rich it brings), so that time is the floor no change to Dunwell can go
under, and the ratio is what Dunwell adds on top of it. ``python -c pass`` (the bare
interpreter) is timed too, for scale. A group's help (``dunwell field --help``, the
group with the most commands) is timed beside the root's, since every group is loaded
only when asked for. All commands run alternately in fresh interpreters, so a machine
busy with other work slows them alike.

    .venv/bin/python bench/cli_start.py [--runs 15]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

OUT = Path(__file__).resolve().parent / "out" / "cli_start.json"
TARGET_S = 0.5


@dataclass(frozen=True)
class Sizes:
    runs: int = 15


QUICK = Sizes(runs=3)


def cli_command(*args: str) -> list[str]:
    """``dunwell ARGS --help`` through the console script beside this interpreter, or
    the module."""
    script = Path(sys.executable).parent / "dunwell"
    if script.exists():
        return [str(script), *args, "--help"]
    return [sys.executable, "-m", "dunwell.cli.main", *args, "--help"]


def _seconds(command: list[str]) -> float:
    env = {**os.environ, "COLUMNS": "100"}
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, env=env)
    return time.perf_counter() - started


def run(sizes: Sizes) -> dict[str, Any]:
    commands = {"help": cli_command(), "group_help": cli_command("field"),
                "baseline": [sys.executable, "-c", "import typer"],
                "interpreter": [sys.executable, "-c", "pass"]}
    for command in commands.values():
        _seconds(command)  # the first run fills the byte-code cache
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(sizes.runs):
        for name, command in commands.items():
            times[name].append(_seconds(command))
    med = {name: statistics.median(seconds) for name, seconds in times.items()}
    return {"sizes": sizes.__dict__, "help_s_median": round(med["help"], 4),
            "help_s_min": round(min(times["help"]), 4),
            "group_help_s_median": round(med["group_help"], 4),
            "baseline_s_median": round(med["baseline"], 4),
            "interpreter_s_median": round(med["interpreter"], 4),
            "ratio_help_over_baseline": round(med["help"] / med["baseline"], 2),
            "ratio_group_help_over_baseline": round(med["group_help"] / med["baseline"], 2),
            "target_s": TARGET_S,
            "meets_target": max(med["help"], med["group_help"]) <= TARGET_S}


def render(r: dict[str, Any], console: Console) -> None:
    t = Table(title=f"CLI start: median of {r['sizes']['runs']} runs")
    for col in ("command", "median s", "target"):
        t.add_column(col)
    t.add_row("dunwell --help", f"{r['help_s_median']:.3f}", f"<= {r['target_s']:g} s")
    t.add_row("dunwell field --help", f"{r['group_help_s_median']:.3f}",
              f"<= {r['target_s']:g} s")
    t.add_row('python -c "import typer" (baseline)', f"{r['baseline_s_median']:.3f}", "")
    t.add_row("python -c pass (the interpreter)", f"{r['interpreter_s_median']:.3f}", "")
    t.caption = (f"dunwell --help / baseline: x{r['ratio_help_over_baseline']}; "
                 f"dunwell field --help / baseline: x{r['ratio_group_help_over_baseline']}; "
                 f"target {'met' if r['meets_target'] else 'MISSED'}")
    console.print(t)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=Sizes().runs)
    ap.add_argument("--quick", action="store_true", help="3 runs, for a smoke run")
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args(argv)
    result = run(QUICK if args.quick else Sizes(runs=args.runs))
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
