"""Borrowers sign in with a one-time code sent by text message to the phone number on
file: :func:`request_code` (answered the same whether or not the number is known) and
:func:`verify_code` (a borrower session; the borrower's user is made on their first
sign-in).

A code is six random digits, kept only as a salted hash, good for the settings'
``otp_ttl_seconds`` and five tries; asking for a new code retires the old one. The
text goes straight to the SMS provider the settings choose (the local outbox file in
the demo), never through the outbox table, so the code is not stored in clear
anywhere; it is transactional (the borrower asked for it), so the contact guard's
collection hours do not hold it back. At most ``otp_requests_per_hour`` codes are
sent to one borrower an hour. Neither the phone number nor the code is ever logged."""

from __future__ import annotations

import datetime as dt

from dunwell.app import logs
from dunwell.app.audit import record
from dunwell.app.context import Dunwell
from dunwell.app.identity.accounts import create_user
from dunwell.app.identity.hashing import code_hash, code_matches, new_code
from dunwell.app.identity.sessions import NewSession, open_session
from dunwell.app.letters.sender import lender_name
from dunwell.app.uow import UnitOfWork
from dunwell.channels.errors import SendFailure
from dunwell.channels.locale import language_for
from dunwell.channels.model import MessageChannel, OutgoingMessage
from dunwell.core.errors import Unauthenticated
from dunwell.identity.model import Role
from dunwell.identity.rules import (
    CODE_DIGITS,
    borrower_user_name,
    check_active,
    check_code,
    check_code_format,
    check_phone,
)

#: The message template of a sign-in code.
TEMPLATE = "sign_in_code"
_log = logs.get("dunwell.identity")


def phone_candidates(phone: str) -> list[str]:
    """The forms a typed number is looked up in: as typed, without separators, and in
    E.164 (with a leading ``+``) when the digits were typed without one.

    >>> phone_candidates("+86 138-0000-0001")
    ['+86 138-0000-0001', '+8613800000001']
    >>> phone_candidates("8613800000001")
    ['8613800000001', '+8613800000001']
    """
    typed = phone.strip()
    bare = "".join(ch for ch in typed if ch.isdigit() or ch == "+")
    found = [typed, bare, bare if bare.startswith("+") else f"+{bare}"]
    return list(dict.fromkeys(found))


def borrower_for_phone(uow: UnitOfWork, phone: str) -> int | None:
    for candidate in phone_candidates(phone):
        found = uow.borrowers.by_address(MessageChannel.SMS.value, candidate)
        if found is not None:
            return found
    return None


def request_code(app: Dunwell, *, phone: str, now: dt.datetime) -> None:
    """Send a sign-in code to ``phone`` if it is a borrower's number on file; answer
    the same (nothing) either way."""
    wanted = check_phone(phone)
    settings = app.settings
    with app.uow() as uow:
        borrower_id = borrower_for_phone(uow, wanted)
        if borrower_id is None:
            return
        sent_lately = uow.identity.codes_since(borrower_id, now - dt.timedelta(hours=1))
        if sent_lately >= settings.otp_requests_per_hour:
            record(uow, at=now, entries=[("sign_in_code_withheld", f"borrower:{borrower_id}",
                                          {"sent_last_hour": sent_lately})])
            uow.commit()
            return
        code = new_code(CODE_DIGITS)
        expires = now + dt.timedelta(seconds=settings.otp_ttl_seconds)
        code_id = uow.identity.add_code(borrower_id=borrower_id, code_hash=code_hash(code),
                                        created_at=now, expires_at=expires)
        address = uow.channel_facts.address(borrower_id, MessageChannel.SMS)
        profile = uow.borrowers.many([borrower_id]).get(borrower_id)
        language = language_for((profile.borrower.language or "") if profile else "")
        record(uow, at=now, entries=[("sign_in_code_sent", f"borrower:{borrower_id}", {
            "code_id": code_id, "expires_at": expires.isoformat()})])
        uow.commit()
    _send(app, borrower_id=borrower_id, code_id=code_id, code=code, address=address,
          language=language)


def _send(app: Dunwell, *, borrower_id: int, code_id: int, code: str, address: str | None,
          language: str) -> None:
    settings = app.settings
    template = app.providers.templates().template(TEMPLATE, language)
    body = template.render({"lender_name": lender_name(settings, template.language),
                            "code": code, "minutes": max(1, settings.otp_ttl_seconds // 60)})
    name = app.providers.provider_name(settings, MessageChannel.SMS)
    message = OutgoingMessage(idempotency_key=f"sign-in-code-{code_id}",
                              channel=MessageChannel.SMS, to_address=address, subject="",
                              body=body.strip(), borrower_id=borrower_id, kind=TEMPLATE,
                              language=template.language)
    try:
        provider = app.providers.channels(settings)[name]
        provider.send(message)
    except (SendFailure, KeyError) as exc:
        _log.warning("sign_in_code_not_sent", borrower_id=borrower_id, code_id=code_id,
                     provider=name, error=type(exc).__name__)


def verify_code(app: Dunwell, *, phone: str, code: str, now: dt.datetime) -> NewSession:
    """A borrower session if ``code`` is the latest one sent to ``phone`` and still
    good; otherwise ``Unauthenticated`` (the same words for an unknown number and a
    wrong code; a wrong try is counted and recorded)."""
    wanted = check_phone(phone)
    typed = check_code_format(code)
    with app.uow() as uow:
        borrower_id = borrower_for_phone(uow, wanted)
        latest = None if borrower_id is None else uow.identity.latest_code(borrower_id)
        try:
            current = check_code(latest, at=now)
        except Unauthenticated:
            if borrower_id is not None:
                _failed(uow, borrower_id, now, "code_not_valid")
                uow.commit()
            raise
        if not code_matches(current.code_hash, typed):
            uow.identity.count_attempt(current.code_id)
            _failed(uow, current.borrower_id, now, "code_wrong")
            uow.commit()
            raise Unauthenticated("that code is not valid (wrong number, used or expired); "
                                  "check the text message, or ask for a new code",
                                  code="code_must_be_valid")
        if not uow.identity.use_code(current.code_id, at=now):
            raise Unauthenticated("that code was used already; ask for a new code",
                                  code="code_must_be_valid")
        user = uow.identity.user_of_borrower(current.borrower_id) or create_user(
            uow, name=borrower_user_name(current.borrower_id), role=Role.BORROWER, now=now,
            borrower_id=current.borrower_id, by="sign_in_code")
        check_active(user)
        opened = open_session(uow, user=user, now=now,
                              ttl_minutes=app.settings.session_ttl_minutes, via="code")
        uow.commit()
    return opened


def _failed(uow: UnitOfWork, borrower_id: int, now: dt.datetime, why: str) -> None:
    record(uow, at=now, entries=[("sign_in_failed", f"borrower:{borrower_id}",
                                  {"via": "code", "reason": why})])
