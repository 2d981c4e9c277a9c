"""Personal data encrypted at rest: column types that hold ciphertext, keyed-hash lookups.

Text columns that now hold ciphertexts (names, addresses, messages, letters, notes)
keep their type: a ciphertext is text. The coordinates (a borrower's address, where a
visit's outcome was recorded) change from double precision to text, keeping their
values as decimal text, which the application reads as plaintext until
``dunwell keys rotate`` seals them. ``channel_addresses`` gains ``address_hash``, the
keyed hash a borrower is found by (filled for every new address, and for existing
ones by ``dunwell keys rotate``).

The downgrade turns coordinates back into numbers, which only works while they are
still plaintext: decrypt first (there is no command for it; restore a backup).

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

COORDINATES = (("borrower_addresses", ("latitude", "longitude")),
               ("visits", ("outcome_latitude", "outcome_longitude")))


def upgrade() -> None:
    for table, columns in COORDINATES:
        with op.batch_alter_table(table) as batch:  # SQLite changes a type by a copy
            for column in columns:
                batch.alter_column(column, type_=sa.Text, existing_type=sa.Float(53),
                                   existing_nullable=True,
                                   postgresql_using=f"{column}::text")
    op.add_column("channel_addresses", sa.Column("address_hash", sa.String(80), nullable=True))
    op.create_index("ix_channel_addresses_hash", "channel_addresses", ["address_hash"])


def downgrade() -> None:
    op.drop_index("ix_channel_addresses_hash", table_name="channel_addresses")
    with op.batch_alter_table("channel_addresses") as batch:
        batch.drop_column("address_hash")
    for table, columns in COORDINATES:
        with op.batch_alter_table(table) as batch:
            for column in columns:
                batch.alter_column(column, type_=sa.Float(53), existing_type=sa.Text,
                                   existing_nullable=True,
                                   postgresql_using=f"{column}::double precision")
