"""Locks that make the loan book's writers take turns.

The concurrency rule (docs/reliability.md):

- **COB closes a partition under an exclusive lock on it**, taken before it reads the
  partition, held until its transaction commits. A pair of catch-up windows written at
  once on PostgreSQL takes the locks in the transaction that loads the partitions and
  holds them until both windows' own transactions have ended.
- **Every other writer of a loan** (payments, reversals, restructures, write-offs,
  disbursements) **takes a shared lock on the loan's partition** before it reads the
  loan for change, and a row lock on the loan. So a payment that arrives while its
  loan's partition is being closed waits for that partition to commit, then reads the
  closed loan and posts on the book's open date. Writers of different loans do not
  wait for each other.
- Every writer bumps the loan's ``version``; a save whose version moved is refused and
  retried from the start (:mod:`dunwell.app.commands`), so even a writer that skipped
  the lock cannot save over another's work.

On PostgreSQL the partition locks are transaction-scoped advisory locks keyed by the
schema (so books in different schemas of one database never wait for each other) and
the loan lock is ``SELECT … FOR UPDATE``. SQLite has one writer at a time: every one of
these locks is the database's write lock, taken by the transaction's first write.

One COB at a time: :func:`cob_run_lock` is a session-scoped advisory lock on
PostgreSQL and an ``flock`` on a file beside a SQLite database; both are released by
the operating system or the server if the process dies, so a killed COB never leaves
a stale lock behind.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Connection, Engine, text

from dunwell.core.errors import RetryLater

_PARTITION_NS = "dunwell:cob-partition"
_COB_NS = "dunwell:cob-run"


def write_lock(conn: Connection) -> None:
    """SQLite: take the database's write lock now (the first write of the transaction
    takes it; this write changes nothing). Waits up to the busy timeout."""
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("UPDATE book SET id = id WHERE id = 1")


def lock_partitions(conn: Connection, partitions: Iterable[int], *, exclusive: bool) -> None:
    """Hold the partitions until the transaction ends: exclusive for COB, shared for
    the writers of single loans. Taken in ascending order, so two writers never wait
    for each other in a cycle."""
    if conn.dialect.name != "postgresql":
        write_lock(conn)
        return
    fn = "pg_advisory_xact_lock" if exclusive else "pg_advisory_xact_lock_shared"
    for p in sorted(set(partitions)):
        conn.execute(text(f"SELECT {fn}(hashtext(current_schema() || :ns), :p)"),
                     {"ns": _PARTITION_NS, "p": int(p)})


@contextmanager
def cob_run_lock(engine: Engine) -> Iterator[None]:
    """Hold the book's COB lock for the ``with`` block, or refuse at once."""
    busy = RetryLater("another close of business is running on this book; run this one "
                      "again when it has finished", code="cob_must_run_alone")
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            key = text("SELECT hashtext(current_schema() || :ns)")
            k = int(conn.execute(key, {"ns": _COB_NS}).scalar_one())
            got = conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": k}).scalar_one()
            conn.commit()
            if not got:
                raise busy
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": k})
                conn.commit()
        return
    path = _sqlite_file(engine)
    if path is None:  # an in-memory book lives in one process
        yield
        return
    fd = os.open(f"{path}.cob-lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise busy from None
        yield
    finally:
        os.close(fd)


def _sqlite_file(engine: Engine) -> Path | None:
    db = engine.url.database
    if not db or db == ":memory:" or db.startswith("file::memory:"):
        return None
    return Path(db)


class LockRepository:
    """The unit of work's door to the locks of its transaction."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def partitions(self, partitions: Iterable[int], *, exclusive: bool) -> None:
        lock_partitions(self._conn, partitions, exclusive=exclusive)

    def write(self) -> None:
        write_lock(self._conn)
