"""Training tables (migration 0011), on the shared metadata: the staff register,
enrolments with their completed modules, assessment attempts, certificates (which
the field operation reads as its agents' certificates), suspensions, upheld
complaints about conduct, quality reviews, calls and visits recorded by staff, and
the expiry warnings sent."""

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
    UniqueConstraint,
    true,
)

from dunwell.store.tables import metadata

BIG_ID = BigInteger().with_variant(Integer, "sqlite")

staff = Table(
    "staff", metadata,
    Column("staff_id", String(64), primary_key=True),
    Column("name", Text, nullable=False),
    Column("role", String(32), nullable=False),
    Column("lead_id", String(64), nullable=True),
    Column("active", Boolean, nullable=False, server_default=true()),
    Column("added_at", String(40), nullable=False),
)

training_enrolments = Table(
    "training_enrolments", metadata,
    Column("enrolment_id", BIG_ID, primary_key=True, autoincrement=True),
    Column("staff_id", String(64), nullable=False),
    Column("course_id", String(32), nullable=False),
    Column("course_version", Integer, nullable=False),
    Column("enrolled_on", Date, nullable=False),
    Column("refresher", Boolean, nullable=False),
    Column("status", String(16), nullable=False),
    Column("enrolled_at", String(40), nullable=False),
)
Index("ix_training_enrolments_staff", training_enrolments.c.staff_id)

training_modules_done = Table(
    "training_modules_done", metadata,
    Column("enrolment_id", BigInteger, ForeignKey("training_enrolments.enrolment_id"),
           primary_key=True),
    Column("module_id", String(32), primary_key=True),
    Column("completed_at", String(40), nullable=False),
)

training_attempts = Table(
    "training_attempts", metadata,
    Column("attempt_id", BIG_ID, primary_key=True, autoincrement=True),
    Column("enrolment_id", BigInteger, ForeignKey("training_enrolments.enrolment_id"),
           nullable=False),
    Column("staff_id", String(64), nullable=False),
    Column("course_id", String(32), nullable=False),
    Column("started_at", String(40), nullable=False),
    Column("submitted_at", String(40), nullable=False),
    Column("answers_json", Text, nullable=False),
    Column("correct", Integer, nullable=False),
    Column("total", Integer, nullable=False),
    Column("score_pct", Integer, nullable=False),
    Column("passed", Boolean, nullable=False),
    Column("over_time", Boolean, nullable=False),
)
Index("ix_training_attempts_enrolment", training_attempts.c.enrolment_id)

training_certificates = Table(
    "training_certificates", metadata,
    Column("certificate_id", BIG_ID, primary_key=True, autoincrement=True),
    Column("certificate_no", String(64), nullable=False, unique=True),
    Column("staff_id", String(64), nullable=False),
    Column("subject", String(32), nullable=False),
    Column("course_id", String(32), nullable=False),
    Column("issued_on", Date, nullable=False),
    Column("expires_on", Date, nullable=False),
    Column("signed_by", String(64), nullable=False),
    Column("source", String(16), nullable=False),
    Column("attempt_id", BigInteger, nullable=True),
    Column("score_pct", Integer, nullable=True),
    Column("evidence", Text, nullable=False, server_default=""),
    Column("issued_at", String(40), nullable=False),
)
Index("ix_training_certificates_staff", training_certificates.c.staff_id)

training_suspensions = Table(
    "training_suspensions", metadata,
    Column("suspension_id", BIG_ID, primary_key=True, autoincrement=True),
    Column("staff_id", String(64), nullable=False),
    Column("subjects_json", Text, nullable=False),
    Column("suspended_on", Date, nullable=False),
    Column("reason", Text, nullable=False),
    Column("complaint_ref", String(64), nullable=True),
    Column("suspended_by", String(64), nullable=False),
    Column("reinstated_on", Date, nullable=True),
    Column("reinstated_by", String(64), nullable=True),
    Column("reinstate_note", Text, nullable=True),
)
Index("ix_training_suspensions_staff", training_suspensions.c.staff_id)

staff_complaints = Table(
    "staff_complaints", metadata,
    Column("complaint_id", BIG_ID, primary_key=True, autoincrement=True),
    Column("reference", String(64), nullable=False, unique=True),
    Column("staff_id", String(64), nullable=False),
    Column("received_on", Date, nullable=False),
    Column("upheld", Boolean, nullable=False),
    Column("note", Text, nullable=False, server_default=""),
    Column("recorded_by", String(64), nullable=False),
)
Index("ix_staff_complaints_staff", staff_complaints.c.staff_id)

quality_reviews = Table(
    "quality_reviews", metadata,
    Column("review_id", BIG_ID, primary_key=True, autoincrement=True),
    Column("staff_id", String(64), nullable=False),
    Column("kind", String(8), nullable=False),
    Column("reference", String(64), nullable=False),
    Column("reviewed_on", Date, nullable=False),
    Column("reviewer", String(64), nullable=False),
    Column("passed_json", Text, nullable=False),
    Column("failed_json", Text, nullable=False),
    Column("score_pct", Integer, nullable=False),
    Column("note", Text, nullable=False, server_default=""),
    UniqueConstraint("kind", "reference", "reviewer", name="uq_quality_reviews_item"),
)
Index("ix_quality_reviews_staff", quality_reviews.c.staff_id)

staff_contacts = Table(
    "staff_contacts", metadata,
    Column("staff_contact_id", BIG_ID, primary_key=True, autoincrement=True),
    Column("staff_id", String(64), nullable=False),
    Column("borrower_id", BigInteger, nullable=False),
    Column("ts", String(40), nullable=False),
    Column("channel", String(24), nullable=False),
    Column("outcome", String(32), nullable=False),
)
Index("ix_staff_contacts_staff", staff_contacts.c.staff_id)

training_warnings = Table(
    "training_warnings", metadata,
    Column("warning_id", BIG_ID, primary_key=True, autoincrement=True),
    Column("staff_id", String(64), nullable=False),
    Column("lead_id", String(64), nullable=True),
    Column("subject", String(32), nullable=False),
    Column("expires_on", Date, nullable=False),
    Column("warned_on", Date, nullable=False),
    UniqueConstraint("staff_id", "subject", "expires_on", name="uq_training_warnings_expiry"),
)

training_settings = Table(
    "training_settings", metadata,
    Column("name", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)
