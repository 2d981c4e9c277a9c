"""Pooled PostgreSQL connections are pinged at checkout only after lying idle
(``dunwell.store.db.PING_AFTER_IDLE_S``): a dead one is replaced unseen, and one
handed back a moment ago goes out without the extra round trip."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from dunwell.store import db


def _engine(db_url: str) -> sa.Engine:
    if not db_url.startswith("postgresql"):
        pytest.skip("SQLite opens a file: there is no server connection to lose")
    return db.make_engine(db_url, pool_size=1, max_overflow=0)


def _pings(engine: sa.Engine, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    pings: list[int] = []
    ping = engine.dialect.do_ping

    def counted(dbapi_conn: Any) -> bool:
        pings.append(1)
        return ping(dbapi_conn)

    monkeypatch.setattr(engine.dialect, "do_ping", counted)
    return pings


def _age(engine: sa.Engine, seconds: float) -> None:
    """Make the pooled connection look idle for ``seconds`` more."""
    with engine.connect() as conn:
        record = conn.connection._connection_record
    assert record is not None
    record.info["idle_since"] -= seconds


def test_a_connection_handed_back_just_now_is_not_pinged(
        db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    engine = _engine(db_url)
    pings = _pings(engine, monkeypatch)
    try:
        for _ in range(3):
            with engine.connect() as conn:
                assert conn.execute(sa.text("SELECT 1")).scalar_one() == 1
        assert pings == []
    finally:
        engine.dispose()


def test_an_idle_connection_that_died_is_replaced_before_use(
        db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    engine = _engine(db_url)
    admin = sa.create_engine(db_url)
    pings = _pings(engine, monkeypatch)
    try:
        with engine.connect() as conn:
            pid = conn.execute(sa.text("SELECT pg_backend_pid()")).scalar_one()
        with admin.connect() as other:  # the server drops it while it lies in the pool
            other.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        _age(engine, db.PING_AFTER_IDLE_S + 1)
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT pg_backend_pid()")).scalar_one() != pid
        assert pings == [1]
    finally:
        engine.dispose()
        admin.dispose()
