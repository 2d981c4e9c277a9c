"""Letters: the letter register (number, verification code, status history and delivery proof).

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op  # noqa: F401  (filled in by the tables of this revision)

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer, "sqlite")


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
