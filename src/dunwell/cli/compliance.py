"""``dunwell compliance evaluate FILE.jsonl``: judge contact scenarios.

Prints one JSON line per scenario, in input order (DESIGN.md §4)::

    {"id": "...", "decision": "allow"|"deny", "rule": "US-RegF-TIME"|null}

A deferral prints as ``deny``: the action may not happen at the proposed time. A bad
line prints ``{"id", "decision": "error", "rule": null, "error"}`` and a one-line
``error: line N: ...`` on stderr; the other lines are still judged and the command
exits 2. ``--explain`` prints a table with each reason instead.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from dunwell.compliance.guard import decide
from dunwell.compliance.model import Decision
from dunwell.compliance.scenario import parse_scenario
from dunwell.core.errors import DomainError

EXIT_BAD_INPUT = 2

compliance_app = typer.Typer(
    name="compliance",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
    help="The compliance guard: may this contact happen, and by which rule?",
)


@dataclass(frozen=True)
class Judged:
    """One scenario line's result; ``error`` is set when the line was bad."""

    line: int
    id: str | None
    decision: str
    rule: str | None
    reason: str
    error: str | None = None

    def contract(self) -> dict[str, str | None]:
        if self.error is not None:
            return {"id": self.id, "decision": "error", "rule": None, "error": self.error}
        decision = "allow" if self.decision == Decision.ALLOW else "deny"
        return {"id": self.id, "decision": decision, "rule": self.rule}


def judge_line(text: str, line: int) -> Judged:
    try:
        scenario = parse_scenario(text)
        verdict = decide(
            scenario.action, scenario.history, scenario.borrower, scenario.jurisdiction
        )
    except DomainError as exc:
        scenario_id = exc.details.get("scenario_id")
        message = f"line {line}: {exc.message}"
        typer.echo(f"error: {message} [{exc.code}]", err=True)
        return Judged(line, scenario_id, "error", None, message, error=message)
    return Judged(line, scenario.id, verdict.decision.value, verdict.rule, verdict.reason)


def judge_lines(lines: list[str]) -> Iterator[Judged]:
    for number, text in enumerate(lines, start=1):
        if text.strip():
            yield judge_line(text, number)


def _table(results: list[Judged], title: str) -> Table:
    table = Table(title=title)
    table.add_column("id", overflow="fold")
    table.add_column("decision", no_wrap=True)
    table.add_column("rule", overflow="fold")
    table.add_column("reason", overflow="fold")
    styles = {"allow": "green", "defer": "yellow", "deny": "red", "error": "magenta"}
    for row in results:
        table.add_row(
            row.id or "-",
            f"[{styles[row.decision]}]{row.decision}[/]",
            row.rule or "-",
            row.reason,
        )
    return table


def evaluate(
    file: Annotated[
        Path,
        typer.Argument(metavar="FILE.jsonl", help="One scenario per line (DESIGN.md §4)."),
    ],
    explain: Annotated[
        bool, typer.Option("--explain", help="Print a table with the reason for each.")
    ] = False,
) -> None:
    """Judge each scenario: allow, or deny (a deferral counts as deny) with its rule."""
    try:
        lines = file.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        typer.echo(f"error: cannot read {file}: {exc} [file_must_be_readable]", err=True)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    results: list[Judged] = []
    for judged in judge_lines(lines):
        results.append(judged)
        if not explain:
            typer.echo(json.dumps(judged.contract(), ensure_ascii=False))
    if explain:
        Console().print(_table(results, f"compliance evaluate {file.name}"))
    if any(r.error is not None for r in results):
        raise typer.Exit(EXIT_BAD_INPUT)


compliance_app.command("evaluate")(evaluate)
