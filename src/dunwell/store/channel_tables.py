"""Channels tables (migration 0006), on the shared metadata: the outbox, its send
attempts, providers' delivery reports and borrowers' channel addresses.

Timestamps are ISO 8601 strings in UTC with microseconds, so they compare as text
on every backend."""

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
    UniqueConstraint,
)

from dunwell.store.encrypted import EncryptedText
from dunwell.store.tables import metadata

BIG_ID = BigInteger().with_variant(Integer, "sqlite")

outbox = Table(
    "outbox", metadata,
    Column("message_id", BIG_ID, primary_key=True, autoincrement=True),
    Column("idempotency_key", String(128), nullable=False),
    Column("fingerprint", String(64), nullable=False),
    Column("channel", String(16), nullable=False),
    Column("provider", String(64), nullable=False),
    Column("borrower_id", BigInteger, nullable=False),
    Column("to_address", EncryptedText("outbox.to_address"), nullable=True),
    Column("kind", String(32), nullable=False),
    Column("language", String(8), nullable=False),
    Column("subject", EncryptedText("outbox.subject"), nullable=False, server_default=""),
    Column("body", EncryptedText("outbox.body"), nullable=False),
    Column("case_id", String(64), nullable=True),
    Column("action_id", BigInteger, nullable=True),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("created_at", String(40), nullable=False),
    Column("next_attempt_at", String(40), nullable=False),
    Column("not_after", String(40), nullable=True),  # the guard's window closes
    Column("lease_until", String(40), nullable=True),
    Column("provider_message_id", String(128), nullable=True),
    Column("last_error", EncryptedText("outbox.last_error"), nullable=True),
    Column("sent_at", String(40), nullable=True),
    Column("final_at", String(40), nullable=True),
    UniqueConstraint("idempotency_key", name="uq_outbox_key"),
)
Index("ix_outbox_due", outbox.c.status, outbox.c.next_attempt_at)
Index("ix_outbox_provider_id", outbox.c.provider, outbox.c.provider_message_id)
Index("ix_outbox_borrower", outbox.c.borrower_id)

outbox_attempts = Table(
    "outbox_attempts", metadata,
    Column("attempt_id", BIG_ID, primary_key=True, autoincrement=True),
    Column("message_id", BigInteger, ForeignKey("outbox.message_id"), nullable=False),
    Column("attempt_no", Integer, nullable=False),
    Column("at", String(40), nullable=False),
    Column("outcome", String(16), nullable=False),
    Column("error", EncryptedText("outbox_attempts.error"), nullable=True),
    Column("provider_message_id", String(128), nullable=True),
    UniqueConstraint("message_id", "attempt_no", name="uq_outbox_attempts_no"),
)

delivery_reports = Table(
    "delivery_reports", metadata,
    Column("report_id", BIG_ID, primary_key=True, autoincrement=True),
    Column("provider", String(64), nullable=False),
    Column("message_id", BigInteger, ForeignKey("outbox.message_id"), nullable=False),
    Column("status", String(16), nullable=False),
    Column("at", String(40), nullable=False),
    Column("received_at", String(40), nullable=False),
    Column("applied", Boolean, nullable=False),
    Column("error", EncryptedText("delivery_reports.error"), nullable=True),
)
Index("ix_delivery_reports_message", delivery_reports.c.message_id)

channel_addresses = Table(
    "channel_addresses", metadata,
    Column("borrower_id", BigInteger, primary_key=True, autoincrement=False),
    Column("channel", String(16), primary_key=True),
    Column("address", EncryptedText("channel_addresses.address"), nullable=False),
    #: The keyed hash of the normalised address (dunwell.store.crypto), to find a
    #: borrower by phone number or e-mail; None on rows written before encryption.
    Column("address_hash", String(80), nullable=True),
)
Index("ix_channel_addresses_hash", channel_addresses.c.address_hash)
