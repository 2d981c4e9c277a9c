"""Origination: applicants, merchants' monthly transaction summaries, applications
with their decisions, credit lines, drawdowns and limit reviews.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer, "sqlite")


def upgrade() -> None:
    op.create_table(
        "applicants",
        sa.Column("applicant_id", BIG_ID, primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("reference", sa.String(128), nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("language", sa.String(16), nullable=False),
        sa.Column("registered_on", sa.Date, nullable=False),
        sa.UniqueConstraint("kind", "reference", name="uq_applicants_kind_reference"),
    )
    op.create_table(
        "merchant_months",
        sa.Column("applicant_id", sa.BigInteger, sa.ForeignKey("applicants.applicant_id"),
                  primary_key=True),
        sa.Column("month", sa.Date, primary_key=True),
        sa.Column("sales_minor", sa.BigInteger, nullable=False),
        sa.Column("refunds_minor", sa.BigInteger, nullable=False),
        sa.Column("sales_count", sa.Integer, nullable=False),
        sa.Column("refunds_count", sa.Integer, nullable=False),
    )
    op.create_table(
        "applications",
        sa.Column("application_id", BIG_ID, primary_key=True, autoincrement=True),
        sa.Column("idempotency_key", sa.String(128), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("applicant_id", sa.BigInteger, sa.ForeignKey("applicants.applicant_id"),
                  nullable=False),
        sa.Column("business_date", sa.Date, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("requested_minor", sa.BigInteger, nullable=False),
        sa.Column("term_months", sa.Integer, nullable=False),
        sa.Column("purpose", sa.String(32), nullable=False),
        sa.Column("language", sa.String(16), nullable=False),
        sa.Column("outcome", sa.String(8), nullable=False),
        sa.Column("grade", sa.String(4), nullable=True),
        sa.Column("pd_bps", sa.Integer, nullable=True),
        sa.Column("approved_minor", sa.BigInteger, nullable=False),
        sa.Column("limit_minor", sa.BigInteger, nullable=False),
        sa.Column("annual_rate", sa.String(16), nullable=True),
        sa.Column("term_options_json", sa.Text, nullable=False),
        sa.Column("reasons_json", sa.Text, nullable=False),
        sa.Column("advice_json", sa.Text, nullable=False),
        sa.Column("features_json", sa.Text, nullable=False),
        sa.Column("cash_flow_minor", sa.BigInteger, nullable=False),
        sa.Column("existing_payments_minor", sa.BigInteger, nullable=False),
        sa.Column("dsr_bps", sa.Integer, nullable=True),
        sa.Column("model", sa.String(64), nullable=False),
        sa.UniqueConstraint("idempotency_key", name="uq_applications_idempotency_key"),
    )
    op.create_index("ix_applications_applicant", "applications", ["applicant_id"])
    op.create_table(
        "credit_lines",
        sa.Column("line_id", BIG_ID, primary_key=True, autoincrement=True),
        sa.Column("application_id", sa.BigInteger,
                  sa.ForeignKey("applications.application_id"), nullable=False, unique=True),
        sa.Column("applicant_id", sa.BigInteger, sa.ForeignKey("applicants.applicant_id"),
                  nullable=False),
        sa.Column("borrower_id", sa.BigInteger, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("limit_minor", sa.BigInteger, nullable=False),
        sa.Column("limit_max_minor", sa.BigInteger, nullable=False),
        sa.Column("grade", sa.String(4), nullable=False),
        sa.Column("annual_rate", sa.String(16), nullable=False),
        sa.Column("status", sa.String(8), nullable=False),
        sa.Column("cash_flow_minor", sa.BigInteger, nullable=False),
        sa.Column("existing_payments_minor", sa.BigInteger, nullable=False),
        sa.Column("opened_on", sa.Date, nullable=False),
        sa.Column("limit_changed_on", sa.Date, nullable=False),
        sa.Column("reviewed_on", sa.Date, nullable=True),
    )
    op.create_index("ix_credit_lines_status", "credit_lines", ["status"])
    op.create_table(
        "drawdowns",
        sa.Column("drawdown_id", BIG_ID, primary_key=True, autoincrement=True),
        sa.Column("idempotency_key", sa.String(128), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("line_id", sa.BigInteger, sa.ForeignKey("credit_lines.line_id"),
                  nullable=False),
        sa.Column("loan_id", sa.BigInteger, sa.ForeignKey("loans.loan_id"), nullable=False),
        sa.Column("amount_minor", sa.BigInteger, nullable=False),
        sa.Column("term_months", sa.Integer, nullable=False),
        sa.Column("product_code", sa.String(64), nullable=False),
        sa.Column("instalment_minor", sa.BigInteger, nullable=False),
        sa.Column("business_date", sa.Date, nullable=False),
        sa.UniqueConstraint("idempotency_key", name="uq_drawdowns_idempotency_key"),
    )
    op.create_index("ix_drawdowns_line", "drawdowns", ["line_id"])
    op.create_table(
        "limit_reviews",
        sa.Column("review_id", BIG_ID, primary_key=True, autoincrement=True),
        sa.Column("line_id", sa.BigInteger, sa.ForeignKey("credit_lines.line_id"),
                  nullable=False),
        sa.Column("business_date", sa.Date, nullable=False),
        sa.Column("action", sa.String(8), nullable=False),
        sa.Column("limit_before_minor", sa.BigInteger, nullable=False),
        sa.Column("limit_after_minor", sa.BigInteger, nullable=False),
        sa.Column("reasons_json", sa.Text, nullable=False),
        sa.UniqueConstraint("line_id", "business_date", name="uq_limit_reviews_line_date"),
    )


def downgrade() -> None:
    for name in ("limit_reviews", "drawdowns", "credit_lines", "applications",
                 "merchant_months", "applicants"):
        op.drop_table(name)
