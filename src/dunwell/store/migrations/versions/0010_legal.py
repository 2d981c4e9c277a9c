"""Legal: referrals with their approvals, evidence bundles, demand letters and legal case
tracking with costs.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer, "sqlite")


def upgrade() -> None:
    op.create_table(
        "legal_referrals",
        sa.Column("referral_id", BIG_ID, primary_key=True, autoincrement=True),
        sa.Column("case_id", sa.String(64), sa.ForeignKey("cases.case_id"), nullable=False),
        sa.Column("borrower_id", sa.BigInteger, nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("action_id", sa.BigInteger, nullable=True, unique=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("proposed_on", sa.Date, nullable=False),
        sa.Column("proposed_by", sa.String(128), nullable=False),
        sa.Column("proposed_at", sa.String(40), nullable=False),
        sa.Column("proposal_note", sa.Text, nullable=False, server_default=""),
        sa.Column("days_past_due", sa.Integer, nullable=False),
        sa.Column("outstanding_minor", sa.BigInteger, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("failures_json", sa.Text, nullable=False, server_default="[]"),
        sa.Column("decided_by", sa.String(128), nullable=True),
        sa.Column("decided_role", sa.String(64), nullable=True),
        sa.Column("decided_note", sa.Text, nullable=True),
        sa.Column("decided_on", sa.Date, nullable=True),
        sa.Column("decided_at", sa.String(40), nullable=True),
        sa.Column("legal_state", sa.String(16), nullable=True),
        sa.Column("demand_letter_no", sa.String(64), nullable=True),
    )
    op.create_index("ix_legal_referrals_case", "legal_referrals", ["case_id"])
    op.create_index("ix_legal_referrals_status", "legal_referrals", ["status"])
    op.create_table(
        "legal_events",
        sa.Column("event_id", BIG_ID, primary_key=True, autoincrement=True),
        sa.Column("referral_id", sa.BigInteger, sa.ForeignKey("legal_referrals.referral_id"),
                  nullable=False),
        sa.Column("event", sa.String(16), nullable=False),
        sa.Column("on_date", sa.Date, nullable=False),
        sa.Column("court", sa.Text, nullable=False, server_default=""),
        sa.Column("reference", sa.String(128), nullable=False, server_default=""),
        sa.Column("cost_minor", sa.BigInteger, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("note", sa.Text, nullable=False, server_default=""),
        sa.Column("recorded_by", sa.String(128), nullable=False),
        sa.Column("recorded_at", sa.String(40), nullable=False),
        sa.Column("idempotency_key", sa.String(160), nullable=False, unique=True),
    )
    op.create_index("ix_legal_events_referral", "legal_events", ["referral_id"])
    op.create_table(
        "legal_bundles",
        sa.Column("bundle_id", BIG_ID, primary_key=True, autoincrement=True),
        sa.Column("referral_id", sa.BigInteger, sa.ForeignKey("legal_referrals.referral_id"),
                  nullable=False),
        sa.Column("created_at", sa.String(40), nullable=False),
        sa.Column("manifest_sha256", sa.String(64), nullable=False),
        sa.Column("zip_sha256", sa.String(64), nullable=False),
        sa.Column("files", sa.Integer, nullable=False),
        sa.Column("size_bytes", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_legal_bundles_manifest", "legal_bundles", ["manifest_sha256"])


def downgrade() -> None:
    for name in ("legal_bundles", "legal_events", "legal_referrals"):
        op.drop_table(name)
