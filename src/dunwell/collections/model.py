"""Plain data for collections: case statuses, action kinds, cases, promises, history
and proposals (frozen dataclasses and enums). Amounts are integer minor units."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal

from dunwell.lending.model import Bucket, LoanStatus, bucket_for

Variant = Literal["champion", "challenger"]


class CaseStatus(StrEnum):
    """Where a case is in its life; see docs/collections.md for the transitions."""

    OPEN = "open"
    PROMISE = "promise"
    PLAN = "plan"
    CURED = "cured"
    PAID_OFF = "paid_off"
    WRITTEN_OFF = "written_off"
    LEGAL = "legal"
    CLOSED = "closed"

    @property
    def is_active(self) -> bool:
        return self in (CaseStatus.OPEN, CaseStatus.PROMISE, CaseStatus.PLAN, CaseStatus.LEGAL)

    @property
    def pauses_ladder(self) -> bool:
        """A negotiated plan or a legal referral stops the contact ladder."""
        return self in (CaseStatus.PLAN, CaseStatus.LEGAL)


@dataclass(frozen=True, slots=True)
class ActionDefaults:
    channel: str | None  # None: internal, nothing reaches the borrower
    content_tags: tuple[str, ...]
    priority: int  # 0..100, higher first


class ActionKind(StrEnum):
    IN_APP_REMINDER = "in_app_reminder"
    SMS_REMINDER = "sms_reminder"
    EMAIL_REMINDER = "email_reminder"
    CALL = "call"
    CALL_QUEUE = "call_queue"
    LETTER = "letter"
    FIELD_VISIT = "field_visit"
    NEGOTIATION_OFFER = "negotiation_offer"
    LEGAL_REVIEW = "legal_review"
    HARDSHIP_OUTREACH = "hardship_outreach"
    EDUCATION = "education"

    @property
    def defaults(self) -> ActionDefaults:
        return _ACTION_DEFAULTS[self]

    @property
    def channel(self) -> str | None:
        return _ACTION_DEFAULTS[self].channel

    @property
    def content_tags(self) -> tuple[str, ...]:
        return _ACTION_DEFAULTS[self].content_tags

    @property
    def contacts_borrower(self) -> bool:
        return _ACTION_DEFAULTS[self].channel is not None

    @property
    def ends_ladder(self) -> bool:
        """Once done, nothing later on the ladder is proposed for that due date."""
        return self is ActionKind.LEGAL_REVIEW


_ACTION_DEFAULTS: dict[ActionKind, ActionDefaults] = {
    ActionKind.IN_APP_REMINDER: ActionDefaults("in_app", ("payment_reminder",), 20),
    ActionKind.SMS_REMINDER: ActionDefaults("sms", ("payment_reminder", "opt_out_notice"), 30),
    ActionKind.EMAIL_REMINDER: ActionDefaults("email", ("payment_reminder", "opt_out_notice"), 25),
    ActionKind.CALL: ActionDefaults("call", ("payment_request",), 60),
    ActionKind.CALL_QUEUE: ActionDefaults("call", ("payment_request",), 55),
    ActionKind.LETTER: ActionDefaults(
        "letter",
        ("reminder_letter", "private_and_confidential", "signpost_free_debt_advice"),
        40,
    ),
    ActionKind.FIELD_VISIT: ActionDefaults(
        "visit",
        ("reminder_letter", "staff_certified", "audio_video_recording", "prior_notice"),
        80,
    ),
    ActionKind.NEGOTIATION_OFFER: ActionDefaults(
        "call", ("instalment_plan", "no_deadline_pressure"), 70
    ),
    ActionKind.LEGAL_REVIEW: ActionDefaults(None, (), 90),
    ActionKind.HARDSHIP_OUTREACH: ActionDefaults(
        "in_app", ("signpost_free_debt_advice", "instalment_plan", "no_deadline_pressure"), 50
    ),
    ActionKind.EDUCATION: ActionDefaults(
        "in_app", ("signpost_free_debt_advice", "no_deadline_pressure"), 10
    ),
}


class PromiseStatus(StrEnum):
    PENDING = "pending"
    KEPT = "kept"
    BROKEN = "broken"


@dataclass(frozen=True, slots=True)
class PromiseToPay:
    """The borrower's promise to pay ``amount_minor`` by ``due_date``."""

    amount_minor: int
    due_date: dt.date
    created_on: dt.date
    status: PromiseStatus = PromiseStatus.PENDING
    paid_minor: int = 0  # paid towards it by the deadline, as last evaluated
    resolved_on: dt.date | None = None  # when it was judged kept or broken


@dataclass(frozen=True, slots=True)
class CaseLoan:
    """One loan of the borrower as collections sees it; the bucket follows the DPD."""

    loan_id: str
    days_past_due: int
    overdue_minor: int
    outstanding_minor: int
    status: LoanStatus = LoanStatus.CURRENT
    bucket: Bucket = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "bucket", bucket_for(self.days_past_due))

    @property
    def is_paid_off(self) -> bool:
        return self.status is LoanStatus.PAID_OFF or (
            self.outstanding_minor == 0 and self.status is not LoanStatus.CHARGED_OFF
        )

    @property
    def is_overdue(self) -> bool:
        return self.days_past_due > 0 and not self.is_paid_off


@dataclass(frozen=True, slots=True)
class PastAction:
    """Something that happened on a case: a ladder step carried out (``step_id`` set,
    with the ``due_date`` it was for and which ``occurrence``), or any other contact
    such as an inbound call (``step_id`` None), with its outcome if known."""

    on: dt.date
    kind: ActionKind | None = None
    step_id: str | None = None
    due_date: dt.date | None = None
    occurrence: int = 0
    outcome: str | None = None


@dataclass(frozen=True, slots=True)
class CaseView:
    """What the strategy engine needs to know about one borrower's case."""

    case_id: str
    borrower_id: str
    status: CaseStatus
    loans: tuple[CaseLoan, ...]
    opened_on: dt.date | None = None
    next_due_date: dt.date | None = None  # for steps before the due date
    risk_score: float | None = None  # 0..1, probability of the bad outcome
    flags: frozenset[str] = frozenset()
    strategy_name: str | None = None
    strategy_version: int | None = None
    variant: Variant | None = None
    step_index: int = 0  # position on the ladder last recorded by the shell
    open_promise: PromiseToPay | None = None
    broken_promises: int = 0
    last_actions: tuple[PastAction, ...] = ()

    @property
    def max_days_past_due(self) -> int:
        return max((loan.days_past_due for loan in self.loans if loan.is_overdue), default=0)

    @property
    def total_overdue_minor(self) -> int:
        return sum(loan.overdue_minor for loan in self.loans if not loan.is_paid_off)

    @property
    def total_outstanding_minor(self) -> int:
        return sum(loan.outstanding_minor for loan in self.loans if not loan.is_paid_off)

    @property
    def bucket(self) -> Bucket:
        return bucket_for(self.max_days_past_due)


@dataclass(frozen=True, slots=True)
class ProposedStep:
    """One action the strategy proposes for today; the compliance guard decides it."""

    case_id: str
    borrower_id: str
    kind: ActionKind
    channel: str | None  # None: internal step, nothing reaches the borrower
    content_tags: tuple[str, ...]
    recipient: str | None  # "borrower" for every contact; None when internal
    planned_time: dt.time  # borrower-local
    priority: int
    reason: str
    strategy_name: str
    strategy_version: int
    segment_id: str
    step_id: str
    due_date: dt.date  # the due date the ladder counts from
    occurrence: int = 0  # 0 for the first, 1.. for repeats


class TimelineKind(StrEnum):
    CASE_OPENED = "case_opened"
    BUCKET_CHANGED = "bucket_changed"
    CASE_CURED = "case_cured"
    CASE_PAID_OFF = "case_paid_off"
    CASE_WRITTEN_OFF = "case_written_off"
    STATUS_CHANGED = "status_changed"
    PROMISE_MADE = "promise_made"
    PROMISE_KEPT = "promise_kept"
    PROMISE_BROKEN = "promise_broken"
    # field visits
    FIELD_VISIT = "field_visit"
    PLAN_REQUESTED = "plan_requested"
    HARDSHIP_REPORTED = "hardship_reported"
    # negotiation
    HARDSHIP_ASSESSED = "hardship_assessed"
    DEBT_ADVICE_REFERRAL = "debt_advice_referral"
    PLAN_ACCEPTED = "plan_accepted"
    PLAN_BROKEN = "plan_broken"
    PLAN_COMPLETED = "plan_completed"
    # legal
    LEGAL_REFERRAL_REJECTED = "legal_referral_rejected"
    LEGAL_DEMAND = "legal_demand"
    LEGAL_FILED = "legal_filed"
    LEGAL_HEARING = "legal_hearing"
    LEGAL_JUDGMENT = "legal_judgment"
    LEGAL_ENFORCEMENT = "legal_enforcement"
    LEGAL_SETTLED = "legal_settled"
    LEGAL_CLOSED = "legal_closed"


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    on: dt.date
    case_id: str
    kind: TimelineKind
    text: str
