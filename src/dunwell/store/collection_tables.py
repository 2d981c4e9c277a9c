"""Collections tables (migration 0003), on the shared metadata."""

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

borrowers = Table(
    "borrowers", metadata,
    Column("borrower_id", BigInteger, primary_key=True, autoincrement=False),
    Column("name", EncryptedText("borrowers.name"), nullable=False),
    Column("jurisdiction", String(16), nullable=False),
    Column("timezone", String(64), nullable=False),
    Column("language", String(16), nullable=False),
    Column("flags_json", Text, nullable=False, server_default="[]"),
    Column("channels_json", Text, nullable=False, server_default="[]"),
    Column("preferences_json", Text, nullable=False, server_default="{}"),
)

cases = Table(
    "cases", metadata,
    Column("case_id", String(64), primary_key=True),
    Column("borrower_id", BigInteger, nullable=False),
    Column("status", String(16), nullable=False),
    Column("opened_on", Date, nullable=False),
    Column("closed_on", Date, nullable=True),
    Column("strategy_name", String(64), nullable=False),
    Column("strategy_version", Integer, nullable=False),
    Column("variant", String(16), nullable=False),
    Column("owner", String(64), nullable=True),
    Column("broken_promises", Integer, nullable=False, server_default="0"),
    Column("last_dpd", Integer, nullable=False, server_default="0"),
)
Index("ix_cases_borrower_status", cases.c.borrower_id, cases.c.status)

case_timeline = Table(
    "case_timeline", metadata,
    Column("entry_id", BIG_ID, primary_key=True, autoincrement=True),
    Column("case_id", String(64), ForeignKey("cases.case_id"), nullable=False),
    Column("on_date", Date, nullable=False),
    Column("kind", String(32), nullable=False),
    Column("text", EncryptedText("case_timeline.text"), nullable=False),
)
Index("ix_case_timeline_case", case_timeline.c.case_id)

case_actions = Table(
    "case_actions", metadata,
    Column("action_id", BIG_ID, primary_key=True, autoincrement=True),
    Column("case_id", String(64), nullable=False),  # a case, or a pre-due view's id
    Column("borrower_id", BigInteger, nullable=False),
    Column("business_date", Date, nullable=False),
    Column("kind", String(32), nullable=False),
    Column("channel", String(24), nullable=True),
    Column("recipient", String(24), nullable=True),
    Column("tags_json", Text, nullable=False),
    Column("planned_at", String(40), nullable=False),
    Column("strategy", String(80), nullable=False),
    Column("variant", String(16), nullable=False),
    Column("segment_id", String(64), nullable=False),
    Column("step_id", String(64), nullable=False),
    Column("due_date", Date, nullable=False),
    Column("occurrence", Integer, nullable=False),
    Column("decision", String(8), nullable=False),
    Column("rule", String(64), nullable=True),
    Column("reason", Text, nullable=False),
    Column("window_start", String(40), nullable=True),
    Column("window_end", String(40), nullable=True),
    Column("defer_until", String(40), nullable=True),
    Column("status", String(16), nullable=False),
    UniqueConstraint("case_id", "step_id", "due_date", "occurrence", "business_date",
                     name="uq_case_actions_step"),
)
Index("ix_case_actions_date", case_actions.c.business_date)
Index("ix_case_actions_case", case_actions.c.case_id)

contacts = Table(
    "contacts", metadata,
    Column("contact_id", BIG_ID, primary_key=True, autoincrement=True),
    Column("borrower_id", BigInteger, nullable=False),
    Column("ts", String(40), nullable=False),
    Column("channel", String(24), nullable=False),
    Column("direction", String(8), nullable=False),
    Column("outcome", String(32), nullable=False),
    Column("action_id", BigInteger, nullable=True),
)
Index("ix_contacts_borrower", contacts.c.borrower_id)

promises = Table(
    "promises", metadata,
    Column("promise_id", BIG_ID, primary_key=True, autoincrement=True),
    Column("case_id", String(64), ForeignKey("cases.case_id"), nullable=False),
    Column("amount_minor", BigInteger, nullable=False),
    Column("due_date", Date, nullable=False),
    Column("created_on", Date, nullable=False),
    Column("status", String(16), nullable=False),
    Column("paid_minor", BigInteger, nullable=False, server_default="0"),
    Column("resolved_on", Date, nullable=True),
)
Index("ix_promises_case", promises.c.case_id)

collectors = Table(
    "collectors", metadata,
    Column("collector_id", String(64), primary_key=True),
    Column("name", Text, nullable=False),
    Column("calls_per_day", Integer, nullable=False),
    Column("shift_start", String(5), nullable=False),
    Column("shift_end", String(5), nullable=False),
)

call_tasks = Table(
    "call_tasks", metadata,
    Column("task_id", BIG_ID, primary_key=True, autoincrement=True),
    Column("business_date", Date, nullable=False),
    Column("action_id", BigInteger, ForeignKey("case_actions.action_id"), nullable=False),
    Column("collector_id", String(64), nullable=True),
    Column("position", Integer, nullable=True),
    Column("expected_recovery_minor", BigInteger, nullable=False),
    Column("note", Text, nullable=False, server_default=""),
)
Index("ix_call_tasks_date", call_tasks.c.business_date)

collect_runs = Table(
    "collect_runs", metadata,
    Column("business_date", Date, primary_key=True),
    Column("summary_json", Text, nullable=False),
)

loan_scores = Table(
    "loan_scores", metadata,
    Column("loan_id", BigInteger, primary_key=True, autoincrement=False),
    Column("business_date", Date, nullable=False),
    Column("score_bps", Integer, nullable=False),
    Column("model", String(128), nullable=False),
)
