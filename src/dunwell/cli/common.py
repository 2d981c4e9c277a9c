"""What every command shares: the app from settings, errors as one clear line."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
from rich.console import Console

from dunwell.app.bootstrap import Dunwell, bootstrap
from dunwell.core.errors import DomainError, InvalidInput

EXIT_BAD_INPUT = 2

DbOption = Annotated[
    str | None,
    typer.Option("--db", metavar="URL", help="Database URL (default: DUNWELL_DB_URL or "
                 "the embedded SQLite file var/dunwell.sqlite)."),
]

console = Console()


def now() -> dt.datetime:
    """The wall clock, in UTC: commands read it here and pass it inwards."""
    return dt.datetime.now(dt.UTC)


def parse_aware(text: str, field: str) -> dt.datetime:
    """A timestamp typed on the command line, which must carry its UTC offset."""
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"{field} must be an ISO timestamp like 2025-03-01T10:00:00+08:00",
                           code="timestamp_must_be_iso") from None
    if value.tzinfo is None:
        raise InvalidInput(f"{field} must carry an offset, like +08:00",
                           code="timestamp_must_carry_offset")
    return value


def app_for(db: str | None) -> Dunwell:
    return bootstrap(db_url=db)


@contextmanager
def clear_errors() -> Iterator[None]:
    """Turn an expected rejection into ``error: what and what to do [code]``, exit 2."""
    try:
        yield
    except DomainError as exc:
        typer.echo(f"error: {exc.message} [{exc.code}]", err=True)
        raise typer.Exit(EXIT_BAD_INPUT) from None
