"""CLI start: the median wall time of ``dunwell --help`` over N runs, against a baseline
measured in the same run.

The baseline is ``python -c "import typer"``: the command line cannot start without
Typer (and the Rich it brings), so that time is the floor no change to Dunwell can go
under, and the ratio is what Dunwell adds on top of it. ``python -c pass`` would only
time the interpreter, and a ratio to it would mostly measure Typer. Both commands run
alternately in fresh interpreters, so a machine busy with other work slows both alike.

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


def cli_command() -> list[str]:
    """The ``dunwell`` console script beside this interpreter, or the module."""
    script = Path(sys.executable).parent / "dunwell"
    if script.exists():
        return [str(script), "--help"]
    return [sys.executable, "-m", "dunwell.cli.main", "--help"]


def _seconds(command: list[str]) -> float:
    env = {**os.environ, "COLUMNS": "100"}
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, env=env)
    return time.perf_counter() - started


def run(sizes: Sizes) -> dict[str, Any]:
    cli, baseline = cli_command(), [sys.executable, "-c", "import typer"]
    _seconds(cli)  # the first run fills the byte-code cache
    cli_s: list[float] = []
    base_s: list[float] = []
    for _ in range(sizes.runs):
        cli_s.append(_seconds(cli))
        base_s.append(_seconds(baseline))
    cli_median, base_median = statistics.median(cli_s), statistics.median(base_s)
    return {"sizes": sizes.__dict__, "help_s_median": round(cli_median, 4),
            "help_s_min": round(min(cli_s), 4),
            "baseline_s_median": round(base_median, 4),
            "ratio_help_over_baseline": round(cli_median / base_median, 2),
            "target_s": TARGET_S, "meets_target": cli_median <= TARGET_S}


def render(r: dict[str, Any], console: Console) -> None:
    t = Table(title=f"CLI start: median of {r['sizes']['runs']} runs")
    for col in ("command", "median s", "target"):
        t.add_column(col)
    t.add_row("dunwell --help", f"{r['help_s_median']:.3f}", f"<= {r['target_s']:g} s")
    t.add_row('python -c "import typer" (baseline)', f"{r['baseline_s_median']:.3f}", "")
    t.caption = (f"dunwell --help / baseline: x{r['ratio_help_over_baseline']}; target "
                 f"{'met' if r['meets_target'] else 'MISSED'}")
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
