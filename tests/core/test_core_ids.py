"""Idempotency keys and command fingerprints."""

from __future__ import annotations

import pytest

from dunwell.core.errors import InvalidInput
from dunwell.core.ids import IDEMPOTENCY_KEY_MAX_LEN, check_idempotency_key, fingerprint


def test_an_idempotency_key_is_trimmed() -> None:
    assert check_idempotency_key("  pay-2025-02-15-0001 ") == "pay-2025-02-15-0001"


@pytest.mark.parametrize("key", ["", "   ", "k" * (IDEMPOTENCY_KEY_MAX_LEN + 1)])
def test_an_empty_or_overlong_key_is_rejected(key: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        check_idempotency_key(key)
    assert exc.value.code == "idempotency_key_must_be_present"


def test_a_fingerprint_ignores_key_order_and_tells_different_data_apart() -> None:
    a = fingerprint({"loan_id": 7, "amount_minor": 102007, "currency": "CNY"})
    b = fingerprint({"currency": "CNY", "amount_minor": 102007, "loan_id": 7})
    c = fingerprint({"loan_id": 7, "amount_minor": 102008, "currency": "CNY"})
    assert a == b
    assert a != c
    assert len(a) == 64
