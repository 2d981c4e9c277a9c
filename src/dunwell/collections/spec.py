"""The strategy YAML format, field for field, as Pydantic models that build a
:class:`~dunwell.collections.ladder.Strategy`. See docs/collections.md."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Final, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainValidator,
    Strict,
    StrictBool,
    StrictInt,
    StrictStr,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from dunwell.collections.ladder import Condition, Segment, Step, Strategy, parse_condition
from dunwell.collections.model import ActionKind
from dunwell.collections.vocabulary import CHANNELS, CONTENT_TAGS, FLAGS

DAY_MIN: Final = -30
DAY_MAX: Final = 720
REPEAT_EVERY_DAYS_MAX: Final = 90
MAX_TIMES_MAX: Final = 90
STEPS_MAX: Final = 64
SEGMENTS_MAX: Final = 32
_SLUG: Final = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
_HHMM: Final = re.compile(r"([01]\d|2[0-3]):([0-5]\d)")
_KINDS: Final = {kind.value: kind for kind in ActionKind}


def _slug(value: object) -> str:
    if not isinstance(value, str) or not _SLUG.fullmatch(value):
        raise PydanticCustomError(
            "slug",
            "use 1-64 lower-case letters, digits, '_' or '-', starting with a letter or "
            "digit, got {got}",
            {"got": repr(value)},
        )
    return value


def _action_kind(value: object) -> ActionKind:
    kind = _KINDS.get(value) if isinstance(value, str) else None
    if kind is None:
        raise PydanticCustomError(
            "action_kind",
            "unknown action kind {got}; use one of {known}",
            {"got": repr(value), "known": ", ".join(_KINDS)},
        )
    return kind


def _local_time(value: object) -> dt.time:
    match = _HHMM.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise PydanticCustomError(
            "local_time",
            'write the local time quoted as "HH:MM", such as "10:00", got {got} '
            "(YAML reads an unquoted 10:00 as the number 600)",
            {"got": repr(value)},
        )
    return dt.time(int(match[1]), int(match[2]))


def _conditions(value: object) -> tuple[Condition, ...]:
    texts = [value] if isinstance(value, str) else value
    if not isinstance(texts, list) or not all(isinstance(t, str) for t in texts):
        raise PydanticCustomError(
            "requires", "write a condition or a list of conditions, got {got}", {"got": value}
        )
    try:
        return tuple(parse_condition(t) for t in texts)
    except ValueError as exc:
        raise PydanticCustomError("requires", str(exc)) from None


def _unknown(words: list[str], known: frozenset[str], what: str) -> list[str]:
    unknown = sorted(set(words) - known)
    if unknown:
        raise PydanticCustomError(
            "vocabulary",
            "unknown {what} {got}; use words from DESIGN.md §4",
            {"what": what, "got": ", ".join(unknown)},
        )
    return words


Slug = Annotated[str, PlainValidator(_slug)]
Score = Annotated[float, Strict(), Field(ge=0, le=1)]
Flags = list[StrictStr]


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class StepSpec(_Spec):
    id: Slug
    day: Annotated[StrictInt, Field(ge=DAY_MIN, le=DAY_MAX)]
    kind: Annotated[ActionKind, PlainValidator(_action_kind)]
    at: Annotated[dt.time, PlainValidator(_local_time)]
    repeat_every_days: Annotated[StrictInt, Field(ge=1, le=REPEAT_EVERY_DAYS_MAX)] | None = None
    max_times: Annotated[StrictInt, Field(ge=1, le=MAX_TIMES_MAX)] | None = None
    requires: Annotated[tuple[Condition, ...], PlainValidator(_conditions)] = ()
    channel: StrictStr | None = None
    content_tags: list[StrictStr] | None = None
    priority: Annotated[StrictInt, Field(ge=0, le=100)] | None = None
    description: StrictStr = ""

    @field_validator("channel")
    @classmethod
    def _channel_known(cls, value: str | None) -> str | None:
        if value is not None:
            _unknown([value], CHANNELS, "channel")
        return value

    @field_validator("content_tags")
    @classmethod
    def _tags_known(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else _unknown(value, CONTENT_TAGS, "content tag")

    @model_validator(mode="after")
    def _repeat_is_bounded(self) -> Self:
        if (self.repeat_every_days is None) != (self.max_times is None):
            raise PydanticCustomError(
                "repeat_bounded",
                "repeat_every_days and max_times go together: a repeat needs a limit "
                "and a limit needs a repeat",
            )
        return self

    def to_step(self) -> Step:
        defaults = self.kind.defaults
        return Step(
            id=self.id,
            day=self.day,
            kind=self.kind,
            at=self.at,
            channel=self.channel if self.channel is not None else defaults.channel,
            content_tags=tuple(
                self.content_tags if self.content_tags is not None else defaults.content_tags
            ),
            priority=self.priority if self.priority is not None else defaults.priority,
            repeat_every_days=self.repeat_every_days,
            max_times=self.max_times,
            requires=self.requires,
        )


class SegmentSpec(_Spec):
    id: Slug
    description: StrictStr = ""
    dpd: tuple[Annotated[StrictInt, Field(ge=DAY_MIN, le=DAY_MAX)], ...]
    score: tuple[Score, ...] | None = None
    unscored: StrictBool | None = None
    balance_minor: tuple[Annotated[StrictInt, Field(ge=0)] | None, ...] | None = None
    flags_required: Flags = []
    flags_any: Flags = []
    flags_excluded: Flags = []
    steps: Annotated[list[StepSpec], Field(min_length=1, max_length=STEPS_MAX)]

    @field_validator("dpd")
    @classmethod
    def _dpd_range(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        if len(value) != 2 or value[0] > value[1]:
            raise PydanticCustomError(
                "dpd_range", "write [min, max] with min <= max, got {got}", {"got": list(value)}
            )
        return value

    @field_validator("score")
    @classmethod
    def _score_band(cls, value: tuple[float, ...] | None) -> tuple[float, ...] | None:
        if value is not None and (len(value) != 2 or value[0] >= value[1]):
            raise PydanticCustomError(
                "score_band",
                "write [lo, hi) with 0 <= lo < hi <= 1, got {got}",
                {"got": list(value)},
            )
        return value

    @field_validator("balance_minor")
    @classmethod
    def _balance_range(cls, value: tuple[int | None, ...] | None) -> tuple[int | None, ...] | None:
        if value is None:
            return value
        lo, hi = value if len(value) == 2 else (None, None)
        if lo is None or (hi is not None and lo > hi):
            raise PydanticCustomError(
                "balance_range",
                "write [min, max] in minor units with min <= max (max may be null), got {got}",
                {"got": list(value)},
            )
        return value

    @field_validator("flags_required", "flags_any", "flags_excluded")
    @classmethod
    def _flags_known(cls, value: list[str]) -> list[str]:
        return _unknown(value, FLAGS, "flag")

    def to_segment(self) -> Segment:
        lo_balance, hi_balance = self.balance_minor or (0, None)
        return Segment(
            id=self.id,
            day_min=self.dpd[0],
            day_max=self.dpd[1],
            score_band=(self.score[0], self.score[1]) if self.score is not None else None,
            include_unscored=self.unscored if self.unscored is not None else self.score is None,
            balance_min_minor=lo_balance or 0,
            balance_max_minor=hi_balance,
            flags_required=frozenset(self.flags_required),
            flags_any=frozenset(self.flags_any),
            flags_excluded=frozenset(self.flags_excluded),
            steps=tuple(step.to_step() for step in self.steps),
        )


class StrategySpec(_Spec):
    name: Slug
    version: Annotated[StrictInt, Field(ge=1)]
    description: StrictStr = ""
    segments: Annotated[list[SegmentSpec], Field(min_length=1, max_length=SEGMENTS_MAX)]

    def to_strategy(self) -> Strategy:
        return Strategy(
            name=self.name,
            version=self.version,
            description=self.description,
            segments=tuple(segment.to_segment() for segment in self.segments),
        )
