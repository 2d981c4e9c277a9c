"""What every command shares: the app from settings, errors as one clear line."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
from rich.console import Console

from dunwell.app.bootstrap import Dunwell, bootstrap
from dunwell.core.errors import DomainError

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
