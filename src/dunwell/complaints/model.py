"""The complaint register's vocabulary and the complaint itself.

A complaint moves ``received → acknowledged → final_response → escalated | closed``
(:data:`TRANSITIONS`); a final response may come without a separate acknowledgement,
and an unanswered complaint may be escalated once its final-response deadline has
passed (:mod:`dunwell.complaints.rules`). Categories that contest the debt itself
form the dispute group (:attr:`Category.is_dispute`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from dunwell.compliance.model import Jurisdiction

#: The longest complaint or answer text kept (characters).
TEXT_CHARS_MAX = 4_000


class ReceivedVia(StrEnum):
    """The channel the complaint came in by."""

    PORTAL = "portal"
    CALL = "call"
    LETTER = "letter"
    VISIT = "visit"
    EMAIL = "email"
    OTHER = "other"

    @property
    def written(self) -> bool:
        """Whether the complaint reached us in writing (a letter, an e-mail, the
        portal's form): what FDCPA §1692g(b) asks of a dispute that pauses collection."""
        return self in _WRITTEN


_WRITTEN = frozenset({ReceivedVia.PORTAL, ReceivedVia.LETTER, ReceivedVia.EMAIL})


class Category(StrEnum):
    CONDUCT = "conduct"
    FEES_AND_CHARGES = "fees_and_charges"
    AMOUNT_DISPUTED = "amount_disputed"
    DEBT_NOT_MINE = "debt_not_mine"
    PRIVACY = "privacy"
    CONTACT_FREQUENCY = "contact_frequency"
    THIRD_PARTY_CONTACT = "third_party_contact"
    OTHER = "other"

    @property
    def is_dispute(self) -> bool:
        """A dispute contests the debt: that it is owed at all, or how much."""
        return self in DISPUTE_CATEGORIES


DISPUTE_CATEGORIES = frozenset({Category.AMOUNT_DISPUTED, Category.DEBT_NOT_MINE})


class Status(StrEnum):
    RECEIVED = "received"
    ACKNOWLEDGED = "acknowledged"
    FINAL_RESPONSE = "final_response"
    ESCALATED = "escalated"
    CLOSED = "closed"

    @property
    def answered(self) -> bool:
        return self in (Status.FINAL_RESPONSE, Status.ESCALATED, Status.CLOSED)


#: status → the statuses it may move to.
TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.RECEIVED: frozenset({Status.ACKNOWLEDGED, Status.FINAL_RESPONSE, Status.ESCALATED,
                                Status.CLOSED}),
    Status.ACKNOWLEDGED: frozenset({Status.FINAL_RESPONSE, Status.ESCALATED, Status.CLOSED}),
    Status.FINAL_RESPONSE: frozenset({Status.ESCALATED, Status.CLOSED}),
    Status.ESCALATED: frozenset({Status.CLOSED}),
    Status.CLOSED: frozenset(),
}


@dataclass(frozen=True, slots=True)
class Complaint:
    """One complaint as the register holds it (its free texts are kept apart)."""

    complaint_id: int
    borrower_id: int
    jurisdiction: Jurisdiction
    channel: ReceivedVia
    category: Category
    status: Status
    received_at: dt.datetime
    case_id: str | None = None
    acknowledged_at: dt.datetime | None = None
    answered_at: dt.datetime | None = None
    escalated_at: dt.datetime | None = None
    escalated_to: str | None = None
    closed_at: dt.datetime | None = None

    @property
    def received_on(self) -> dt.date:
        return self.received_at.date()
