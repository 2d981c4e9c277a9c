"""Persistence: SQLAlchemy Core tables, repositories that return domain objects,
bulk loaders for COB partitions, and Alembic migrations. The same code runs on
SQLite (embedded default) and PostgreSQL (production); bulk writes use COPY on
PostgreSQL."""
