"""The day loop: each business date's steps, done, skipped or failed.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "day_steps",
        sa.Column("business_date", sa.Date, primary_key=True),
        sa.Column("step", sa.String(32), primary_key=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("detail_json", sa.Text, nullable=False),
        sa.Column("finished_at", sa.String(40), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("day_steps")
