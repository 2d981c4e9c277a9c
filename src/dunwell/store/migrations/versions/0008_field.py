"""Field operation: borrower addresses with coordinates, field agents, training
certificates, visit plans, itineraries and visit outcomes with costs.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op  # noqa: F401  (filled in by the tables of this revision)

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer, "sqlite")


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
