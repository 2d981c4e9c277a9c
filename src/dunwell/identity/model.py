"""Roles and the signed-in principal; users, API tokens, web sessions and one-time
sign-in codes as the store keeps them (hashes, never secrets)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    """Who a user is to the lender. docs/security.md has the matrix of what each may do."""

    BORROWER = "borrower"
    COLLECTOR = "collector"
    FIELD_AGENT = "field_agent"
    TEAM_LEAD = "team_lead"
    MANAGER = "manager"
    RISK_ANALYST = "risk_analyst"
    COMPLIANCE_OFFICER = "compliance_officer"
    LEGAL_COUNSEL = "legal_counsel"
    ADMIN = "admin"


#: Every role but the borrower's.
STAFF_ROLES = frozenset(Role) - {Role.BORROWER}


@dataclass(frozen=True, slots=True)
class Principal:
    """The signed-in user a request acts as.

    ``borrower_id`` is set for a borrower (the only loans, letters and cases they
    see); ``staff_id`` for staff (the id cases, call queues and field visits are
    assigned to). ``authority_minor`` caps what this user may approve (waivers,
    write-offs, legal costs) in minor units; ``None`` means the role's own limit."""

    user_id: int
    name: str
    role: Role
    borrower_id: int | None = None
    staff_id: str | None = None
    authority_minor: int | None = None
    #: How the request proved who it is: "token" (API) or "session" (web cookie).
    via: str = "token"

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES


@dataclass(frozen=True, slots=True)
class User:
    """Someone who may sign in: staff with a role, or a borrower (``borrower_id`` set).

    ``has_password`` says whether password sign-in is possible; a user without one
    uses API tokens only (or, for a borrower, one-time codes). A disabled user
    (``active`` false) can do nothing: their tokens and sessions stop working."""

    user_id: int
    name: str
    role: Role
    active: bool
    created_at: dt.datetime
    has_password: bool = False
    staff_id: str | None = None
    borrower_id: int | None = None
    authority_minor: int | None = None

    def principal(self, *, via: str) -> Principal:
        """The principal a request of this user acts as."""
        return Principal(user_id=self.user_id, name=self.name, role=self.role,
                         borrower_id=self.borrower_id, staff_id=self.staff_id,
                         authority_minor=self.authority_minor, via=via)


@dataclass(frozen=True, slots=True)
class ApiToken:
    """An API token as stored: never the secret, only its hash (and the ``prefix``
    people recognise it by: ``dw_<token_id>_`` and the secret's first characters)."""

    token_id: int
    user_id: int
    label: str
    prefix: str
    created_at: dt.datetime
    expires_at: dt.datetime
    revoked_at: dt.datetime | None = None
    last_used_at: dt.datetime | None = None

    def usable_at(self, at: dt.datetime) -> bool:
        return self.revoked_at is None and at < self.expires_at


@dataclass(frozen=True, slots=True)
class WebSession:
    """A browser session: the cookie carries a random id (stored hashed); unsafe
    requests must also carry the session's CSRF token (stored hashed too)."""

    session_hash: str
    user_id: int
    csrf_hash: str
    created_at: dt.datetime
    expires_at: dt.datetime
    revoked_at: dt.datetime | None = None

    def usable_at(self, at: dt.datetime) -> bool:
        return self.revoked_at is None and at < self.expires_at


@dataclass(frozen=True, slots=True)
class OneTimeCode:
    """A sign-in code sent to a borrower's phone: only its hash is kept."""

    code_id: int
    borrower_id: int
    code_hash: str
    created_at: dt.datetime
    expires_at: dt.datetime
    attempts: int = 0
    used_at: dt.datetime | None = None
