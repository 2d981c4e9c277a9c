"""Identity tables (migration 0015), on the shared metadata: users, API tokens, web
sessions and borrowers' one-time sign-in codes. Secrets are never stored: tokens,
session ids, CSRF tokens and codes are kept as hashes, passwords as Argon2id hashes.
Times are ISO 8601 texts in UTC, as the other tables write them."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    true,
)

from dunwell.store.tables import metadata

BIG_ID = BigInteger().with_variant(Integer, "sqlite")

users = Table(
    "users", metadata,
    Column("user_id", BIG_ID, primary_key=True, autoincrement=True),
    Column("name", String(64), nullable=False, unique=True),
    Column("role", String(32), nullable=False),
    #: Argon2id (``$argon2id$...``); none: the user signs in with tokens or codes only
    Column("password_hash", Text, nullable=True),
    Column("staff_id", String(64), nullable=True),
    #: a borrower's user: the borrower it signs in as (one user per borrower)
    Column("borrower_id", BigInteger, nullable=True, unique=True),
    Column("authority_minor", BigInteger, nullable=True),
    Column("active", Boolean, nullable=False, server_default=true()),
    Column("created_at", String(40), nullable=False),
)

api_tokens = Table(
    "api_tokens", metadata,
    Column("token_id", BIG_ID, primary_key=True, autoincrement=True),
    Column("user_id", BigInteger, ForeignKey("users.user_id"), nullable=False),
    Column("label", String(64), nullable=False, server_default=""),
    #: what a listing shows: ``dw_<id>_`` and the secret's first characters
    Column("prefix", String(64), nullable=False),
    #: SHA-256 of the secret (hex)
    Column("token_hash", String(64), nullable=False),
    Column("created_at", String(40), nullable=False),
    Column("expires_at", String(40), nullable=False),
    Column("revoked_at", String(40), nullable=True),
    Column("last_used_at", String(40), nullable=True),
)
Index("ix_api_tokens_user", api_tokens.c.user_id)

sessions = Table(
    "sessions", metadata,
    #: SHA-256 of the cookie's random id (hex)
    Column("session_hash", String(64), primary_key=True),
    Column("user_id", BigInteger, ForeignKey("users.user_id"), nullable=False),
    #: SHA-256 of the session's CSRF token (hex)
    Column("csrf_hash", String(64), nullable=False),
    Column("created_at", String(40), nullable=False),
    Column("expires_at", String(40), nullable=False),
    Column("revoked_at", String(40), nullable=True),
)
Index("ix_sessions_user", sessions.c.user_id)

otp_codes = Table(
    "otp_codes", metadata,
    Column("code_id", BIG_ID, primary_key=True, autoincrement=True),
    Column("borrower_id", BigInteger, nullable=False),
    #: ``<salt>$<SHA-256 of salt and code>`` (hex)
    Column("code_hash", String(160), nullable=False),
    Column("created_at", String(40), nullable=False),
    Column("expires_at", String(40), nullable=False),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("used_at", String(40), nullable=True),
)
Index("ix_otp_codes_borrower", otp_codes.c.borrower_id)
