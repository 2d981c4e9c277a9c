"""Operator commands' idempotency keys, kept in the hash-chained audit log.

A command given ``--key`` appends one ``command_key`` record whose subject names the
command and a digest of the key, and whose payload holds the key, the fingerprint of
what the command recorded and a reference to it. The log is append-only, so a key,
once used, keeps its meaning; the subject index finds it.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from sqlalchemy import Connection, select

from dunwell.store import tables as t

KIND = "command_key"


def key_subject(command: str, key: str) -> str:
    """The audit subject of ``key`` for ``command`` (fits the 96-character column)."""
    return f"key:{command}:{hashlib.sha256(key.encode()).hexdigest()}"


class CommandKeyRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def find(self, command: str, key: str) -> dict[str, Any] | None:
        """The payload stored when ``key`` was first used for ``command``, or None."""
        q = (select(t.audit_log.c.payload_json)
             .where(t.audit_log.c.subject == key_subject(command, key),
                    t.audit_log.c.kind == KIND)
             .order_by(t.audit_log.c.seq).limit(1))
        row = self.conn.execute(q).first()
        if row is None:
            return None
        payload: dict[str, Any] = json.loads(row[0])
        return payload
