"""Plain data for legal referrals: the rules (from ``referral.toml``), the facts a
referral is judged on, the verdict with every failed criterion, referral statuses and
the legal case's states. Amounts are integer minor units."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum


class ReferralStatus(StrEnum):
    """``proposed`` waits for a person; ``approved``/``rejected`` are their decision;
    ``not_eligible`` records a strategy's legal review that failed the rules."""

    PROPOSED = "proposed"
    APPROVED = "approved"
    REJECTED = "rejected"
    NOT_ELIGIBLE = "not_eligible"

    @property
    def is_open(self) -> bool:
        return self in (ReferralStatus.PROPOSED, ReferralStatus.APPROVED)


class ReferralSource(StrEnum):
    MANUAL = "manual"  # proposed by a person
    STRATEGY = "strategy"  # the collection strategy's legal_review step


class Criterion(StrEnum):
    """The referral criteria, in the order they are checked and reported."""

    CASE_ACTIVE = "case_must_be_active"
    PROTECTED = "borrower_must_not_be_protected"
    PLAN = "plan_must_not_be_in_good_standing"
    PROMISE = "promise_must_not_be_pending"
    DAYS_PAST_DUE = "days_past_due_must_reach_threshold"
    AMOUNT = "amount_must_reach_threshold"
    CONTACT_ATTEMPTS = "contact_attempts_must_be_exhausted"
    IN_PERSON_OR_LETTER = "visit_or_letter_must_be_delivered"
    OFFERS = "repayment_offers_must_be_exhausted"


@dataclass(frozen=True, slots=True)
class DemandSettings:
    """Who signs the demand letter and how long the borrower has to respond."""

    response_days: int
    sender_zh: str
    sender_en: str
    contact_phone: str
    contact_email: str

    def sender(self, language: str) -> str:
        return self.sender_zh if language.startswith("zh") else self.sender_en


@dataclass(frozen=True, slots=True)
class ReferralRules:
    days_past_due_min: int
    contact_attempts_min: int
    in_person_or_letter_required: bool
    protected_flags: frozenset[str]
    approver_roles: frozenset[str]
    amount_min_minor: dict[str, int]  # per currency
    demand: DemandSettings
    #: Repayment offers must have been made and have lapsed or been refused (or none
    #: was possible, with the reason recorded) before a referral.
    offers_required: bool = True


@dataclass(frozen=True, slots=True)
class ReferralFacts:
    """What the eligibility check reads about one case on one business date."""

    case_id: str
    case_status: str  # collections' CaseStatus value
    days_past_due: int
    outstanding_minor: int
    currency: str
    contact_attempts: int  # outbound attempts over the case's life, any outcome
    in_person_visits: int  # visits where the borrower was met (including refusals)
    letters_delivered: int
    plan_in_good_standing: bool
    promise_pending: bool
    flags: frozenset[str] = frozenset()
    offers_made: int = 0  # repayment offers made on the case, however they ended
    offers_open: int = 0  # of those, still open to the borrower on the business date
    offers_open_until: dt.date | None = None  # the last open offer's expiry date
    no_offer_reason: str | None = None  # why no offer was possible, when recorded


@dataclass(frozen=True, slots=True)
class Failure:
    criterion: Criterion
    reason: str


@dataclass(frozen=True, slots=True)
class Eligibility:
    failures: tuple[Failure, ...] = ()

    @property
    def eligible(self) -> bool:
        return not self.failures

    @property
    def protected(self) -> bool:
        return any(f.criterion is Criterion.PROTECTED for f in self.failures)

    @property
    def plan_in_good_standing(self) -> bool:
        return any(f.criterion is Criterion.PLAN for f in self.failures)

    def to_json(self) -> list[dict[str, str]]:
        return [{"criterion": f.criterion.value, "reason": f.reason} for f in self.failures]

    @classmethod
    def from_json(cls, rows: list[dict[str, str]]) -> Eligibility:
        return cls(tuple(Failure(Criterion(r["criterion"]), r["reason"]) for r in rows))


class LegalState(StrEnum):
    """The legal case after approval; ``approved`` is before anything is filed."""

    APPROVED = "approved"
    FILED = "filed"
    HEARING = "hearing"
    JUDGMENT = "judgment"
    ENFORCEMENT = "enforcement"
    SETTLED = "settled"
    CLOSED = "closed"


@dataclass(frozen=True, slots=True)
class LegalEvent:
    """One step of the legal case, with what it cost (minor units, never negative)."""

    event: LegalState
    on: dt.date
    cost_minor: int = 0
    court: str = ""
    reference: str = ""
    note: str = ""


@dataclass(frozen=True, slots=True)
class LegalCase:
    state: LegalState
    events: tuple[LegalEvent, ...] = field(default=())

    @property
    def total_cost_minor(self) -> int:
        return sum(e.cost_minor for e in self.events)


@dataclass(frozen=True, slots=True)
class Referral:
    """A referral as stored: the proposal, the facts it was judged on, the person's
    decision and, once approved, the legal case's state and the demand letter."""

    referral_id: int
    case_id: str
    borrower_id: int
    source: ReferralSource
    action_id: int | None
    status: ReferralStatus
    proposed_on: dt.date
    proposed_by: str
    proposal_note: str
    days_past_due: int
    outstanding_minor: int
    currency: str
    eligibility: Eligibility
    decided_by: str | None = None
    decided_role: str | None = None
    decided_note: str | None = None
    decided_on: dt.date | None = None
    legal_state: LegalState | None = None
    demand_letter_no: str | None = None
