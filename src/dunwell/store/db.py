"""Engines and migrations.

A process that opens a book already at the newest schema (every command but the first
on a book) does not import Alembic: :func:`migrate` reads the newest revision id from
the migration files' text and compares it with the database's ``alembic_version`` in
one query; only a database behind (or new, or one whose version this cannot decide)
goes through Alembic's ``upgrade``.
"""

from __future__ import annotations

import re
import time
from functools import lru_cache
from importlib import resources
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event, exc, text

if TYPE_CHECKING:  # Alembic is imported only when a schema is migrated
    from alembic.config import Config

#: ``revision = "0018"`` and ``down_revision = "0017"`` at the top of a migration file
#: (a merge's tuple of parents does not match: such a tree is left to Alembic).
_REVISION_LINE = re.compile(
    r"""^(revision|down_revision)\s*(?::[^=\n]*)?=\s*["']([^"'\n]+)["']\s*$""", re.M)


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for ``url``; SQLite gets WAL, foreign keys and a busy timeout."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30}, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        return engine
    engine = create_engine(url, **kwargs)
    _ping_when_idle(engine)
    return engine


#: A pooled connection idle for longer than this is pinged before it is handed out.
PING_AFTER_IDLE_S = 1.0


def _ping_when_idle(engine: Engine) -> None:
    """Ping a pooled connection at checkout when it has lain idle for more than
    :data:`PING_AFTER_IDLE_S` (the database may have restarted, or a firewall dropped
    it, meanwhile): a dead one is replaced before the caller sees it, as
    ``pool_pre_ping`` does. One handed back a moment ago goes out unpinged, which
    spares a round trip to the database per unit of work under load (a payment group,
    a credit decision). A connection that dies within that moment fails its first
    statement; the pool then discards every connection it holds, and the command's
    error says to try again."""

    @event.listens_for(engine, "checkin")
    def _idle_since(_dbapi_conn: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get("idle_since")
        if since is None or time.monotonic() - since <= PING_AFTER_IDLE_S:
            return
        try:
            engine.dialect.do_ping(dbapi_conn)
        except engine.dialect.loaded_dbapi.Error as e:  # the pool connects anew
            raise exc.DisconnectionError(f"an idle pooled connection is gone: {e}") from e


def alembic_config() -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(resources.files("dunwell.store") / "migrations"))
    return cfg


@lru_cache(maxsize=1)
def head_revision() -> str | None:
    """The newest migration's revision id, read from the migration files without
    importing Alembic; None when the files do not make one straight line of revisions
    (then only Alembic can tell)."""
    versions = resources.files("dunwell.store") / "migrations" / "versions"
    revisions: set[str] = set()
    parents: set[str] = set()
    for entry in versions.iterdir():
        if not entry.name.endswith(".py") or entry.name.startswith("__"):
            continue
        found = {m[1]: m[2] for m in _REVISION_LINE.finditer(entry.read_text("utf-8"))}
        if "revision" not in found:
            return None
        revisions.add(found["revision"])
        if "down_revision" in found:
            parents.add(found["down_revision"])
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 and parents <= revisions else None


def at_head(engine: Engine) -> bool:
    """Whether the database's schema is already at the newest revision (one query on
    ``alembic_version``, and one asking whether that table exists)."""
    head = head_revision()
    if head is None:
        return False
    with engine.connect() as conn:
        if not engine.dialect.has_table(conn, "alembic_version"):
            return False
        versions = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    return list(versions) == [head]


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest revision (idempotent)."""
    if at_head(engine):
        return
    upgrade(engine)


def upgrade(engine: Engine) -> None:
    """Alembic's upgrade to the newest revision (nothing to do when already there)."""
    from alembic import command

    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
