"""A journal line must belong to an entry, and an entry with lines must stay: the
database refuses both, one check per statement (migration 0019), on SQLite and on
PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from dunwell.bootstrap import Dunwell
from dunwell.store import tables as t

DAY = dt.date(2025, 3, 1)


def _entry(conn: sa.Connection, entry_id: str) -> None:
    conn.execute(
        sa.insert(t.journal_entries).values(
            entry_id=entry_id, business_date=DAY, kind="test", currency="CNY", memo=""
        )
    )


def _lines(conn: sa.Connection, *entry_ids: str) -> None:
    conn.execute(
        sa.insert(t.journal_lines),
        [{"entry_id": e, "account": 1, "loan_id": None, "amount_minor": 0} for e in entry_ids],
    )


def _count(app: Dunwell, table: sa.Table) -> int:
    with app.engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())


def test_lines_of_existing_entries_go_in(app: Dunwell) -> None:
    with app.engine.begin() as conn:
        _entry(conn, "e1")
        _entry(conn, "e2")
        _lines(conn, "e1", "e2", "e2")
    assert _count(app, t.journal_lines) == 3


def test_a_statement_with_one_line_of_a_missing_entry_changes_nothing(app: Dunwell) -> None:
    with app.engine.begin() as conn:
        _entry(conn, "e1")
    with pytest.raises(sa.exc.IntegrityError), app.engine.begin() as conn:
        _lines(conn, "e1", "nope", "e1")
    assert _count(app, t.journal_lines) == 0


def test_a_line_cannot_move_to_a_missing_entry(app: Dunwell) -> None:
    with app.engine.begin() as conn:
        _entry(conn, "e1")
        _lines(conn, "e1")
    with pytest.raises(sa.exc.IntegrityError), app.engine.begin() as conn:
        conn.execute(sa.update(t.journal_lines).values(entry_id="nope"))


def test_an_entry_with_lines_cannot_go_or_change_its_id(app: Dunwell) -> None:
    with app.engine.begin() as conn:
        _entry(conn, "e1")
        _entry(conn, "bare")
        _lines(conn, "e1")
    with pytest.raises(sa.exc.IntegrityError), app.engine.begin() as conn:
        conn.execute(sa.delete(t.journal_entries).where(t.journal_entries.c.entry_id == "e1"))
    with pytest.raises(sa.exc.IntegrityError), app.engine.begin() as conn:
        conn.execute(
            sa.update(t.journal_entries)
            .where(t.journal_entries.c.entry_id == "e1")
            .values(entry_id="e9")
        )
    with app.engine.begin() as conn:  # an entry without lines may go
        conn.execute(sa.delete(t.journal_entries).where(t.journal_entries.c.entry_id == "bare"))
    assert _count(app, t.journal_entries) == 1
