"""What every pack is made of: parameters as data, rules as small pure functions.

A rule's check answers ``None`` (no objection) or an :class:`Objection`; the
:class:`Rule` around it carries the rule id, the stage that fixes its place in the
decision order, and a one-line summary. Calling a rule gives a ``Verdict | None``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import IntEnum
from types import MappingProxyType
from typing import Generic, TypeVar

from dunwell.compliance.model import (
    Borrower,
    Channel,
    ContactEvent,
    ContentTag,
    Decision,
    Flag,
    Jurisdiction,
    LocalWindow,
    ProposedAction,
    Recipient,
    Verdict,
)
from dunwell.core.errors import InvalidInput

#: Content that asks for, or pushes towards, payment.
COLLECTING_TAGS = frozenset({
    ContentTag.PAYMENT_REMINDER, ContentTag.PAYMENT_REQUEST, ContentTag.REMINDER_LETTER,
    ContentTag.SETTLEMENT_OFFER, ContentTag.INSTALMENT_PLAN, ContentTag.FEE_ADDED,
    ContentTag.DEMAND_FULL_BALANCE_48H, ContentTag.THREAT_OF_SUIT,
})  # fmt: skip
#: Purposes that ask for nothing: a contact with one of these (and no collecting tag)
#: is not collecting. A contact with no stated purpose counts as collecting.
NON_COLLECTING_PURPOSES = frozenset({
    ContentTag.PLAN_CONFIRMATION, ContentTag.INTEREST_FROZEN,
    ContentTag.NOTICE_COLLECTION_TERMINATED, ContentTag.SIGNPOST_FREE_DEBT_ADVICE,
})  # fmt: skip
THIRD_PARTIES = frozenset(
    {Recipient.RELATIVE, Recipient.EMPLOYER, Recipient.NEIGHBOR, Recipient.SOCIAL_CONTACT}
)
#: Channels whose moment matters; a letter's does not (it is read when it arrives).
TIMED_CHANNELS = frozenset(Channel) - {Channel.LETTER}
ELECTRONIC_CHANNELS = frozenset({Channel.SMS, Channel.EMAIL, Channel.IN_APP, Channel.SOCIAL_MEDIA})


def is_collecting(action: ProposedAction) -> bool:
    return action.tagged(*COLLECTING_TAGS) or not action.tagged(*NON_COLLECTING_PURPOSES)


def is_termination_notice(action: ProposedAction) -> bool:
    """Only says that collection has stopped (FDCPA §1692c(c)(1))."""
    return ContentTag.NOTICE_COLLECTION_TERMINATED in action.content_tags and not (
        action.tagged(*COLLECTING_TAGS)
    )


def is_third_party(action: ProposedAction, borrower: Borrower) -> bool:
    """Anyone but the borrower, or an attorney who does not act for the borrower."""
    if action.recipient is Recipient.ATTORNEY:
        return not borrower.has(Flag.ATTORNEY_REPRESENTED)
    return action.recipient in THIRD_PARTIES or action.channel is Channel.THIRD_PARTY_CALL


class Stage(IntEnum):
    """The decision order: lower stages are consulted first."""

    STATUS = 1
    CONDUCT = 2
    STANDING = 3
    RECIPIENT = 4
    MEDIUM = 5
    TIME = 6
    FREQUENCY = 7


#: Stages that only say "not now": the guard re-asks them to find ``defer_until``.
WHEN_STAGES = frozenset({Stage.TIME, Stage.FREQUENCY})


#: 08:00:00 to 21:00:00 local, both ends included.
EIGHT_TO_NINE = LocalWindow(dt.time(8), dt.time(21), end_inclusive=True)


@dataclass(frozen=True)
class PackParams:
    """Parameters every pack has. Subclasses add their own and set the defaults."""

    window: LocalWindow = EIGHT_TO_NINE
    daily_caps: Mapping[Channel, int] = field(default_factory=lambda: MappingProxyType({}))
    quiet_dates: frozenset[dt.date] = frozenset()
    quiet_weekdays: frozenset[int] = frozenset()
    breathing_space_assume_end_days: int | None = None

    def contact_window(self) -> LocalWindow:
        """The pack's permitted local hours before the borrower's own requests."""
        return self.window


P = TypeVar("P", bound=PackParams)


@dataclass(frozen=True)
class Objection:
    decision: Decision
    reason: str
    defer_until: dt.datetime | None = None


def deny(reason: str) -> Objection:
    return Objection(Decision.DENY, reason)


def defer(until: dt.datetime, reason: str) -> Objection:
    return Objection(Decision.DEFER, reason, until)


Check = Callable[[ProposedAction, Sequence[ContactEvent], Borrower, P], Objection | None]


@dataclass(frozen=True)
class Rule(Generic[P]):
    id: str
    stage: Stage
    summary: str
    check: Callable[[ProposedAction, Sequence[ContactEvent], Borrower, P], Objection | None]

    def __call__(
        self,
        action: ProposedAction,
        history: Sequence[ContactEvent],
        borrower: Borrower,
        params: P,
    ) -> Verdict | None:
        objection = self.check(action, history, borrower, params)
        if objection is None:
            return None
        return Verdict(
            decision=objection.decision,
            rule=self.id,
            reason=objection.reason,
            defer_until=objection.defer_until,
        )


@dataclass(frozen=True)
class Pack(Generic[P]):
    jurisdiction: Jurisdiction
    defaults: P
    rules: tuple[Rule[P], ...]

    def __post_init__(self) -> None:
        stages = [r.stage for r in self.rules]
        if stages != sorted(stages):
            raise ValueError(f"{self.jurisdiction} rules must be listed in stage order")

    def params(self, given: PackParams | None) -> P:
        if given is None:
            return self.defaults
        expected = type(self.defaults)
        if isinstance(given, expected):
            return given
        raise InvalidInput(
            f"{self.jurisdiction} takes {expected.__name__}, got {type(given).__name__}",
            code="params_must_match_jurisdiction",
            field="params",
        )
