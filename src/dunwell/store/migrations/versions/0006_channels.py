"""Channels: the transactional outbox of messages, their delivery attempts and status callbacks.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op  # noqa: F401  (filled in by the tables of this revision)

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer, "sqlite")


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
