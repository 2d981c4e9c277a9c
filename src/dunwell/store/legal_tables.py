"""Legal tables (migration 0010), on the shared metadata: referrals with their human
decision, the legal case's events with costs, and the evidence bundles exported."""

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
    Text,
)

from dunwell.store import collection_tables as _collections  # noqa: F401  (cases first)
from dunwell.store.encrypted import EncryptedText
from dunwell.store.tables import metadata

BIG_ID = BigInteger().with_variant(Integer, "sqlite")

legal_referrals = Table(
    "legal_referrals", metadata,
    Column("referral_id", BIG_ID, primary_key=True, autoincrement=True),
    Column("case_id", String(64), ForeignKey("cases.case_id"), nullable=False),
    Column("borrower_id", BigInteger, nullable=False),
    Column("source", String(16), nullable=False),
    Column("action_id", BigInteger, nullable=True, unique=True),
    Column("status", String(16), nullable=False),
    Column("proposed_on", Date, nullable=False),
    Column("proposed_by", String(128), nullable=False),
    Column("proposed_at", String(40), nullable=False),
    Column("proposal_note", EncryptedText("legal_referrals.proposal_note"), nullable=False,
           server_default=""),
    Column("days_past_due", Integer, nullable=False),
    Column("outstanding_minor", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("failures_json", Text, nullable=False, server_default="[]"),
    Column("decided_by", String(128), nullable=True),
    Column("decided_role", String(64), nullable=True),
    Column("decided_note", EncryptedText("legal_referrals.decided_note"), nullable=True),
    Column("decided_on", Date, nullable=True),
    Column("decided_at", String(40), nullable=True),
    Column("legal_state", String(16), nullable=True),
    Column("demand_letter_no", String(64), nullable=True),
)
Index("ix_legal_referrals_case", legal_referrals.c.case_id)
Index("ix_legal_referrals_status", legal_referrals.c.status)

legal_events = Table(
    "legal_events", metadata,
    Column("event_id", BIG_ID, primary_key=True, autoincrement=True),
    Column("referral_id", BigInteger, ForeignKey("legal_referrals.referral_id"),
           nullable=False),
    Column("event", String(16), nullable=False),
    Column("on_date", Date, nullable=False),
    Column("court", Text, nullable=False, server_default=""),
    Column("reference", String(128), nullable=False, server_default=""),
    Column("cost_minor", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("note", EncryptedText("legal_events.note"), nullable=False, server_default=""),
    Column("recorded_by", String(128), nullable=False),
    Column("recorded_at", String(40), nullable=False),
    Column("idempotency_key", String(160), nullable=False, unique=True),
)
Index("ix_legal_events_referral", legal_events.c.referral_id)

legal_bundles = Table(
    "legal_bundles", metadata,
    Column("bundle_id", BIG_ID, primary_key=True, autoincrement=True),
    Column("referral_id", BigInteger, ForeignKey("legal_referrals.referral_id"),
           nullable=False),
    Column("created_at", String(40), nullable=False),
    Column("manifest_sha256", String(64), nullable=False),
    Column("zip_sha256", String(64), nullable=False),
    Column("files", Integer, nullable=False),
    Column("size_bytes", BigInteger, nullable=False),
)
Index("ix_legal_bundles_manifest", legal_bundles.c.manifest_sha256)
