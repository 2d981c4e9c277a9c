"""Object rules: which loans, cases, field visits and contact details a signed-in
principal reaches, as pure functions over plain facts the shell loads.

The role × route matrix decides whether a role may call a route at all; these rules
decide whether the object the route names is this principal's. Four kinds of object:

- ``loan``: a loan and what hangs on it (payments, schedule, balances);
- ``case``: a collection case and what hangs on it (hardship, offers, plans, letters,
  legal referrals);
- ``visit``: a field visit on an agent's itinerary;
- ``contact``: a borrower's personal data in full (name, phone, e-mail, postal address,
  coordinates). A principal who reaches the loan or case but not the contact sees the
  contact masked (:mod:`dunwell.identity.masking`).

Each role reaches each kind ``own`` (a borrower: their own), ``assigned`` (staff: what
is assigned to them), ``all`` or ``none`` (:data:`REACH`, docs/security/objects.md):

========================  =========  =========  =========  =========
role                      loan       case       visit      contact
========================  =========  =========  =========  =========
borrower                  own        own        none       own
collector                 assigned   assigned   none       none
field_agent               assigned   assigned   assigned   assigned
team_lead                 all        all        all        none
manager                   all        all        all        none
risk_analyst              all        all        none       none
compliance_officer        all        all        all        none
legal_counsel             all        all        none       none
admin                     none       none       none       none
========================  =========  =========  =========  =========

*Assigned* means: for a collector, a case of the borrower whose owner is the
collector's staff id (``cases.owner``), and that borrower's loans; for a field agent,
a visit of the day asked for on their itinerary (``visits.agent_id``), and that
borrower's case, loans and contact details.

A borrower is never told whether someone else's object exists: asking for another
borrower's loan answers exactly as asking for a loan that does not exist (404, the
kind's ``*_must_exist`` code). Staff are told (403) when an existing object is not
theirs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from dunwell.core.errors import Forbidden, NotFound
from dunwell.identity.model import Principal, Role


class Kind(StrEnum):
    """The kinds of object the rules know."""

    LOAN = "loan"
    CASE = "case"
    VISIT = "visit"
    CONTACT = "contact"


class Thing(StrEnum):
    """The objects routes name, each of one kind (:data:`KIND_OF`)."""

    LOAN = "loan"
    PAYMENT = "payment"
    CREDIT_LINE = "credit_line"
    DRAWDOWN = "drawdown"
    CASE = "case"
    OFFER = "offer"
    REFERRAL = "referral"
    VISIT = "visit"
    BORROWER = "borrower"  # their contact details


KIND_OF: Mapping[Thing, Kind] = {
    Thing.LOAN: Kind.LOAN, Thing.PAYMENT: Kind.LOAN, Thing.CREDIT_LINE: Kind.LOAN,
    Thing.DRAWDOWN: Kind.LOAN, Thing.CASE: Kind.CASE, Thing.OFFER: Kind.CASE,
    Thing.REFERRAL: Kind.CASE, Thing.VISIT: Kind.VISIT, Thing.BORROWER: Kind.CONTACT}


class Reach(StrEnum):
    """How far a role reaches objects of one kind."""

    OWN = "own"  # the borrower's own
    ASSIGNED = "assigned"  # assigned to the staff member
    ALL = "all"
    NONE = "none"


_O, _A, _ALL, _N = Reach.OWN, Reach.ASSIGNED, Reach.ALL, Reach.NONE
#: Role -> kind -> reach: the table in the module's docstring.
REACH: Mapping[Role, Mapping[Kind, Reach]] = {
    role: dict(zip(Kind, row, strict=True)) for role, row in {
        Role.BORROWER: (_O, _O, _N, _O),
        Role.COLLECTOR: (_A, _A, _N, _N),
        Role.FIELD_AGENT: (_A, _A, _A, _A),
        Role.TEAM_LEAD: (_ALL, _ALL, _ALL, _N),
        Role.MANAGER: (_ALL, _ALL, _ALL, _N),
        Role.RISK_ANALYST: (_ALL, _ALL, _N, _N),
        Role.COMPLIANCE_OFFICER: (_ALL, _ALL, _ALL, _N),
        Role.LEGAL_COUNSEL: (_ALL, _ALL, _N, _N),
        Role.ADMIN: (_N, _N, _N, _N),
    }.items()}

#: The code a missing object (or, for a borrower, someone else's) is refused with: the
#: same as the store's when the object is missing.
MISSING_CODE = {Thing.LOAN: "loan_must_exist", Thing.PAYMENT: "payment_must_exist",
                Thing.CREDIT_LINE: "credit_line_must_exist",
                Thing.DRAWDOWN: "drawdown_must_exist", Thing.CASE: "case_must_exist",
                Thing.OFFER: "offer_must_exist", Thing.REFERRAL: "referral_must_exist",
                Thing.VISIT: "visit_must_exist", Thing.BORROWER: "borrower_must_exist"}
#: The code an existing object outside a staff member's assignments is refused with.
UNASSIGNED_CODE = {Kind.LOAN: "loan_must_be_assigned_to_you",
                   Kind.CASE: "case_must_be_assigned_to_you",
                   Kind.VISIT: "visit_must_be_assigned_to_you",
                   Kind.CONTACT: "contact_details_must_be_assigned_to_you"}
OUTSIDE_ROLE = "object_must_be_within_your_role"


@dataclass(frozen=True, slots=True)
class Holding:
    """The plain facts about one object that the rules read.

    ``thing`` and ``ref`` name it ("loan 7"). ``borrower_id`` is whose it is (None:
    there is no such object). ``case_owners`` are the staff ids the borrower's cases
    are assigned to; ``visit_agents`` the agents with a visit of this borrower on the
    day asked for (for a ``visit``: the visit's own agent)."""

    thing: Thing
    ref: object
    borrower_id: int | None
    case_owners: frozenset[str] = frozenset()
    visit_agents: frozenset[str] = frozenset()

    @property
    def kind(self) -> Kind:
        return KIND_OF[self.thing]

    @property
    def label(self) -> str:
        return f"{self.thing.value.replace('_', ' ')} {self.ref}"

    @property
    def exists(self) -> bool:
        return self.borrower_id is not None


def reach(role: Role, kind: Kind) -> Reach:
    """How far ``role`` reaches objects of ``kind``."""
    return REACH[role][kind]


def is_assigned(principal: Principal, holding: Holding) -> bool:
    """Whether ``holding`` is assigned to the principal: a collector owns one of the
    borrower's cases; a field agent has one of the borrower's visits (for a visit:
    this visit)."""
    sid = principal.staff_id
    if not sid:
        return False
    if principal.role is Role.FIELD_AGENT:
        return sid in holding.visit_agents
    if holding.kind is Kind.VISIT:
        return False
    return sid in holding.case_owners


def reaches(principal: Principal, holding: Holding) -> bool:
    """Whether the principal reaches this existing object."""
    if not holding.exists:
        return False
    how = reach(principal.role, holding.kind)
    if how is Reach.ALL:
        return True
    if how is Reach.OWN:
        return principal.borrower_id is not None and principal.borrower_id == holding.borrower_id
    if how is Reach.ASSIGNED:
        return is_assigned(principal, holding)
    return False


def require_reach(principal: Principal, holding: Holding) -> None:
    """Refuse unless the principal reaches ``holding``: a borrower gets the same 404
    whether the object is someone else's or does not exist; staff get 404 for a
    missing object and 403 (naming why) for one that is not theirs."""
    if reaches(principal, holding):
        return
    kind = holding.kind
    if principal.role is Role.BORROWER:
        raise NotFound(f"{holding.label} is not among yours; check the number on your "
                       "statement or letter", code=MISSING_CODE[holding.thing])
    if not holding.exists:
        raise NotFound(f"{holding.label} does not exist", code=MISSING_CODE[holding.thing])
    how = reach(principal.role, kind)
    if how is Reach.ASSIGNED:
        who = principal.staff_id or "your user, which has no staff id"
        raise Forbidden(f"{holding.label} is not assigned to {who}; a team lead can "
                        "assign it", code=UNASSIGNED_CODE[kind])
    raise Forbidden(f"a {principal.role.value} does not reach {kind.value} objects "
                    f"({holding.label}); see docs/security.md for who does",
                    code=OUTSIDE_ROLE)


def sees_contact_in_full(principal: Principal, holding: Holding) -> bool:
    """Whether personal data of the borrower behind ``holding`` is shown to the
    principal in full (otherwise masked): the borrower themself, or the field agent
    with a visit to them."""
    contact = Holding(Thing.BORROWER, holding.borrower_id, holding.borrower_id,
                      holding.case_owners, holding.visit_agents)
    return reaches(principal, contact)


def sees_all_visits(principal: Principal) -> bool:
    """Whether the principal reads every agent's itinerary (otherwise only their own)."""
    return reach(principal.role, Kind.VISIT) is Reach.ALL
