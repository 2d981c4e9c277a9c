"""Table definitions. Day numbers (``*_day``) count days since 1970-01-01, the
kernel's representation; calendar dates elsewhere are ``Date`` columns."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from dunwell.store.encrypted import EncryptedText

metadata = MetaData()

book = Table(
    "book",
    metadata,
    Column("id", SmallInteger, primary_key=True),
    Column("business_date", Date, nullable=False),
    Column("partitions", Integer, nullable=False),
    Column("currency", String(3), nullable=False),
)

products = Table(
    "products",
    metadata,
    Column("code", String(64), primary_key=True),
    Column("currency", String(3), nullable=False),
    Column("spec_toml", Text, nullable=False),
)

loans = Table(
    "loans",
    metadata,
    Column("loan_id", BigInteger, primary_key=True, autoincrement=False),
    Column("borrower_id", BigInteger, nullable=False),
    Column("product_code", String(64), ForeignKey("products.code"), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("principal_minor", BigInteger, nullable=False),
    Column("disbursed_day", Integer, nullable=False),
    Column("partition", Integer, nullable=False),
    Column("status", SmallInteger, nullable=False),
    Column("days_past_due", Integer, nullable=False, default=0, server_default="0"),
    Column("bucket", SmallInteger, nullable=False, default=0, server_default="0"),
    Column("charged_minor", BigInteger, nullable=False, default=0, server_default="0"),
    Column("exposure_minor_days", BigInteger, nullable=False, default=0, server_default="0"),
    Column("suspense_minor", BigInteger, nullable=False, default=0, server_default="0"),
    Column("last_cob_day", Integer, nullable=False),
    Column("version", Integer, nullable=False, default=0, server_default="0"),
    #: 1 when the loan's terms were ever restructured (kept through overdue spells)
    Column("restructured", SmallInteger, nullable=False, default=0, server_default="0"),
)
Index("ix_loans_partition_status", loans.c.partition, loans.c.status)
Index("ix_loans_borrower", loans.c.borrower_id)

installments = Table(
    "installments",
    metadata,
    Column("loan_id", BigInteger, ForeignKey("loans.loan_id"), primary_key=True),
    Column("n", Integer, primary_key=True),
    Column("partition", Integer, nullable=False),
    Column("due_day", Integer, nullable=False),
    Column("accrual_start_day", Integer, nullable=False),
    Column("principal_minor", BigInteger, nullable=False),
    Column("interest_minor", BigInteger, nullable=False),
    Column("interest_base_minor", BigInteger, nullable=False, default=0, server_default="0"),
    Column("interest_accrued_minor", BigInteger, nullable=False, default=0, server_default="0"),
    Column("fee_minor", BigInteger, nullable=False, default=0, server_default="0"),
    Column("penalty_minor", BigInteger, nullable=False, default=0, server_default="0"),
    Column("penalty_basis_minor_days", BigInteger, nullable=False, default=0, server_default="0"),
    Column("paid_principal_minor", BigInteger, nullable=False, default=0, server_default="0"),
    Column("paid_interest_minor", BigInteger, nullable=False, default=0, server_default="0"),
    Column("paid_fee_minor", BigInteger, nullable=False, default=0, server_default="0"),
    Column("paid_penalty_minor", BigInteger, nullable=False, default=0, server_default="0"),
)

Index("ix_installments_partition", installments.c.partition, installments.c.loan_id,
      installments.c.n)

journal_entries = Table(
    "journal_entries",
    metadata,
    Column("entry_id", String(96), primary_key=True),
    Column("business_date", Date, nullable=False),
    Column("kind", String(48), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("reverses", String(96), ForeignKey("journal_entries.entry_id"), nullable=True,
           unique=True),
    Column("memo", Text, nullable=False, default="", server_default=""),
)
Index("ix_journal_entries_date", journal_entries.c.business_date)

journal_lines = Table(
    "journal_lines",
    metadata,
    Column("line_id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True,
           autoincrement=True),
    #: must name an entry of journal_entries: checked once per statement by triggers
    #: (migration 0019) rather than row by row by a foreign key
    Column("entry_id", String(96), nullable=False),
    Column("account", SmallInteger, nullable=False),
    Column("loan_id", BigInteger, nullable=True),
    Column("amount_minor", BigInteger, nullable=False),
)
Index("ix_journal_lines_entry", journal_lines.c.entry_id)
Index("ix_journal_lines_loan", journal_lines.c.loan_id)

payments = Table(
    "payments",
    metadata,
    Column("payment_id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True,
           autoincrement=True),
    Column("idempotency_key", String(128), nullable=False),
    Column("fingerprint", String(64), nullable=False),
    Column("loan_id", BigInteger, ForeignKey("loans.loan_id"), nullable=False),
    Column("kind", String(24), nullable=False),
    Column("amount_minor", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("business_date", Date, nullable=False),
    Column("entry_id", String(96), ForeignKey("journal_entries.entry_id"), nullable=False),
    Column("allocation_json", Text, nullable=False),
    Column("suspense_minor", BigInteger, nullable=False),
    Column("reversal_entry_id", String(96), nullable=True),
    UniqueConstraint("idempotency_key", name="uq_payments_idempotency_key"),
)
Index("ix_payments_loan", payments.c.loan_id)

loan_events = Table(
    "loan_events",
    metadata,
    Column("event_id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True,
           autoincrement=True),
    Column("loan_id", BigInteger, nullable=False),
    Column("business_date", Date, nullable=False),
    Column("kind", String(32), nullable=False),
    Column("before", SmallInteger, nullable=False),
    Column("after", SmallInteger, nullable=False),
)
Index("ix_loan_events_loan", loan_events.c.loan_id)
Index("ix_loan_events_date", loan_events.c.business_date)

cob_runs = Table(
    "cob_runs",
    metadata,
    Column("business_date", Date, primary_key=True),
    Column("partition", Integer, primary_key=True),
    Column("loans_closed", Integer, nullable=False),
    Column("postings", Integer, nullable=False),
    Column("events", Integer, nullable=False),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("recorded_at", String(40), nullable=False),
    Column("kind", String(48), nullable=False),
    Column("subject", String(96), nullable=False),
    #: sealed (dunwell.store.encrypted): reasons, notes and opt-out texts may name people;
    #: the chain's hashes are over the plaintext, so verifying needs the keys
    Column("payload_json", EncryptedText("audit_log.payload_json"), nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
)
Index("ix_audit_log_subject", audit_log.c.subject)

audit_head = Table(
    "audit_head",
    metadata,
    Column("id", SmallInteger, primary_key=True),
    Column("seq", BigInteger, nullable=False),
    Column("hash", String(64), nullable=False),
)
