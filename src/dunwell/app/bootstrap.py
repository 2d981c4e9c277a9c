"""The only wiring: settings -> engine -> migrated schema -> services."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine

from dunwell.app import logs
from dunwell.app.uow import UnitOfWork
from dunwell.settings import Settings
from dunwell.store.db import make_engine, migrate


@dataclass
class Dunwell:
    settings: Settings
    engine: Engine

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.engine)


def bootstrap(settings: Settings | None = None, *, db_url: str | None = None) -> Dunwell:
    settings = settings or Settings()
    if db_url is not None:
        settings = settings.model_copy(update={"db_url": db_url})
    logs.configure(fmt=settings.log_format, level=settings.log_level)
    url = settings.db_url
    if url.startswith("sqlite:///") and not url.startswith("sqlite:///:memory:"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    engine = make_engine(url)
    migrate(engine)
    return Dunwell(settings, engine)
