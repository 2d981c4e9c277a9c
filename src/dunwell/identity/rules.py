"""The rules of accounts: what a user name, a role, a staff id, a password, an API
token, a phone number and a one-time code must look like, and when a stored token,
session or code may be used. Pure: hashing, randomness and the clock stay in the
shell, which passes the time in."""

from __future__ import annotations

import datetime as dt
import hmac
import re
from typing import Final

from dunwell.core.errors import Forbidden, InvalidInput, Unauthenticated
from dunwell.core.limits import AMOUNT_MINOR_MAX
from dunwell.identity.model import ApiToken, OneTimeCode, Role, User, WebSession

#: A user name: 2 to 64 characters, lower-case letters, digits and ``. _ - @``,
#: starting with a letter or a digit (names are compared lower-cased).
NAME_PATTERN: Final = re.compile(r"[a-z0-9][a-z0-9._@-]{1,63}")
#: A staff id as the staff register, case owners and field plans write it.
STAFF_ID_PATTERN: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
#: Passwords: at least this long (a passphrase is welcome), and at most this long
#: (Argon2 hashes whatever it gets; the bound keeps a request from being a workload).
PASSWORD_CHARS_MIN: Final = 12
PASSWORD_CHARS_MAX: Final = 1024
#: API tokens: ``dw_<token id>_<secret>``; the secret is URL-safe base64.
TOKEN_PREFIX: Final = "dw"
TOKEN_PATTERN: Final = re.compile(r"dw_([1-9][0-9]{0,18})_([A-Za-z0-9_-]{32,128})")
#: Characters of the secret shown in listings, so a person can tell tokens apart.
TOKEN_HINT_CHARS: Final = 4
TOKEN_LABEL_CHARS_MAX: Final = 64
#: How long a token may be made to last, in days.
TOKEN_DAYS_MIN: Final = 1
TOKEN_DAYS_MAX: Final = 3650
#: One-time sign-in codes: six digits, five tries.
CODE_DIGITS: Final = 6
CODE_ATTEMPTS_MAX: Final = 5
CODE_PATTERN: Final = re.compile(r"[0-9]{6}")
#: A phone number as a borrower types it: digits, an optional leading +, spaces,
#: hyphens, dots and brackets, 5 to 32 characters.
PHONE_PATTERN: Final = re.compile(r"\+?[0-9 ().-]{5,32}")
#: The user name a borrower signing in for the first time gets.
BORROWER_NAME_PREFIX: Final = "borrower-"


def check_name(name: str) -> str:
    """The user name, lower-cased; an ``InvalidInput`` saying what is allowed."""
    wanted = name.strip().lower()
    if not NAME_PATTERN.fullmatch(wanted):
        raise InvalidInput(f"user name {name!r} is not allowed: use 2 to 64 lower-case "
                           "letters, digits and . _ - @, starting with a letter or digit",
                           code="user_name_must_be_valid", field="name")
    return wanted


def parse_role(text: str | Role) -> Role:
    """The role named ``text``; an ``InvalidInput`` listing the roles otherwise."""
    if isinstance(text, Role):
        return text
    try:
        return Role(text.strip().lower())
    except ValueError:
        raise InvalidInput(f"role {text!r} is not known; use one of "
                           f"{', '.join(r.value for r in Role)}",
                           code="role_must_be_known", field="role") from None


def check_links(role: Role, *, staff_id: str | None, borrower_id: int | None,
                authority_minor: int | None) -> None:
    """A borrower's user names their borrower id and nothing of staff; a staff user
    names no borrower id, and a staff id (when given) of the register's shape; an
    approval authority is between 0 and the largest amount."""
    if role is Role.BORROWER:
        if borrower_id is None:
            raise InvalidInput("a borrower's user needs the borrower id it signs in as "
                               "(--borrower-id N)", code="borrower_user_must_name_borrower",
                               field="borrower_id")
        if staff_id is not None or authority_minor is not None:
            raise InvalidInput("a borrower's user has no staff id and no approval authority",
                               code="borrower_user_must_not_act_as_staff", field="staff_id")
        return
    if borrower_id is not None:
        raise InvalidInput(f"a {role.value} is staff and signs in as nobody's borrower id; "
                           "leave --borrower-id out", code="staff_user_must_not_name_borrower",
                           field="borrower_id")
    if staff_id is not None and not STAFF_ID_PATTERN.fullmatch(staff_id):
        raise InvalidInput(f"staff id {staff_id!r} is not allowed: 1 to 64 letters, digits "
                           "and . _ -", code="staff_id_must_be_valid", field="staff_id")
    if authority_minor is not None and not 0 <= authority_minor <= AMOUNT_MINOR_MAX:
        raise InvalidInput("the approval authority must be between 0 and "
                           f"{AMOUNT_MINOR_MAX} minor units",
                           code="authority_must_be_within_limits", field="authority")


def check_password(password: str) -> None:
    if len(password) < PASSWORD_CHARS_MIN:
        raise InvalidInput(f"the password must be at least {PASSWORD_CHARS_MIN} characters "
                           "(a passphrase of several words is easiest)",
                           code="password_must_be_long_enough", field="password")
    if len(password) > PASSWORD_CHARS_MAX:
        raise InvalidInput(f"the password may be at most {PASSWORD_CHARS_MAX} characters",
                           code="password_must_be_bounded", field="password")


def check_label(label: str) -> str:
    wanted = label.strip()
    if len(wanted) > TOKEN_LABEL_CHARS_MAX or not wanted.isprintable():
        raise InvalidInput(f"a token label is at most {TOKEN_LABEL_CHARS_MAX} printable "
                           "characters", code="token_label_must_be_valid", field="label")
    return wanted


def check_token_days(days: int) -> int:
    if not TOKEN_DAYS_MIN <= days <= TOKEN_DAYS_MAX:
        raise InvalidInput(f"a token lasts {TOKEN_DAYS_MIN} to {TOKEN_DAYS_MAX} days; "
                           f"{days} is outside", code="token_days_must_be_within_limits",
                           field="expires_days")
    return days


def format_token(token_id: int, secret: str) -> str:
    return f"{TOKEN_PREFIX}_{token_id}_{secret}"


def token_hint(token_id: int, secret: str) -> str:
    """What listings show of a token: enough to tell it apart, not to use it."""
    return f"{TOKEN_PREFIX}_{token_id}_{secret[:TOKEN_HINT_CHARS]}"


def parse_token(text: str) -> tuple[int, str]:
    """(token id, secret) of a token as ``dunwell token create`` printed it."""
    match = TOKEN_PATTERN.fullmatch(text.strip())
    if match is None:
        raise Unauthenticated("the API token is not one Dunwell issued: send the whole "
                              "line `dunwell token create NAME` printed, as "
                              "Authorization: Bearer dw_...", code="token_must_be_valid")
    return int(match.group(1)), match.group(2)


def check_token(token: ApiToken | None, user: User | None, *, at: dt.datetime) -> User:
    """The token's user, if the token may be used at ``at``; otherwise an
    ``Unauthenticated`` saying why (unknown, revoked, expired, user disabled)."""
    if token is None or user is None:
        raise Unauthenticated("the API token is not known (it may have been mistyped); "
                              "ask for a new one with `dunwell token create NAME`",
                              code="token_must_be_valid")
    if token.revoked_at is not None:
        raise Unauthenticated(f"API token {token.token_id} was revoked; ask for a new one",
                              code="token_must_not_be_revoked")
    if at >= token.expires_at:
        raise Unauthenticated(f"API token {token.token_id} expired on "
                              f"{token.expires_at.date().isoformat()}; ask for a new one",
                              code="token_must_not_be_expired")
    return check_active(user)


def check_active(user: User) -> User:
    if not user.active:
        raise Unauthenticated(f"user {user.name} is disabled; ask an administrator",
                              code="user_must_be_active")
    return user


def check_session(session: WebSession | None, *, at: dt.datetime) -> WebSession:
    """The session, if it may be used at ``at``: signed out and expired sessions
    ask the user to sign in again."""
    if session is None or not session.usable_at(at):
        raise Unauthenticated("the session has ended (signed out or expired); sign in "
                              "again", code="session_must_be_valid")
    return session


def check_csrf(expected_hash: str, given_hash: str | None) -> None:
    """An unsafe request on a session carries the session's CSRF token (compared as
    hashes, in constant time)."""
    if given_hash is None or not hmac.compare_digest(given_hash, expected_hash):
        raise Forbidden("this request changes something and must carry the session's "
                        "CSRF token (header X-CSRF-Token, or form field csrf_token): "
                        "reload the page, or sign in again", code="csrf_token_must_match")


def check_phone(phone: str) -> str:
    wanted = phone.strip()
    if not PHONE_PATTERN.fullmatch(wanted) or sum(ch.isdigit() for ch in wanted) < 5:
        raise InvalidInput("enter the mobile number our letters and messages reach you on "
                           "(digits, optionally starting with +)",
                           code="phone_number_must_be_valid", field="phone")
    return wanted


def check_code_format(code: str) -> str:
    wanted = code.strip().replace(" ", "")
    if not CODE_PATTERN.fullmatch(wanted):
        raise InvalidInput(f"the sign-in code is {CODE_DIGITS} digits, as in the text "
                           "message", code="code_must_be_six_digits", field="code")
    return wanted


def check_code(code: OneTimeCode | None, *, at: dt.datetime) -> OneTimeCode:
    """The code, if it may still be tried at ``at``; the messages never say whether a
    phone number is known."""
    if code is None or code.used_at is not None or at >= code.expires_at:
        raise Unauthenticated("that code is not valid (wrong number, used or expired); "
                              "ask for a new code", code="code_must_be_valid")
    if code.attempts >= CODE_ATTEMPTS_MAX:
        raise Unauthenticated(f"that code was tried {CODE_ATTEMPTS_MAX} times; ask for a "
                              "new code", code="code_attempts_must_be_within_limit")
    return code


def borrower_user_name(borrower_id: int) -> str:
    return f"{BORROWER_NAME_PREFIX}{borrower_id}"
