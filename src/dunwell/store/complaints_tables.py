"""Complaint tables (migration 0018), on the shared metadata: the complaints register
and each complaint's timeline. The complaint's and the answer's texts, and the notes
on the timeline, may name people: they are sealed (``EncryptedText``).

Timestamps are ISO 8601 strings in UTC with microseconds, so they compare as text
on every backend; the deadlines are dates, so the queue sorts and filters in SQL."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Date, Index, Integer, String, Table

from dunwell.store.encrypted import EncryptedText
from dunwell.store.tables import metadata

BIG_ID = BigInteger().with_variant(Integer, "sqlite")

complaints = Table(
    "complaints", metadata,
    Column("complaint_id", BIG_ID, primary_key=True, autoincrement=True),
    Column("borrower_id", BigInteger, nullable=False),
    Column("case_id", String(64), nullable=True),
    Column("jurisdiction", String(16), nullable=False),
    Column("channel", String(16), nullable=False),
    Column("category", String(32), nullable=False),
    Column("status", String(16), nullable=False),
    Column("received_at", String(40), nullable=False),
    Column("received_on", Date, nullable=False),
    Column("acknowledge_by", Date, nullable=False),
    Column("answer_by", Date, nullable=False),
    Column("acknowledged_at", String(40), nullable=True),
    Column("answered_at", String(40), nullable=True),
    Column("escalated_at", String(40), nullable=True),
    Column("escalated_to", String(32), nullable=True),
    Column("closed_at", String(40), nullable=True),
    Column("text", EncryptedText("complaints.text"), nullable=False),
    Column("answer", EncryptedText("complaints.answer"), nullable=False, server_default=""),
)
Index("ix_complaints_borrower", complaints.c.borrower_id)
Index("ix_complaints_status_due", complaints.c.status, complaints.c.answer_by)

complaint_events = Table(
    "complaint_events", metadata,
    Column("event_id", BIG_ID, primary_key=True, autoincrement=True),
    Column("complaint_id", BigInteger, nullable=False),
    Column("at", String(40), nullable=False),
    Column("kind", String(24), nullable=False),
    Column("actor", String(64), nullable=False),
    Column("note", EncryptedText("complaint_events.note"), nullable=False, server_default=""),
)
Index("ix_complaint_events_complaint", complaint_events.c.complaint_id)
