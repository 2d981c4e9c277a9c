"""Collections: borrowers' contact facts, cases, their timeline, proposed actions
with the guard's verdicts, contacts, promises to pay, collectors and call queues.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer, "sqlite")


def upgrade() -> None:
    op.create_table(
        "borrowers",
        sa.Column("borrower_id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("jurisdiction", sa.String(16), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("language", sa.String(16), nullable=False),
        sa.Column("flags_json", sa.Text, nullable=False, server_default="[]"),
        sa.Column("channels_json", sa.Text, nullable=False, server_default="[]"),
        sa.Column("preferences_json", sa.Text, nullable=False, server_default="{}"),
    )
    op.create_table(
        "cases",
        sa.Column("case_id", sa.String(64), primary_key=True),
        sa.Column("borrower_id", sa.BigInteger, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("opened_on", sa.Date, nullable=False),
        sa.Column("closed_on", sa.Date, nullable=True),
        sa.Column("strategy_name", sa.String(64), nullable=False),
        sa.Column("strategy_version", sa.Integer, nullable=False),
        sa.Column("variant", sa.String(16), nullable=False),
        sa.Column("owner", sa.String(64), nullable=True),
        sa.Column("broken_promises", sa.Integer, nullable=False, server_default="0"),
        sa.Column("last_dpd", sa.Integer, nullable=False, server_default="0"),
    )
    op.create_index("ix_cases_borrower_status", "cases", ["borrower_id", "status"])
    op.create_table(
        "case_timeline",
        sa.Column("entry_id", BIG_ID, primary_key=True, autoincrement=True),
        sa.Column("case_id", sa.String(64), sa.ForeignKey("cases.case_id"), nullable=False),
        sa.Column("on_date", sa.Date, nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
    )
    op.create_index("ix_case_timeline_case", "case_timeline", ["case_id"])
    op.create_table(
        "case_actions",
        sa.Column("action_id", BIG_ID, primary_key=True, autoincrement=True),
        sa.Column("case_id", sa.String(64), nullable=False),
        sa.Column("borrower_id", sa.BigInteger, nullable=False),
        sa.Column("business_date", sa.Date, nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("channel", sa.String(24), nullable=True),
        sa.Column("recipient", sa.String(24), nullable=True),
        sa.Column("tags_json", sa.Text, nullable=False),
        sa.Column("planned_at", sa.String(40), nullable=False),
        sa.Column("strategy", sa.String(80), nullable=False),
        sa.Column("variant", sa.String(16), nullable=False),
        sa.Column("segment_id", sa.String(64), nullable=False),
        sa.Column("step_id", sa.String(64), nullable=False),
        sa.Column("due_date", sa.Date, nullable=False),
        sa.Column("occurrence", sa.Integer, nullable=False),
        sa.Column("decision", sa.String(8), nullable=False),
        sa.Column("rule", sa.String(64), nullable=True),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("window_start", sa.String(40), nullable=True),
        sa.Column("window_end", sa.String(40), nullable=True),
        sa.Column("defer_until", sa.String(40), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.UniqueConstraint("case_id", "step_id", "due_date", "occurrence", "business_date",
                            name="uq_case_actions_step"),
    )
    op.create_index("ix_case_actions_date", "case_actions", ["business_date"])
    op.create_index("ix_case_actions_case", "case_actions", ["case_id"])
    op.create_table(
        "contacts",
        sa.Column("contact_id", BIG_ID, primary_key=True, autoincrement=True),
        sa.Column("borrower_id", sa.BigInteger, nullable=False),
        sa.Column("ts", sa.String(40), nullable=False),
        sa.Column("channel", sa.String(24), nullable=False),
        sa.Column("direction", sa.String(8), nullable=False),
        sa.Column("outcome", sa.String(32), nullable=False),
        sa.Column("action_id", sa.BigInteger, nullable=True),
    )
    op.create_index("ix_contacts_borrower", "contacts", ["borrower_id"])
    op.create_table(
        "promises",
        sa.Column("promise_id", BIG_ID, primary_key=True, autoincrement=True),
        sa.Column("case_id", sa.String(64), sa.ForeignKey("cases.case_id"), nullable=False),
        sa.Column("amount_minor", sa.BigInteger, nullable=False),
        sa.Column("due_date", sa.Date, nullable=False),
        sa.Column("created_on", sa.Date, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("paid_minor", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("resolved_on", sa.Date, nullable=True),
    )
    op.create_index("ix_promises_case", "promises", ["case_id"])
    op.create_table(
        "collectors",
        sa.Column("collector_id", sa.String(64), primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("calls_per_day", sa.Integer, nullable=False),
        sa.Column("shift_start", sa.String(5), nullable=False),
        sa.Column("shift_end", sa.String(5), nullable=False),
    )
    op.create_table(
        "call_tasks",
        sa.Column("task_id", BIG_ID, primary_key=True, autoincrement=True),
        sa.Column("business_date", sa.Date, nullable=False),
        sa.Column("action_id", sa.BigInteger, sa.ForeignKey("case_actions.action_id"),
                  nullable=False),
        sa.Column("collector_id", sa.String(64), nullable=True),
        sa.Column("position", sa.Integer, nullable=True),
        sa.Column("expected_recovery_minor", sa.BigInteger, nullable=False),
        sa.Column("note", sa.Text, nullable=False, server_default=""),
    )
    op.create_index("ix_call_tasks_date", "call_tasks", ["business_date"])
    op.create_table(
        "collect_runs",
        sa.Column("business_date", sa.Date, primary_key=True),
        sa.Column("summary_json", sa.Text, nullable=False),
    )


def downgrade() -> None:
    for name in ("collect_runs", "call_tasks", "collectors", "promises", "contacts", "case_actions",
                 "case_timeline", "cases", "borrowers"):
        op.drop_table(name)
