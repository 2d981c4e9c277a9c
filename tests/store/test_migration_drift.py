"""The Alembic migrations build exactly the schema the table metadata declares.

A fresh database (SQLite always, PostgreSQL when ``DUNWELL_TEST_POSTGRES_URL`` is set)
is migrated to head and compared with the metadata of every ``dunwell.store.*tables*``
module by ``alembic.autogenerate.compare_metadata``: tables, columns, types,
nullability, server defaults, indexes, unique constraints and foreign keys. Any
difference fails the test, named as ``table.column: what differs``.

The one allowance is for SQLite's reflection, not for the schema: SQLite reports a
server default as the text of the ``DEFAULT`` clause, so ``DEFAULT ('')`` comes back
as ``('')`` where the metadata renders ``''``, and Alembic's own SQLite comparison
does not strip the quotes of an empty string. :func:`server_default_differs` strips
one pair of enclosing parentheses and one pair of quotes on SQLite before comparing;
every other default, on SQLite and PostgreSQL alike, is left to Alembic.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Iterator
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Column, MetaData

import dunwell.store
from dunwell.store.db import alembic_config, make_engine, migrate

_PARENTHESISED = re.compile(r"^\((.*)\)$", re.DOTALL)
_QUOTED = re.compile(r"^'(.*)'$", re.DOTALL)


def full_metadata() -> MetaData:
    """The shared metadata with every table module of the store imported onto it."""
    for module in pkgutil.iter_modules(dunwell.store.__path__):
        if "tables" in module.name:
            importlib.import_module(f"dunwell.store.{module.name}")
    from dunwell.store.tables import metadata

    return metadata


def sqlite_default_text(rendered: str | None) -> str | None:
    """A server default as SQLite writes it, without the parentheses and quotes that
    only say "this is a literal": ``('')`` and ``''`` are both the empty string."""
    if rendered is None:
        return None
    text = rendered.strip()
    if match := _PARENTHESISED.match(text):
        text = match.group(1).strip()
    if match := _QUOTED.match(text):
        text = match.group(1)
    return text


def server_default_differs(context: MigrationContext, inspected_column: Column[Any],
                           metadata_column: Column[Any], inspected_default: str | None,
                           metadata_default: Any, rendered_metadata_default: str | None,
                           ) -> bool | None:
    """Alembic's ``compare_server_default`` hook: on SQLite, compare the literal texts
    (see the module docstring); elsewhere None, which leaves the comparison to Alembic."""
    if context.dialect.name != "sqlite":
        return None
    return sqlite_default_text(inspected_default) != sqlite_default_text(
        rendered_metadata_default)


def describe(diff: Any) -> str:
    """One difference as ``op table.column: database ... metadata ...``."""
    if isinstance(diff, list):  # column modifications come grouped per column
        return "\n".join(describe(one) for one in diff)
    op = diff[0]
    if op.startswith("modify_"):
        _, _schema, table, column, _existing, in_database, in_metadata = diff
        return (f"{op} {table}.{column}: database {_text(in_database)}, "
                f"metadata {_text(in_metadata)}")
    thing = diff[1]
    name = getattr(thing, "name", thing)
    table = getattr(getattr(thing, "table", None), "name", None)
    if op in ("add_column", "remove_column"):
        table, name = diff[2], diff[3].name
    where = f"{table}.{name}" if table else str(name)
    return f"{op} {where}"


def _text(value: Any) -> str:
    arg = getattr(value, "arg", value)
    return repr(getattr(arg, "text", arg))


@pytest.fixture
def migrated(empty_db_url: str) -> Iterator[MigrationContext]:
    engine = make_engine(empty_db_url)
    try:
        migrate(engine)
        with engine.connect() as conn:
            yield MigrationContext.configure(conn, opts={
                "compare_type": True, "compare_server_default": server_default_differs})
    finally:
        engine.dispose()


def test_migrations_build_the_metadata(migrated: MigrationContext) -> None:
    diffs = compare_metadata(migrated, full_metadata())
    assert not diffs, ("the migrated schema differs from the table metadata; fix the "
                       "metadata or add a migration:\n" + "\n".join(describe(d) for d in diffs))


def test_the_database_is_at_the_single_head(migrated: MigrationContext) -> None:
    heads = ScriptDirectory.from_config(alembic_config()).get_heads()
    assert len(heads) == 1, f"the migrations have several heads: {sorted(heads)}"
    assert migrated.get_current_heads() == tuple(heads)


def test_every_table_module_is_on_the_shared_metadata() -> None:
    names = set(full_metadata().tables)
    assert {"loans", "installments", "outbox", "cases", "day_steps"} <= names


@pytest.mark.parametrize(("rendered", "text"), [
    ("('')", ""), ("''", ""), ("'0'", "0"), ("0", "0"), ("('[]')", "[]"), (None, None),
    ("(1)", "1"), ("'it''s'", "it''s"),
])
def test_sqlite_default_text_drops_only_literal_markers(rendered: str | None,
                                                        text: str | None) -> None:
    assert sqlite_default_text(rendered) == text


def test_a_different_sqlite_default_still_differs() -> None:
    assert sqlite_default_text("('0')") != sqlite_default_text("''")
