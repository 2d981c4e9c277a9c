"""The secrets a served book needs: each missing or development one is named on its
own line with what to set; empty signing secrets fall back to development values
only where that is safe (a command run by hand, or development mode)."""

from __future__ import annotations

import pytest

from dunwell.app.secrets import (
    DEV_CALLBACK_SECRET,
    DEV_LETTER_SECRET,
    callback_key,
    letter_key,
    problems,
)
from dunwell.bootstrap import secret_problems
from dunwell.settings import Settings

LETTER = "l" * 20 + "0123456789abcdef0123456789"
CALLBACK = "c" * 20 + "0123456789abcdef0123456789"
DATA_KEYS = "k1:LpIfko9wUXlPsLUfUEfmGSb0oGFidh1BfZ+Rzj+KWFo="
LOOKUP_KEY = "q0bCVOvZ3d1ZfM1jG9L4T5mUq2m8S7XyF0bK2hWcE3A="
READY = {"letter_secret": LETTER, "callback_secret": CALLBACK, "data_keys": DATA_KEYS,
         "lookup_key": LOOKUP_KEY}


@pytest.fixture(autouse=True)
def _no_secrets_in_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("LETTER_SECRET", "CALLBACK_SECRET", "DATA_KEYS", "LOOKUP_KEY", "DEV_MODE"):
        monkeypatch.delenv(f"DUNWELL_{name}", raising=False)


def test_the_defaults_name_every_secret_a_served_book_lacks() -> None:
    found = problems(Settings())
    assert len(found) == 4, found
    letter, callback, data, lookup = found
    assert letter.startswith("DUNWELL_LETTER_SECRET is the development value")
    assert callback.startswith("DUNWELL_CALLBACK_SECRET is empty")
    assert data.startswith("DUNWELL_DATA_KEYS is empty")
    assert lookup.startswith("DUNWELL_LOOKUP_KEY is empty")
    assert all("set" in line for line in found)  # each says what to do


def test_configured_secrets_leave_nothing_to_say() -> None:
    assert problems(Settings(**READY)) == []  # type: ignore[arg-type]
    assert problems(Settings(**READY), keys=secret_problems) == []  # type: ignore[arg-type]


@pytest.mark.parametrize(("setting", "value", "words"), [
    ("letter_secret", "", "DUNWELL_LETTER_SECRET is empty"),
    ("letter_secret", DEV_LETTER_SECRET, "is the development value"),
    ("letter_secret", "short-secret", "has 12 characters; use at least 32"),
    ("callback_secret", DEV_CALLBACK_SECRET, "DUNWELL_CALLBACK_SECRET is the development"),
    ("callback_secret", "x" * 31, "has 31 characters"),
])
def test_a_weak_signing_secret_is_named(setting: str, value: str, words: str) -> None:
    [line] = problems(Settings(**{**READY, setting: value}))  # type: ignore[arg-type]
    assert words in line and "openssl rand -hex 32" in line


def test_the_key_check_of_the_composition_root_also_knows_malformed_keys() -> None:
    settings = Settings(**{**READY, "data_keys": "k1:not-base64"})  # type: ignore[arg-type]
    assert problems(settings) == []  # set: the plain check is satisfied
    [line] = problems(settings, keys=secret_problems)
    assert "DUNWELL_DATA_KEYS" in line and "32 bytes" in line


def test_an_empty_letter_secret_falls_back_to_the_development_value() -> None:
    assert letter_key(Settings(letter_secret=LETTER)) == LETTER
    assert letter_key(Settings(letter_secret="")) == DEV_LETTER_SECRET


def test_an_empty_callback_secret_stands_in_only_in_development_mode() -> None:
    assert callback_key(Settings(callback_secret=CALLBACK)) == CALLBACK
    assert callback_key(Settings()) is None
    assert callback_key(Settings(dev_mode=True)) == DEV_CALLBACK_SECRET
