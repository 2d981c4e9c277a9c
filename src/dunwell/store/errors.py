"""The database's failures in words the edges can act on.

The command line and the API turn a failed database call into one clear line or one
error body; which failure it was (a URL that names no database, a value a column
cannot hold, a login refused, a database unreachable or busy...) depends on the
driver's exceptions and messages, which only the store knows. :func:`database_failure`
names it; each edge words it for its own audience.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import exc as db_errors
from sqlalchemy.engine import make_url

#: The exceptions :func:`database_failure` classifies.
DATABASE_ERRORS: tuple[type[Exception], ...] = (
    db_errors.ArgumentError, db_errors.NoSuchModuleError, db_errors.DataError,
    db_errors.OperationalError, db_errors.InterfaceError, db_errors.TimeoutError)
#: The longest cause quoted from the driver's message.
CAUSE_CHARS_MAX = 300
#: Words of a database's refusal that retrying will not cure.
LOGIN_REFUSED = ("authentication failed", "does not exist", "no password supplied")


class DbFailure(StrEnum):
    #: The URL cannot be parsed or names no installed driver: fix the URL.
    URL_INVALID = "url_invalid"
    #: A value does not fit its column: fix the input.
    VALUE_REFUSED = "value_refused"
    #: The SQLite file cannot be opened (a missing directory, no permission).
    FILE_UNOPENABLE = "file_unopenable"
    #: A sum in the book overflowed 64-bit integers (amounts stored beyond the limits).
    SUM_OVERFLOW = "sum_overflow"
    #: The server refused the login (user, password or database name).
    LOGIN_REFUSED = "login_refused"
    #: The database is unreachable or busy: nothing changed; retry later.
    UNAVAILABLE = "unavailable"

    @property
    def retry_later(self) -> bool:
        """Whether the same call may pass when made again later."""
        return self is DbFailure.UNAVAILABLE


@dataclass(frozen=True, slots=True)
class DatabaseFailure:
    failure: DbFailure
    #: The first line of the driver's message, at most :data:`CAUSE_CHARS_MAX` long.
    cause: str


def cause_of(exc: BaseException) -> str:
    """The first line of an underlying error, short enough for one line."""
    text = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    first = text[0] if text else type(exc).__name__
    return first[:CAUSE_CHARS_MAX]


def database_failure(exc: BaseException) -> DatabaseFailure | None:
    """Which failure ``exc`` is, or None when it is not one of :data:`DATABASE_ERRORS`."""
    if not isinstance(exc, DATABASE_ERRORS):
        return None
    cause = cause_of(exc)
    if isinstance(exc, db_errors.ArgumentError | db_errors.NoSuchModuleError):
        return DatabaseFailure(DbFailure.URL_INVALID, cause)
    if isinstance(exc, db_errors.DataError):
        return DatabaseFailure(DbFailure.VALUE_REFUSED, cause)
    return DatabaseFailure(_unavailable_kind(cause), cause)


def _unavailable_kind(cause: str) -> DbFailure:
    """An operational failure: most pass when retried, these few do not."""
    if "unable to open database file" in cause:
        return DbFailure.FILE_UNOPENABLE
    if "integer overflow" in cause:
        return DbFailure.SUM_OVERFLOW
    if any(hint in cause for hint in LOGIN_REFUSED):
        return DbFailure.LOGIN_REFUSED
    return DbFailure.UNAVAILABLE


def with_connect_timeout(url: str, seconds: int) -> str:
    """``url`` with a connection timeout of ``seconds`` when it names PostgreSQL and has
    none (an unparseable URL raises one of :data:`DATABASE_ERRORS`)."""
    parsed = make_url(url)
    if not parsed.drivername.startswith("postgresql") or "connect_timeout" in parsed.query:
        return url
    return parsed.update_query_dict({"connect_timeout": str(seconds)}
                                    ).render_as_string(hide_password=False)
