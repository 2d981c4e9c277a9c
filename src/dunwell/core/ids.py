"""Identifiers and idempotency keys."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from dunwell.core.errors import InvalidInput

IDEMPOTENCY_KEY_MAX_LEN = 128


def check_idempotency_key(key: str) -> str:
    key = key.strip()
    if not key or len(key) > IDEMPOTENCY_KEY_MAX_LEN:
        raise InvalidInput(
            f"idempotency key must be 1..{IDEMPOTENCY_KEY_MAX_LEN} characters",
            code="idempotency_key_must_be_present",
        )
    return key


def fingerprint(payload: Mapping[str, Any]) -> str:
    """Stable digest of a command's data, to tell a replay from a conflicting reuse."""
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()
