"""Typed, coded rejections.

Every expected rejection in Dunwell is a :class:`DomainError` with a stable ``code``
named in positive space (what must hold), a human message saying what was wrong and
what to do, and optional structured ``details``. Shells map codes to exit codes or
HTTP statuses in one place; ``assert`` is kept for programmer errors only.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class DomainError(Exception):
    """An expected rejection: nothing was changed."""

    code: str = "domain_rule_must_hold"

    def __init__(self, message: str, *, code: str | None = None, **details: Any) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code
        self.message = message
        self.details: Mapping[str, Any] = details

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


class InvalidInput(DomainError):
    """The caller sent something malformed or out of range."""

    code = "input_must_be_valid"


class NotFound(DomainError):
    """A referenced object does not exist."""

    code = "referenced_object_must_exist"


class Conflict(DomainError):
    """The request conflicts with the current state (e.g. a closed loan)."""

    code = "state_must_allow_operation"


class RetryLater(DomainError):
    """Nothing was changed because something else held what the command needs (the
    loan, the book's close of business); the same command, sent again later with the
    same idempotency key, will go through. The CLI exits 75, the API answers 503 with
    ``Retry-After``."""

    code = "command_must_be_retried_later"


class Unauthenticated(DomainError):
    """No valid credentials (HTTP 401): sign in, or send a valid token."""

    code = "credentials_must_be_valid"


class Forbidden(DomainError):
    """Valid credentials, but the role or the object is not this user's (HTTP 403)."""

    code = "permission_must_be_granted"
