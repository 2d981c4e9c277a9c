"""An in-memory unit of work: the repositories of each domain's fakes module, a commit
flag, and a rollback that restores the state as it was when the unit of work began."""

from __future__ import annotations

import copy
from types import TracebackType
from typing import Any, Self

from fakes import registry


class FakeUnitOfWork:
    """Satisfies :class:`dunwell.app.uow.UnitOfWork` with dictionaries.

    ``state`` is shared between units of work made by the same :class:`FakeDatabase`, so
    what one commits the next one reads; a unit of work left without ``commit`` puts the
    state back as it found it."""

    def __init__(self, state: dict[str, Any]) -> None:
        self._state = state
        self._saved: dict[str, Any] | None = None
        self.committed = False

    def __enter__(self) -> Self:
        self._saved = copy.deepcopy(self._state)
        for name, repo in registry.build(self._state).items():
            setattr(self, name, repo)
        return self

    def commit(self) -> None:
        self._saved = copy.deepcopy(self._state)
        self.committed = True

    def rollback(self) -> None:
        if self._saved is not None:
            self._state.clear()
            self._state.update(copy.deepcopy(self._saved))

    def lost_race(self, exc: BaseException) -> bool:
        return False

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.rollback()
        self._saved = None
