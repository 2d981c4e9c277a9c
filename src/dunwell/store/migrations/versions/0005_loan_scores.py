"""Early-warning scores: each open loan's latest probability of going overdue.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "loan_scores",
        sa.Column("loan_id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("business_date", sa.Date, nullable=False),
        sa.Column("score_bps", sa.Integer, nullable=False),
        sa.Column("model", sa.String(128), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("loan_scores")
