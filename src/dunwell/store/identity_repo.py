"""Repository of identity (``uow.identity``): users, API tokens, web sessions and
one-time codes. It stores what the service hands it (hashes, never secrets) and
returns the identity domain's records."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Connection, insert, select, update

from dunwell.core.errors import Conflict, NotFound
from dunwell.identity.model import ApiToken, OneTimeCode, Role, User, WebSession
from dunwell.store import identity_tables as i

#: Tokens a listing returns at the most.
TOKENS_LISTED_MAX = 10_000


def _ts(text: str | None) -> dt.datetime | None:
    return None if text is None else dt.datetime.fromisoformat(text)


def _at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def _text(at: dt.datetime | None) -> str | None:
    return None if at is None else at.astimezone(dt.UTC).isoformat()


def _user(m: Any) -> User:
    return User(user_id=int(m["user_id"]), name=m["name"], role=Role(m["role"]),
                active=bool(m["active"]), created_at=_at(m["created_at"]),
                has_password=m["password_hash"] is not None, staff_id=m["staff_id"],
                borrower_id=None if m["borrower_id"] is None else int(m["borrower_id"]),
                authority_minor=None if m["authority_minor"] is None
                else int(m["authority_minor"]))


def _token(m: Any) -> ApiToken:
    return ApiToken(token_id=int(m["token_id"]), user_id=int(m["user_id"]), label=m["label"],
                    prefix=m["prefix"], created_at=_at(m["created_at"]),
                    expires_at=_at(m["expires_at"]), revoked_at=_ts(m["revoked_at"]),
                    last_used_at=_ts(m["last_used_at"]))


def _session(m: Any) -> WebSession:
    return WebSession(session_hash=m["session_hash"], user_id=int(m["user_id"]),
                      csrf_hash=m["csrf_hash"], created_at=_at(m["created_at"]),
                      expires_at=_at(m["expires_at"]), revoked_at=_ts(m["revoked_at"]))


def _code(m: Any) -> OneTimeCode:
    return OneTimeCode(code_id=int(m["code_id"]), borrower_id=int(m["borrower_id"]),
                       code_hash=m["code_hash"], created_at=_at(m["created_at"]),
                       expires_at=_at(m["expires_at"]), attempts=int(m["attempts"]),
                       used_at=_ts(m["used_at"]))


class IdentityRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

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
        result = self.conn.execute(insert(i.users).values(
            name=name, role=role.value, password_hash=password_hash, staff_id=staff_id,
            borrower_id=borrower_id, authority_minor=authority_minor, active=True,
            created_at=_text(at)).returning(i.users.c.user_id))
        return self.user(int(result.scalar_one()))

    def _one(self, *where: Any) -> User | None:
        row = self.conn.execute(select(i.users).where(*where)).first()
        return None if row is None else _user(row._mapping)

    def find_user(self, name: str) -> User | None:
        return self._one(i.users.c.name == name)

    def user(self, user_id: int) -> User:
        found = self._one(i.users.c.user_id == user_id)
        if found is None:
            raise NotFound(f"user {user_id} does not exist", code="user_must_exist")
        return found

    def named(self, name: str) -> User:
        found = self.find_user(name)
        if found is None:
            raise NotFound(f"user {name} does not exist; see `dunwell user list`",
                           code="user_must_exist", field="name")
        return found

    def user_of_borrower(self, borrower_id: int) -> User | None:
        return self._one(i.users.c.borrower_id == borrower_id)

    def users(self) -> list[User]:
        return [_user(r._mapping) for r in self.conn.execute(
            select(i.users).order_by(i.users.c.name))]

    def password_hash(self, user_id: int) -> str | None:
        return self.conn.execute(select(i.users.c.password_hash).where(
            i.users.c.user_id == user_id)).scalar_one_or_none()

    def set_password_hash(self, user_id: int, password_hash: str) -> None:
        self.conn.execute(update(i.users).where(i.users.c.user_id == user_id)
                          .values(password_hash=password_hash))

    def set_role(self, user_id: int, role: Role) -> None:
        self.conn.execute(update(i.users).where(i.users.c.user_id == user_id)
                          .values(role=role.value))

    def set_active(self, user_id: int, active: bool) -> None:
        self.conn.execute(update(i.users).where(i.users.c.user_id == user_id)
                          .values(active=active))

    # --- API tokens -------------------------------------------------------------------

    def add_token(self, *, user_id: int, label: str, token_hash: str, created_at: dt.datetime,
                  expires_at: dt.datetime) -> int:
        """A new token row; its ``prefix`` is set by :meth:`set_prefix` once the id is
        known (the prefix names the id)."""
        result = self.conn.execute(insert(i.api_tokens).values(
            user_id=user_id, label=label, prefix="", token_hash=token_hash,
            created_at=_text(created_at), expires_at=_text(expires_at))
            .returning(i.api_tokens.c.token_id))
        return int(result.scalar_one())

    def set_prefix(self, token_id: int, prefix: str) -> None:
        self.conn.execute(update(i.api_tokens).where(i.api_tokens.c.token_id == token_id)
                          .values(prefix=prefix))

    def token(self, token_id: int) -> tuple[ApiToken, str] | None:
        """The token and its stored hash."""
        row = self.conn.execute(select(i.api_tokens).where(
            i.api_tokens.c.token_id == token_id)).first()
        return None if row is None else (_token(row._mapping), row._mapping["token_hash"])

    def tokens(self, *, user_id: int | None = None) -> list[ApiToken]:
        q = select(i.api_tokens).order_by(i.api_tokens.c.token_id).limit(TOKENS_LISTED_MAX)
        if user_id is not None:
            q = q.where(i.api_tokens.c.user_id == user_id)
        return [_token(r._mapping) for r in self.conn.execute(q)]

    def revoke_token(self, token_id: int, *, at: dt.datetime) -> None:
        self.conn.execute(update(i.api_tokens).where(
            i.api_tokens.c.token_id == token_id, i.api_tokens.c.revoked_at.is_(None))
            .values(revoked_at=_text(at)))

    def touch_token(self, token_id: int, *, at: dt.datetime) -> None:
        self.conn.execute(update(i.api_tokens).where(i.api_tokens.c.token_id == token_id)
                          .values(last_used_at=_text(at)))

    # --- web sessions -------------------------------------------------------------------

    def add_session(self, session: WebSession) -> None:
        self.conn.execute(insert(i.sessions).values(
            session_hash=session.session_hash, user_id=session.user_id,
            csrf_hash=session.csrf_hash, created_at=_text(session.created_at),
            expires_at=_text(session.expires_at), revoked_at=_text(session.revoked_at)))

    def session(self, session_hash: str) -> WebSession | None:
        row = self.conn.execute(select(i.sessions).where(
            i.sessions.c.session_hash == session_hash)).first()
        return None if row is None else _session(row._mapping)

    def end_session(self, session_hash: str, *, at: dt.datetime) -> None:
        self.conn.execute(update(i.sessions).where(
            i.sessions.c.session_hash == session_hash, i.sessions.c.revoked_at.is_(None))
            .values(revoked_at=_text(at)))

    def end_sessions_of(self, user_id: int, *, at: dt.datetime) -> None:
        self.conn.execute(update(i.sessions).where(
            i.sessions.c.user_id == user_id, i.sessions.c.revoked_at.is_(None))
            .values(revoked_at=_text(at)))

    # --- one-time codes ---------------------------------------------------------------

    def add_code(self, *, borrower_id: int, code_hash: str, created_at: dt.datetime,
                 expires_at: dt.datetime) -> int:
        result = self.conn.execute(insert(i.otp_codes).values(
            borrower_id=borrower_id, code_hash=code_hash, created_at=_text(created_at),
            expires_at=_text(expires_at), attempts=0).returning(i.otp_codes.c.code_id))
        return int(result.scalar_one())

    def latest_code(self, borrower_id: int) -> OneTimeCode | None:
        """The borrower's newest code (an older one stops working when a new one is
        sent)."""
        row = self.conn.execute(select(i.otp_codes).where(
            i.otp_codes.c.borrower_id == borrower_id)
            .order_by(i.otp_codes.c.code_id.desc()).limit(1)).first()
        return None if row is None else _code(row._mapping)

    def codes_since(self, borrower_id: int, since: dt.datetime) -> int:
        """How many codes the borrower was sent at or after ``since``."""
        rows = self.conn.execute(select(i.otp_codes.c.created_at).where(
            i.otp_codes.c.borrower_id == borrower_id)
            .order_by(i.otp_codes.c.code_id.desc()).limit(1000)).all()
        return sum(1 for (created,) in rows if _at(created) >= since)

    def count_attempt(self, code_id: int) -> None:
        self.conn.execute(update(i.otp_codes).where(i.otp_codes.c.code_id == code_id)
                          .values(attempts=i.otp_codes.c.attempts + 1))

    def use_code(self, code_id: int, *, at: dt.datetime) -> bool:
        """Mark the code used; False when another request used it first."""
        result = self.conn.execute(update(i.otp_codes).where(
            i.otp_codes.c.code_id == code_id, i.otp_codes.c.used_at.is_(None))
            .values(used_at=_text(at)))
        return result.rowcount == 1
