"""An SMS provider's HTTP API.

``POST {base_url}/v1/messages`` with ``Authorization: Bearer <token>`` and
``Idempotency-Key: <key>``; JSON body ``{"to", "from", "body", "client_ref"}``;
answer ``{"id", "status"}``. The provider treats a repeated ``client_ref`` as the
same message and answers with the first id, so a retry never texts twice.
"""

from __future__ import annotations

from collections.abc import Mapping

import httpx

from dunwell.channels.model import MessageChannel, OutgoingMessage, ProviderConfig
from dunwell.channels.ports import ChannelProvider
from dunwell.providers.http_json import HttpApi, HttpJsonProvider


def sms_payload(message: OutgoingMessage, sender: str) -> Mapping[str, object]:
    return {"to": message.to_address, "from": sender, "body": message.body,
            "client_ref": message.idempotency_key}


SMS_API = HttpApi(channel=MessageChannel.SMS, label="SMS", settings_prefix="DUNWELL_SMS_HTTP",
                  path="/v1/messages", address="phone number", act="texting",
                  address_ok=lambda address: True, payload=sms_payload)


class HttpSmsProvider(HttpJsonProvider):
    def __init__(self, config: ProviderConfig, *, client: httpx.Client | None = None) -> None:
        super().__init__(SMS_API, config, client=client)


def factory(config: ProviderConfig) -> ChannelProvider:
    return HttpSmsProvider(config)
