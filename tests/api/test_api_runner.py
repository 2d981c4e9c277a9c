"""The server's command runner (``dunwell.api.deps.Runner``): on a database with many
writers, at most ``limit`` commands at once (the connection pool's size), and of
those at most ``cpu_limit`` credit decisions, which are mostly Python and would only
take turns holding the interpreter's lock."""

from __future__ import annotations

import asyncio
import threading
import time

from dunwell.api.deps import COMMANDS_AT_ONCE, DECISIONS_AT_ONCE, Runner


class _Gauge:
    """Counts the commands running at once, each holding on until released."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.now = 0
        self.most = 0
        self.release = threading.Event()

    def command(self) -> int:
        with self.lock:
            self.now += 1
            self.most = max(self.most, self.now)
        self.release.wait(5)
        with self.lock:
            self.now -= 1
        return 1


async def _run(runner: Runner, gauge: _Gauge, decisions: int, others: int) -> list[int]:
    calls = [runner(gauge.command, cpu_bound=True) for _ in range(decisions)]
    calls += [runner(gauge.command) for _ in range(others)]
    tasks = [asyncio.ensure_future(c) for c in calls]
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:  # until the runner has let in all it will
        await asyncio.sleep(0.05)
        if gauge.now == min(runner.limit or 0, decisions + others) or (
                not others and gauge.now == min(runner.cpu_limit or 0, decisions)):
            break
    await asyncio.sleep(0.1)  # and a moment more, for any it should not let in
    gauge.release.set()
    return list(await asyncio.gather(*tasks))


def _most(decisions: int, others: int) -> int:
    gauge = _Gauge()
    runner = Runner(inline=False, limit=COMMANDS_AT_ONCE, cpu_limit=DECISIONS_AT_ONCE)
    assert asyncio.run(_run(runner, gauge, decisions, others)) == [1] * (decisions + others)
    return gauge.most


def test_decisions_run_fewer_at_once_than_other_commands() -> None:
    assert 1 < DECISIONS_AT_ONCE < COMMANDS_AT_ONCE
    assert _most(decisions=6, others=0) == DECISIONS_AT_ONCE


def test_other_commands_run_as_many_as_the_pool_holds() -> None:
    assert _most(decisions=0, others=8) == COMMANDS_AT_ONCE


def test_decisions_hold_places_of_the_pool_too() -> None:
    assert _most(decisions=4, others=8) == COMMANDS_AT_ONCE
