"""Roles and the signed-in principal."""

from __future__ import annotations

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
