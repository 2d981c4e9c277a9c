"""An e-mail provider's HTTP API.

``POST {base_url}/v1/emails`` with ``Authorization: Bearer <token>`` and
``Idempotency-Key: <key>``; JSON body ``{"from", "to", "subject", "text",
"client_ref"}``; answer ``{"id", "status"}``. A repeated ``client_ref`` is the same
e-mail: the provider answers with the first id and does not send again.
"""

from __future__ import annotations

import httpx

from dunwell.channels.errors import PermanentFailure
from dunwell.channels.model import MessageChannel, OutgoingMessage, ProviderConfig, SendReceipt
from dunwell.channels.ports import ChannelProvider
from dunwell.core.errors import InvalidInput
from dunwell.providers.http_json import post_json


class HttpEmailProvider:
    channels = frozenset({MessageChannel.EMAIL})

    def __init__(self, config: ProviderConfig, *, client: httpx.Client | None = None) -> None:
        if not config.base_url:
            raise InvalidInput("the e-mail HTTP provider needs a base URL "
                               "(DUNWELL_EMAIL_HTTP_BASE_URL)",
                               code="provider_base_url_must_be_set")
        self.name = config.name
        self.config = config
        self.client = client or httpx.Client(timeout=config.timeout_seconds)

    def send(self, message: OutgoingMessage) -> SendReceipt:
        if message.channel is not MessageChannel.EMAIL:
            raise PermanentFailure(f"{self.name} sends e-mail, not {message.channel.value}",
                                   code="provider_channel_must_match")
        if not message.to_address or "@" not in message.to_address:
            raise PermanentFailure(
                f"borrower {message.borrower_id} has no e-mail address on file; add one "
                "before e-mailing", code="address_must_be_known")
        return post_json(self.client, f"{self.config.base_url.rstrip('/')}/v1/emails",
                         token=self.config.token, idempotency_key=message.idempotency_key,
                         payload={"from": self.config.sender, "to": message.to_address,
                                  "subject": message.subject, "text": message.body,
                                  "client_ref": message.idempotency_key})


def factory(config: ProviderConfig) -> ChannelProvider:
    return HttpEmailProvider(config)
