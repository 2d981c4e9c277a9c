"""Field operation: borrower addresses with coordinates, field agents, training
certificates, visit plans, itineraries and visit outcomes with costs.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer, "sqlite")


def upgrade() -> None:
    op.create_table(
        "borrower_addresses",
        sa.Column("borrower_id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("address_text", sa.Text, nullable=False),
        sa.Column("latitude", sa.Float(53), nullable=True),
        sa.Column("longitude", sa.Float(53), nullable=True),
        sa.Column("updated_at", sa.String(40), nullable=False),
    )
    op.create_table(
        "field_agents",
        sa.Column("agent_id", sa.String(64), primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("territory_name", sa.Text, nullable=False),
        sa.Column("centre_latitude", sa.Float(53), nullable=False),
        sa.Column("centre_longitude", sa.Float(53), nullable=False),
        sa.Column("radius_m", sa.Integer, nullable=False),
        sa.Column("shift_start", sa.String(5), nullable=False),
        sa.Column("shift_end", sa.String(5), nullable=False),
        sa.Column("visits_per_day_max", sa.Integer, nullable=False),
        sa.Column("hourly_cost_minor", sa.BigInteger, nullable=False),
        sa.Column("cost_per_km_minor", sa.BigInteger, nullable=False),
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
    )
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
    op.create_table(
        "visit_plans",
        sa.Column("plan_date", sa.Date, primary_key=True),
        sa.Column("solver", sa.String(16), nullable=False),
        sa.Column("time_limit_s", sa.Integer, nullable=False),
        sa.Column("planned_at", sa.String(40), nullable=False),
        sa.Column("summary_json", sa.Text, nullable=False),
    )
    op.create_table(
        "visits",
        sa.Column("visit_id", BIG_ID, primary_key=True, autoincrement=True),
        sa.Column("plan_date", sa.Date, nullable=False),
        sa.Column("case_id", sa.String(64), nullable=False),
        sa.Column("borrower_id", sa.BigInteger, nullable=False),
        sa.Column("action_id", sa.BigInteger, nullable=False),
        sa.Column("agent_id", sa.String(64), nullable=True),
        sa.Column("pinned", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("sequence", sa.Integer, nullable=True),
        sa.Column("eta", sa.String(40), nullable=True),
        sa.Column("window_start", sa.String(40), nullable=True),
        sa.Column("window_end", sa.String(40), nullable=True),
        sa.Column("travel_m", sa.Integer, nullable=False, server_default="0"),
        sa.Column("travel_min", sa.Integer, nullable=False, server_default="0"),
        sa.Column("service_min", sa.Integer, nullable=False, server_default="0"),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text, nullable=False, server_default=""),
        sa.Column("cost_minor", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("outcome", sa.String(32), nullable=True),
        sa.Column("outcome_at", sa.String(40), nullable=True),
        sa.Column("outcome_latitude", sa.Float(53), nullable=True),
        sa.Column("outcome_longitude", sa.Float(53), nullable=True),
        sa.Column("distance_from_address_m", sa.Integer, nullable=True),
        sa.Column("place_flagged", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("proof", sa.Text, nullable=True),
        sa.Column("note", sa.Text, nullable=False, server_default=""),
        sa.Column("letter_no", sa.String(64), nullable=True),
        sa.UniqueConstraint("action_id", name="uq_visits_action"),
    )
    op.create_index("ix_visits_plan_date", "visits", ["plan_date"])
    op.create_index("ix_visits_borrower", "visits", ["borrower_id"])


def downgrade() -> None:
    op.drop_index("ix_visits_borrower", table_name="visits")
    op.drop_index("ix_visits_plan_date", table_name="visits")
    op.drop_table("visits")
    op.drop_table("visit_plans")
    op.drop_index("ix_agent_certificates_agent", table_name="agent_certificates")
    op.drop_table("agent_certificates")
    op.drop_table("field_agents")
    op.drop_table("borrower_addresses")
