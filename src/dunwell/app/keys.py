"""Field encryption keys: what each key holds, rotation to the newest key, new keys.

Rotation re-seals every value not under the newest key of ``DUNWELL_DATA_KEYS`` (and
every value still in plaintext from before encryption) and remakes every lookup hash
not made under the current ``DUNWELL_LOOKUP_KEY``. It works table by table in short
transactions of ``batch`` rows, so the service keeps running meanwhile; it can be
stopped at any point and run again, and a second run finds nothing to do.
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field

from dunwell.app.context import Dunwell
from dunwell.core.errors import InvalidInput
from dunwell.store.crypto import KEY_ID as KEY_ID  # the rule a key id follows
from dunwell.store.keys_repo import BATCH_ROWS_MAX
from dunwell.store.keys_repo import ColumnStatus as ColumnStatus  # what key_status returns
from dunwell.store.keys_repo import HashStatus as HashStatus

#: Bytes of a data key or a lookup key (AES-256, HMAC-SHA256).
KEY_BYTES = 32
#: Rows per rotation transaction unless told otherwise.
BATCH_ROWS_DEFAULT = 500

#: ``progress(table, rows done, rows to do)`` while a rotation runs.
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True, slots=True)
class KeyStatus:
    """The keyring (newest first) and what the database holds under each key."""

    key_ids: tuple[str, ...]
    development: bool
    columns: list[ColumnStatus]
    hashes: HashStatus

    @property
    def newest(self) -> str:
        return self.key_ids[0]

    @property
    def not_newest(self) -> int:
        """Values a rotation would re-seal: under older or unknown keys, or plaintext."""
        return sum(c.plaintext + c.unknown_key + sum(n for k, n in c.by_key.items()
                                                     if k != self.newest)
                   for c in self.columns)


@dataclass(slots=True)
class RotationReport:
    newest: str
    rows_read: int = 0
    rows_changed: int = 0
    by_table: dict[str, int] = field(default_factory=dict)
    #: Rows still needing work when the rotation ended (written meanwhile by a process
    #: with an older keyring); run the rotation again.
    remaining: int = 0


def key_status(app: Dunwell) -> KeyStatus:
    with app.uow() as uow:
        keys = uow.keys
        return KeyStatus(keys.key_ids(), keys.development(), keys.status(), keys.hash_status())


def rotate_keys(app: Dunwell, *, batch: int = BATCH_ROWS_DEFAULT,
                progress: Progress | None = None) -> RotationReport:
    """Re-seal every value under the newest key and remake stale lookup hashes, ``batch``
    rows per transaction."""
    if not 1 <= batch <= BATCH_ROWS_MAX:
        raise InvalidInput(f"--batch must be between 1 and {BATCH_ROWS_MAX} rows, not {batch}",
                           code="rotation_batch_must_be_in_range", field="batch")
    tick = progress or (lambda _table, _done, _total: None)
    with app.uow() as uow:
        report = RotationReport(uow.keys.key_ids()[0])
        plan = {table: uow.keys.pending(table) for table in uow.keys.tables()}
    total = sum(plan.values())
    done = 0
    tick("", 0, total)
    for table, pending in plan.items():
        if not pending:
            continue
        cursor = None
        # each batch moves the cursor past the rows it read: the table ends within
        # pending / batch batches plus the last, short one
        for _ in range(pending // batch + 2):
            with app.uow() as uow:
                step = uow.keys.rotate_batch(table, after=cursor, limit=batch)
                uow.commit()
            report.rows_read += step.rows_read
            report.rows_changed += step.rows_changed
            report.by_table[table] = report.by_table.get(table, 0) + step.rows_changed
            done = min(total, done + step.rows_read)
            tick(table, done, total)
            cursor = step.cursor
            if cursor is None:
                break
    with app.uow() as uow:
        report.remaining = sum(uow.keys.pending(table) for table in plan)
    tick("", total, total)
    return report


def generate_key_line(*, key_id: str) -> str:
    """A fresh ``ID:BASE64KEY`` entry for ``DUNWELL_DATA_KEYS`` (32 random bytes); the
    base64 part alone serves as a ``DUNWELL_LOOKUP_KEY``."""
    if not KEY_ID.fullmatch(key_id):
        raise InvalidInput(f"key id {key_id!r} must be a letter or digit and then up to 31 "
                           "letters, digits, dots or dashes", code="key_id_must_be_well_formed",
                           field="id")
    return f"{key_id}:{base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode('ascii')}"


__all__ = ["BATCH_ROWS_DEFAULT", "ColumnStatus", "HashStatus", "KeyStatus", "RotationReport",
           "generate_key_line", "key_status", "rotate_keys"]
