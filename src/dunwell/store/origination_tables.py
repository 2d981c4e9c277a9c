"""Origination tables (migration 0004), on the shared metadata: applicants (merchants
and consumers), merchants' monthly transaction summaries, applications with their
decisions, credit lines, drawdowns and limit reviews; merchants' transaction records
and consumers' income records as imported and the terms accepted for each
drawdown (migration 0014)."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from dunwell.store.encrypted import EncryptedText
from dunwell.store.tables import metadata

BIG_ID = BigInteger().with_variant(Integer, "sqlite")

applicants = Table(
    "applicants", metadata,
    Column("applicant_id", BIG_ID, primary_key=True, autoincrement=True),
    Column("kind", String(16), nullable=False),
    Column("reference", String(128), nullable=False),
    Column("name", EncryptedText("applicants.name"), nullable=False),
    Column("language", String(16), nullable=False),
    Column("registered_on", Date, nullable=False),
    UniqueConstraint("kind", "reference", name="uq_applicants_kind_reference"),
)

merchant_months = Table(
    "merchant_months", metadata,
    Column("applicant_id", BigInteger, ForeignKey("applicants.applicant_id"), primary_key=True),
    Column("month", Date, primary_key=True),
    Column("sales_minor", BigInteger, nullable=False),
    Column("refunds_minor", BigInteger, nullable=False),
    Column("sales_count", Integer, nullable=False),
    Column("refunds_count", Integer, nullable=False),
)

applications = Table(
    "applications", metadata,
    Column("application_id", BIG_ID, primary_key=True, autoincrement=True),
    Column("idempotency_key", String(128), nullable=False),
    Column("fingerprint", String(64), nullable=False),
    Column("applicant_id", BigInteger, ForeignKey("applicants.applicant_id"), nullable=False),
    Column("business_date", Date, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("requested_minor", BigInteger, nullable=False),
    Column("term_months", Integer, nullable=False),
    Column("purpose", String(32), nullable=False),
    Column("language", String(16), nullable=False),
    Column("outcome", String(8), nullable=False),
    Column("grade", String(4), nullable=True),
    Column("pd_bps", Integer, nullable=True),
    Column("approved_minor", BigInteger, nullable=False),
    Column("limit_minor", BigInteger, nullable=False),
    Column("annual_rate", String(16), nullable=True),
    Column("term_options_json", Text, nullable=False),
    Column("reasons_json", Text, nullable=False),
    Column("advice_json", Text, nullable=False),
    Column("features_json", Text, nullable=False),
    Column("cash_flow_minor", BigInteger, nullable=False),
    Column("existing_payments_minor", BigInteger, nullable=False),
    Column("dsr_bps", Integer, nullable=True),
    Column("model", String(64), nullable=False),
    UniqueConstraint("idempotency_key", name="uq_applications_idempotency_key"),
)
Index("ix_applications_applicant", applications.c.applicant_id)

credit_lines = Table(
    "credit_lines", metadata,
    Column("line_id", BIG_ID, primary_key=True, autoincrement=True),
    Column("application_id", BigInteger, ForeignKey("applications.application_id"),
           nullable=False, unique=True),
    Column("applicant_id", BigInteger, ForeignKey("applicants.applicant_id"), nullable=False),
    Column("borrower_id", BigInteger, nullable=False),
    Column("kind", String(16), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("limit_minor", BigInteger, nullable=False),
    Column("limit_max_minor", BigInteger, nullable=False),
    Column("grade", String(4), nullable=False),
    Column("annual_rate", String(16), nullable=False),
    Column("status", String(8), nullable=False),
    Column("cash_flow_minor", BigInteger, nullable=False),
    Column("existing_payments_minor", BigInteger, nullable=False),
    Column("opened_on", Date, nullable=False),
    Column("limit_changed_on", Date, nullable=False),
    Column("reviewed_on", Date, nullable=True),
)
Index("ix_credit_lines_status", credit_lines.c.status)

drawdowns = Table(
    "drawdowns", metadata,
    Column("drawdown_id", BIG_ID, primary_key=True, autoincrement=True),
    Column("idempotency_key", String(128), nullable=False),
    Column("fingerprint", String(64), nullable=False),
    Column("line_id", BigInteger, ForeignKey("credit_lines.line_id"), nullable=False),
    Column("loan_id", BigInteger, ForeignKey("loans.loan_id"), nullable=False),
    Column("amount_minor", BigInteger, nullable=False),
    Column("term_months", Integer, nullable=False),
    Column("product_code", String(64), nullable=False),
    Column("instalment_minor", BigInteger, nullable=False),
    Column("business_date", Date, nullable=False),
    UniqueConstraint("idempotency_key", name="uq_drawdowns_idempotency_key"),
)
Index("ix_drawdowns_line", drawdowns.c.line_id)

limit_reviews = Table(
    "limit_reviews", metadata,
    Column("review_id", BIG_ID, primary_key=True, autoincrement=True),
    Column("line_id", BigInteger, ForeignKey("credit_lines.line_id"), nullable=False),
    Column("business_date", Date, nullable=False),
    Column("action", String(8), nullable=False),
    Column("limit_before_minor", BigInteger, nullable=False),
    Column("limit_after_minor", BigInteger, nullable=False),
    Column("reasons_json", Text, nullable=False),
    UniqueConstraint("line_id", "business_date", name="uq_limit_reviews_line_date"),
)

# --- migration 0014: records as imported, and the terms accepted ----------------------
merchant_transactions = Table(
    "merchant_transactions", metadata,
    Column("applicant_id", BigInteger, ForeignKey("applicants.applicant_id"), primary_key=True),
    Column("transaction_id", String(128), primary_key=True),
    Column("txn_date", Date, nullable=False),
    Column("amount_minor", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("kind", String(8), nullable=False),
    Column("imported_on", Date, nullable=False),
)

income_records = Table(
    "income_records", metadata,
    Column("applicant_id", BigInteger, ForeignKey("applicants.applicant_id"), primary_key=True),
    Column("record_id", String(128), primary_key=True),
    Column("month", Date, nullable=False),
    Column("amount_minor", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("imported_on", Date, nullable=False),
)

drawdown_acceptances = Table(
    "drawdown_acceptances", metadata,
    Column("acceptance_id", BIG_ID, primary_key=True, autoincrement=True),
    Column("line_id", BigInteger, ForeignKey("credit_lines.line_id"), nullable=False),
    Column("drawdown_id", BigInteger, ForeignKey("drawdowns.drawdown_id"), nullable=False,
           unique=True),
    Column("fingerprint", String(64), nullable=False),
    Column("terms_json", Text, nullable=False),
    Column("language", String(16), nullable=False),
    Column("accepted_on", Date, nullable=False),
    Column("cancel_until", Date, nullable=True),
    Column("cancelled_on", Date, nullable=True),
)
Index("ix_drawdown_acceptances_line", drawdown_acceptances.c.line_id)
