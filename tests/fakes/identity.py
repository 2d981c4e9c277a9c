"""In-memory repository of identity (``uow.identity``): users (with their password
hashes), API tokens (with their hashes), web sessions and one-time codes, on
dictionaries kept in ``state["identity"]``. It returns the identity domain's records
and raises the store's rejections (same codes, same words)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from typing import Any

from dunwell.core.errors import Conflict, NotFound
from dunwell.identity.model import ApiToken, OneTimeCode, Role, User, WebSession
from fakes import registry


@dataclass
class IdentityData:
    users: dict[int, User] = field(default_factory=dict)
    passwords: dict[int, str] = field(default_factory=dict)
    #: token id -> (token, hash)
    tokens: dict[int, tuple[ApiToken, str]] = field(default_factory=dict)
    sessions: dict[str, WebSession] = field(default_factory=dict)
    codes: dict[int, OneTimeCode] = field(default_factory=dict)


def identity_data(state: dict[str, Any]) -> IdentityData:
    data = state.setdefault("identity", IdentityData())
    assert isinstance(data, IdentityData)
    return data


def _next(keys: Any) -> int:
    return max(keys, default=0) + 1


class FakeIdentityRepository:
    def __init__(self, state: dict[str, Any]) -> None:
        self._state = state

    @property
    def data(self) -> IdentityData:
        return identity_data(self._state)

    # --- users ----------------------------------------------------------------------
    def add_user(self, *, name: str, role: Role, password_hash: str | None,
                 staff_id: str | None, borrower_id: int | None, authority_minor: int | None,
                 at: dt.datetime) -> User:
        if self.find_user(name) is not None:
            raise Conflict(f"user {name} already exists; choose another name or change "
                           f"their role with `dunwell user role {name} ROLE`",
                           code="user_name_must_be_unique", field="name")
        if borrower_id is not None and self.user_of_borrower(borrower_id) is not None:
            raise Conflict(f"borrower {borrower_id} already has a user",
                           code="borrower_user_must_be_unique", field="borrower_id")
        user_id = _next(self.data.users)
        user = User(user_id=user_id, name=name, role=role, active=True, created_at=at,
                    has_password=password_hash is not None, staff_id=staff_id,
                    borrower_id=borrower_id, authority_minor=authority_minor)
        self.data.users[user_id] = user
        if password_hash is not None:
            self.data.passwords[user_id] = password_hash
        return user

    def find_user(self, name: str) -> User | None:
        return next((u for u in self.data.users.values() if u.name == name), None)

    def user(self, user_id: int) -> User:
        if user_id not in self.data.users:
            raise NotFound(f"user {user_id} does not exist", code="user_must_exist")
        return self.data.users[user_id]

    def named(self, name: str) -> User:
        found = self.find_user(name)
        if found is None:
            raise NotFound(f"user {name} does not exist; see `dunwell user list`",
                           code="user_must_exist", field="name")
        return found

    def user_of_borrower(self, borrower_id: int) -> User | None:
        return next((u for u in self.data.users.values() if u.borrower_id == borrower_id),
                    None)

    def users(self) -> list[User]:
        return sorted(self.data.users.values(), key=lambda u: u.name)

    def password_hash(self, user_id: int) -> str | None:
        return self.data.passwords.get(user_id)

    def set_password_hash(self, user_id: int, password_hash: str) -> None:
        self.data.passwords[user_id] = password_hash
        self.data.users[user_id] = replace(self.data.users[user_id], has_password=True)

    def set_role(self, user_id: int, role: Role) -> None:
        self.data.users[user_id] = replace(self.data.users[user_id], role=role)

    def set_active(self, user_id: int, active: bool) -> None:
        self.data.users[user_id] = replace(self.data.users[user_id], active=active)

    # --- API tokens -------------------------------------------------------------------
    def add_token(self, *, user_id: int, label: str, token_hash: str, created_at: dt.datetime,
                  expires_at: dt.datetime) -> int:
        token_id = _next(self.data.tokens)
        self.data.tokens[token_id] = (ApiToken(token_id, user_id, label, "", created_at,
                                               expires_at), token_hash)
        return token_id

    def set_prefix(self, token_id: int, prefix: str) -> None:
        token, digest = self.data.tokens[token_id]
        self.data.tokens[token_id] = (replace(token, prefix=prefix), digest)

    def token(self, token_id: int) -> tuple[ApiToken, str] | None:
        return self.data.tokens.get(token_id)

    def tokens(self, *, user_id: int | None = None) -> list[ApiToken]:
        return [t for k, (t, _) in sorted(self.data.tokens.items())
                if user_id is None or t.user_id == user_id]

    def revoke_token(self, token_id: int, *, at: dt.datetime) -> None:
        token, digest = self.data.tokens[token_id]
        if token.revoked_at is None:
            self.data.tokens[token_id] = (replace(token, revoked_at=at), digest)

    def touch_token(self, token_id: int, *, at: dt.datetime) -> None:
        token, digest = self.data.tokens[token_id]
        self.data.tokens[token_id] = (replace(token, last_used_at=at), digest)

    # --- web sessions -------------------------------------------------------------------
    def add_session(self, session: WebSession) -> None:
        self.data.sessions[session.session_hash] = session

    def session(self, session_hash: str) -> WebSession | None:
        return self.data.sessions.get(session_hash)

    def end_session(self, session_hash: str, *, at: dt.datetime) -> None:
        found = self.data.sessions.get(session_hash)
        if found is not None and found.revoked_at is None:
            self.data.sessions[session_hash] = replace(found, revoked_at=at)

    def end_sessions_of(self, user_id: int, *, at: dt.datetime) -> None:
        for key, found in list(self.data.sessions.items()):
            if found.user_id == user_id and found.revoked_at is None:
                self.data.sessions[key] = replace(found, revoked_at=at)

    # --- one-time codes ---------------------------------------------------------------
    def add_code(self, *, borrower_id: int, code_hash: str, created_at: dt.datetime,
                 expires_at: dt.datetime) -> int:
        code_id = _next(self.data.codes)
        self.data.codes[code_id] = OneTimeCode(code_id, borrower_id, code_hash, created_at,
                                               expires_at)
        return code_id

    def latest_code(self, borrower_id: int) -> OneTimeCode | None:
        mine = [c for c in self.data.codes.values() if c.borrower_id == borrower_id]
        return max(mine, key=lambda c: c.code_id, default=None)

    def codes_since(self, borrower_id: int, since: dt.datetime) -> int:
        return sum(1 for c in self.data.codes.values()
                   if c.borrower_id == borrower_id and c.created_at >= since)

    def count_attempt(self, code_id: int) -> None:
        found = self.data.codes[code_id]
        self.data.codes[code_id] = replace(found, attempts=found.attempts + 1)

    def use_code(self, code_id: int, *, at: dt.datetime) -> bool:
        found = self.data.codes[code_id]
        if found.used_at is not None:
            return False
        self.data.codes[code_id] = replace(found, used_at=at)
        return True


registry.register("identity", FakeIdentityRepository)
