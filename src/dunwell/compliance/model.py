"""The guard's vocabulary (DESIGN.md §4) as enums and frozen dataclasses.

Timestamps are aware datetimes; every time rule is judged in the borrower's own
time zone. A :class:`Verdict` is data: the decision, the rule that decided it, a
reason a person can read, the allowed local window (allow) or the earliest moment
it may happen (defer), and every rule consulted and every rule that objected.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dunwell.core.errors import InvalidInput

if TYPE_CHECKING:
    from dunwell.compliance.consent import Consent


class Jurisdiction(StrEnum):
    CN_NIFA = "CN-NIFA"
    US_REGF = "US-RegF"
    UK_FCA = "UK-FCA"


class Flag(StrEnum):
    CEASE_CONTACT = "cease_contact"
    DISPUTED = "disputed"
    HARDSHIP_PLAN = "hardship_plan"
    VULNERABLE = "vulnerable"
    BANKRUPTCY = "bankruptcy"
    DECEASED = "deceased"
    BREATHING_SPACE = "breathing_space"
    TIME_BARRED = "time_barred"
    ATTORNEY_REPRESENTED = "attorney_represented"
    EMPLOYER_PROHIBITS_CONTACT = "employer_prohibits_contact"
    LOST_CONTACT = "lost_contact"
    OPT_OUT_SMS = "opt_out_sms"
    OPT_OUT_EMAIL = "opt_out_email"
    OPT_OUT_CALL = "opt_out_call"
    OPT_OUT_VISIT = "opt_out_visit"


class Channel(StrEnum):
    CALL = "call"
    SMS = "sms"
    EMAIL = "email"
    LETTER = "letter"
    VISIT = "visit"
    IN_APP = "in_app"
    SOCIAL_MEDIA = "social_media"
    THIRD_PARTY_CALL = "third_party_call"


class Recipient(StrEnum):
    BORROWER = "borrower"
    RELATIVE = "relative"
    EMPLOYER = "employer"
    NEIGHBOR = "neighbor"
    SOCIAL_CONTACT = "social_contact"
    ATTORNEY = "attorney"


class Party(StrEnum):
    """Who a consent is about: the borrower, or a third party the borrower may allow
    to be contacted (see :mod:`dunwell.compliance.consent`)."""

    BORROWER = "borrower"
    SPOUSE = "spouse"
    GUARDIAN = "guardian"
    EXECUTOR = "executor"
    ATTORNEY = "attorney"
    EMPLOYER = "employer"
    EMERGENCY_CONTACT = "emergency_contact"

    @property
    def recipients(self) -> frozenset[Recipient]:
        """The recipients (as the guard sees them) this party can be."""
        return PARTY_RECIPIENTS[self]


PARTY_RECIPIENTS: dict[Party, frozenset[Recipient]] = {
    Party.BORROWER: frozenset({Recipient.BORROWER}),
    Party.SPOUSE: frozenset({Recipient.RELATIVE}),
    Party.GUARDIAN: frozenset({Recipient.RELATIVE, Recipient.ATTORNEY}),
    Party.EXECUTOR: frozenset({Recipient.RELATIVE, Recipient.ATTORNEY}),
    Party.ATTORNEY: frozenset({Recipient.ATTORNEY}),
    Party.EMPLOYER: frozenset({Recipient.EMPLOYER}),
    Party.EMERGENCY_CONTACT: frozenset(Recipient) - {Recipient.BORROWER},
}


class Direction(StrEnum):
    OUTBOUND = "outbound"
    INBOUND = "inbound"


class Outcome(StrEnum):
    CONVERSATION = "conversation"
    NO_ANSWER = "no_answer"
    VOICEMAIL_LEFT = "voicemail_left"
    NOT_CONNECTED = "not_connected"
    NUMBER_UNREACHABLE = "number_unreachable"
    DELIVERED = "delivered"
    UNDELIVERED = "undelivered"
    OPT_OUT_REQUEST = "opt_out_request"
    WRITTEN_CEASE_REQUEST = "written_cease_request"
    DISPUTE_RECEIVED = "dispute_received"
    PROMISE_TO_PAY = "promise_to_pay"
    VISIT_NOTICE_DELIVERED = "visit_notice_delivered"
    BREATHING_SPACE_NOTICE = "breathing_space_notice"
    BREATHING_SPACE_ENDED = "breathing_space_ended"


class ContentTag(StrEnum):
    PAYMENT_REMINDER = "payment_reminder"
    PAYMENT_REQUEST = "payment_request"
    REMINDER_LETTER = "reminder_letter"
    SETTLEMENT_OFFER = "settlement_offer"
    INSTALMENT_PLAN = "instalment_plan"
    PLAN_CONFIRMATION = "plan_confirmation"
    INTEREST_FROZEN = "interest_frozen"
    FEE_ADDED = "fee_added"
    OPT_OUT_NOTICE = "opt_out_notice"
    NOTICE_COLLECTION_TERMINATED = "notice_collection_terminated"
    SIGNPOST_FREE_DEBT_ADVICE = "signpost_free_debt_advice"
    PRIOR_NOTICE = "prior_notice"
    PRIVATE_AND_CONFIDENTIAL = "private_and_confidential"
    DEBT_DISCLOSURE = "debt_disclosure"
    NO_DEBT_DETAILS = "no_debt_details"
    REQUEST_RELAY_MESSAGE = "request_relay_message"
    PRE_AGREED_EMERGENCY_CONTACT = "pre_agreed_emergency_contact"
    PUBLIC_POST = "public_post"
    PUBLIC_EXPOSURE = "public_exposure"
    THREAT = "threat"
    THREAT_OF_SUIT = "threat_of_suit"
    FAKE_LEGAL = "fake_legal"
    PRESSURE = "pressure"
    DEMAND_FULL_BALANCE_48H = "demand_full_balance_48h"
    SUGGEST_BORROW_TO_REPAY = "suggest_borrow_to_repay"
    NO_DEADLINE_PRESSURE = "no_deadline_pressure"
    STAFF_CERTIFIED = "staff_certified"
    AUDIO_VIDEO_RECORDING = "audio_video_recording"
    NO_RECORDING = "no_recording"
    WORK_ADDRESS = "work_address"


class Decision(StrEnum):
    ALLOW = "allow"
    DEFER = "defer"
    DENY = "deny"


def zone_of(name: str) -> ZoneInfo:
    """The IANA time zone ``name``, or :class:`InvalidInput` naming it."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(
            f"time zone {name!r} is not a known IANA zone such as Asia/Shanghai",
            code="timezone_must_be_known",
            field="borrower.timezone",
            value=name,
        ) from None


def require_aware(ts: dt.datetime, field_name: str) -> None:
    if ts.tzinfo is None or ts.utcoffset() is None:
        raise InvalidInput(
            f"{field_name} {ts.isoformat()!r} has no UTC offset; "
            "timestamps must carry one, like 2025-03-01T10:00:00+08:00",
            code="timestamp_must_carry_offset",
            field=field_name,
        )


@dataclass(frozen=True)
class LocalWindow:
    """Local clock hours ``start``..``end`` (start included; end included when
    ``end_inclusive``). ``dt.time.max`` with ``end_inclusive`` means end of day."""

    start: dt.time
    end: dt.time
    end_inclusive: bool = True

    def contains(self, t: dt.time) -> bool:
        if t < self.start:
            return False
        return t <= self.end if self.end_inclusive else t < self.end

    @property
    def empty(self) -> bool:
        return self.start > self.end or (self.start == self.end and not self.end_inclusive)

    def label(self) -> str:
        end = "24:00" if self.end == dt.time.max else self.end.isoformat("minutes")
        bracket = "]" if self.end_inclusive else ")"
        return f"[{self.start.isoformat('minutes')}, {end}{bracket}"


@dataclass(frozen=True)
class ContactPreferences:
    """What the borrower asked for: no contact before/after a local clock time.

    ``no_contact_before`` 09:00 allows 09:00:00; ``no_contact_after`` 18:00 allows
    18:00:00 but not 18:00:01. A "before" later than the "after" wraps midnight
    (a night-shift worker reachable 20:00..06:00)."""

    no_contact_before: dt.time | None = None
    no_contact_after: dt.time | None = None
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class Dispute:
    """A dispute of the debt raised at ``opened_at`` and answered (or withdrawn) at
    ``ended_at`` (None: still open); ``reference`` names the record it came from."""

    opened_at: dt.datetime
    ended_at: dt.datetime | None = None
    reference: str = ""

    def __post_init__(self) -> None:
        require_aware(self.opened_at, "dispute.opened_at")
        if self.ended_at is not None:
            require_aware(self.ended_at, "dispute.ended_at")

    def open_at(self, at: dt.datetime) -> bool:
        return self.opened_at <= at and (self.ended_at is None or at < self.ended_at)


@dataclass(frozen=True)
class Borrower:
    timezone: str
    flags: frozenset[Flag] = frozenset()
    preferred_channels: tuple[Channel, ...] = ()
    contact_preferences: ContactPreferences = field(default_factory=ContactPreferences)
    language: str | None = None
    #: Every consent record (granted, and withdrawn ones); the rules ask which are in
    #: force at the moment they judge.
    consents: tuple[Consent, ...] = ()
    #: The borrower's disputes of the debt that pause collection (from the complaints
    #: register); the rules ask which is open at the moment they judge.
    disputes: tuple[Dispute, ...] = ()

    def __post_init__(self) -> None:
        zone_of(self.timezone)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def has(self, flag: Flag) -> bool:
        return flag in self.flags


@dataclass(frozen=True)
class ContactEvent:
    """Something that happened: an outbound attempt, or what the borrower did."""

    ts: dt.datetime
    channel: Channel
    direction: Direction
    outcome: Outcome

    def __post_init__(self) -> None:
        require_aware(self.ts, "history.ts")


@dataclass(frozen=True)
class ProposedAction:
    """``party`` names who the recipient is, when a consent may cover it (a spouse
    reached as a ``relative``); None for the borrower or an unnamed third party."""

    ts: dt.datetime
    channel: Channel
    recipient: Recipient = Recipient.BORROWER
    content_tags: frozenset[ContentTag] = frozenset()
    party: Party | None = None

    def __post_init__(self) -> None:
        require_aware(self.ts, "proposed_action.ts")
        if self.party is not None and self.recipient not in self.party.recipients:
            allowed = ", ".join(sorted(self.party.recipients))
            raise InvalidInput(
                f"proposed_action.party {self.party.value!r} cannot be reached as recipient "
                f"{self.recipient.value!r}; use one of {allowed}",
                code="party_must_match_recipient",
                field="proposed_action.party",
            )

    def tagged(self, *tags: ContentTag) -> bool:
        """True when the action carries any of ``tags``."""
        return not self.content_tags.isdisjoint(tags)


@dataclass(frozen=True)
class ContactWindow:
    """The local window, on the action's local date, in which it is allowed."""

    timezone: str
    date: dt.date
    start: dt.time
    end: dt.time
    end_inclusive: bool

    @property
    def starts_at(self) -> dt.datetime:
        return dt.datetime.combine(self.date, self.start, tzinfo=ZoneInfo(self.timezone))

    @property
    def ends_at(self) -> dt.datetime:
        return dt.datetime.combine(self.date, self.end, tzinfo=ZoneInfo(self.timezone))

    def label(self) -> str:
        window = LocalWindow(self.start, self.end, self.end_inclusive)
        return f"{self.date.isoformat()} {window.label()} {self.timezone}"


@dataclass(frozen=True)
class Verdict:
    """The guard's answer. ``rule`` is None for an allow; ``failed`` holds the
    verdict of every rule that objected, in evaluation order."""

    decision: Decision
    rule: str | None
    reason: str
    window: ContactWindow | None = None
    defer_until: dt.datetime | None = None
    consulted: tuple[str, ...] = ()
    failed: tuple[Verdict, ...] = ()

    @property
    def allowed(self) -> bool:
        return self.decision is Decision.ALLOW
