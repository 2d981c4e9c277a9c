"""Alembic environment: runs against the connection handed over by
``dunwell.store.db.migrate`` (or the URL in the Alembic config)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import engine_from_config, pool

# every table module, so autogenerate sees the whole schema (they share one MetaData)
from dunwell.store import (  # noqa: F401
    channel_tables,
    collection_tables,
    complaints_tables,
    consent_tables,
    day_tables,
    field_tables,
    identity_tables,
    legal_tables,
    letter_tables,
    negotiation_tables,
    origination_tables,
    training_tables,
)
from dunwell.store.tables import metadata

config = context.config
target_metadata = metadata


def run() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(connection=connection, target_metadata=target_metadata,
                          render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = engine_from_config(config.get_section(config.config_ini_section, {}),
                                prefix="sqlalchemy.", poolclass=pool.NullPool)
    with engine.connect() as conn:
        context.configure(connection=conn, target_metadata=target_metadata,
                          render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    context.configure(url=config.get_main_option("sqlalchemy.url"),
                      target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    run()
