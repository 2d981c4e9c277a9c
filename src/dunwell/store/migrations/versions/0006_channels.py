"""Channels: the transactional outbox of messages, their delivery attempts and status callbacks.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer, "sqlite")


def upgrade() -> None:
    op.create_table(
        "outbox",
        sa.Column("message_id", BIG_ID, primary_key=True, autoincrement=True),
        sa.Column("idempotency_key", sa.String(128), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("provider", sa.String(64), nullable=False),
        sa.Column("borrower_id", sa.BigInteger, nullable=False),
        sa.Column("to_address", sa.Text, nullable=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("subject", sa.Text, nullable=False, server_default=""),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("case_id", sa.String(64), nullable=True),
        sa.Column("action_id", sa.BigInteger, nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("created_at", sa.String(40), nullable=False),
        sa.Column("next_attempt_at", sa.String(40), nullable=False),
        sa.Column("not_after", sa.String(40), nullable=True),
        sa.Column("lease_until", sa.String(40), nullable=True),
        sa.Column("provider_message_id", sa.String(128), nullable=True),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.Column("sent_at", sa.String(40), nullable=True),
        sa.Column("final_at", sa.String(40), nullable=True),
        sa.UniqueConstraint("idempotency_key", name="uq_outbox_key"),
    )
    op.create_index("ix_outbox_due", "outbox", ["status", "next_attempt_at"])
    op.create_index("ix_outbox_provider_id", "outbox", ["provider", "provider_message_id"])
    op.create_index("ix_outbox_borrower", "outbox", ["borrower_id"])
    op.create_table(
        "outbox_attempts",
        sa.Column("attempt_id", BIG_ID, primary_key=True, autoincrement=True),
        sa.Column("message_id", sa.BigInteger, sa.ForeignKey("outbox.message_id"),
                  nullable=False),
        sa.Column("attempt_no", sa.Integer, nullable=False),
        sa.Column("at", sa.String(40), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("error", sa.Text, nullable=True),
        sa.Column("provider_message_id", sa.String(128), nullable=True),
        sa.UniqueConstraint("message_id", "attempt_no", name="uq_outbox_attempts_no"),
    )
    op.create_table(
        "delivery_reports",
        sa.Column("report_id", BIG_ID, primary_key=True, autoincrement=True),
        sa.Column("provider", sa.String(64), nullable=False),
        sa.Column("message_id", sa.BigInteger, sa.ForeignKey("outbox.message_id"),
                  nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("at", sa.String(40), nullable=False),
        sa.Column("received_at", sa.String(40), nullable=False),
        sa.Column("applied", sa.Boolean, nullable=False),
        sa.Column("error", sa.Text, nullable=True),
    )
    op.create_index("ix_delivery_reports_message", "delivery_reports", ["message_id"])
    op.create_table(
        "channel_addresses",
        sa.Column("borrower_id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("channel", sa.String(16), primary_key=True),
        sa.Column("address", sa.Text, nullable=False),
    )


def downgrade() -> None:
    for name in ("channel_addresses", "delivery_reports", "outbox_attempts", "outbox"):
        op.drop_table(name)
