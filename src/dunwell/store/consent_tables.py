"""Consent and retention tables (migration 0017), on the shared metadata: borrowers'
consent records per channel, party and purpose, and one row per borrower whose
personal data retention anonymised.

Timestamps are ISO 8601 strings in UTC with microseconds, so they compare as text
on every backend."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Date, Index, Integer, String, Table, Text

from dunwell.store.encrypted import EncryptedText
from dunwell.store.tables import metadata

BIG_ID = BigInteger().with_variant(Integer, "sqlite")

consents = Table(
    "consents", metadata,
    Column("consent_id", BIG_ID, primary_key=True, autoincrement=True),
    Column("borrower_id", BigInteger, nullable=False),
    Column("channel", String(24), nullable=False),
    Column("party", String(24), nullable=False),
    Column("purpose", String(16), nullable=False),
    Column("granted_at", String(40), nullable=False),
    Column("source", String(16), nullable=False),
    Column("evidence", EncryptedText("consents.evidence"), nullable=False, server_default=""),
    Column("withdrawn_at", String(40), nullable=True),
    Column("withdrawn_source", String(16), nullable=True),
)
Index("ix_consents_borrower", consents.c.borrower_id)

anonymisations = Table(
    "anonymisations", metadata,
    Column("borrower_id", BigInteger, primary_key=True, autoincrement=False),
    Column("anonymised_at", String(40), nullable=False),
    Column("as_of", Date, nullable=False),
    Column("jurisdiction", String(16), nullable=False),
    Column("retain_until", Date, nullable=False),
    Column("fields", Integer, nullable=False),
    #: what was changed: ``{"table": fields}``
    Column("tables_json", Text, nullable=False),
)
