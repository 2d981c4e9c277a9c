"""Negotiation tables (migration 0009), on the shared metadata: hardship assessments,
the offers made from them, and accepted plans with their monitoring state."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
)

from dunwell.store import collection_tables as _collections  # noqa: F401  (cases first)
from dunwell.store.tables import metadata

BIG_ID = BigInteger().with_variant(Integer, "sqlite")

hardship_assessments = Table(
    "hardship_assessments", metadata,
    Column("assessment_id", BIG_ID, primary_key=True, autoincrement=True),
    Column("fingerprint", String(64), nullable=False, unique=True),
    Column("case_id", String(64), ForeignKey("cases.case_id"), nullable=False),
    Column("borrower_id", BigInteger, nullable=False),
    Column("loan_id", BigInteger, nullable=False),
    Column("business_date", Date, nullable=False),
    Column("recorded_at", String(40), nullable=False),
    Column("source", String(16), nullable=False),
    Column("reason", String(24), nullable=False),
    Column("monthly_income_minor", BigInteger, nullable=False),
    Column("essential_expenses_minor", BigInteger, nullable=False),
    Column("other_debt_payments_minor", BigInteger, nullable=False),
    Column("disposable_minor", BigInteger, nullable=False),
    Column("vulnerable", Boolean, nullable=False),
    Column("evidence_json", Text, nullable=False),
)
Index("ix_hardship_assessments_case", hardship_assessments.c.case_id)

offers = Table(
    "offers", metadata,
    Column("offer_id", BIG_ID, primary_key=True, autoincrement=True),
    Column("assessment_id", BigInteger,
           ForeignKey("hardship_assessments.assessment_id"), nullable=False),
    Column("case_id", String(64), nullable=False),
    Column("loan_id", BigInteger, nullable=False),
    Column("business_date", Date, nullable=False),
    Column("expires_on", Date, nullable=False),
    Column("rank", Integer, nullable=False),
    Column("kind", String(32), nullable=False),
    Column("months", Integer, nullable=False),
    Column("reduced_months", Integer, nullable=False),
    Column("monthly_payment_minor", BigInteger, nullable=False),
    Column("affordability", String(16), nullable=False),
    Column("keep_probability", String(16), nullable=False),
    Column("expected_npv_minor", BigInteger, nullable=False),
    Column("total_cost_minor", BigInteger, nullable=False),
    Column("waiver_minor", BigInteger, nullable=False),
    Column("approval_role", String(16), nullable=False),
    Column("debt_json", Text, nullable=False),
    Column("waiver_json", Text, nullable=False),
    Column("instalments_json", Text, nullable=False),
    Column("status", String(16), nullable=False),
    Column("approved_by", String(64), nullable=True),
    Column("approved_role", String(16), nullable=True),
    Column("approved_at", String(40), nullable=True),
)
Index("ix_offers_case", offers.c.case_id, offers.c.status)

plans = Table(
    "plans", metadata,
    Column("plan_id", BIG_ID, primary_key=True, autoincrement=True),
    Column("offer_id", BigInteger, ForeignKey("offers.offer_id"), nullable=False, unique=True),
    Column("case_id", String(64), nullable=False),
    Column("borrower_id", BigInteger, nullable=False),
    Column("loan_id", BigInteger, nullable=False),
    Column("kind", String(32), nullable=False),
    Column("accepted_on", Date, nullable=False),
    Column("accepted_at", String(40), nullable=False),
    Column("first_n", Integer, nullable=False),
    Column("last_n", Integer, nullable=False),
    Column("grace_days", Integer, nullable=False),
    Column("entry_id", String(96), nullable=True),
    Column("status", String(16), nullable=False),
    Column("checked_on", Date, nullable=True),
    Column("resolved_on", Date, nullable=True),
)
Index("ix_plans_status", plans.c.status)
Index("ix_plans_case", plans.c.case_id)
