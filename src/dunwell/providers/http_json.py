"""JSON over HTTP for the channel providers: one provider class, one call and the
failure mapping they share. A timeout, a connection error, a 408, a 425, a 429 or a
5xx may succeed later (:class:`TransientFailure`); any other 4xx never will
(:class:`PermanentFailure`).

Every provider posts ``{base_url}{path}`` with ``Authorization: Bearer <token>`` and
``Idempotency-Key: <key>`` and reads ``{"id", "status"}`` back (no status: accepted).
What differs between them — the channel, the path, what makes an address usable and
the JSON body — is an :class:`HttpApi`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from dunwell.channels.errors import PermanentFailure, TransientFailure
from dunwell.channels.model import MessageChannel, OutgoingMessage, ProviderConfig, SendReceipt
from dunwell.core.errors import InvalidInput

RETRYABLE_STATUSES = frozenset({408, 425, 429})
#: Characters of an error response kept in the recorded failure.
ERROR_TEXT_MAX = 300


def raise_for_status(url: str, response: httpx.Response) -> None:
    """A failure for every answer but a 2xx: transient or permanent, by status."""
    status = response.status_code
    if status >= 500 or status in RETRYABLE_STATUSES:
        raise TransientFailure(f"{url} answered {status}: {response.text[:ERROR_TEXT_MAX]}",
                               code=f"provider_http_{status}")
    if status >= 400:
        raise PermanentFailure(f"{url} refused the message ({status}): "
                               f"{response.text[:ERROR_TEXT_MAX]}",
                               code=f"provider_http_{status}")
    if not 200 <= status < 300:
        raise TransientFailure(f"{url} answered {status} unexpectedly",
                               code=f"provider_http_{status}")


def receipt_of(url: str, response: httpx.Response) -> SendReceipt:
    """The receipt in a 2xx answer: its message id (a string or a number, never
    missing or empty) and status (accepted when the answer names none)."""
    try:
        body = response.json()
    except ValueError:
        body = None
    message_id = body.get("id") if isinstance(body, dict) else None
    if isinstance(message_id, bool) or not isinstance(message_id, str | int) or (
            message_id == ""):
        raise TransientFailure(f"{url} answered {response.status_code} without a JSON "
                               "message id", code="provider_answer_must_have_id")
    return SendReceipt(provider_message_id=str(message_id),
                       status=str(body.get("status", "accepted")))


def post_json(client: httpx.Client, url: str, *, token: str, idempotency_key: str,
              payload: Mapping[str, Any]) -> SendReceipt:
    """POST ``payload`` to ``url``; the receipt from a 2xx ``{id, status}`` answer."""
    headers = {"Idempotency-Key": idempotency_key, "Accept": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    try:
        response = client.post(url, json=dict(payload), headers=headers)
    except httpx.TimeoutException as exc:
        raise TransientFailure(f"{url} did not answer in time ({type(exc).__name__})",
                               code="provider_timeout") from exc
    except httpx.TransportError as exc:
        raise TransientFailure(f"{url} could not be reached: {exc}",
                               code="provider_unreachable") from exc
    raise_for_status(url, response)
    return receipt_of(url, response)


@dataclass(frozen=True, slots=True)
class HttpApi:
    """What one provider's HTTP API differs in.

    ``label`` names the channel in messages ("SMS"), ``settings_prefix`` the settings
    that configure it (``DUNWELL_SMS_HTTP``), ``address`` what the borrower needs on
    file ("a phone number") and ``act`` what sending is ("texting"); ``address_ok``
    says whether an address is usable and ``payload`` builds the JSON body from the
    message and the sender.
    """

    channel: MessageChannel
    label: str
    settings_prefix: str
    path: str
    address: str
    act: str
    address_ok: Callable[[str], bool]
    payload: Callable[[OutgoingMessage, str], Mapping[str, Any]]


class HttpJsonProvider:
    """A channel provider speaking ``api`` (see the module doc)."""

    def __init__(self, api: HttpApi, config: ProviderConfig, *,
                 client: httpx.Client | None = None) -> None:
        if not config.base_url:
            raise InvalidInput(f"the {api.label} HTTP provider needs a base URL "
                               f"({api.settings_prefix}_BASE_URL)",
                               code="provider_base_url_must_be_set")
        self.api = api
        self.name = config.name
        self.channels = frozenset({api.channel})
        self.config = config
        self.url = f"{config.base_url.rstrip('/')}{api.path}"
        self.client = client or httpx.Client(timeout=config.timeout_seconds)

    def check(self, message: OutgoingMessage) -> None:
        """A permanent failure when this provider cannot send ``message``: another
        channel, or no usable address on file."""
        if message.channel is not self.api.channel:
            raise PermanentFailure(f"{self.name} sends {self.api.label}, not "
                                   f"{message.channel.value}",
                                   code="provider_channel_must_match")
        if not message.to_address or not self.api.address_ok(message.to_address):
            raise PermanentFailure(
                f"borrower {message.borrower_id} has no {self.api.address} on file; add one "
                f"before {self.api.act}", code="address_must_be_known")

    def send(self, message: OutgoingMessage) -> SendReceipt:
        self.check(message)
        return post_json(self.client, self.url, token=self.config.token,
                         idempotency_key=message.idempotency_key,
                         payload=self.api.payload(message, self.config.sender))
