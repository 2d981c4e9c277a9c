"""Which fake repository each unit-of-work attribute is: every domain's fakes module
registers its own with :func:`register` when imported."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_FACTORIES: dict[str, Callable[[dict[str, Any]], Any]] = {}


def register(name: str, factory: Callable[[dict[str, Any]], Any]) -> None:
    """``factory(state)`` builds the fake repository for attribute ``name``; it keeps its
    data in ``state`` (a plain dict, deep-copied on rollback)."""
    _FACTORIES[name] = factory


def build(state: dict[str, Any]) -> dict[str, Any]:
    return {name: make(state) for name, make in _FACTORIES.items()}
