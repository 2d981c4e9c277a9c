"""Field tables (migration 0008), on the shared metadata: borrowers' addresses with
stored coordinates, field agents, visit plans and visits with their itinerary
position, outcome and cost. The agents' certificates are training certificates
(``training_tables``, migration 0011)."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    Float,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    true,
)

from dunwell.store.encrypted import EncryptedNumber, EncryptedText
from dunwell.store.tables import metadata

BIG_ID = BigInteger().with_variant(Integer, "sqlite")

borrower_addresses = Table(
    "borrower_addresses", metadata,
    Column("borrower_id", BigInteger, primary_key=True, autoincrement=False),
    Column("address_text", EncryptedText("borrower_addresses.address_text"), nullable=False),
    Column("latitude", EncryptedNumber("borrower_addresses.latitude"), nullable=True),
    Column("longitude", EncryptedNumber("borrower_addresses.longitude"), nullable=True),
    Column("updated_at", String(40), nullable=False),
)

field_agents = Table(
    "field_agents", metadata,
    Column("agent_id", String(64), primary_key=True),
    Column("name", Text, nullable=False),
    Column("timezone", String(64), nullable=False),
    Column("territory_name", Text, nullable=False),
    Column("centre_latitude", Float(53), nullable=False),
    Column("centre_longitude", Float(53), nullable=False),
    Column("radius_m", Integer, nullable=False),
    Column("shift_start", String(5), nullable=False),
    Column("shift_end", String(5), nullable=False),
    Column("visits_per_day_max", Integer, nullable=False),
    Column("hourly_cost_minor", BigInteger, nullable=False),
    Column("cost_per_km_minor", BigInteger, nullable=False),
    Column("active", Boolean, nullable=False, server_default=true()),
)

visit_plans = Table(
    "visit_plans", metadata,
    Column("plan_date", Date, primary_key=True),
    Column("solver", String(16), nullable=False),
    Column("time_limit_s", Integer, nullable=False),
    Column("planned_at", String(40), nullable=False),
    Column("summary_json", Text, nullable=False),
)

visits = Table(
    "visits", metadata,
    Column("visit_id", BIG_ID, primary_key=True, autoincrement=True),
    Column("plan_date", Date, nullable=False),
    Column("case_id", String(64), nullable=False),
    Column("borrower_id", BigInteger, nullable=False),
    Column("action_id", BigInteger, nullable=False),
    Column("agent_id", String(64), nullable=True),
    Column("pinned", Boolean, nullable=False, server_default=false()),
    Column("sequence", Integer, nullable=True),
    Column("eta", String(40), nullable=True),
    Column("window_start", String(40), nullable=True),
    Column("window_end", String(40), nullable=True),
    Column("travel_m", Integer, nullable=False, server_default="0"),
    Column("travel_min", Integer, nullable=False, server_default="0"),
    Column("service_min", Integer, nullable=False, server_default="0"),
    Column("status", String(16), nullable=False),
    Column("reason", Text, nullable=False, server_default=""),
    Column("cost_minor", BigInteger, nullable=False, server_default="0"),
    Column("outcome", String(32), nullable=True),
    Column("outcome_at", String(40), nullable=True),
    Column("outcome_latitude", EncryptedNumber("visits.outcome_latitude"), nullable=True),
    Column("outcome_longitude", EncryptedNumber("visits.outcome_longitude"), nullable=True),
    Column("distance_from_address_m", Integer, nullable=True),
    Column("place_flagged", Boolean, nullable=False, server_default=false()),
    Column("proof", EncryptedText("visits.proof"), nullable=True),
    Column("note", EncryptedText("visits.note"), nullable=False, server_default=""),
    Column("letter_no", String(64), nullable=True),
    UniqueConstraint("action_id", name="uq_visits_action"),
)
Index("ix_visits_plan_date", visits.c.plan_date)
Index("ix_visits_borrower", visits.c.borrower_id)
