"""An e-mail provider's HTTP API.

``POST {base_url}/v1/emails`` with ``Authorization: Bearer <token>`` and
``Idempotency-Key: <key>``; JSON body ``{"from", "to", "subject", "text",
"client_ref"}``; answer ``{"id", "status"}``. A repeated ``client_ref`` is the same
e-mail: the provider answers with the first id and does not send again. An address
without an ``@`` is no address.
"""

from __future__ import annotations

from collections.abc import Mapping

import httpx

from dunwell.channels.model import MessageChannel, OutgoingMessage, ProviderConfig
from dunwell.channels.ports import ChannelProvider
from dunwell.providers.http_json import HttpApi, HttpJsonProvider


def email_payload(message: OutgoingMessage, sender: str) -> Mapping[str, object]:
    return {"from": sender, "to": message.to_address, "subject": message.subject,
            "text": message.body, "client_ref": message.idempotency_key}


EMAIL_API = HttpApi(channel=MessageChannel.EMAIL, label="e-mail",
                    settings_prefix="DUNWELL_EMAIL_HTTP", path="/v1/emails",
                    address="e-mail address", act="e-mailing",
                    address_ok=lambda address: "@" in address, payload=email_payload)


class HttpEmailProvider(HttpJsonProvider):
    def __init__(self, config: ProviderConfig, *, client: httpx.Client | None = None) -> None:
        super().__init__(EMAIL_API, config, client=client)


def factory(config: ProviderConfig) -> ChannelProvider:
    return HttpEmailProvider(config)
