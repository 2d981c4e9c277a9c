"""Personal data encrypted at rest: the keyring, AES-256-GCM ciphertexts, keyed hashes.

The store is where values meet the database, so this is where they are sealed and
opened. A value is stored as a short versioned text::

    enc:v1:<key id>:<base64(nonce || ciphertext || tag)>

with a random 96-bit nonce and the column (``table.column``) as associated data, so a
ciphertext copied into another column does not open. The key id names which key of
``DUNWELL_DATA_KEYS`` sealed it; new values are sealed under the first (newest) key,
older ones open under theirs until ``dunwell keys rotate`` re-seals them.

Phone numbers and e-mail addresses are found without storing them in clear by a
keyed hash (HMAC-SHA256 under ``DUNWELL_LOOKUP_KEY``) of the normalised value (a
phone's digits, an e-mail in lower case), tagged with a fingerprint of the lookup
key so that hashes made under an earlier lookup key can be told apart and remade.

One process serves one keyring: :func:`configure` is called once by the composition
root with the process's settings, and every column type reads :func:`keyring`.
Without keys (empty settings) fixed development keys are used and a warning is
logged once; ``serve`` refuses them outside development mode
(:func:`secret_problems`).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from dunwell.core.errors import InvalidInput
from dunwell.settings import Settings

if TYPE_CHECKING:  # the cipher (and the `cryptography` library) is built when a value is
    # first sealed or opened: a command that reads plain columns starts without it
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

#: Every ciphertext starts with this; the key id and the sealed bytes follow.
PREFIX = "enc:v1:"
KEY_BYTES = 32
NONCE_BYTES = 12
#: The most keys a keyring holds (the newest and those still being rotated away).
KEYS_MAX = 16
#: A key id: a letter or digit, then up to 31 letters, digits, dots or dashes (no
#: colon, no underscore, so it is safe in the text format and in a LIKE pattern).
KEY_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9.-]{0,31}")
#: The id of the fixed development key.
DEVELOPMENT_KEY_ID = "dev"
_DEVELOPMENT_DATA_KEY = hashlib.sha256(b"dunwell development data key, not a secret").digest()
_DEVELOPMENT_LOOKUP_KEY = hashlib.sha256(b"dunwell development lookup key, not a secret").digest()
#: Characters of the lookup key's fingerprint that tag each lookup hash.
LOOKUP_TAG_CHARS = 8
_NOT_PHONE = re.compile(r"[^0-9+\-(). ]")

DATA_KEYS_MALFORMED = "data_keys_must_be_well_formed"
LOOKUP_KEY_MALFORMED = "lookup_key_must_be_well_formed"


class CiphertextUnreadable(Exception):
    """A stored value does not open: its key is not in the keyring, or it was sealed
    for another column, or it was changed. Never a user's mistake; the message says
    which key and column, and what to do."""


@dataclass(frozen=True, slots=True)
class DataKey:
    key_id: str
    secret: bytes = field(repr=False)


class Keyring:
    """The data keys (newest first) and the lookup key of one process."""

    def __init__(self, keys: Sequence[DataKey], lookup_key: bytes, *,
                 development: bool = False) -> None:
        if not keys:
            raise ValueError("a keyring needs at least one data key")
        self.keys = tuple(keys)
        self.development = development
        self._lookup_key = lookup_key
        self._aead: dict[str, AESGCM] = {}
        self.lookup_tag = hmac.new(lookup_key, b"dunwell lookup key fingerprint",
                                   hashlib.sha256).hexdigest()[:LOOKUP_TAG_CHARS]

    @property
    def newest(self) -> str:
        """The id of the key new values are sealed under."""
        return self.keys[0].key_id

    @property
    def key_ids(self) -> tuple[str, ...]:
        return tuple(k.key_id for k in self.keys)

    def _cipher(self, key_id: str) -> AESGCM | None:
        """The AES-GCM cipher of a key of the ring, built on first use; None for an id
        the ring does not hold."""
        aead = self._aead.get(key_id)
        if aead is None:
            secret = next((k.secret for k in self.keys if k.key_id == key_id), None)
            if secret is None:
                return None
            from cryptography.hazmat.primitives.ciphers.aead import AESGCM

            aead = self._aead.setdefault(key_id, AESGCM(secret))
        return aead

    def encrypt(self, plaintext: str, *, column: str) -> str:
        """``plaintext`` sealed under the newest key for ``column`` (``table.column``)."""
        nonce = os.urandom(NONCE_BYTES)
        aead = self._cipher(self.newest)
        assert aead is not None  # the newest key is the ring's first
        sealed = aead.encrypt(nonce, plaintext.encode("utf-8"),
                                                 column.encode("utf-8"))
        return f"{PREFIX}{self.newest}:{base64.b64encode(nonce + sealed).decode('ascii')}"

    def decrypt(self, stored: str, *, column: str) -> str:
        """The plaintext of a stored value; a value without the prefix is a row written
        before encryption and is returned as it is."""
        if not stored.startswith(PREFIX):
            return stored
        key_id, _, payload = stored[len(PREFIX):].partition(":")
        aead = self._cipher(key_id)
        if aead is None:
            raise CiphertextUnreadable(
                f"a value of {column} is sealed under key {key_id!r}, which is not in "
                f"DUNWELL_DATA_KEYS (it holds {', '.join(self.key_ids)}); add that key back "
                "(after the newest) and run `dunwell keys rotate`")
        from cryptography.exceptions import InvalidTag

        try:
            raw = base64.b64decode(payload, validate=True)
            opened = aead.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], column.encode("utf-8"))
        except (InvalidTag, binascii.Error, ValueError):
            raise CiphertextUnreadable(
                f"a value of {column} under key {key_id!r} does not open: it was sealed "
                "for another column, with another key of the same id, or it was "
                "changed; restore it from a backup") from None
        return opened.decode("utf-8")

    def lookup_hash(self, value: str) -> str:
        """The keyed hash a phone number or e-mail address is found by:
        ``<lookup key tag>:<hex HMAC-SHA256 of the normalised value>``."""
        digest = hmac.new(self._lookup_key, normalise(value).encode("utf-8"),
                          hashlib.sha256).hexdigest()
        return f"{self.lookup_tag}:{digest}"


def key_id_of(stored: str) -> str | None:
    """The key id a stored value is sealed under; None for plaintext."""
    if not stored.startswith(PREFIX):
        return None
    return stored[len(PREFIX):].partition(":")[0]


def normalise(value: str) -> str:
    """A phone number as its digits (``+86 138-0000-0001`` -> ``8613800000001``), an
    e-mail address (anything with ``@``) trimmed and in lower case; anything else
    trimmed and case-folded."""
    text = value.strip()
    if "@" in text:
        return text.lower()
    if text and not _NOT_PHONE.search(text) and any(ch.isdigit() for ch in text):
        return "".join(ch for ch in text if ch.isdigit())
    return text.casefold()


# --- from settings ---------------------------------------------------------------------

def parse_data_keys(text: str) -> list[DataKey]:
    """``"ID:BASE64KEY,ID:BASE64KEY"`` (newest first) as keys; InvalidInput naming the
    entry when an id is malformed or repeated, or a key is not 32 bytes of base64."""
    keys: list[DataKey] = []
    entries = [e.strip() for e in text.split(",") if e.strip()]
    if len(entries) > KEYS_MAX:
        raise InvalidInput(f"DUNWELL_DATA_KEYS holds {len(entries)} keys; keep at most "
                           f"{KEYS_MAX} (rotate, then drop the old ones)",
                           code=DATA_KEYS_MALFORMED)
    for n, entry in enumerate(entries, start=1):
        key_id, sep, encoded = entry.partition(":")
        key_id = key_id.strip()
        if not sep or not KEY_ID.fullmatch(key_id):
            raise InvalidInput(
                f"DUNWELL_DATA_KEYS entry {n} must be ID:BASE64KEY with an id of letters, "
                "digits, dots and dashes (up to 32); generate one with `dunwell keys generate`",
                code=DATA_KEYS_MALFORMED)
        if any(k.key_id == key_id for k in keys):
            raise InvalidInput(f"DUNWELL_DATA_KEYS names key id {key_id!r} twice; give each "
                               "key its own id", code=DATA_KEYS_MALFORMED)
        secret = _key_bytes(encoded)
        if secret is None:
            raise InvalidInput(f"DUNWELL_DATA_KEYS key {key_id!r} must be {KEY_BYTES} bytes in "
                               "base64; generate one with `dunwell keys generate`",
                               code=DATA_KEYS_MALFORMED)
        keys.append(DataKey(key_id, secret))
    return keys


def parse_lookup_key(text: str) -> bytes | None:
    """The lookup key (base64 of 32 bytes); None when unset."""
    if not text.strip():
        return None
    secret = _key_bytes(text)
    if secret is None:
        raise InvalidInput(f"DUNWELL_LOOKUP_KEY must be {KEY_BYTES} bytes in base64; "
                           "generate one with `dunwell keys generate`", code=LOOKUP_KEY_MALFORMED)
    return secret


def _key_bytes(encoded: str) -> bytes | None:
    try:
        secret = base64.b64decode(encoded.strip(), validate=True)
    except (binascii.Error, ValueError):
        return None
    return secret if len(secret) == KEY_BYTES else None


def keyring_from(settings: Settings) -> Keyring:
    """The keyring ``settings`` describe; development keys stand in for unset ones."""
    keys = parse_data_keys(settings.data_keys)
    lookup = parse_lookup_key(settings.lookup_key)
    development = not keys or lookup is None
    return Keyring(keys or [DataKey(DEVELOPMENT_KEY_ID, _DEVELOPMENT_DATA_KEY)],
                   _DEVELOPMENT_LOOKUP_KEY if lookup is None else lookup,
                   development=development)


def is_development(settings: Settings) -> bool:
    """Whether ``settings`` leave personal data under development keys: a key unset,
    or set to a development value."""
    keys = parse_data_keys(settings.data_keys)
    lookup = parse_lookup_key(settings.lookup_key)
    return (not keys or lookup is None or lookup == _DEVELOPMENT_LOOKUP_KEY
            or any(k.secret == _DEVELOPMENT_DATA_KEY for k in keys))


def secret_problems(settings: Settings) -> list[str]:
    """What is wrong with the encryption keys of ``settings`` for serving real data
    (empty: nothing); each line says what to set."""
    problems: list[str] = []
    try:
        keys = parse_data_keys(settings.data_keys)
    except InvalidInput as exc:
        problems.append(exc.message)
        keys = []
    else:
        if not keys:
            problems.append("DUNWELL_DATA_KEYS is not set: personal data would be encrypted "
                            "under the development key; set it (`dunwell keys generate`)")
        elif any(k.secret == _DEVELOPMENT_DATA_KEY for k in keys):
            problems.append("DUNWELL_DATA_KEYS holds the development key; generate a real "
                            "one with `dunwell keys generate`")
    try:
        lookup = parse_lookup_key(settings.lookup_key)
    except InvalidInput as exc:
        problems.append(exc.message)
    else:
        if lookup is None:
            problems.append("DUNWELL_LOOKUP_KEY is not set: lookup hashes would use the "
                            "development key; set it (`dunwell keys generate`, key part)")
        elif lookup == _DEVELOPMENT_LOOKUP_KEY:
            problems.append("DUNWELL_LOOKUP_KEY is the development key; generate a real one")
        elif any(k.secret == lookup for k in keys):
            problems.append("DUNWELL_LOOKUP_KEY must differ from every data key")
    return problems


# --- the process's keyring -----------------------------------------------------------

_lock = threading.Lock()
_current: Keyring | None = None
_warned = False
#: Gives the logger the development-keys warning is written to: the log set-up's own when
#: it has named one (:func:`log_through`), else structlog's.
_logger_for: Callable[[str], Any] | None = None


def log_through(get: Callable[[str], Any]) -> None:
    """Write the development-keys warning to the logger ``get(name)`` gives: the log
    set-up names its own when it applies its configuration with the first logger."""
    global _logger_for
    _logger_for = get


def configure(settings: Settings) -> Keyring:
    """Make ``settings``' keyring the one this process seals and opens values with
    (called once by the composition root); warns once when development keys stand in."""
    global _current
    ring = keyring_from(settings)
    with _lock:
        _current = ring
    if ring.development:
        _warn_development(dev_mode=settings.dev_mode)
    return ring


def keyring() -> Keyring:
    """The process's keyring (development keys, with a warning, until configured)."""
    global _current
    ring = _current
    if ring is None:
        ring = Keyring([DataKey(DEVELOPMENT_KEY_ID, _DEVELOPMENT_DATA_KEY)],
                       _DEVELOPMENT_LOOKUP_KEY, development=True)
        with _lock:
            _current = _current or ring
            ring = _current
        _warn_development(dev_mode=False)
    return ring


def _warn_development(*, dev_mode: bool) -> None:
    global _warned
    with _lock:
        if _warned:
            return
        _warned = True
    if _logger_for is not None:
        log = _logger_for("dunwell.store.crypto")
    else:
        import structlog  # with the first warning: a keyed process never needs it here

        log = structlog.get_logger("dunwell.store.crypto")
    if dev_mode:
        log.warning("development keys in use (development mode)", event_kind="keys_development")
    else:
        log.warning("development keys in use; set DUNWELL_DATA_KEYS",
                    event_kind="keys_development",
                    remedy="set DUNWELL_DATA_KEYS and DUNWELL_LOOKUP_KEY "
                           "(`dunwell keys generate`)")


__all__ = ["DEVELOPMENT_KEY_ID", "PREFIX", "CiphertextUnreadable", "DataKey", "Keyring",
           "configure", "is_development", "key_id_of", "keyring", "keyring_from", "normalise",
           "parse_data_keys", "parse_lookup_key", "secret_problems"]
