"""Dependencies as ``Annotated`` aliases: the services (the wired book, the configured
origination, how commands run), the idempotency key and the reply language."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, TypeVar

from fastapi import Depends, Header, Path, Query, Request
from starlette.concurrency import run_in_threadpool

from dunwell.app.context import Dunwell
from dunwell.app.origination.service import Origination
from dunwell.core.errors import InvalidInput
from dunwell.core.limits import ID_MAX, ID_MIN

T = TypeVar("T")


class Runner:
    """Runs a command. SQLite has one writer: commands run one at a time on the event
    loop, which also spares a thread hop. Other databases use the thread pool."""

    def __init__(self, *, inline: bool) -> None:
        self.inline = inline

    async def __call__(self, command: Callable[[], T]) -> T:
        if self.inline:
            return command()
        return await run_in_threadpool(command)


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
    alias="Idempotency-Key", max_length=128,
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
