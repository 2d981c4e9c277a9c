"""An SMS provider's HTTP API.

``POST {base_url}/v1/messages`` with ``Authorization: Bearer <token>`` and
``Idempotency-Key: <key>``; JSON body ``{"to", "from", "body", "client_ref"}``;
answer ``{"id", "status"}``. The provider treats a repeated ``client_ref`` as the
same message and answers with the first id, so a retry never texts twice.
"""

from __future__ import annotations

import httpx

from dunwell.channels.errors import PermanentFailure
from dunwell.channels.model import MessageChannel, OutgoingMessage, ProviderConfig, SendReceipt
from dunwell.channels.ports import ChannelProvider
from dunwell.core.errors import InvalidInput
from dunwell.providers.http_json import post_json


class HttpSmsProvider:
    channels = frozenset({MessageChannel.SMS})

    def __init__(self, config: ProviderConfig, *, client: httpx.Client | None = None) -> None:
        if not config.base_url:
            raise InvalidInput("the SMS HTTP provider needs a base URL "
                               "(DUNWELL_SMS_HTTP_BASE_URL)",
                               code="provider_base_url_must_be_set")
        self.name = config.name
        self.config = config
        self.client = client or httpx.Client(timeout=config.timeout_seconds)

    def send(self, message: OutgoingMessage) -> SendReceipt:
        if message.channel is not MessageChannel.SMS:
            raise PermanentFailure(f"{self.name} sends SMS, not {message.channel.value}",
                                   code="provider_channel_must_match")
        if not message.to_address:
            raise PermanentFailure(
                f"borrower {message.borrower_id} has no phone number on file; add one "
                "before texting", code="address_must_be_known")
        return post_json(self.client, f"{self.config.base_url.rstrip('/')}/v1/messages",
                         token=self.config.token, idempotency_key=message.idempotency_key,
                         payload={"to": message.to_address, "from": self.config.sender,
                                  "body": message.body,
                                  "client_ref": message.idempotency_key})


def factory(config: ProviderConfig) -> ChannelProvider:
    return HttpSmsProvider(config)
