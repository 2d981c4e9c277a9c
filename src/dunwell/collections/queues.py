"""Collector work queues: which collector calls whom, and when.

Tasks are taken in order of expected recovery (overdue balance × probability of
paying, :func:`p_pay_bps`), highest first; each gets the earliest free slot of
``call_minutes`` that lies inside both its permitted call window (from the guard)
and a collector's working hours, with the collector's daily capacity respected.
Ties go to the collector with the most capacity left, then by id. A call must
start and end inside both windows. What cannot be placed is returned with the reason.
"""

from __future__ import annotations

import datetime as dt
from bisect import insort
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from dunwell.collections.errors import QueueInputRejected

BPS: Final = 10_000
P_PAY_MIN_BPS: Final = 100
P_PAY_MAX_BPS: Final = 9_500
#: Base probability of paying by days past due: (highest DPD, basis points).
P_PAY_BY_DPD_BPS: Final = ((0, 8_000), (7, 6_000), (30, 4_000), (60, 2_500), (90, 1_500))
P_PAY_BEYOND_BPS: Final = 800
BROKEN_PROMISES_COUNTED_MAX: Final = 5
TASKS_MAX: Final = 50_000
COLLECTORS_MAX: Final = 1_000
CALL_MINUTES_MAX: Final = 120


def p_pay_bps(days_past_due: int, score: float | None, broken_promises: int) -> int:
    """Probability of paying in basis points, a stand-in until a risk model exists:
    a base by DPD (8000 up to D+0, 6000 to D+7, 4000 to D+30, 2500 to D+60, 1500 to
    D+90, 800 beyond), times ``2 × (1 − score)`` when scored (0.5 leaves it as is),
    times 0.7 for each broken promise (at most 5), kept within 100..9500."""
    base = next((bps for top, bps in P_PAY_BY_DPD_BPS if days_past_due <= top), P_PAY_BEYOND_BPS)
    if score is not None:
        score_bps = min(BPS, max(0, round(score * BPS)))
        base = base * 2 * (BPS - score_bps) // BPS
    for _ in range(min(max(broken_promises, 0), BROKEN_PROMISES_COUNTED_MAX)):
        base = base * 7 // 10
    return min(P_PAY_MAX_BPS, max(P_PAY_MIN_BPS, base))


@dataclass(frozen=True, slots=True)
class CallTask:
    task_id: str
    case_id: str
    balance_minor: int  # the overdue amount the call is about
    days_past_due: int
    risk_score: float | None
    broken_promises: int
    window_start: dt.time  # permitted, borrower-local
    window_end: dt.time

    @property
    def p_pay_bps(self) -> int:
        return p_pay_bps(self.days_past_due, self.risk_score, self.broken_promises)

    @property
    def expected_recovery_minor(self) -> int:
        return self.balance_minor * self.p_pay_bps // BPS


@dataclass(frozen=True, slots=True)
class Collector:
    collector_id: str
    capacity_calls_per_day: int
    shift_start: dt.time
    shift_end: dt.time


@dataclass(frozen=True, slots=True)
class QueuedCall:
    task: CallTask
    collector_id: str
    start: dt.time
    end: dt.time
    expected_recovery_minor: int


@dataclass(frozen=True, slots=True)
class UnassignedCall:
    task: CallTask
    reason: str


@dataclass(frozen=True, slots=True)
class QueuePlan:
    queues: dict[str, tuple[QueuedCall, ...]]  # by collector id, in start-time order
    unassigned: tuple[UnassignedCall, ...]  # in expected-recovery order


def _minutes(t: dt.time) -> int:
    return t.hour * 60 + t.minute


def _time(minutes: int) -> dt.time:
    return dt.time(minutes // 60, minutes % 60)


def _check(calls: Sequence[CallTask], collectors: Sequence[Collector], call_minutes: int) -> None:
    problems: list[str] = []
    if not 1 <= call_minutes <= CALL_MINUTES_MAX:
        problems.append(f"call_minutes must be 1..{CALL_MINUTES_MAX}, got {call_minutes}")
    if len(calls) > TASKS_MAX or len(collectors) > COLLECTORS_MAX:
        problems.append(f"at most {TASKS_MAX} calls and {COLLECTORS_MAX} collectors a run")
    if len({c.task_id for c in calls}) != len(calls):
        problems.append("task ids must be unique")
    if len({c.collector_id for c in collectors}) != len(collectors):
        problems.append("collector ids must be unique")
    problems += [
        f"call {c.task_id}: window_start must be before window_end"
        for c in calls if c.window_start >= c.window_end
    ]  # fmt: skip
    problems += [
        f"call {c.task_id}: balance_minor must not be negative"
        for c in calls if c.balance_minor < 0
    ]  # fmt: skip
    problems += [
        f"collector {c.collector_id}: shift_start must be before shift_end and capacity >= 0"
        for c in collectors
        if c.shift_start >= c.shift_end or c.capacity_calls_per_day < 0
    ]
    if problems:
        raise QueueInputRejected("; ".join(problems), problems=problems)


def _free_slot(booked: list[tuple[int, int]], lo: int, hi: int, length: int) -> int | None:
    """The earliest start in [lo, hi - length] not overlapping a booked interval."""
    start = lo
    for b_start, b_end in booked:
        if b_end <= start:
            continue
        if b_start >= start + length:
            break
        start = b_end
    return start if start + length <= hi else None


def build_queues(
    calls: Sequence[CallTask], collectors: Sequence[Collector], *, call_minutes: int = 10
) -> QueuePlan:
    """Assign calls to collectors; see the module docstring for the rules."""
    _check(calls, collectors, call_minutes)
    booked: dict[str, list[tuple[int, int]]] = {c.collector_id: [] for c in collectors}
    placed: dict[str, list[QueuedCall]] = {c.collector_id: [] for c in collectors}
    unassigned: list[UnassignedCall] = []
    ordered = sorted(calls, key=lambda c: (-c.expected_recovery_minor, -c.balance_minor, c.task_id))
    for task in ordered:
        w_lo, w_hi = _minutes(task.window_start), _minutes(task.window_end)
        best: tuple[int, int, str] | None = None
        overlapping: list[Collector] = []
        for collector in collectors:
            lo = max(w_lo, _minutes(collector.shift_start))
            hi = min(w_hi, _minutes(collector.shift_end))
            if hi - lo < call_minutes:
                continue
            overlapping.append(collector)
            left = collector.capacity_calls_per_day - len(booked[collector.collector_id])
            if left <= 0:
                continue
            start = _free_slot(booked[collector.collector_id], lo, hi, call_minutes)
            if start is not None:
                candidate = (start, -left, collector.collector_id)
                best = candidate if best is None or candidate < best else best
        if best is None:
            unassigned.append(UnassignedCall(task, _why(task, overlapping, booked, call_minutes)))
            continue
        start, _, collector_id = best
        insort(booked[collector_id], (start, start + call_minutes))
        placed[collector_id].append(
            QueuedCall(task, collector_id, _time(start), _time(start + call_minutes),
                       task.expected_recovery_minor)
        )  # fmt: skip
    queues = {cid: tuple(sorted(q, key=lambda c: c.start)) for cid, q in placed.items()}
    return QueuePlan(queues, tuple(unassigned))


def _why(
    task: CallTask,
    overlapping: list[Collector],
    booked: dict[str, list[tuple[int, int]]],
    call_minutes: int,
) -> str:
    window = f"{task.window_start:%H:%M}-{task.window_end:%H:%M}"
    if not overlapping:
        return f"no collector works {call_minutes} minutes inside the permitted window {window}"
    names = ", ".join(c.collector_id for c in overlapping)
    if all(len(booked[c.collector_id]) >= c.capacity_calls_per_day for c in overlapping):
        return f"every collector working in the permitted window {window} is at capacity ({names})"
    return f"no free {call_minutes}-minute slot left in the permitted window {window} ({names})"
