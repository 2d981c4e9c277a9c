"""The complaints register and each complaint's timeline.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-10
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer, "sqlite")


def upgrade() -> None:
    op.create_table(
        "complaints",
        sa.Column("complaint_id", BIG_ID, primary_key=True, autoincrement=True),
        sa.Column("borrower_id", sa.BigInteger, nullable=False),
        sa.Column("case_id", sa.String(64), nullable=True),
        sa.Column("jurisdiction", sa.String(16), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("category", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("received_at", sa.String(40), nullable=False),
        sa.Column("received_on", sa.Date, nullable=False),
        sa.Column("acknowledge_by", sa.Date, nullable=False),
        sa.Column("answer_by", sa.Date, nullable=False),
        sa.Column("acknowledged_at", sa.String(40), nullable=True),
        sa.Column("answered_at", sa.String(40), nullable=True),
        sa.Column("escalated_at", sa.String(40), nullable=True),
        sa.Column("escalated_to", sa.String(32), nullable=True),
        sa.Column("closed_at", sa.String(40), nullable=True),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("answer", sa.Text, nullable=False, server_default=""),
    )
    op.create_index("ix_complaints_borrower", "complaints", ["borrower_id"])
    op.create_index("ix_complaints_status_due", "complaints", ["status", "answer_by"])
    op.create_table(
        "complaint_events",
        sa.Column("event_id", BIG_ID, primary_key=True, autoincrement=True),
        sa.Column("complaint_id", sa.BigInteger, nullable=False),
        sa.Column("at", sa.String(40), nullable=False),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("note", sa.Text, nullable=False, server_default=""),
    )
    op.create_index("ix_complaint_events_complaint", "complaint_events", ["complaint_id"])


def downgrade() -> None:
    op.drop_index("ix_complaint_events_complaint", table_name="complaint_events")
    op.drop_table("complaint_events")
    op.drop_index("ix_complaints_status_due", table_name="complaints")
    op.drop_index("ix_complaints_borrower", table_name="complaints")
    op.drop_table("complaints")
