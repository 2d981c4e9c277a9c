"""The store's side of the field encryption keys: how many values each key holds, and
re-sealing values under the newest key a batch at a time.

The encrypted columns are found in the table metadata (every column whose type is
:data:`~dunwell.store.encrypted.ENCRYPTED_TYPES`), so a column made encrypted is
counted and rotated without being listed here. The stored text is read and compared
through ``type_coerce(column, Text)``, which neither opens nor seals it.

A batch reads up to ``limit`` rows past a cursor (the primary key of the last row
seen) that need work: a value not under the newest key (or in plaintext), or an
address hash missing or made under another lookup key. Each row is written back with
a conditional update that only succeeds if the row still holds what was read, so the
service can keep writing meanwhile: a row it changed is already under the newest key.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Column,
    ColumnElement,
    Connection,
    Table,
    Text,
    and_,
    false,
    func,
    or_,
    select,
    tuple_,
    type_coerce,
    update,
)

# every table module, so the shared metadata holds every encrypted column: a unit of
# work imports a repository's module (and its tables) only when the repository is used
from dunwell.store import channel_tables as ch
from dunwell.store import collection_tables as _collections  # noqa: F401  (on the metadata)
from dunwell.store import complaints_tables as _complaints  # noqa: F401
from dunwell.store import consent_tables as _consent  # noqa: F401
from dunwell.store import day_tables as _day  # noqa: F401
from dunwell.store import field_tables as _field  # noqa: F401
from dunwell.store import identity_tables as _identity  # noqa: F401
from dunwell.store import legal_tables as _legal  # noqa: F401
from dunwell.store import letter_tables as _letters  # noqa: F401
from dunwell.store import negotiation_tables as _negotiation  # noqa: F401
from dunwell.store import origination_tables as _origination  # noqa: F401
from dunwell.store import training_tables as _training  # noqa: F401
from dunwell.store.crypto import PREFIX, keyring
from dunwell.store.encrypted import ENCRYPTED_TYPES
from dunwell.store.tables import metadata

#: The most rows one rotation batch takes.
BATCH_ROWS_MAX = 10_000
#: The table whose rows carry a lookup hash, the column hashed and the hash's column.
HASHED = (ch.channel_addresses, "address", "address_hash")


@dataclass(frozen=True, slots=True)
class ColumnStatus:
    """What one encrypted column holds: values per key id (in the keyring's order),
    values under key ids the keyring does not hold, values still in plaintext."""

    table: str
    column: str
    by_key: dict[str, int]
    unknown_key: int
    plaintext: int


@dataclass(frozen=True, slots=True)
class HashStatus:
    """Lookup hashes under the current lookup key, under another one, and missing."""

    current: int
    stale: int
    missing: int


@dataclass(frozen=True, slots=True)
class Batch:
    """One rotation batch: rows read, rows re-sealed, and where the next batch starts
    (None: the table is done)."""

    rows_read: int
    rows_changed: int
    cursor: tuple[Any, ...] | None


def encrypted_columns(table: Table) -> list[Column[Any]]:
    return [c for c in table.columns if isinstance(c.type, ENCRYPTED_TYPES)]


def _raw(column: Column[Any]) -> ColumnElement[str]:
    """The stored text of ``column``, neither opened nor sealed."""
    return type_coerce(column, Text)


class KeysRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def key_ids(self) -> tuple[str, ...]:
        """The keyring's key ids, newest first."""
        return keyring().key_ids

    def development(self) -> bool:
        """Whether the keyring is the development one (keys not configured)."""
        return keyring().development

    def tables(self) -> list[str]:
        """The tables with encrypted columns, by name."""
        return sorted(t.name for t in metadata.sorted_tables if encrypted_columns(t))

    # --- counting ---------------------------------------------------------------------
    def status(self) -> list[ColumnStatus]:
        """Each encrypted column's values per key id and in plaintext (NULL and empty
        values hold nothing and are not counted); one pass over each table."""
        ids = keyring().key_ids
        out: list[ColumnStatus] = []
        for name in self.tables():
            columns = encrypted_columns(metadata.tables[name])
            counts: list[ColumnElement[int]] = []
            for column in columns:
                raw = _raw(column)
                held = and_(raw.is_not(None), raw != "")
                counts.append(func.count().filter(held))
                counts += [func.count().filter(raw.like(f"{PREFIX}{k}:%")) for k in ids]
                counts.append(func.count().filter(and_(held, raw.not_like(f"{PREFIX}%"))))
            row = [int(x or 0) for x in
                   self.conn.execute(select(*counts).select_from(metadata.tables[name])).one()]
            width = len(ids) + 2
            for k, column in enumerate(columns):
                total, *per_key, plain = row[k * width:(k + 1) * width]
                out.append(ColumnStatus(name, column.name, dict(zip(ids, per_key, strict=True)),
                                        total - plain - sum(per_key), plain))
        return out

    def hash_status(self) -> HashStatus:
        table, _, hash_column = HASHED
        h = table.c[hash_column]
        tag = f"{keyring().lookup_tag}:%"
        row = self.conn.execute(select(
            func.count().filter(h.like(tag)),
            func.count().filter(and_(h.is_not(None), h.not_like(tag))),
            func.count().filter(h.is_(None))).select_from(table)).one()
        return HashStatus(*(int(x or 0) for x in row))

    def pending(self, table: str) -> int:
        """Rows of ``table`` a rotation still has to re-seal or re-hash."""
        t = metadata.tables[table]
        return int(self.conn.execute(select(func.count()).select_from(t)
                                     .where(self._needs_work(t))).scalar_one())

    # --- rotating ---------------------------------------------------------------------
    def rotate_batch(self, table: str, *, after: Sequence[Any] | None,
                     limit: int) -> Batch:
        """Re-seal under the newest key (and re-hash) up to ``limit`` rows of ``table``
        that need it, past the primary key ``after``."""
        t = metadata.tables[table]
        limit = max(1, min(limit, BATCH_ROWS_MAX))
        if self.conn.dialect.name == "sqlite":
            # a value rewritten leaves nothing of its old text in the freed space
            self.conn.exec_driver_sql("PRAGMA secure_delete = ON")
        key = list(t.primary_key.columns)
        columns = encrypted_columns(t)
        q = (select(*key, *(_raw(c).label(c.name) for c in columns), *self._hash_columns(t))
             .where(self._needs_work(t)).order_by(*key).limit(limit))
        if after is not None:
            q = q.where(_past(key, after))
        rows = self.conn.execute(q).all()
        changed = sum(self._reseal(t, key, columns, row._mapping) for row in rows)
        cursor = None
        if len(rows) == limit:
            last = rows[-1]._mapping
            cursor = tuple(last[c.name] for c in key)
        return Batch(len(rows), changed, cursor)

    def _reseal(self, t: Table, key: list[Column[Any]], columns: list[Column[Any]],
                m: Any) -> bool:
        ring = keyring()
        newest = f"{PREFIX}{ring.newest}:"
        values: dict[str, Any] = {}
        still: list[ColumnElement[bool]] = [c == m[c.name] for c in key]
        for c in columns:
            stored = m[c.name]
            if stored is None or stored == "" or stored.startswith(newest):
                continue
            sealed = c.type
            assert isinstance(sealed, ENCRYPTED_TYPES)
            values[c.name] = sealed.process_result_value(stored, self.conn.dialect)
            still.append(_raw(c) == stored)
        table, hashed, hash_column = HASHED
        if t is table:
            plain = ring.decrypt(m[hashed], column=f"{table.name}.{hashed}")
            digest = ring.lookup_hash(plain)
            if m[hash_column] != digest:
                values[hash_column] = digest
                h = t.c[hash_column]
                still.append(h.is_(None) if m[hash_column] is None else h == m[hash_column])
                still.append(_raw(t.c[hashed]) == m[hashed])
        if not values:
            return False
        done = self.conn.execute(update(t).where(*still).values(**values))
        return done.rowcount == 1

    def _hash_columns(self, t: Table) -> list[Column[Any]]:
        table, _, hash_column = HASHED
        return [t.c[hash_column]] if t is table else []

    def _needs_work(self, t: Table) -> ColumnElement[bool]:
        newest = f"{PREFIX}{keyring().newest}:%"
        conditions: list[ColumnElement[bool]] = [
            and_(_raw(c).is_not(None), _raw(c) != "", _raw(c).not_like(newest))
            for c in encrypted_columns(t)]
        table, _, hash_column = HASHED
        if t is table:
            h = t.c[hash_column]
            conditions.append(or_(h.is_(None), h.not_like(f"{keyring().lookup_tag}:%")))
        return or_(false(), *conditions)


def _past(key: list[Column[Any]], after: Sequence[Any]) -> ColumnElement[bool]:
    """Rows whose primary key sorts after ``after``."""
    if len(key) == 1:
        past: ColumnElement[bool] = key[0] > after[0]
        return past
    return tuple_(*key) > tuple_(*after)


__all__ = ["BATCH_ROWS_MAX", "Batch", "ColumnStatus", "HashStatus", "KeysRepository",
           "encrypted_columns"]
