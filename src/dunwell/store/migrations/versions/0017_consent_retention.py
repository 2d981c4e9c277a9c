"""Consent per borrower and channel, and what retention has anonymised.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer, "sqlite")


def upgrade() -> None:
    op.create_table(
        "consents",
        sa.Column("consent_id", BIG_ID, primary_key=True, autoincrement=True),
        sa.Column("borrower_id", sa.BigInteger, nullable=False),
        sa.Column("channel", sa.String(24), nullable=False),
        sa.Column("party", sa.String(24), nullable=False),
        sa.Column("purpose", sa.String(16), nullable=False),
        sa.Column("granted_at", sa.String(40), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("evidence", sa.Text, nullable=False, server_default=""),
        sa.Column("withdrawn_at", sa.String(40), nullable=True),
        sa.Column("withdrawn_source", sa.String(16), nullable=True),
    )
    op.create_index("ix_consents_borrower", "consents", ["borrower_id"])
    op.create_table(
        "anonymisations",
        sa.Column("borrower_id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("anonymised_at", sa.String(40), nullable=False),
        sa.Column("as_of", sa.Date, nullable=False),
        sa.Column("jurisdiction", sa.String(16), nullable=False),
        sa.Column("retain_until", sa.Date, nullable=False),
        sa.Column("fields", sa.Integer, nullable=False),
        sa.Column("tables_json", sa.Text, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("anonymisations")
    op.drop_index("ix_consents_borrower", table_name="consents")
    op.drop_table("consents")
