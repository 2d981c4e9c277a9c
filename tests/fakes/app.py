"""A service context on the in-memory unit of work: ``fake_app()`` is a :class:`Dunwell`
whose database is a dictionary, with the real providers."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, cast

from dunwell.app.context import Dunwell
from dunwell.app.uow import UnitOfWork
from dunwell.bootstrap import providers_for
from dunwell.settings import Settings
from fakes.uow import FakeUnitOfWork

#: The fakes modules, one per domain; each registers its repositories when imported.
DOMAINS = ("lending", "collections", "channels", "field", "negotiation", "legal",
           "training", "origination", "identity")


def _load_domains() -> None:
    for name in DOMAINS:
        try:
            importlib.import_module(f"fakes.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"fakes.{name}":
                raise


class FakeDatabase:
    """A book kept in a dictionary: units of work share it; COB runs alone."""

    @property
    def dialect(self) -> str:
        return "memory"

    def __init__(self) -> None:
        _load_domains()
        self.state: dict[str, Any] = {}

    def uow(self) -> UnitOfWork:
        # the repositories are attached on entry from the registry, so the type checker
        # cannot see them; the service tests that use each one check its shape
        return cast(UnitOfWork, FakeUnitOfWork(self.state))

    def snapshot(self) -> UnitOfWork:
        return self.uow()

    @contextmanager
    def cob_lock(self) -> Iterator[None]:
        yield

    @contextmanager
    def serving(self) -> Iterator[None]:
        yield

    def dispose(self) -> None:
        pass


def fake_app(settings: Settings | None = None) -> Dunwell:
    settings = settings or Settings(db_url="sqlite:///:memory:", log_level="WARNING")
    return Dunwell(settings, FakeDatabase(), providers_for(settings))
