"""Web sessions: sign in with a name and password (or, for a borrower, a one-time
code: :mod:`.codes`), authenticate a session cookie, sign out.

A session is a random id in an HttpOnly cookie and a CSRF token the page or client
sends back on every request that changes something; both are stored as SHA-256
digests. A failed sign-in is recorded in the audit log (its own transaction, since the
sign-in itself changes nothing) and answered without saying whether the name exists."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from dunwell.app.audit import record
from dunwell.app.context import Dunwell
from dunwell.app.identity.hashing import digest, new_secret, password_matches
from dunwell.app.uow import UnitOfWork
from dunwell.core.errors import Unauthenticated
from dunwell.identity.model import Principal, User, WebSession
from dunwell.identity.rules import NAME_PATTERN, check_active, check_csrf, check_session


@dataclass(frozen=True, slots=True)
class NewSession:
    """A session just opened: ``session_id`` goes in the cookie and ``csrf_token`` to
    the client; neither is seen again."""

    session_id: str
    csrf_token: str
    session: WebSession
    principal: Principal


@dataclass(frozen=True, slots=True)
class SessionAuth:
    """The principal a session cookie acts as, and its CSRF digest to check unsafe
    requests against."""

    principal: Principal
    csrf_hash: str


def open_session(uow: UnitOfWork, *, user: User, now: dt.datetime, ttl_minutes: int,
                 via: str) -> NewSession:
    """Open a session for ``user`` inside ``uow`` and record the sign-in (``via``:
    ``password`` or ``code``); the caller commits."""
    session_id, csrf = new_secret(), new_secret()
    session = WebSession(session_hash=digest(session_id), user_id=user.user_id,
                         csrf_hash=digest(csrf), created_at=now,
                         expires_at=now + dt.timedelta(minutes=ttl_minutes))
    uow.identity.add_session(session)
    record(uow, at=now, entries=[("signed_in", f"user:{user.name}", {
        "user_id": user.user_id, "role": user.role.value, "via": via,
        "expires_at": session.expires_at.isoformat()})])
    return NewSession(session_id, csrf, session, user.principal(via="session"))


def sign_in(app: Dunwell, *, name: str, password: str, now: dt.datetime) -> NewSession:
    """A session for ``name`` if ``password`` is theirs; otherwise ``Unauthenticated``
    (the same answer for an unknown name, a wrong password, a user without one or a
    disabled user), recorded as a failed sign-in."""
    wanted = name.strip().lower()
    with app.uow() as uow:
        user = uow.identity.find_user(wanted) if NAME_PATTERN.fullmatch(wanted) else None
        stored = None if user is None else uow.identity.password_hash(user.user_id)
        if password_matches(stored, password[:4096]) and user is not None and user.active:
            opened = open_session(uow, user=user, now=now,
                                  ttl_minutes=app.settings.session_ttl_minutes,
                                  via="password")
            uow.commit()
            return opened
        subject = f"user:{user.name}" if user is not None else "user:unknown"
        record(uow, at=now, entries=[("sign_in_failed", subject, {
            "via": "password", "user_id": None if user is None else user.user_id})])
        uow.commit()
    raise Unauthenticated("the name or the password is wrong (or the user is disabled); "
                          "try again", code="sign_in_must_match")


def authenticate_session(app: Dunwell, *, session_id: str, now: dt.datetime) -> SessionAuth:
    """The principal of the session in a cookie; ``Unauthenticated`` when it is
    unknown, signed out or expired, or its user is disabled."""
    with app.uow() as uow:
        session = check_session(uow.identity.session(digest(session_id)), at=now)
        user = check_active(uow.identity.user(session.user_id))
    return SessionAuth(user.principal(via="session"), session.csrf_hash)


def csrf_matches(auth: SessionAuth, given: str | None) -> None:
    """``Forbidden`` unless ``given`` is the session's CSRF token."""
    check_csrf(auth.csrf_hash, None if not given else digest(given))


def sign_out(app: Dunwell, *, session_id: str, now: dt.datetime) -> None:
    """End the session (again: nothing changes)."""
    with app.uow() as uow:
        session = uow.identity.session(digest(session_id))
        if session is None or session.revoked_at is not None:
            return
        uow.identity.end_session(session.session_hash, at=now)
        user = uow.identity.user(session.user_id)
        record(uow, at=now, entries=[("signed_out", f"user:{user.name}", {
            "user_id": user.user_id})])
        uow.commit()
