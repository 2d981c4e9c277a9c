"""The hashes identity keeps instead of secrets: SHA-256 of random tokens (they carry
256 bits, so a plain digest is enough), a salted SHA-256 of six-digit codes (which
live minutes and allow five tries), and Argon2id for passwords."""

from __future__ import annotations

import functools
import hashlib
import hmac
import secrets

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError

#: Argon2id at RFC 9106's second recommended setting (64 MiB, three passes, four lanes:
#: the library's defaults).
PASSWORD_PARAMETERS = profiles.RFC_9106_LOW_MEMORY
PASSWORDS = PasswordHasher.from_parameters(PASSWORD_PARAMETERS)


@functools.cache
def _dummy_hash() -> str:
    """Verified against when the user does not exist, so a wrong name costs as long as
    a wrong password and the timing does not tell which names exist. Made on first use:
    an Argon2 hash costs a noticeable share of a second, which every process importing
    this module (each command, each test worker) paid at import."""
    return PASSWORDS.hash("an unknown user's password stands in here")


#: Random bytes in a token's secret, a session id and a CSRF token.
SECRET_BYTES = 32


def new_secret() -> str:
    """A new random secret, URL-safe (43 characters for 32 bytes)."""
    return secrets.token_urlsafe(SECRET_BYTES)


def digest(secret: str) -> str:
    """SHA-256 of ``secret`` (hex)."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode("utf-8"), b.encode("utf-8"))


def new_code(digits: int) -> str:
    """A uniformly random code of ``digits`` decimal digits."""
    return f"{secrets.randbelow(10**digits):0{digits}d}"


def code_hash(code: str, *, salt: str | None = None) -> str:
    """``salt$digest``: the code hashed with a fresh salt (or the one given)."""
    chosen = salt if salt is not None else secrets.token_hex(16)
    return f"{chosen}${digest(chosen + ':' + code)}"


def code_matches(stored: str, code: str) -> bool:
    salt, _, _ = stored.partition("$")
    return same(stored, code_hash(code, salt=salt))


def hash_password(password: str) -> str:
    return PASSWORDS.hash(password)


def password_matches(stored: str | None, password: str) -> bool:
    """Whether ``password`` is the one hashed in ``stored`` (None: no password set,
    which never matches, after the same work as a real check)."""
    try:
        return PASSWORDS.verify(stored or _dummy_hash(), password) and stored is not None
    except (VerificationError, InvalidHashError):
        return False
