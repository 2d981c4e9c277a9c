"""Whether a loan's terms were ever restructured, kept through an overdue spell.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("loans", sa.Column("restructured", sa.SmallInteger, nullable=False,
                                     server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("loans") as batch:  # SQLite drops a column by a copy
        batch.drop_column("restructured")
