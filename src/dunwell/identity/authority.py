"""Authority: how much each role may approve, which approval level it holds, and
maker-checker.

Three matters carry an amount someone approves:

- ``waiver``: what a repayment offer forgives. Offers name the approval level they
  need (negotiation's ``approvals.toml``: collector < field_agent < team_lead <
  manager < risk_committee, each with an absolute and a relative limit); a user
  approves at the level of their role (:data:`APPROVAL_LEVEL`). A risk analyst acts
  for the risk committee: the committee has no users of its own, and the analysts
  who sit on it approve in its name.
- ``write_off``: the total a write-off charges off one loan.
- ``legal_cost``: the cost of one legal case event (a filing fee, a lawyer's bill).

Each role's default limit for write-offs and legal costs is :data:`LIMITS_MAJOR`, in
major units of the book's currency (10,000 is 10,000.00 CNY or 10,000 JPY); ``None``
means unlimited, 0 means the role may not approve the matter at all. A user's own
``authority_minor`` (minor units of the book's currency) lowers their limit for every
matter, never raises it.

Maker-checker: whoever proposed or made a thing (a legal referral, an offer the
approver would accept for the borrower) may not also approve or check it.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from dunwell.core.errors import Forbidden
from dunwell.core.money import exponent_of, format_minor
from dunwell.identity.model import Principal, Role
from dunwell.negotiation.model import Role as ApprovalLevel


class Matter(StrEnum):
    WAIVER = "waiver"
    WRITE_OFF = "write_off"
    LEGAL_COST = "legal_cost"


#: The approval level (negotiation's roles) each identity role approves offers at.
APPROVAL_LEVEL: Mapping[Role, ApprovalLevel] = {
    Role.COLLECTOR: ApprovalLevel.COLLECTOR,
    Role.FIELD_AGENT: ApprovalLevel.FIELD_AGENT,
    Role.TEAM_LEAD: ApprovalLevel.TEAM_LEAD,
    Role.MANAGER: ApprovalLevel.MANAGER,
    Role.RISK_ANALYST: ApprovalLevel.RISK_COMMITTEE,  # analysts sit on the risk committee
}

#: The legal referral rules' approver role (``referral.toml``) each identity role
#: decides referrals as.
LEGAL_DECIDER: Mapping[Role, str] = {
    Role.LEGAL_COUNSEL: "legal_counsel",
    Role.MANAGER: "collections_manager",
    Role.COMPLIANCE_OFFICER: "compliance_officer",
}

#: Role -> (write-off, legal cost) default limits in major units; None is unlimited.
LIMITS_MAJOR: Mapping[Role, Mapping[Matter, int | None]] = {
    role: {Matter.WRITE_OFF: write_off, Matter.LEGAL_COST: legal_cost}
    for role, (write_off, legal_cost) in {
        Role.BORROWER: (0, 0),
        Role.COLLECTOR: (0, 0),
        Role.FIELD_AGENT: (0, 0),
        Role.TEAM_LEAD: (0, 0),
        Role.MANAGER: (50_000, 5_000),
        Role.RISK_ANALYST: (None, 0),
        Role.COMPLIANCE_OFFICER: (0, 0),
        Role.LEGAL_COUNSEL: (0, 20_000),
        Role.ADMIN: (0, 0),
    }.items()}

#: The code an amount beyond the approver's authority is refused with.
BEYOND_CODE = {Matter.WAIVER: "waiver_must_be_within_your_authority",
               Matter.WRITE_OFF: "write_off_must_be_within_your_authority",
               Matter.LEGAL_COST: "legal_cost_must_be_within_your_authority"}
MAKER_IS_CHECKER = "approver_must_not_be_the_proposer"


def person(principal: Principal) -> str:
    """How records name the principal: the staff id (the training register's and the
    assignments' key), else the user's name; a borrower as ``borrower:<id>``."""
    if principal.role is Role.BORROWER:
        return f"borrower:{principal.borrower_id}"
    return principal.staff_id or principal.name


def approval_level(role: Role) -> ApprovalLevel:
    """The level ``role`` approves offers at (``role_must_approve_offers`` for a role
    that approves none)."""
    level = APPROVAL_LEVEL.get(role)
    if level is None:
        raise Forbidden(f"a {role.value} does not approve repayment offers; a collector, "
                        "field agent, team lead, manager or risk analyst does",
                        code="role_must_approve_offers")
    return level


def legal_decider(role: Role) -> str:
    """The referral rules' approver role ``role`` decides as (``role_must_decide_referrals``
    for a role that decides none)."""
    as_ = LEGAL_DECIDER.get(role)
    if as_ is None:
        raise Forbidden(f"a {role.value} does not decide legal referrals; legal counsel, a "
                        "manager or a compliance officer does",
                        code="role_must_decide_referrals")
    return as_


def default_limit_minor(role: Role, matter: Matter, currency: str) -> int | None:
    """The role's own limit in minor units of ``currency`` (None: unlimited). A waiver's
    limit is the approval level's in ``approvals.toml``, so here it is None."""
    if matter is Matter.WAIVER:
        return None
    major = LIMITS_MAJOR[role][matter]
    return None if major is None else major * 10 ** exponent_of(currency)


def limit_minor(role: Role, matter: Matter, currency: str,
                own_minor: int | None = None) -> int | None:
    """The user's limit: the role's, lowered by their own ``authority_minor``."""
    default = default_limit_minor(role, matter, currency)
    if own_minor is None:
        return default
    own = max(0, own_minor)
    return own if default is None else min(default, own)


def require_within(role: Role, matter: Matter, amount_minor: int, currency: str, *,
                   own_minor: int | None = None) -> None:
    """Refuse (``<matter>_must_be_within_your_authority``, 403) an amount beyond the
    user's limit for ``matter``. Nothing (0) is always within."""
    _refuse_beyond(matter, amount_minor, currency,
                   limit_minor(role, matter, currency, own_minor), f" as {role.value}")


def require_own_limit(matter: Matter, amount_minor: int, currency: str, *,
                      own_minor: int | None) -> None:
    """Refuse an amount beyond the user's own ``authority_minor`` alone (the role's
    limit judged elsewhere, as a waiver's is by its approval level)."""
    _refuse_beyond(matter, amount_minor, currency,
                   None if own_minor is None else max(0, own_minor), "")


def _refuse_beyond(matter: Matter, amount_minor: int, currency: str, limit: int | None,
                   as_: str) -> None:
    if amount_minor <= 0 or limit is None or amount_minor <= limit:
        return
    what = {Matter.WAIVER: "waiver", Matter.WRITE_OFF: "write-off",
            Matter.LEGAL_COST: "legal cost"}[matter]
    raise Forbidden(f"a {what} of {format_minor(amount_minor, currency)} {currency} is beyond "
                    f"your authority of {format_minor(limit, currency)} {currency}{as_}; "
                    "someone with more authority must approve it",
                    code=BEYOND_CODE[matter], limit_minor=limit, amount_minor=amount_minor)


@dataclass(frozen=True, slots=True)
class Approver:
    """Who approves something: the person records name, their role and their own
    authority (minor units; None: the role's)."""

    person: str
    role: Role
    authority_minor: int | None = None

    @classmethod
    def of(cls, principal: Principal) -> Approver:
        return cls(person(principal), principal.role, principal.authority_minor)

    def require_within(self, matter: Matter, amount_minor: int, currency: str) -> None:
        require_within(self.role, matter, amount_minor, currency,
                       own_minor=self.authority_minor)


def same_person(a: str, b: str) -> bool:
    """Whether two recorded names are one person's (case, spaces and width aside)."""
    def norm(text: str) -> str:
        return " ".join(unicodedata.normalize("NFKC", text).split()).casefold()

    return norm(a) == norm(b)


def require_other_checker(maker: str, checker: str, *, what: str) -> None:
    """Maker-checker: refuse (``approver_must_not_be_the_proposer``, 403) when the
    person approving ``what`` is the one who proposed or made it."""
    if same_person(maker, checker):
        raise Forbidden(f"{checker} proposed {what} and may not also approve it; another "
                        "person with authority must", code=MAKER_IS_CHECKER)
