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
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, NoReturn

import typer
from pydantic import ValidationError
from rich.console import Console
from sqlalchemy import exc as db_errors
from sqlalchemy.engine import make_url

from dunwell.bootstrap import Dunwell, bootstrap
from dunwell.core.errors import DomainError, InvalidInput, RetryLater
from dunwell.settings import Settings

#: Invalid input: fix it and run again.
EXIT_BAD_INPUT = 2
#: A temporary failure (sysexits' EX_TEMPFAIL): nothing changed; run it again later.
EXIT_RETRY_LATER = 75
#: Seconds to wait for a PostgreSQL server to answer before exiting 75.
CONNECT_TIMEOUT_SECONDS = 10
#: The longest message printed from an underlying library's error.
CAUSE_CHARS_MAX = 300
#: Words of a database's refusal that retrying will not cure.
LOGIN_REFUSED = ("authentication failed", "does not exist", "no password supplied")

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
    """The wired book at ``db`` (or the configured one). An invalid URL exits 2 and an
    unreachable database 75, each with one line, wherever this is called; a PostgreSQL
    server that does not answer is given up after :data:`CONNECT_TIMEOUT_SECONDS`."""
    with clear_errors():
        settings = Settings()
        return bootstrap(settings, db_url=with_connect_timeout(db or settings.db_url))


def with_connect_timeout(url: str) -> str:
    """``url`` with a connection timeout when it names PostgreSQL and has none."""
    parsed = make_url(url)
    if not parsed.drivername.startswith("postgresql") or "connect_timeout" in parsed.query:
        return url
    return parsed.update_query_dict({"connect_timeout": str(CONNECT_TIMEOUT_SECONDS)}
                                    ).render_as_string(hide_password=False)


def _cause(exc: BaseException) -> str:
    """The first line of an underlying error, short enough for one line."""
    text = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    first = text[0] if text else type(exc).__name__
    return first[:CAUSE_CHARS_MAX]


def _fail(message: str, code: str, exit_code: int) -> NoReturn:
    typer.echo(f"error: {message} [{code}]", err=True)
    raise typer.Exit(exit_code)


@contextmanager
def clear_errors() -> Iterator[None]:
    """Turn an expected rejection into ``error: what and what to do [code]`` (exit 2),
    and the failures of files, numbers and the database into one such line too: exit 2
    for what the caller must fix, 75 for what will pass when retried later."""
    try:
        yield
    except DomainError as exc:
        _fail(exc.message, exc.code,
              EXIT_RETRY_LATER if isinstance(exc, RetryLater) else EXIT_BAD_INPUT)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0] if exc.error_count() else {}
        where = ".".join(str(p) for p in first.get("loc", ())) or exc.title
        _fail(f"{where}: {first.get('msg', 'is invalid')} (check the DUNWELL_ settings "
              "and the options given)", "settings_must_be_valid", EXIT_BAD_INPUT)
    except UnicodeDecodeError as exc:
        _fail(f"a file is not UTF-8 text (byte 0x{exc.object[exc.start]:02x} at offset "
              f"{exc.start}); save it as UTF-8 and run again", "file_must_be_utf8",
              EXIT_BAD_INPUT)
    except OverflowError:
        _fail("a number is beyond what Dunwell stores (ids are 1 to 9223372036854775807; "
              "amounts see docs/reliability.md); check the number",
              "number_must_be_within_limits", EXIT_BAD_INPUT)
    except (db_errors.ArgumentError, db_errors.NoSuchModuleError) as exc:
        _fail(f"the database URL is not valid ({_cause(exc)}); pass --db like "
              "sqlite:///var/dunwell.sqlite or postgresql+psycopg://user@host/db",
              "db_url_must_be_valid", EXIT_BAD_INPUT)
    except db_errors.DataError as exc:
        _fail(f"the database refused a value: {_cause(exc)}; check the numbers given",
              "value_must_fit_database", EXIT_BAD_INPUT)
    except (db_errors.OperationalError, db_errors.InterfaceError,
            db_errors.TimeoutError) as exc:
        cause = _cause(exc)
        if "unable to open database file" in cause:
            _fail(f"the SQLite file cannot be opened ({cause}); check the path in --db",
                  "db_url_must_be_valid", EXIT_BAD_INPUT)
        if "integer overflow" in cause:
            _fail("a sum in the book is beyond 64-bit integers: amounts beyond the limits "
                  "were stored before they were checked; see docs/reliability.md, \"Limits "
                  "and bad input\"", "stored_amounts_must_fit_int64", EXIT_BAD_INPUT)
        if any(hint in cause for hint in LOGIN_REFUSED):
            _fail(f"the database refused the login ({cause}); check the user, password and "
                  "database name in --db", "db_url_must_be_valid", EXIT_BAD_INPUT)
        _fail(f"the database is unreachable or busy ({cause}); nothing was changed, run "
              "the command again later", "database_must_be_reachable", EXIT_RETRY_LATER)
    except ImportError as exc:
        _fail(f"a module this needs is not installed ({_cause(exc)}); install it, or for "
              "--db use sqlite:/// or postgresql+psycopg://", "module_must_be_installed",
              EXIT_BAD_INPUT)
    except OSError as exc:
        if exc.filename is not None:
            _fail(f"cannot read {exc.filename}: {exc.strerror or exc}; check the path and "
                  "its permissions", "file_must_be_readable", EXIT_BAD_INPUT)
        _fail(f"a system resource is unavailable ({exc}); run the command again later",
              "system_must_be_available", EXIT_RETRY_LATER)
