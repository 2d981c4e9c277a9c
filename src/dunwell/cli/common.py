"""What every command shares: the app from settings, errors as one clear line.

Exit codes (docs/reliability.md, "Limits and bad input"):

- ``0`` done; ``1`` a check ran and found something (``book verify``);
- ``2`` invalid input: a rejection, a bad option, an unreadable or non-UTF-8 file, an
  invalid database URL, a number beyond the limits — fix the input, do not retry;
- ``75`` temporary failure (``EX_TEMPFAIL``): the database is unreachable or busy, or
  something else held what the command needs — nothing was changed; run the same
  command again later.

Every such failure prints one line on standard error, ``error: what and what to do
[code]``, never a traceback.
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer
from pydantic import ValidationError
from rich.console import Console

from dunwell.core.errors import DomainError, InvalidInput, RetryLater

if TYPE_CHECKING:
    # The composition root (and the database layer under it) is imported when a command
    # first needs it, so that a command line that only parses or prints help starts fast.
    from dunwell.bootstrap import DatabaseFailure, Dunwell

#: Invalid input: fix it and run again.
EXIT_BAD_INPUT = 2
#: A temporary failure (sysexits' EX_TEMPFAIL): nothing changed; run it again later.
EXIT_RETRY_LATER = 75
#: Seconds to wait for a PostgreSQL server to answer before exiting 75.
CONNECT_TIMEOUT_SECONDS = 10
#: The longest message printed from an underlying library's error.
CAUSE_CHARS_MAX = 300
#: What each database failure (a ``DbFailure``) says, and its code ({cause}: the driver's
#: first line).
DATABASE_WORDS: dict[str, tuple[str, str]] = {
    "url_invalid": (
        "the database URL is not valid ({cause}); pass --db like sqlite:///var/dunwell.sqlite "
        "or postgresql+psycopg://user@host/db", "db_url_must_be_valid"),
    "value_refused": (
        "the database refused a value: {cause}; check the numbers given",
        "value_must_fit_database"),
    "file_unopenable": (
        "the SQLite file cannot be opened ({cause}); check the path in --db",
        "db_url_must_be_valid"),
    "sum_overflow": (
        "a sum in the book is beyond 64-bit integers: amounts beyond the limits were stored "
        "before they were checked; see docs/reliability.md, \"Limits and bad input\"",
        "stored_amounts_must_fit_int64"),
    "login_refused": (
        "the database refused the login ({cause}); check the user, password and database "
        "name in --db", "db_url_must_be_valid"),
    "unavailable": (
        "the database is unreachable or busy ({cause}); nothing was changed, run the "
        "command again later", "database_must_be_reachable"),
}
DbOption = Annotated[
    str | None,
    typer.Option("--db", metavar="URL", help="Database URL (default: DUNWELL_DB_URL or "
                 "the embedded SQLite file var/dunwell.sqlite)."),
]


console = Console()


@dataclass(frozen=True, slots=True)
class Failure:
    """One failure as the command line reports it."""

    message: str
    code: str
    exit_code: int


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
    """The wired book at ``db`` (or the configured one). An invalid URL exits 2 and an
    unreachable database 75, each with one line, wherever this is called; a PostgreSQL
    server that does not answer is given up after :data:`CONNECT_TIMEOUT_SECONDS`."""
    from dunwell.bootstrap import bootstrap
    from dunwell.settings import Settings

    with clear_errors():
        settings = Settings()
        return bootstrap(settings, db_url=with_connect_timeout(db or settings.db_url))


def with_connect_timeout(url: str) -> str:
    """``url`` with a connection timeout when it names PostgreSQL and has none."""
    from dunwell.bootstrap import with_connect_timeout as with_timeout

    return with_timeout(url, CONNECT_TIMEOUT_SECONDS)


def _cause(exc: BaseException) -> str:
    """The first line of an underlying error, short enough for one line."""
    text = str(exc).strip().splitlines()
    first = text[0] if text else type(exc).__name__
    return first[:CAUSE_CHARS_MAX]


def _fail(failure: Failure) -> NoReturn:
    typer.echo(f"error: {failure.message} [{failure.code}]", err=True)
    raise typer.Exit(failure.exit_code)


@contextmanager
def clear_errors() -> Iterator[None]:
    """Turn an expected rejection into ``error: what and what to do [code]`` (exit 2),
    and the failures of files, numbers and the database into one such line too: exit 2
    for what the caller must fix, 75 for what will pass when retried later. Anything
    :func:`explain` does not know goes on as it was: a bug shows as one."""
    try:
        yield
    except Exception as exc:
        failure = explain(exc)
        if failure is None:
            raise
        _fail(failure)


def explain(exc: BaseException) -> Failure | None:
    """How the command line reports ``exc``, or None when it is not an expected failure
    (a bug, which shows as one)."""
    if isinstance(exc, DomainError):
        return Failure(exc.message, exc.code,
                       EXIT_RETRY_LATER if isinstance(exc, RetryLater) else EXIT_BAD_INPUT)
    if isinstance(exc, ValidationError):
        return invalid_settings(exc)
    if isinstance(exc, UnicodeDecodeError):
        return Failure(f"a file is not UTF-8 text (byte 0x{exc.object[exc.start]:02x} at "
                       f"offset {exc.start}); save it as UTF-8 and run again",
                       "file_must_be_utf8", EXIT_BAD_INPUT)
    if isinstance(exc, OverflowError):
        return Failure("a number is beyond what Dunwell stores (ids are 1 to "
                       "9223372036854775807; amounts see docs/reliability.md); check the number",
                       "number_must_be_within_limits", EXIT_BAD_INPUT)
    failure = database_failure(exc)
    if failure is not None:
        return database_failed(failure)
    if isinstance(exc, ImportError):
        return Failure(f"a module this needs is not installed ({_cause(exc)}); install it, "
                       "or for --db use sqlite:/// or postgresql+psycopg://",
                       "module_must_be_installed", EXIT_BAD_INPUT)
    if isinstance(exc, OSError):
        return system_failed(exc)
    return None


def database_failure(exc: BaseException) -> DatabaseFailure | None:
    """Which database failure ``exc`` is, if any. Without SQLAlchemy imported no database
    was called, so nothing can be one (and the database layer need not be imported)."""
    if "sqlalchemy" not in sys.modules:
        return None
    from dunwell.bootstrap import database_failure as classify

    return classify(exc)


def invalid_settings(exc: ValidationError) -> Failure:
    """The first problem of settings or options that do not validate."""
    problems = exc.errors(include_url=False)
    where, what = exc.title, "is invalid"
    if problems:
        where = ".".join(str(p) for p in problems[0]["loc"]) or where
        what = problems[0]["msg"]
    return Failure(f"{where}: {what} (check the DUNWELL_ settings and the options given)",
                   "settings_must_be_valid", EXIT_BAD_INPUT)


def database_failed(failure: DatabaseFailure) -> Failure:
    """A database failure in the command line's words: retry later, or fix the input."""
    words, code = DATABASE_WORDS[failure.failure]
    return Failure(words.format(cause=failure.cause), code,
                   EXIT_RETRY_LATER if failure.failure.retry_later else EXIT_BAD_INPUT)


def system_failed(exc: OSError) -> Failure:
    """A file that cannot be read (fix the path), or the system out of a resource."""
    if exc.filename is not None:
        return Failure(f"cannot read {exc.filename}: {exc.strerror or exc}; check the path "
                       "and its permissions", "file_must_be_readable", EXIT_BAD_INPUT)
    return Failure(f"a system resource is unavailable ({exc}); run the command again later",
                   "system_must_be_available", EXIT_RETRY_LATER)
