"""Idempotency for operator commands (contacts, promises, hardship assessments,
plan decisions): a command sent again with the same key, or without a key but with
the same content, returns what the first one recorded instead of recording twice.
The same key with different content is a named rejection."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from dunwell.app.audit import record
from dunwell.app.uow import UnitOfWork
from dunwell.core.errors import Conflict
from dunwell.core.ids import check_idempotency_key, fingerprint
from dunwell.store.command_keys_repo import KIND, key_subject


def serialise(uow: UnitOfWork) -> None:
    """Hold the audit chain's head for the rest of the transaction, so two copies of
    one command cannot both find nothing and both record (PostgreSQL; SQLite has a
    single writer)."""
    uow.audit.head(lock=True)


def seen(uow: UnitOfWork, *, command: str, key: str | None,
         content: Mapping[str, Any]) -> dict[str, Any] | None:
    """What the first ``command`` with ``key`` recorded (its ``ref``), or None when the
    key is new or absent. A key first used for other content is refused."""
    if key is None:
        return None
    key = check_idempotency_key(key)
    stored = uow.command_keys.find(command, key)
    if stored is None:
        return None
    if stored.get("fingerprint") != fingerprint(content):
        raise Conflict(f"key {key!r} was already used for a different {command}; use a new "
                       "key for a new command", code="idempotency_key_must_match_request",
                       field="key")
    ref: dict[str, Any] = stored.get("ref", {})
    return ref


def remember(uow: UnitOfWork, *, command: str, key: str | None, content: Mapping[str, Any],
             ref: Mapping[str, Any], now: dt.datetime) -> None:
    """Keep ``key`` with the fingerprint of ``content`` and what was recorded."""
    if key is None:
        return
    key = check_idempotency_key(key)
    record(uow, at=now, entries=[(KIND, key_subject(command, key), {
        "command": command, "key": key, "fingerprint": fingerprint(content),
        "ref": dict(ref)})])
