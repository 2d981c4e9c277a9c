"""Letter register tables (migration 0007), on the shared metadata."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
)

from dunwell.store.encrypted import EncryptedText
from dunwell.store.tables import metadata

BIG_ID = BigInteger().with_variant(Integer, "sqlite")

letters = Table(
    "letters", metadata,
    Column("letter_id", BIG_ID, primary_key=True, autoincrement=True),
    Column("letter_no", String(32), nullable=False, unique=True),
    Column("sequence", Integer, nullable=False),
    Column("verification_code", String(16), nullable=False, unique=True),
    Column("idempotency_key", String(160), nullable=False, unique=True),
    Column("kind", String(32), nullable=False),
    Column("borrower_id", BigInteger, nullable=False),
    Column("case_id", String(64), nullable=True),
    Column("action_id", BigInteger, nullable=True),
    Column("language", String(8), nullable=False),
    Column("jurisdiction", String(16), nullable=False),
    Column("business_date", Date, nullable=False),
    Column("status", String(16), nullable=False),
    Column("dispatch_method", String(16), nullable=True),
    Column("content_sha256", String(64), nullable=False),
    Column("document_json", EncryptedText("letters.document_json"), nullable=False),
    Column("issued_at", String(40), nullable=False),
)
Index("ix_letters_date_status", letters.c.business_date, letters.c.status)
Index("ix_letters_borrower", letters.c.borrower_id)

letter_events = Table(
    "letter_events", metadata,
    Column("event_id", BIG_ID, primary_key=True, autoincrement=True),
    Column("letter_no", String(32), ForeignKey("letters.letter_no"), nullable=False),
    Column("event", String(16), nullable=False),
    Column("at", String(40), nullable=False),
    Column("method", String(16), nullable=True),
    Column("proof", EncryptedText("letter_events.proof"), nullable=True),
    Column("note", EncryptedText("letter_events.note"), nullable=False, server_default=""),
)
Index("ix_letter_events_letter", letter_events.c.letter_no)
