"""API tokens: create one (the token is shown once, then only its hash is kept), list,
revoke, and authenticate a request's ``Authorization: Bearer`` token.

A token is ``dw_<token id>_<secret>``: the id finds the row in one lookup, the secret
(32 random bytes) is compared as a SHA-256 digest in constant time."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from dunwell.app.audit import record
from dunwell.app.context import Dunwell
from dunwell.app.identity.hashing import digest, new_secret, same
from dunwell.core.errors import Conflict, NotFound
from dunwell.identity.model import ApiToken, Principal, User
from dunwell.identity.rules import (
    check_label,
    check_name,
    check_token,
    check_token_days,
    format_token,
    parse_token,
    token_hint,
)

#: How stale ``last_used_at`` may get before a request writes it again (seconds): a
#: busy client does not write on every request.
LAST_USED_RESOLUTION_SECONDS = 60


@dataclass(frozen=True, slots=True)
class NewToken:
    """A token just created: ``token`` is the only time the secret is seen."""

    token: str
    record: ApiToken
    user: User


@dataclass(frozen=True, slots=True)
class TokenListing:
    record: ApiToken
    user_name: str


def create_token(app: Dunwell, *, name: str, now: dt.datetime, days: int | None = None,
                 label: str = "", by: str = "system") -> NewToken:
    """A new token for user ``name``, valid ``days`` (default: the settings'
    ``token_ttl_days``)."""
    lasts = check_token_days(days if days is not None else app.settings.token_ttl_days)
    wanted_label = check_label(label)
    secret = new_secret()
    with app.uow() as uow:
        user = uow.identity.named(check_name(name))
        if not user.active:
            raise Conflict(f"user {user.name} is disabled; a token would not work",
                           code="user_must_be_active", field="name")
        token_id = uow.identity.add_token(user_id=user.user_id, label=wanted_label,
                                          token_hash=digest(secret), created_at=now,
                                          expires_at=now + dt.timedelta(days=lasts))
        uow.identity.set_prefix(token_id, token_hint(token_id, secret))
        found = uow.identity.token(token_id)
        assert found is not None
        record(uow, at=now, entries=[("token_created", f"user:{user.name}", {
            "token_id": token_id, "label": wanted_label, "expires_at":
            found[0].expires_at.isoformat(), "by": by})])
        uow.commit()
    return NewToken(format_token(token_id, secret), found[0], user)


def list_tokens(app: Dunwell, *, name: str | None = None) -> list[TokenListing]:
    with app.uow() as uow:
        users = {u.user_id: u.name for u in uow.identity.users()}
        user_id = None if name is None else uow.identity.named(check_name(name)).user_id
        return [TokenListing(t, users.get(t.user_id, "?"))
                for t in uow.identity.tokens(user_id=user_id)]


def revoke_token(app: Dunwell, *, token_id: int, now: dt.datetime,
                 by: str = "system") -> ApiToken:
    """Revoke token ``token_id`` (again: nothing changes)."""
    with app.uow() as uow:
        found = uow.identity.token(token_id)
        if found is None:
            raise NotFound(f"token {token_id} does not exist; see `dunwell token list`",
                           code="token_must_exist", field="token_id")
        token, _ = found
        if token.revoked_at is not None:
            return token
        user = uow.identity.user(token.user_id)
        uow.identity.revoke_token(token_id, at=now)
        record(uow, at=now, entries=[("token_revoked", f"user:{user.name}", {
            "token_id": token_id, "by": by})])
        revoked = uow.identity.token(token_id)
        assert revoked is not None
        uow.commit()
    return revoked[0]


def authenticate_token(app: Dunwell, *, token: str, now: dt.datetime) -> Principal:
    """The principal ``token`` acts as; ``Unauthenticated`` saying why not (malformed,
    unknown, wrong secret, revoked, expired, user disabled)."""
    token_id, secret = parse_token(token)
    with app.uow() as uow:
        found = uow.identity.token(token_id)
        if found is not None and not same(found[1], digest(secret)):
            found = None
        stored = None if found is None else found[0]
        user = None if stored is None else uow.identity.user(stored.user_id)
        checked = check_token(stored, user, at=now)
        assert stored is not None
        last = stored.last_used_at
        if last is None or (now - last).total_seconds() >= LAST_USED_RESOLUTION_SECONDS:
            uow.identity.touch_token(token_id, at=now)
            uow.commit()
    return checked.principal(via="token")
