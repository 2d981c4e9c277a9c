"""The strategy lab's read-only access to a finished run's book, and a schema of its
own per run on PostgreSQL (the queries live in ``store.lab_repo``)."""

from __future__ import annotations

from dunwell.store.lab_repo import LabReadRepository, lab_reader, new_schema_url

__all__ = ["LabReadRepository", "lab_reader", "new_schema_url"]
