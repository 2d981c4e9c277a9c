"""Responsible origination: merchants' transaction records and consumers' income
records as imported (one row per record id, so a re-import stores nothing new), and
the terms a borrower accepted before a drawdown, with the cooling-off window.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer, "sqlite")


def upgrade() -> None:
    op.create_table(
        "merchant_transactions",
        sa.Column("applicant_id", sa.BigInteger, sa.ForeignKey("applicants.applicant_id"),
                  primary_key=True),
        sa.Column("transaction_id", sa.String(128), primary_key=True),
        sa.Column("txn_date", sa.Date, nullable=False),
        sa.Column("amount_minor", sa.BigInteger, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("imported_on", sa.Date, nullable=False),
    )
    op.create_table(
        "income_records",
        sa.Column("applicant_id", sa.BigInteger, sa.ForeignKey("applicants.applicant_id"),
                  primary_key=True),
        sa.Column("record_id", sa.String(128), primary_key=True),
        sa.Column("month", sa.Date, nullable=False),
        sa.Column("amount_minor", sa.BigInteger, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("imported_on", sa.Date, nullable=False),
    )
    op.create_table(
        "drawdown_acceptances",
        sa.Column("acceptance_id", BIG_ID, primary_key=True, autoincrement=True),
        sa.Column("line_id", sa.BigInteger, sa.ForeignKey("credit_lines.line_id"),
                  nullable=False),
        sa.Column("drawdown_id", sa.BigInteger, sa.ForeignKey("drawdowns.drawdown_id"),
                  nullable=False, unique=True),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("terms_json", sa.Text, nullable=False),
        sa.Column("language", sa.String(16), nullable=False),
        sa.Column("accepted_on", sa.Date, nullable=False),
        sa.Column("cancel_until", sa.Date, nullable=True),
        sa.Column("cancelled_on", sa.Date, nullable=True),
    )
    op.create_index("ix_drawdown_acceptances_line", "drawdown_acceptances", ["line_id"])


def downgrade() -> None:
    op.drop_index("ix_drawdown_acceptances_line", table_name="drawdown_acceptances")
    op.drop_table("drawdown_acceptances")
    op.drop_table("income_records")
    op.drop_table("merchant_transactions")
