"""The day loop's record (migration 0012), on the shared metadata: which step of
which business date is done, skipped or failed, with what it reported."""

from __future__ import annotations

from sqlalchemy import Column, Date, String, Table, Text

from dunwell.store.tables import metadata

day_steps = Table(
    "day_steps", metadata,
    Column("business_date", Date, primary_key=True),
    Column("step", String(32), primary_key=True),
    Column("status", String(16), nullable=False),  # done | skipped | failed
    Column("detail_json", Text, nullable=False),
    Column("finished_at", String(40), nullable=False),
)
