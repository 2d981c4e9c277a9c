"""Letters: the letter register (number, verification code, status history and delivery proof).

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer, "sqlite")


def upgrade() -> None:
    op.create_table(
        "letters",
        sa.Column("letter_id", BIG_ID, primary_key=True, autoincrement=True),
        sa.Column("letter_no", sa.String(32), nullable=False, unique=True),
        sa.Column("sequence", sa.Integer, nullable=False),
        sa.Column("verification_code", sa.String(16), nullable=False, unique=True),
        sa.Column("idempotency_key", sa.String(160), nullable=False, unique=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("borrower_id", sa.BigInteger, nullable=False),
        sa.Column("case_id", sa.String(64), nullable=True),
        sa.Column("action_id", sa.BigInteger, nullable=True),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("jurisdiction", sa.String(16), nullable=False),
        sa.Column("business_date", sa.Date, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("dispatch_method", sa.String(16), nullable=True),
        sa.Column("content_sha256", sa.String(64), nullable=False),
        sa.Column("document_json", sa.Text, nullable=False),
        sa.Column("issued_at", sa.String(40), nullable=False),
    )
    op.create_index("ix_letters_date_status", "letters", ["business_date", "status"])
    op.create_index("ix_letters_borrower", "letters", ["borrower_id"])
    op.create_table(
        "letter_events",
        sa.Column("event_id", BIG_ID, primary_key=True, autoincrement=True),
        sa.Column("letter_no", sa.String(32), sa.ForeignKey("letters.letter_no"),
                  nullable=False),
        sa.Column("event", sa.String(16), nullable=False),
        sa.Column("at", sa.String(40), nullable=False),
        sa.Column("method", sa.String(16), nullable=True),
        sa.Column("proof", sa.Text, nullable=True),
        sa.Column("note", sa.Text, nullable=False, server_default=""),
    )
    op.create_index("ix_letter_events_letter", "letter_events", ["letter_no"])


def downgrade() -> None:
    op.drop_index("ix_letter_events_letter", table_name="letter_events")
    op.drop_table("letter_events")
    op.drop_index("ix_letters_borrower", table_name="letters")
    op.drop_index("ix_letters_date_status", table_name="letters")
    op.drop_table("letters")
