"""Training: the staff register, enrolments, modules done, assessment attempts,
certificates, suspensions, conduct complaints, quality reviews, staff contacts,
expiry warnings and training settings. The field agents' certificates move into
``training_certificates`` (source ``legacy``) and ``agent_certificates`` goes.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer, "sqlite")

COURSE_OF = {"communication_skills": "COM-101", "legal_knowledge": "LAW-101",
             "privacy": "PRV-101"}


def upgrade() -> None:
    op.create_table(
        "staff",
        sa.Column("staff_id", sa.String(64), primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("lead_id", sa.String(64), nullable=True),
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("added_at", sa.String(40), nullable=False),
    )
    op.create_table(
        "training_enrolments",
        sa.Column("enrolment_id", BIG_ID, primary_key=True, autoincrement=True),
        sa.Column("staff_id", sa.String(64), nullable=False),
        sa.Column("course_id", sa.String(32), nullable=False),
        sa.Column("course_version", sa.Integer, nullable=False),
        sa.Column("enrolled_on", sa.Date, nullable=False),
        sa.Column("refresher", sa.Boolean, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("enrolled_at", sa.String(40), nullable=False),
    )
    op.create_index("ix_training_enrolments_staff", "training_enrolments", ["staff_id"])
    op.create_table(
        "training_modules_done",
        sa.Column("enrolment_id", sa.BigInteger,
                  sa.ForeignKey("training_enrolments.enrolment_id"), primary_key=True),
        sa.Column("module_id", sa.String(32), primary_key=True),
        sa.Column("completed_at", sa.String(40), nullable=False),
    )
    op.create_table(
        "training_attempts",
        sa.Column("attempt_id", BIG_ID, primary_key=True, autoincrement=True),
        sa.Column("enrolment_id", sa.BigInteger,
                  sa.ForeignKey("training_enrolments.enrolment_id"), nullable=False),
        sa.Column("staff_id", sa.String(64), nullable=False),
        sa.Column("course_id", sa.String(32), nullable=False),
        sa.Column("started_at", sa.String(40), nullable=False),
        sa.Column("submitted_at", sa.String(40), nullable=False),
        sa.Column("answers_json", sa.Text, nullable=False),
        sa.Column("correct", sa.Integer, nullable=False),
        sa.Column("total", sa.Integer, nullable=False),
        sa.Column("score_pct", sa.Integer, nullable=False),
        sa.Column("passed", sa.Boolean, nullable=False),
        sa.Column("over_time", sa.Boolean, nullable=False),
    )
    op.create_index("ix_training_attempts_enrolment", "training_attempts", ["enrolment_id"])
    certificates = op.create_table(
        "training_certificates",
        sa.Column("certificate_id", BIG_ID, primary_key=True, autoincrement=True),
        sa.Column("certificate_no", sa.String(64), nullable=False, unique=True),
        sa.Column("staff_id", sa.String(64), nullable=False),
        sa.Column("subject", sa.String(32), nullable=False),
        sa.Column("course_id", sa.String(32), nullable=False),
        sa.Column("issued_on", sa.Date, nullable=False),
        sa.Column("expires_on", sa.Date, nullable=False),
        sa.Column("signed_by", sa.String(64), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("attempt_id", sa.BigInteger, nullable=True),
        sa.Column("score_pct", sa.Integer, nullable=True),
        sa.Column("evidence", sa.Text, nullable=False, server_default=""),
        sa.Column("issued_at", sa.String(40), nullable=False),
    )
    op.create_index("ix_training_certificates_staff", "training_certificates", ["staff_id"])
    op.create_table(
        "training_suspensions",
        sa.Column("suspension_id", BIG_ID, primary_key=True, autoincrement=True),
        sa.Column("staff_id", sa.String(64), nullable=False),
        sa.Column("subjects_json", sa.Text, nullable=False),
        sa.Column("suspended_on", sa.Date, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("complaint_ref", sa.String(64), nullable=True),
        sa.Column("suspended_by", sa.String(64), nullable=False),
        sa.Column("reinstated_on", sa.Date, nullable=True),
        sa.Column("reinstated_by", sa.String(64), nullable=True),
        sa.Column("reinstate_note", sa.Text, nullable=True),
    )
    op.create_index("ix_training_suspensions_staff", "training_suspensions", ["staff_id"])
    op.create_table(
        "staff_complaints",
        sa.Column("complaint_id", BIG_ID, primary_key=True, autoincrement=True),
        sa.Column("reference", sa.String(64), nullable=False, unique=True),
        sa.Column("staff_id", sa.String(64), nullable=False),
        sa.Column("received_on", sa.Date, nullable=False),
        sa.Column("upheld", sa.Boolean, nullable=False),
        sa.Column("note", sa.Text, nullable=False, server_default=""),
        sa.Column("recorded_by", sa.String(64), nullable=False),
    )
    op.create_index("ix_staff_complaints_staff", "staff_complaints", ["staff_id"])
    op.create_table(
        "quality_reviews",
        sa.Column("review_id", BIG_ID, primary_key=True, autoincrement=True),
        sa.Column("staff_id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("reference", sa.String(64), nullable=False),
        sa.Column("reviewed_on", sa.Date, nullable=False),
        sa.Column("reviewer", sa.String(64), nullable=False),
        sa.Column("passed_json", sa.Text, nullable=False),
        sa.Column("failed_json", sa.Text, nullable=False),
        sa.Column("score_pct", sa.Integer, nullable=False),
        sa.Column("note", sa.Text, nullable=False, server_default=""),
        sa.UniqueConstraint("kind", "reference", "reviewer", name="uq_quality_reviews_item"),
    )
    op.create_index("ix_quality_reviews_staff", "quality_reviews", ["staff_id"])
    op.create_table(
        "staff_contacts",
        sa.Column("staff_contact_id", BIG_ID, primary_key=True, autoincrement=True),
        sa.Column("staff_id", sa.String(64), nullable=False),
        sa.Column("borrower_id", sa.BigInteger, nullable=False),
        sa.Column("ts", sa.String(40), nullable=False),
        sa.Column("channel", sa.String(24), nullable=False),
        sa.Column("outcome", sa.String(32), nullable=False),
    )
    op.create_index("ix_staff_contacts_staff", "staff_contacts", ["staff_id"])
    op.create_table(
        "training_warnings",
        sa.Column("warning_id", BIG_ID, primary_key=True, autoincrement=True),
        sa.Column("staff_id", sa.String(64), nullable=False),
        sa.Column("lead_id", sa.String(64), nullable=True),
        sa.Column("subject", sa.String(32), nullable=False),
        sa.Column("expires_on", sa.Date, nullable=False),
        sa.Column("warned_on", sa.Date, nullable=False),
        sa.UniqueConstraint("staff_id", "subject", "expires_on",
                            name="uq_training_warnings_expiry"),
    )
    op.create_table(
        "training_settings",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
    )
    # the field register's certificates carry over, marked legacy (no assessment or
    # signer was recorded for them); they count until they expire
    conn = op.get_bind()
    old = sa.table("agent_certificates", sa.column("agent_id", sa.String),
                   sa.column("subject", sa.String), sa.column("certificate_no", sa.String),
                   sa.column("issued_on", sa.Date), sa.column("expires_on", sa.Date))
    rows = [dict(r._mapping) for r in conn.execute(sa.select(old))]
    if rows:
        op.bulk_insert(certificates, [
            {"certificate_no": r["certificate_no"], "staff_id": r["agent_id"],
             "subject": r["subject"], "course_id": COURSE_OF.get(r["subject"], r["subject"]),
             "issued_on": r["issued_on"], "expires_on": r["expires_on"],
             "signed_by": "legacy", "source": "legacy",
             "evidence": "field certificate register before training records",
             "issued_at": ""} for r in rows])
    op.drop_index("ix_agent_certificates_agent", table_name="agent_certificates")
    op.drop_table("agent_certificates")


def downgrade() -> None:
    op.create_table(
        "agent_certificates",
        sa.Column("certificate_id", BIG_ID, primary_key=True, autoincrement=True),
        sa.Column("agent_id", sa.String(64), sa.ForeignKey("field_agents.agent_id"),
                  nullable=False),
        sa.Column("subject", sa.String(32), nullable=False),
        sa.Column("certificate_no", sa.String(64), nullable=False, unique=True),
        sa.Column("issued_on", sa.Date, nullable=False),
        sa.Column("expires_on", sa.Date, nullable=False),
    )
    op.create_index("ix_agent_certificates_agent", "agent_certificates", ["agent_id"])
    conn = op.get_bind()
    conn.exec_driver_sql(
        "INSERT INTO agent_certificates (agent_id, subject, certificate_no, issued_on, "
        "expires_on) SELECT c.staff_id, c.subject, c.certificate_no, c.issued_on, c.expires_on "
        "FROM training_certificates c JOIN field_agents a ON a.agent_id = c.staff_id "
        "WHERE c.subject IN ('communication_skills', 'legal_knowledge', 'privacy')")
    for name in ("training_settings", "training_warnings", "staff_contacts", "quality_reviews",
                 "staff_complaints", "training_suspensions", "training_certificates",
                 "training_attempts", "training_modules_done", "training_enrolments", "staff"):
        op.drop_table(name)
