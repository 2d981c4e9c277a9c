"""Checks across a strategy that no single field can make: duplicate ids, steps that
can never be due, and segments that could both claim the same case. Each problem is
a line ``path: what is wrong``, paths as written (``segments[1].steps[0].day``)."""

from __future__ import annotations

from dunwell.collections.ladder import Segment, Step, Strategy


def strategy_problems(strategy: Strategy) -> list[str]:
    problems: list[str] = []
    seen_segments: dict[str, int] = {}
    first_step: dict[str, tuple[str, Step]] = {}
    for s, segment in enumerate(strategy.segments):
        where = f"segments[{s}]"
        if segment.id in seen_segments:
            problems.append(
                f"{where}.id: duplicate segment id {segment.id!r} "
                f"(also segments[{seen_segments[segment.id]}])"
            )
        seen_segments.setdefault(segment.id, s)
        problems += _step_problems(where, segment, first_step)
    for s, segment in enumerate(strategy.segments):
        for o in range(s):
            witness = overlap_witness(strategy.segments[o], segment)
            if witness is not None:
                problems.append(
                    f"segments[{s}]: overlaps segments[{o}] ({strategy.segments[o].id!r}): "
                    f"{witness} matches both; narrow one of them"
                )
    return problems


def _step_problems(
    where: str, segment: Segment, first_step: dict[str, tuple[str, Step]]
) -> list[str]:
    problems: list[str] = []
    seen: dict[str, int] = {}
    enders = [step for step in segment.steps if step.kind.ends_ladder]
    end = min(enders, key=lambda step: step.day) if enders else None
    for i, step in enumerate(segment.steps):
        path = f"{where}.steps[{i}]"
        if step.id in seen:
            problems.append(
                f"{path}.id: duplicate step id {step.id!r} (also {where}.steps[{seen[step.id]}])"
            )
        seen.setdefault(step.id, i)
        earlier = first_step.get(step.id)
        if earlier is not None and earlier[0] != where and not earlier[1].same_step_as(step):
            problems.append(
                f"{path}.id: step id {step.id!r} means a different step in {earlier[0]}; "
                "a shared id must have the same day, kind and repeats"
            )
        first_step.setdefault(step.id, (where, step))
        if not segment.matches_day(step.day):
            problems.append(
                f"{path}.day: day {step.day} is outside the segment's dpd range "
                f"[{segment.day_min}, {segment.day_max}], so the step is never due"
            )
        elif end is not None and step.day > end.day:
            problems.append(
                f"{path}.day: day {step.day} comes after {end.id!r} ({end.kind.value} on day "
                f"{end.day}), which ends the ladder, so the step is never due"
            )
    return problems


def overlap_witness(a: Segment, b: Segment) -> str | None:
    """A case both segments match, described, or None when they are disjoint."""
    day = max(a.day_min, b.day_min)
    if day > min(a.day_max, b.day_max):
        return None
    score = _score_witness(a, b)
    balance = max(a.balance_min_minor, b.balance_min_minor)
    tops = [t for t in (a.balance_max_minor, b.balance_max_minor) if t is not None]
    if score is None or (tops and balance > min(tops)):
        return None
    flags = _flags_witness(a, b)
    if flags is None:
        return None
    flag_text = ", ".join(sorted(flags)) or "none"
    return f"a case on day {day} with score {score}, balance {balance} and flags [{flag_text}]"


def _score_witness(a: Segment, b: Segment) -> str | None:
    if a.include_unscored and b.include_unscored:
        return "unscored"
    lo_a, hi_a = a.score_band or (0.0, 1.0)
    lo_b, hi_b = b.score_band or (0.0, 1.0)
    lo = max(lo_a, lo_b)
    return repr(lo) if lo < min(hi_a, hi_b) else None


def _flags_witness(a: Segment, b: Segment) -> frozenset[str] | None:
    required = a.flags_required | b.flags_required
    excluded = a.flags_excluded | b.flags_excluded
    if required & excluded:
        return None
    picked = set(required)
    for any_of in (a.flags_any, b.flags_any):
        if not any_of:
            continue
        if any_of & picked:
            continue
        usable = sorted(any_of - excluded)
        if not usable:
            return None
        picked.add(usable[0])
    return frozenset(picked)
