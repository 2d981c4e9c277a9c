"""Negotiation: hardship assessments, offers, approvals and repayment plans with their monitoring.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer, "sqlite")


def upgrade() -> None:
    op.create_table(
        "hardship_assessments",
        sa.Column("assessment_id", BIG_ID, primary_key=True, autoincrement=True),
        sa.Column("fingerprint", sa.String(64), nullable=False, unique=True),
        sa.Column("case_id", sa.String(64), sa.ForeignKey("cases.case_id"), nullable=False),
        sa.Column("borrower_id", sa.BigInteger, nullable=False),
        sa.Column("loan_id", sa.BigInteger, nullable=False),
        sa.Column("business_date", sa.Date, nullable=False),
        sa.Column("recorded_at", sa.String(40), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("reason", sa.String(24), nullable=False),
        sa.Column("monthly_income_minor", sa.BigInteger, nullable=False),
        sa.Column("essential_expenses_minor", sa.BigInteger, nullable=False),
        sa.Column("other_debt_payments_minor", sa.BigInteger, nullable=False),
        sa.Column("disposable_minor", sa.BigInteger, nullable=False),
        sa.Column("vulnerable", sa.Boolean, nullable=False),
        sa.Column("evidence_json", sa.Text, nullable=False),
    )
    op.create_index("ix_hardship_assessments_case", "hardship_assessments", ["case_id"])
    op.create_table(
        "offers",
        sa.Column("offer_id", BIG_ID, primary_key=True, autoincrement=True),
        sa.Column("assessment_id", sa.BigInteger,
                  sa.ForeignKey("hardship_assessments.assessment_id"), nullable=False),
        sa.Column("case_id", sa.String(64), nullable=False),
        sa.Column("loan_id", sa.BigInteger, nullable=False),
        sa.Column("business_date", sa.Date, nullable=False),
        sa.Column("expires_on", sa.Date, nullable=False),
        sa.Column("rank", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("months", sa.Integer, nullable=False),
        sa.Column("reduced_months", sa.Integer, nullable=False),
        sa.Column("monthly_payment_minor", sa.BigInteger, nullable=False),
        sa.Column("affordability", sa.String(16), nullable=False),
        sa.Column("keep_probability", sa.String(16), nullable=False),
        sa.Column("expected_npv_minor", sa.BigInteger, nullable=False),
        sa.Column("total_cost_minor", sa.BigInteger, nullable=False),
        sa.Column("waiver_minor", sa.BigInteger, nullable=False),
        sa.Column("approval_role", sa.String(16), nullable=False),
        sa.Column("debt_json", sa.Text, nullable=False),
        sa.Column("waiver_json", sa.Text, nullable=False),
        sa.Column("instalments_json", sa.Text, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("approved_by", sa.String(64), nullable=True),
        sa.Column("approved_role", sa.String(16), nullable=True),
        sa.Column("approved_at", sa.String(40), nullable=True),
    )
    op.create_index("ix_offers_case", "offers", ["case_id", "status"])
    op.create_table(
        "plans",
        sa.Column("plan_id", BIG_ID, primary_key=True, autoincrement=True),
        sa.Column("offer_id", sa.BigInteger, sa.ForeignKey("offers.offer_id"), nullable=False,
                  unique=True),
        sa.Column("case_id", sa.String(64), nullable=False),
        sa.Column("borrower_id", sa.BigInteger, nullable=False),
        sa.Column("loan_id", sa.BigInteger, nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("accepted_on", sa.Date, nullable=False),
        sa.Column("accepted_at", sa.String(40), nullable=False),
        sa.Column("first_n", sa.Integer, nullable=False),
        sa.Column("last_n", sa.Integer, nullable=False),
        sa.Column("grace_days", sa.Integer, nullable=False),
        sa.Column("entry_id", sa.String(96), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("checked_on", sa.Date, nullable=True),
        sa.Column("resolved_on", sa.Date, nullable=True),
    )
    op.create_index("ix_plans_status", "plans", ["status"])
    op.create_index("ix_plans_case", "plans", ["case_id"])


def downgrade() -> None:
    op.drop_index("ix_plans_case", table_name="plans")
    op.drop_index("ix_plans_status", table_name="plans")
    op.drop_table("plans")
    op.drop_index("ix_offers_case", table_name="offers")
    op.drop_table("offers")
    op.drop_index("ix_hardship_assessments_case", table_name="hardship_assessments")
    op.drop_table("hardship_assessments")
