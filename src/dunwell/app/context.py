"""What a service is handed: the settings and the book's database.

Built by :func:`dunwell.bootstrap.bootstrap` (the composition root) and passed to the
services that open their own units of work. Services never build an engine, a
provider or a connection themselves.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Protocol

from dunwell.app.uow import UnitOfWork
from dunwell.settings import Settings


class Database(Protocol):
    """Opens units of work on a book and holds its one-COB-at-a-time lock."""

    @property
    def dialect(self) -> str: ...

    def uow(self) -> UnitOfWork: ...

    def snapshot(self) -> UnitOfWork:
        """A unit of work that reads one consistent snapshot of the book."""
        ...

    def cob_lock(self) -> AbstractContextManager[None]: ...

    def serving(self) -> AbstractContextManager[None]:
        """Background upkeep while a server runs on the book."""
        ...

    def dispose(self) -> None: ...


@dataclass
class Dunwell:
    settings: Settings
    db: Database

    def uow(self) -> UnitOfWork:
        return self.db.uow()

    @property
    def engine(self) -> Any:
        """The SQLAlchemy engine behind a SQL database, for the store's own tests and
        the benchmarks; the application layer never uses it."""
        return getattr(self.db, "engine", None)
