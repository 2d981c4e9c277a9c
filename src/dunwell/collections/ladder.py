"""A loaded strategy as plain data: segments that match cases, each with a ladder of
steps counted in days from the due date (negative before it)."""

from __future__ import annotations

import datetime as dt
import operator
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Final

from dunwell.collections.model import ActionKind

METRICS: Final = ("no_contact_days", "broken_promises", "days_past_due")
_OPERATORS: Final[dict[str, Callable[[int, int], bool]]] = {
    ">=": operator.ge, "<=": operator.le, ">": operator.gt, "<": operator.lt, "==": operator.eq,
}  # fmt: skip
_CONDITION: Final = re.compile(r"\s*([a-z_]+)\s*(>=|<=|==|>|<)\s*(-?\d{1,6})\s*")


@dataclass(frozen=True, slots=True)
class Condition:
    """``metric op value``, for example ``no_contact_days >= 14``."""

    metric: str
    op: str
    value: int

    def holds(self, metrics: Mapping[str, int]) -> bool:
        return _OPERATORS[self.op](metrics[self.metric], self.value)

    def __str__(self) -> str:
        return f"{self.metric} {self.op} {self.value}"


def parse_condition(text: str) -> Condition:
    """Read ``metric op integer``; raises ValueError saying what is accepted."""
    match = _CONDITION.fullmatch(text)
    if match is None:
        raise ValueError(
            f"cannot read condition {text!r}; write 'metric op integer' such as "
            "'no_contact_days >= 14'"
        )
    metric, op, value = match.groups()
    if metric not in METRICS:
        raise ValueError(f"unknown metric {metric!r} in {text!r}; use one of {', '.join(METRICS)}")
    return Condition(metric, op, int(value))


@dataclass(frozen=True, slots=True)
class Step:
    id: str
    day: int  # days from the due date: -3 is D-3, 0 the due day, 7 is D+7
    kind: ActionKind
    at: dt.time  # borrower-local time to plan it for
    channel: str | None
    content_tags: tuple[str, ...]
    priority: int
    repeat_every_days: int | None = None
    max_times: int | None = None
    requires: tuple[Condition, ...] = ()

    @property
    def times(self) -> int:
        return self.max_times if self.max_times is not None else 1

    @property
    def last_day(self) -> int:
        """The day of the last occurrence."""
        return self.day + (self.times - 1) * (self.repeat_every_days or 0)

    def same_step_as(self, other: Step) -> bool:
        """Steps sharing an id in different segments must count the same way."""
        return (self.day, self.kind, self.repeat_every_days, self.max_times) == (
            other.day, other.kind, other.repeat_every_days, other.max_times,
        )  # fmt: skip


@dataclass(frozen=True, slots=True)
class Segment:
    """Which cases this ladder serves. Days are inclusive; the score band is
    ``lo <= score < hi`` (``hi`` = 1 includes 1); balances are inclusive minor units of
    the outstanding balance; flags: all of ``flags_required``, at least one of
    ``flags_any`` when given, none of ``flags_excluded``."""

    id: str
    day_min: int
    day_max: int
    score_band: tuple[float, float] | None
    include_unscored: bool
    balance_min_minor: int
    balance_max_minor: int | None
    flags_required: frozenset[str]
    flags_any: frozenset[str]
    flags_excluded: frozenset[str]
    steps: tuple[Step, ...]  # as written

    @property
    def ladder(self) -> tuple[Step, ...]:
        """The steps ordered by day, then as written."""
        return tuple(sorted(self.steps, key=lambda step: step.day))

    def matches_day(self, day: int) -> bool:
        return self.day_min <= day <= self.day_max

    def matches_score(self, score: float | None) -> bool:
        if score is None:
            return self.include_unscored
        if self.score_band is None:
            return True
        lo, hi = self.score_band
        return lo <= score < hi or (hi >= 1 and score == hi)

    def matches_balance(self, balance_minor: int) -> bool:
        top = self.balance_max_minor
        return self.balance_min_minor <= balance_minor and (top is None or balance_minor <= top)

    def matches_flags(self, flags: frozenset[str]) -> bool:
        return (
            self.flags_required <= flags
            and not (self.flags_excluded & flags)
            and (not self.flags_any or bool(self.flags_any & flags))
        )

    def matches(
        self, *, day: int, score: float | None, balance_minor: int, flags: frozenset[str]
    ) -> bool:
        return (
            self.matches_day(day)
            and self.matches_score(score)
            and self.matches_balance(balance_minor)
            and self.matches_flags(flags)
        )


@dataclass(frozen=True, slots=True)
class Strategy:
    name: str
    version: int
    description: str
    segments: tuple[Segment, ...]

    def segment_for(
        self, *, day: int, score: float | None, balance_minor: int, flags: frozenset[str]
    ) -> Segment | None:
        """The one segment serving such a case (loading rejects overlaps), or None."""
        for segment in self.segments:
            if segment.matches(day=day, score=score, balance_minor=balance_minor, flags=flags):
                return segment
        return None

    @property
    def label(self) -> str:
        return f"{self.name} v{self.version}"
