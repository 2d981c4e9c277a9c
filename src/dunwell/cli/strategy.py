"""``dunwell strategy check FILE`` and ``dunwell strategy show NAME``: strategies are
data, so they are checked like data — every problem with its line and path."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml
from rich.table import Table

from dunwell.cli.common import EXIT_BAD_INPUT, clear_errors, console
from dunwell.collections.strategy import Strategy, builtin_strategies, load_strategy
from dunwell.core.errors import DomainError, InvalidInput

strategy_app = typer.Typer(no_args_is_help=True, help="Collection strategies (YAML).")

_STEP = re.compile(r"([A-Za-z_]+)|\[(\d+)\]")


def line_of(text: str, path: str) -> int | None:
    """The 1-based line of ``path`` (like ``segments[0].steps[4].kind``) in the YAML."""
    try:
        node: Any = yaml.compose(text)
    except yaml.YAMLError:
        return None
    line = None
    for key, index in _STEP.findall(path):
        if node is None:
            break
        if key and isinstance(node, yaml.MappingNode):
            match = [(k, v) for k, v in node.value if k.value == key]
            node = match[0][1] if match else None
            line = match[0][0].start_mark.line + 1 if match else line
        elif index and isinstance(node, yaml.SequenceNode):
            k = int(index)
            node = node.value[k] if k < len(node.value) else None
            line = node.start_mark.line + 1 if node is not None else line
        else:
            break
    return line


def load_file(path: Path) -> Strategy:
    """Load a strategy file; every problem is reported as ``FILE:LINE: path: message``."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InvalidInput(f"cannot read {path}: {exc.strerror}",
                           code="strategy_file_must_be_readable") from None
    try:
        return load_strategy(text)
    except DomainError as exc:
        problems = list(exc.details.get("problems", [])) or [exc.message]
        located = []
        for problem in problems:
            where = problem.split(":", 1)[0]
            line = line_of(text, where)
            located.append(f"{path}:{line}: {problem}" if line else f"{path}: {problem}")
        raise InvalidInput("\n".join(located), code=exc.code) from None


def resolve(name_or_file: str) -> tuple[str, Strategy]:
    """A built-in strategy by name, or a YAML file by path."""
    builtin = builtin_strategies()
    if name_or_file in builtin:
        return name_or_file, builtin[name_or_file]
    path = Path(name_or_file)
    if path.suffix in (".yaml", ".yml") or path.exists():
        strategy = load_file(path)
        return strategy.name, strategy
    raise InvalidInput(f"unknown strategy {name_or_file!r}; use one of "
                       f"{', '.join(builtin)} or a path to a YAML file",
                       code="strategy_must_exist")


@strategy_app.command("check")
def check(file: Annotated[Path, typer.Argument(help="Strategy YAML file.")]) -> None:
    """Validate a strategy file: every problem with its line and path (exit 2)."""
    try:
        strategy = load_file(file)
    except DomainError as exc:
        typer.echo(f"{exc.message}\n[{exc.code}]", err=True)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    console.print(f"{file}: strategy {strategy.name} v{strategy.version} is valid "
                  f"({len(strategy.segments)} segments)")


@strategy_app.command("show")
def show(name: Annotated[str, typer.Argument(help="Built-in name or YAML file.")] = "humane",
         ) -> None:
    """The ladder of each segment, as a table."""
    with clear_errors():
        _, strategy = resolve(name)
    for seg in strategy.segments:
        table = Table(title=f"{strategy.name} v{strategy.version} — segment {seg.id}")
        for col in ("day", "step", "action", "channel", "at"):
            table.add_column(col)
        for step in seg.ladder:
            day = f"D{step.day:+d}" if step.day else "D"
            table.add_row(day, step.id, step.kind.value, step.channel or "internal",
                          step.at.isoformat("minutes"))
        console.print(table)
