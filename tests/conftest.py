"""Shared fixtures: a fresh database per test on SQLite always, and on PostgreSQL
when ``DUNWELL_TEST_POSTGRES_URL`` is set (each test gets its own schema)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from dunwell.bootstrap import Dunwell, bootstrap
from dunwell.settings import Settings

PG_ENV = "DUNWELL_TEST_POSTGRES_URL"


def _backends() -> list[str]:
    return ["sqlite", "postgres"] if os.environ.get(PG_ENV) else ["sqlite"]


@pytest.fixture(params=_backends())
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL to an empty database: a SQLite file, or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'book.sqlite'}"
        return
    base = make_url(os.environ[PG_ENV])
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(base)
    with admin.begin() as conn:
        conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    url = base.update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        admin.dispose()


@pytest.fixture
def app(db_url: str) -> Iterator[Dunwell]:
    dunwell = bootstrap(Settings(db_url=db_url, partitions=3, log_level="WARNING"))
    yield dunwell
    dunwell.engine.dispose()


@pytest.fixture
def wide_console(monkeypatch: pytest.MonkeyPatch) -> None:
    """The commands' console 200 columns wide, whatever the terminal (or COLUMNS)
    says, so a wide table prints each header on one line."""
    from dunwell.cli.common import console

    monkeypatch.setattr(console, "width", 200)
