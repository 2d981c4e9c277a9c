"""Letter numbers and verification codes.

A letter number is ``DW-YYYYMMDD-NNNNNN``: the business date it was issued on and
that day's sequence number, so numbers are deterministic and sort by issue order.

A verification code proves a letter came from the lender and says what it says. It
is the HMAC-SHA256, keyed with the lender's secret, of the letter number and the
SHA-256 of the letter's signed content (:func:`signed_sha256`): the canonical JSON of
its number, kind, borrower, case, business date, language, jurisdiction and whole
document (every amount and date printed on it). Verifying recomputes that content
from the stored letter, so a record whose amounts, dates or borrower were changed
afterwards no longer matches its code, whatever hash was written beside it; making a
matching code needs the secret. The code is written as 15 characters from an
alphabet without look-alikes (no 0, 1, I, L, O) plus one check character, grouped in
fours: ``7K3Q-MX9A-T2HC-RW4P``. The 15 characters carry about 74 bits of the HMAC,
far beyond guessing. The check character (a weighted sum modulo 31, a prime) catches
every single mistyped character and every swap of two neighbouring characters before
any lookup, so a typo gets a different answer from a code that was never issued.

Pure: the secret comes in as an argument.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import re
from dataclasses import dataclass
from enum import StrEnum

from dunwell.core.errors import InvalidInput

#: Names the layout of the signed content; a new layout gets a new name.
SIGNED_CONTENT_SCHEME = "dunwell-letter-2"
#: 31 characters (a prime count) with no 0/O, 1/I/L look-alikes.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
DATA_CHARS = 15
GROUP = 4
CODE_CHARS = DATA_CHARS + 1
LETTER_PREFIX = "DW"
SEQUENCE_MAX = 999_999
_LETTER_NO = re.compile(r"^DW-(\d{8})-(\d{6})$")
_SEPARATORS = re.compile(r"[\s\-_.]+")


class CodeProblem(StrEnum):
    """Why a typed code cannot be a code at all (before any lookup)."""

    EMPTY = "empty"
    WRONG_LENGTH = "wrong_length"
    BAD_CHARACTERS = "bad_characters"
    CHECK_FAILED = "check_failed"


@dataclass(frozen=True, slots=True)
class CodeCheck:
    """A typed code after normalising: the canonical code, or the problem with it."""

    code: str | None
    problem: CodeProblem | None
    message: str


@dataclass(frozen=True, slots=True)
class SignedContent:
    """What a letter's code vouches for: every field that matters, and the document as
    JSON data (``json.loads`` of the stored canonical document)."""

    letter_no: str
    kind: str
    borrower_id: int
    case_id: str | None
    business_date: dt.date
    language: str
    jurisdiction: str
    document: object


def signed_json(content: SignedContent) -> str:
    """The one serialisation of ``content`` that is signed: sorted keys, no spaces,
    UTF-8 kept, the date in ISO form."""
    return json.dumps({
        "scheme": SIGNED_CONTENT_SCHEME, "letter_no": content.letter_no,
        "kind": content.kind, "borrower_id": content.borrower_id,
        "case_id": content.case_id, "business_date": content.business_date.isoformat(),
        "language": content.language, "jurisdiction": content.jurisdiction,
        "document": content.document,
    }, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def signed_sha256(content: SignedContent) -> str:
    """The hex SHA-256 of :func:`signed_json`: what a verification code covers."""
    return hashlib.sha256(signed_json(content).encode("utf-8")).hexdigest()


def letter_no(business_date: dt.date, sequence: int) -> str:
    """The letter number for the ``sequence``-th letter issued on ``business_date``."""
    if not 1 <= sequence <= SEQUENCE_MAX:
        raise InvalidInput(
            f"a day's letter sequence runs from 1 to {SEQUENCE_MAX}, not {sequence}",
            code="letter_sequence_must_be_in_range",
        )
    return f"{LETTER_PREFIX}-{business_date:%Y%m%d}-{sequence:06d}"


def parse_letter_no(text: str) -> tuple[dt.date, int]:
    """``(business date, sequence)`` of a letter number; a clear error otherwise."""
    match = _LETTER_NO.match(text.strip().upper())
    if match is None:
        raise InvalidInput(
            f"{text!r} is not a letter number; they look like DW-20261124-000123",
            code="letter_no_must_be_valid",
        )
    try:
        day = dt.datetime.strptime(match[1], "%Y%m%d").date()  # noqa: DTZ007 - a date only
    except ValueError:
        raise InvalidInput(f"{text!r} has no valid date in it",
                           code="letter_no_must_be_valid") from None
    return day, int(match[2])


def check_character(data: str) -> str:
    """The check character for ``data`` (characters of :data:`ALPHABET`).

    Position weights 1..15 are distinct and non-zero modulo 31, so changing one
    character or swapping two different neighbours always changes the sum.
    """
    total = sum((k + 1) * ALPHABET.index(ch) for k, ch in enumerate(data))
    return ALPHABET[total % len(ALPHABET)]


def _digest_chars(digest: bytes, count: int) -> str:
    number = int.from_bytes(digest, "big")
    chars = []
    for _ in range(count):
        number, index = divmod(number, len(ALPHABET))
        chars.append(ALPHABET[index])
    return "".join(chars)


def verification_code(*, secret: str, letter_no: str, content_sha256: str) -> str:
    """The canonical (ungrouped) 16-character code for a letter, from its number and
    the hash of its signed content (:func:`signed_sha256`)."""
    if not secret:
        raise InvalidInput("the letter secret must not be empty; set DUNWELL_LETTER_SECRET",
                           code="letter_secret_must_be_set")
    message = f"{letter_no}\n{content_sha256}".encode()
    digest = hmac.new(secret.encode("utf-8"), message, hashlib.sha256).digest()
    data = _digest_chars(digest, DATA_CHARS)
    return data + check_character(data)


def code_matches(*, secret: str, code: str, letter_no: str, content_sha256: str) -> bool:
    """Whether ``code`` (canonical) is the code of this letter number and content."""
    expected = verification_code(secret=secret, letter_no=letter_no,
                                 content_sha256=content_sha256)
    return hmac.compare_digest(expected, code)


def grouped(code: str) -> str:
    """``7K3QMX9AT2HCRW4P`` as people type it: ``7K3Q-MX9A-T2HC-RW4P``."""
    return "-".join(code[k:k + GROUP] for k in range(0, len(code), GROUP))


def normalise_code(typed: str) -> CodeCheck:
    """Read a code as a person typed it: any case, spaces or dashes anywhere.

    Returns the canonical code, or which problem makes it impossible (so a typo
    gets a helpful answer and no lookup is made)."""
    text = _SEPARATORS.sub("", typed).upper()
    if not text:
        return CodeCheck(None, CodeProblem.EMPTY, "no code was given; it is printed on the "
                         "letter as four groups of four characters")
    bad = sorted({ch for ch in text if ch not in ALPHABET})
    if bad:
        return CodeCheck(None, CodeProblem.BAD_CHARACTERS,
                         f"the code contains {', '.join(repr(b) for b in bad)}, which never "
                         "appear in a code (codes use 2-9 and letters except I, L, O); "
                         "check for a typo")
    if len(text) != CODE_CHARS:
        return CodeCheck(None, CodeProblem.WRONG_LENGTH,
                         f"the code has {len(text)} characters; a code has {CODE_CHARS} "
                         "(four groups of four)")
    if check_character(text[:DATA_CHARS]) != text[DATA_CHARS]:
        return CodeCheck(None, CodeProblem.CHECK_FAILED,
                         "the code's check character does not match: one character is "
                         "probably mistyped; compare it with the letter again")
    return CodeCheck(text, None, "well formed")


def mask_name(name: str) -> str:
    """A borrower's name as a verification page may show it: ``张*``, ``L** W**``."""
    parts = name.split()
    if len(parts) > 1:
        return " ".join(p[0] + "*" * max(len(p) - 1, 1) for p in parts)
    text = name.strip()
    if not text:
        return ""
    if len(text) == 1:
        return text + "*"
    if len(text) == 2:
        return text[0] + "*"
    return text[0] + "*" * (len(text) - 2) + text[-1]
