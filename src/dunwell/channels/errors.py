"""Typed rejections of the channels domain, and the two ways a send can fail."""

from __future__ import annotations

from dunwell.core.errors import Conflict, InvalidInput, NotFound

STATUS_TRANSITION = "message_status_transition_must_be_allowed"
KEY_REUSED = "message_idempotency_key_must_match_content"
PROVIDER_UNKNOWN = "channel_provider_must_be_registered"
MESSAGE_UNKNOWN = "message_must_exist"
LANGUAGE_UNKNOWN = "template_language_must_be_known"


class SendFailure(Exception):
    """A provider did not accept a message. ``retryable`` says whether trying again
    later may succeed (a timeout, a 5xx, a 429) or never will (a 4xx, a bad address)."""

    retryable: bool = True

    def __init__(self, message: str, *, code: str = "send_failed") -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


class TransientFailure(SendFailure):
    """Try again later."""

    retryable = True


class PermanentFailure(SendFailure):
    """Never going to work: the message is dead."""

    retryable = False


__all__ = ["Conflict", "InvalidInput", "NotFound", "PermanentFailure", "SendFailure",
           "TransientFailure"]
