"""Messages as data: the channels, the outbox states, what a provider is handed and
what it answers, and the retry policy."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum


class MessageChannel(StrEnum):
    """Where a message goes. ``in_app`` covers in-app inbox and push notifications;
    ``voice`` is a call task for a collector or an IVR provider."""

    SMS = "sms"
    EMAIL = "email"
    IN_APP = "in_app"
    VOICE = "voice"


class MessageStatus(StrEnum):
    """A message's place in the outbox (see ``dunwell.channels.outbox.TRANSITIONS``)."""

    PENDING = "pending"  # written with the decision; due at next_attempt_at
    SENDING = "sending"  # claimed by a dispatcher until its lease ends
    SENT = "sent"  # a provider accepted it
    DELIVERED = "delivered"  # the provider reported delivery
    UNDELIVERED = "undelivered"  # the provider reported it could not deliver
    FAILED = "failed"  # dead: a permanent error, or attempts exhausted

    @property
    def is_final(self) -> bool:
        return self in (MessageStatus.DELIVERED, MessageStatus.UNDELIVERED,
                        MessageStatus.FAILED)


class DeliveryStatus(StrEnum):
    """What a provider's status callback may report."""

    DELIVERED = "delivered"
    UNDELIVERED = "undelivered"


@dataclass(frozen=True, slots=True)
class OutgoingMessage:
    """What a provider is asked to send. ``idempotency_key`` travels with the request
    (as ``client_ref`` and an ``Idempotency-Key`` header) so a repeat is not sent twice."""

    idempotency_key: str
    channel: MessageChannel
    to_address: str | None
    subject: str
    body: str
    borrower_id: int
    kind: str
    language: str


@dataclass(frozen=True, slots=True)
class SendReceipt:
    """A provider's answer to a send it accepted."""

    provider_message_id: str
    status: str = "accepted"


@dataclass(frozen=True, slots=True)
class Message:
    """One outbox row."""

    message_id: int
    idempotency_key: str
    channel: MessageChannel
    provider: str
    borrower_id: int
    to_address: str | None
    kind: str
    language: str
    subject: str
    body: str
    case_id: str | None
    action_id: int | None
    status: MessageStatus
    attempts: int
    created_at: dt.datetime
    next_attempt_at: dt.datetime
    not_after: dt.datetime | None = None
    lease_until: dt.datetime | None = None
    provider_message_id: str | None = None
    last_error: str | None = None
    sent_at: dt.datetime | None = None
    final_at: dt.datetime | None = None

    def outgoing(self) -> OutgoingMessage:
        return OutgoingMessage(self.idempotency_key, self.channel, self.to_address,
                               self.subject, self.body, self.borrower_id, self.kind,
                               self.language)


@dataclass(frozen=True, slots=True)
class Attempt:
    """One try at sending a message, as recorded in the attempts table."""

    message_id: int
    attempt_no: int
    at: dt.datetime
    outcome: str  # "sent" | "retry" | "failed"
    error: str | None = None
    provider_message_id: str | None = None


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Exponential back-off with jitter: attempt ``n`` (1-based) failed, so wait about
    ``base_seconds * factor**(n-1)``, at most ``cap_seconds``; a ``jitter_ratio`` share
    of that is randomised. After ``attempts_max`` attempts the message is dead."""

    attempts_max: int = 6
    base_seconds: int = 30
    factor: int = 2
    cap_seconds: int = 3600
    jitter_ratio: float = 0.5

    def __post_init__(self) -> None:
        if not (1 <= self.attempts_max <= 100):
            raise ValueError("attempts_max must be between 1 and 100")
        if not (1 <= self.base_seconds <= self.cap_seconds):
            raise ValueError("base_seconds must be at least 1 and at most cap_seconds")
        if self.factor < 1:
            raise ValueError("factor must be at least 1")
        if not (0.0 <= self.jitter_ratio <= 1.0):
            raise ValueError("jitter_ratio must be between 0 and 1")


@dataclass(frozen=True, slots=True)
class ProviderConfig:
    """How one provider is configured (built from settings by the shell): its name,
    the channels it is chosen for, its endpoint and credentials if it has any."""

    name: str
    channels: frozenset[MessageChannel]
    base_url: str = ""
    token: str = ""
    timeout_seconds: float = 10.0
    sender: str = ""
    outbox_dir: str = "var/outbox"
