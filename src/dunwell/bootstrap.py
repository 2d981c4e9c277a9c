"""The composition root: settings -> engine -> migrated schema -> the services' context.

The only module that builds the store for the application; the channel, letter and
routing providers are chosen in :mod:`dunwell.providers` registries named here too.
"""

from __future__ import annotations

from pathlib import Path

from dunwell.app import logs
from dunwell.app.context import Dunwell
from dunwell.settings import Settings
from dunwell.store.db import make_engine, migrate
from dunwell.store.uow import Database

__all__ = ["Dunwell", "bootstrap"]


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
    return Dunwell(settings, Database(engine))
