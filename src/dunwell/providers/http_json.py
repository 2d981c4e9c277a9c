"""One JSON-over-HTTP call for the provider adapters, with the failure mapping they
share: a timeout, a connection error, a 408, a 429 or a 5xx may succeed later
(:class:`TransientFailure`); any other 4xx never will (:class:`PermanentFailure`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from dunwell.channels.errors import PermanentFailure, TransientFailure
from dunwell.channels.model import SendReceipt

RETRYABLE_STATUSES = frozenset({408, 425, 429})
#: Characters of an error response kept in the recorded failure.
ERROR_TEXT_MAX = 300


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
    try:
        body = response.json()
        message_id = str(body["id"])
    except (ValueError, KeyError, TypeError) as exc:
        raise TransientFailure(f"{url} answered {status} without a JSON message id",
                               code="provider_answer_must_have_id") from exc
    return SendReceipt(provider_message_id=message_id, status=str(body.get("status", "accepted")))
