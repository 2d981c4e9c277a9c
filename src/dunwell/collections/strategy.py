"""Collection strategies as data: :func:`load_strategy` reads one YAML document,
reporting every problem at once with its path; :func:`builtin_strategies` loads the
ones shipped in ``dunwell/collections/strategies/*.yaml``. The format is described in
docs/collections.md."""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Final

import yaml  # type: ignore[import-untyped, unused-ignore]
from pydantic import ValidationError

from dunwell.collections.checks import strategy_problems
from dunwell.collections.coverage import CoverageGap, coverage_gaps
from dunwell.collections.errors import StrategyRejected
from dunwell.collections.ladder import Condition, Segment, Step, Strategy
from dunwell.collections.spec import StrategySpec

__all__ = [
    "Condition",
    "CoverageGap",
    "Segment",
    "Step",
    "Strategy",
    "builtin_strategies",
    "coverage_gaps",
    "load_strategy",
]

STRATEGIES_PACKAGE: Final = "dunwell.collections"
STRATEGIES_DIR: Final = "strategies"
STRATEGY_TEXT_MAX_CHARS: Final = 200_000


def _path(loc: tuple[int | str, ...]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


def _spec_problems(exc: ValidationError) -> list[str]:
    lines: list[str] = []
    for error in exc.errors(include_url=False):
        where = _path(tuple(error["loc"]))
        if error["type"] == "missing":
            lines.append(f"{where}: is required")
        elif error["type"] == "extra_forbidden":
            lines.append(f"{where}: is not a strategy field; remove it or check its spelling")
        else:
            lines.append(f"{where}: {error['msg']}" if where else error["msg"])
    return lines


def _reject(data: object, problems: list[str]) -> StrategyRejected:
    name = data.get("name") if isinstance(data, dict) else None
    which = f"strategy {name!r}" if isinstance(name, str) else "strategy"
    return StrategyRejected(
        f"{which} is invalid: " + "; ".join(problems) + "; fix these in its YAML",
        problems=problems,
    )


def load_strategy(text: str) -> Strategy:
    """Parse one strategy YAML document.

    Raises :class:`~dunwell.collections.errors.StrategyRejected` (an ``InvalidInput``,
    code ``strategy_must_be_valid``, or ``strategy_yaml_must_parse``) whose message and
    ``details["problems"]`` name every problem with its path.
    """
    if len(text) > STRATEGY_TEXT_MAX_CHARS:
        raise StrategyRejected(
            f"strategy YAML is longer than {STRATEGY_TEXT_MAX_CHARS} characters; split it",
            code="strategy_yaml_must_parse",
        )
    try:
        data: object = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise StrategyRejected(
            f"strategy YAML does not parse ({exc}); check the indentation and quoting",
            code="strategy_yaml_must_parse",
        ) from None
    if not isinstance(data, dict):
        raise StrategyRejected(
            "strategy YAML must be a mapping with name, version and segments",
            code="strategy_yaml_must_parse",
        )
    try:
        spec = StrategySpec.model_validate(data)
    except ValidationError as exc:
        raise _reject(data, _spec_problems(exc)) from None
    strategy = spec.to_strategy()
    problems = strategy_problems(strategy)
    if problems:
        raise _reject(data, problems)
    return strategy


def builtin_strategies() -> dict[str, Strategy]:
    """The strategies shipped with Dunwell, by name (``humane`` is the default); read
    and checked once (strategies are immutable values; the daily collection run asks
    for them every day)."""
    return dict(_builtin_strategies())


@cache
def _builtin_strategies() -> dict[str, Strategy]:
    folder = resources.files(STRATEGIES_PACKAGE).joinpath(STRATEGIES_DIR)
    strategies: dict[str, Strategy] = {}
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".yaml"):
            continue
        strategy = load_strategy(entry.read_text(encoding="utf-8"))
        if strategy.name in strategies:
            raise StrategyRejected(
                f"two built-in strategies share the name {strategy.name!r}; rename one",
                code="strategy_name_must_be_unique",
            )
        strategies[strategy.name] = strategy
    return strategies
