"""Signed provider callbacks: who may tell us a message was delivered, or that a
borrower wrote back.

A provider signs each callback with the secret it shares with the lender and sends

    Dunwell-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>

The signature covers the exact bytes of the body and the time it was made, so a body
changed on the way, or a signature lifted onto another body, does not match; and a
callback whose time is further than the window from ours (either way) is refused, so
a recorded callback cannot be played back later. Several ``v1=`` values may be sent
(a provider signing with an old and a new secret while they are rotated): one match
is enough. Values are compared in constant time.

Pure: the secret, the body and the time come in as arguments.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from dunwell.core.errors import Unauthenticated

#: The header that carries the signature.
SIGNATURE_HEADER = "Dunwell-Signature"
#: The only signature scheme: HMAC-SHA256 written as 64 lower-case hex digits.
SCHEME = "v1"
#: The longest header read; anything longer is malformed, not parsed.
HEADER_CHARS_MAX = 1_024
#: At most this many signatures in one header.
SIGNATURES_MAX = 4
#: A timestamp is whole seconds since 1970, at most this many digits.
TIMESTAMP_DIGITS_MAX = 12
_HEX = frozenset("0123456789abcdef")
_DIGEST_CHARS = 64
FORMAT = "t=<unix seconds>,v1=<hex HMAC-SHA256 of \"<t>.<body>\">"


@dataclass(frozen=True, slots=True)
class Signature:
    """A parsed header: when it was signed and the signatures sent."""

    timestamp: int
    digests: tuple[str, ...]


def digest(*, secret: str, timestamp: int, body: bytes) -> str:
    """The hex HMAC-SHA256 of ``"<timestamp>.<body>"`` keyed with ``secret``."""
    message = str(timestamp).encode("ascii") + b"." + body
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def sign(*, secret: str, timestamp: int, body: bytes) -> str:
    """The header value a provider sends with ``body`` at ``timestamp``."""
    return f"t={timestamp},{SCHEME}={digest(secret=secret, timestamp=timestamp, body=body)}"


def _malformed(why: str) -> Unauthenticated:
    return Unauthenticated(f"the {SIGNATURE_HEADER} header is malformed ({why}); send "
                           f"{FORMAT}", code="callback_signature_must_be_well_formed",
                           field=SIGNATURE_HEADER)


def parse_signature(header: str | None) -> Signature:
    """The timestamp and signatures of a header; a 401 error saying what is wrong."""
    if header is None or not header.strip():
        raise Unauthenticated(f"a callback must be signed: send {SIGNATURE_HEADER}: {FORMAT}, "
                              "made with the callback secret",
                              code="callback_signature_must_be_present",
                              field=SIGNATURE_HEADER)
    if len(header) > HEADER_CHARS_MAX:
        raise _malformed(f"longer than {HEADER_CHARS_MAX} characters")
    timestamp: int | None = None
    digests: list[str] = []
    for part in header.split(","):
        key, sep, value = part.strip().partition("=")
        if not sep:
            raise _malformed(f"{part.strip()[:20]!r} is not key=value")
        if key == "t":
            if timestamp is not None or not value.isascii() or not value.isdigit() \
                    or len(value) > TIMESTAMP_DIGITS_MAX:
                raise _malformed("t must appear once, as whole seconds since 1970")
            timestamp = int(value)
        elif key == SCHEME:
            value = value.lower()
            if len(value) != _DIGEST_CHARS or not set(value) <= _HEX:
                raise _malformed(f"{SCHEME} must be {_DIGEST_CHARS} hex digits")
            digests.append(value)
        # other keys (future schemes) are ignored
    if timestamp is None:
        raise _malformed("no t=")
    if not digests:
        raise _malformed(f"no {SCHEME}=")
    if len(digests) > SIGNATURES_MAX:
        raise _malformed(f"more than {SIGNATURES_MAX} signatures")
    return Signature(timestamp, tuple(digests))


def verify_callback(*, header: str | None, body: bytes, secret: str, now_seconds: int,
                    window_seconds: int) -> Signature:
    """Check a callback's signature at ``now_seconds``; the parsed signature, or a
    :class:`~dunwell.core.errors.Unauthenticated` error (401) with its code:
    ``callback_signature_must_be_present``, ``..._must_be_well_formed``,
    ``callback_timestamp_must_be_recent`` or ``callback_signature_must_match``."""
    assert secret, "an empty callback secret signs nothing"
    signature = parse_signature(header)
    skew = now_seconds - signature.timestamp
    if abs(skew) > window_seconds:
        raise Unauthenticated(
            f"the callback was signed {abs(skew)} seconds "
            f"{'ago' if skew > 0 else 'ahead of our clock'}; a signature is good for "
            f"{window_seconds} seconds: sign each request when it is sent, and keep the "
            "clock synchronised", code="callback_timestamp_must_be_recent",
            field=SIGNATURE_HEADER)
    expected = digest(secret=secret, timestamp=signature.timestamp, body=body)
    matched = False
    for sent in signature.digests:  # every one compared, in constant time
        matched |= hmac.compare_digest(expected, sent)
    if not matched:
        raise Unauthenticated(
            "the callback's signature does not match its body: sign the exact bytes sent, "
            "as HMAC-SHA256 of \"<t>.<body>\" with the callback secret",
            code="callback_signature_must_match", field=SIGNATURE_HEADER)
    return signature
