"""Signed provider callbacks for the tests: post a JSON body with the
``Dunwell-Signature`` header a provider would send."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx

from dunwell.channels.callbacks import SIGNATURE_HEADER, sign

#: The callback secret the tests' books are configured with.
TEST_CALLBACK_SECRET = "test-callback-secret-0123456789abcdef"


def signed_post(client: Any, path: str, body: object, *,
                secret: str = TEST_CALLBACK_SECRET, at: int | None = None) -> httpx.Response:
    """POST ``body`` as JSON to ``path``, signed with ``secret`` at ``at`` (now)."""
    raw = json.dumps(body).encode("utf-8")
    stamp = int(time.time()) if at is None else at
    response: httpx.Response = client.post(path, content=raw, headers={
        "Content-Type": "application/json",
        SIGNATURE_HEADER: sign(secret=secret, timestamp=stamp, body=raw)})
    return response
