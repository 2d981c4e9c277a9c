"""Dependencies as ``Annotated`` aliases: the services (the wired book, the configured
origination, how commands run), the idempotency key and the reply language."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, TypeVar

from anyio import CapacityLimiter, to_thread
from fastapi import Depends, Header, Path, Query, Request
from starlette.concurrency import run_in_threadpool

from dunwell.app.context import Dunwell
from dunwell.app.origination.service import Origination
from dunwell.core.errors import InvalidInput
from dunwell.core.ids import IDEMPOTENCY_KEY_MAX_LEN
from dunwell.core.limits import ID_MAX, ID_MIN

T = TypeVar("T")
#: Commands a server process runs at once on a database with many writers: the size of
#: the connection pool each process keeps (SQLAlchemy's default, 5, which the store's
#: engine keeps), so no command opens a connection the pool would close after it.
COMMANDS_AT_ONCE = 5
#: Of those, the credit decisions a process runs at once. A decision is mostly Python
#: (reading the application, scoring, sizing the line) around one read, one write and a
#: commit; five at once in one process mostly take turns holding the interpreter's lock,
#: each waiting up to its switch interval for the others. On PostgreSQL at 500 req/s
#: (``bench/origination_latency.py``, two workers; p99 over runs on one day): five at
#: once 16-37 ms (median 23, twelve runs), three 11-38 ms (median 19, nine runs), two
#: 10-152 ms (median 15, fourteen runs, but four above 30: with two places a process
#: waiting on slow commits, or given more than its share of the connections, falls
#: behind), one 36-59 ms.
DECISIONS_AT_ONCE = 3


class Runner:
    """Runs a command. SQLite has one writer: commands run one at a time on the event
    loop, which also spares a thread hop. Other databases use the thread pool, at most
    ``limit`` commands at once (the connection pool's size): a request beyond it waits
    here for a connection the pool keeps, instead of opening one the pool would close
    again after the command (a new database session costs the server more than the
    command). A command run as ``cpu_bound`` (a credit decision) also waits for one of
    ``cpu_limit`` places of its own, so no more than that many of them share the
    interpreter at once, and each still holds one of the ``limit`` places while it
    runs."""

    def __init__(self, *, inline: bool, limit: int | None = None,
                 cpu_limit: int | None = None) -> None:
        self.inline = inline
        self.limit = limit
        self.cpu_limit = cpu_limit
        self._limiter: CapacityLimiter | None = None
        self._cpu_limiter: CapacityLimiter | None = None

    async def __call__(self, command: Callable[[], T], *, cpu_bound: bool = False) -> T:
        if self.inline:
            return command()
        if self.limit is None:
            return await run_in_threadpool(command)
        if self._limiter is None:  # made inside the event loop that uses it
            self._limiter = CapacityLimiter(self.limit)
            self._cpu_limiter = CapacityLimiter(min(self.cpu_limit or self.limit, self.limit))
        if not cpu_bound:
            return await to_thread.run_sync(command, limiter=self._limiter)
        assert self._cpu_limiter is not None
        async with self._cpu_limiter:
            return await to_thread.run_sync(command, limiter=self._limiter)


@dataclass(frozen=True)
class Services:
    """What the routes use, wired once in ``create_app``."""

    dunwell: Dunwell
    origination: Origination
    run: Runner


async def _services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(_services)]


def utc_now() -> dt.datetime:
    """The wall clock, in UTC: routes read it here and pass it to the commands."""
    return dt.datetime.now(dt.UTC)

#: An id in a path: 1 to 2^63-1 (``dunwell.core.limits``); anything else is 422, so no
#: number beyond the database's 64-bit integers ever reaches a query.
IdPath = Annotated[int, Path(ge=ID_MIN, le=ID_MAX, description="An id, 1 to 2^63-1.")]
IdempotencyHeader = Annotated[str | None, Header(
    alias="Idempotency-Key", max_length=IDEMPOTENCY_KEY_MAX_LEN,
    description="The command's idempotency key (or idempotency_key in the body).")]
LangQuery = Annotated[str | None, Query(
    pattern=r"^(en|zh-CN)$", description="Language of reasons: en or zh-CN.")]


def idempotency_key(header: str | None, body: str | None) -> str:
    """The key from the header or the body; both given must agree."""
    if header and body and header != body:
        raise InvalidInput("the Idempotency-Key header and idempotency_key differ; send one",
                           code="idempotency_key_must_be_consistent", field="idempotency_key")
    key = header or body
    if not key:
        raise InvalidInput("send an Idempotency-Key header (or idempotency_key in the body) "
                           "so a retry cannot act twice", code="idempotency_key_must_be_present",
                           field="idempotency_key")
    return key
