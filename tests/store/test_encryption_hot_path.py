"""The close of business and payments do not open sealed values row by row: COB reads
and writes none, a payment opens and seals a handful for its receipt, however large
the book."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterator

import pytest

from dunwell.app.cob import close_until
from dunwell.app.lending.payments import receive_payment
from dunwell.bootstrap import Dunwell
from dunwell.simulation.portfolio import seed_book
from dunwell.store.crypto import Keyring

START = dt.date(2025, 1, 15)


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[Counter[str]]:
    """How often values are sealed and opened while the test runs."""
    seen: Counter[str] = Counter()
    encrypt, decrypt = Keyring.encrypt, Keyring.decrypt

    def counted_encrypt(self: Keyring, plaintext: str, *, column: str) -> str:
        seen[f"seal {column}"] += 1
        return encrypt(self, plaintext, column=column)

    def counted_decrypt(self: Keyring, stored: str, *, column: str) -> str:
        seen[f"open {column}"] += 1
        return decrypt(self, stored, column=column)

    monkeypatch.setattr(Keyring, "encrypt", counted_encrypt)
    monkeypatch.setattr(Keyring, "decrypt", counted_decrypt)
    yield seen


@pytest.mark.parametrize("loans", [20, 80])
def test_the_close_of_business_seals_and_opens_nothing(app: Dunwell, loans: int,
                                                       calls: Counter[str]) -> None:
    seed_book(app, loans=loans, start=START, seed=5)
    calls.clear()
    close_until(app, START + dt.timedelta(days=40))
    assert calls == Counter()


@pytest.mark.parametrize("loans", [20, 80])
def test_a_payment_touches_a_few_sealed_values_whatever_the_size_of_the_book(
        app: Dunwell, loans: int, calls: Counter[str]) -> None:
    seed_book(app, loans=loans, start=START, seed=5)
    calls.clear()
    with app.uow() as uow:
        receive_payment(uow, loan_id=1, amount="100.00", currency="CNY",
                        idempotency_key="bank-ref-1", providers=app.providers)
        uow.commit()
    assert 0 < sum(calls.values()) <= 10, calls
    assert all(n <= 3 for n in calls.values()), calls
