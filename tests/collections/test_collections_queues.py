"""Collector queues: ordered by expected recovery, within capacity and call windows."""

from __future__ import annotations

import datetime as dt

import pytest

from dunwell.collections.errors import QueueInputRejected
from dunwell.collections.queues import CallTask, Collector, build_queues, p_pay_bps

NINE, FIVE = dt.time(9), dt.time(17)


def task(
    task_id: str,
    balance_minor: int,
    dpd: int = 3,
    score: float | None = None,
    broken: int = 0,
    window: tuple[dt.time, dt.time] = (NINE, FIVE),
) -> CallTask:
    return CallTask(task_id, f"case-{task_id}", balance_minor, dpd, score, broken, *window)


def collector(
    collector_id: str, capacity: int, start: dt.time = NINE, end: dt.time = FIVE
) -> Collector:
    return Collector(collector_id, capacity, start, end)


@pytest.mark.parametrize(
    ("dpd", "score", "broken", "bps"),
    [
        (3, None, 0, 6_000),  # base for D+1..D+7
        (3, 0.5, 0, 6_000),  # a score of 0.5 leaves the base as it is
        (3, 0.9, 0, 1_200),  # 6000 x 2 x 0.1
        (0, 0.0, 0, 9_500),  # 8000 x 2, capped at 9500
        (45, None, 2, 1_225),  # 2500 x 0.7 x 0.7
        (120, None, 0, 800),
        (200, 0.99, 5, 100),  # floor
    ],
)
def test_p_pay_is_a_documented_heuristic(
    dpd: int, score: float | None, broken: int, bps: int
) -> None:
    assert p_pay_bps(dpd, score, broken) == bps


def test_expected_recovery_is_balance_times_p_pay() -> None:
    assert task("a", 100_000).expected_recovery_minor == 60_000
    assert task("b", 300_000, dpd=45).expected_recovery_minor == 75_000


def test_calls_are_queued_by_expected_recovery_highest_first() -> None:
    calls = [task("a", 100_000), task("b", 300_000, dpd=45), task("c", 50_000, score=0.2)]
    plan = build_queues(calls, [collector("x", 10)])
    queue = [
        (q.task.task_id, f"{q.start:%H:%M}", q.expected_recovery_minor) for q in plan.queues["x"]
    ]
    assert queue == [("b", "09:00", 75_000), ("a", "09:10", 60_000), ("c", "09:20", 47_500)]
    assert plan.unassigned == ()


def test_capacity_is_respected_and_the_lowest_value_call_is_left_over() -> None:
    calls = [
        task(name, balance)
        for name, balance in [("a", 40_000), ("b", 30_000), ("c", 20_000), ("d", 10_000)]
    ]
    plan = build_queues(calls, [collector("x", 2), collector("y", 1)])
    assert {cid: [q.task.task_id for q in queue] for cid, queue in plan.queues.items()} == {
        "x": ["a", "c"],
        "y": ["b"],
    }
    assert [(u.task.task_id, u.reason) for u in plan.unassigned] == [
        ("d", "every collector working in the permitted window 09:00-17:00 is at capacity (x, y)")
    ]


def test_a_call_goes_only_to_a_collector_working_inside_its_permitted_window() -> None:
    evening = task("evening", 90_000, window=(dt.time(18), dt.time(20)))
    edge = task("edge", 80_000, window=(dt.time(16, 55), dt.time(17, 5)))
    plan = build_queues([evening, edge], [collector("day", 10)])
    assert plan.queues["day"] == ()
    assert [(u.task.task_id, u.reason) for u in plan.unassigned] == [
        ("evening", "no collector works 10 minutes inside the permitted window 18:00-20:00"),
        ("edge", "no collector works 10 minutes inside the permitted window 16:55-17:05"),
    ]
    late = collector("late", 10, dt.time(16), dt.time(21))
    plan = build_queues([evening, edge], [collector("day", 10), late])
    assert [(q.task.task_id, f"{q.start:%H:%M}-{q.end:%H:%M}") for q in plan.queues["late"]] == [
        ("edge", "16:55-17:05"),
        ("evening", "18:00-18:10"),
    ]


def test_a_narrow_window_fills_up_before_the_collector_does() -> None:
    window = (dt.time(9), dt.time(9, 20))
    calls = [
        task(name, balance, window=window)
        for name, balance in [("a", 30_000), ("b", 20_000), ("c", 10_000)]
    ]
    plan = build_queues(calls, [collector("x", 40)])
    assert [(q.task.task_id, f"{q.start:%H:%M}") for q in plan.queues["x"]] == [
        ("a", "09:00"),
        ("b", "09:10"),
    ]
    assert [u.reason for u in plan.unassigned] == [
        "no free 10-minute slot left in the permitted window 09:00-09:20 (x)"
    ]


def test_a_call_fits_in_a_gap_between_booked_calls() -> None:
    early = task("early", 90_000, window=(dt.time(9), dt.time(9, 10)))
    late = task("late", 80_000, window=(dt.time(9, 20), dt.time(9, 30)))
    any_time = task("any", 10_000, window=(dt.time(9), dt.time(9, 30)))
    plan = build_queues([early, late, any_time], [collector("x", 3)])
    assert [(q.task.task_id, f"{q.start:%H:%M}") for q in plan.queues["x"]] == [
        ("early", "09:00"),
        ("any", "09:10"),
        ("late", "09:20"),
    ]


def test_inconsistent_input_is_rejected_with_every_problem() -> None:
    backwards = task("a", 1_000, window=(FIVE, NINE))
    with pytest.raises(QueueInputRejected) as caught:
        build_queues([backwards, task("a", 2_000)], [collector("x", -1)])
    assert caught.value.details["problems"] == [
        "task ids must be unique",
        "call a: window_start must be before window_end",
        "collector x: shift_start must be before shift_end and capacity >= 0",
    ]
