"""A journal line must belong to an entry, and an entry with lines must stay: the
database refuses both, one check per statement (migrations 0019 and
0020), on SQLite and on PostgreSQL."""

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
    """One statement adding a line to each of ``entry_ids``."""
    conn.execute(
        sa.insert(t.journal_lines).values(
            [{"entry_id": e, "account": 1, "loan_id": None, "amount_minor": 0}
             for e in entry_ids]
        )
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


def test_a_large_statement_is_checked_as_a_whole(app: Dunwell) -> None:
    """Hundreds of lines, as close of business writes them: the same rule."""
    many = [f"e{k}" for k in range(300)]
    with app.engine.begin() as conn:
        for entry_id in many:
            _entry(conn, entry_id)
    with pytest.raises(sa.exc.IntegrityError), app.engine.begin() as conn:
        _lines(conn, *many, "nope")
    assert _count(app, t.journal_lines) == 0
    with app.engine.begin() as conn:
        _lines(conn, *many, *many)
    assert _count(app, t.journal_lines) == 600


#: Whole-table reads of journal_entries by this connection, not yet reported.
_SCANS = "SELECT seq_scan FROM pg_stat_xact_user_tables WHERE relid = 'journal_entries'::regclass"


def test_a_small_statement_does_not_read_the_whole_ledger(app: Dunwell) -> None:
    """PostgreSQL: a connection that checked lines while ``journal_entries`` was small
    (a new book) and checks a payment's few lines after it grew still looks their
    entries up by key, rather than reading every entry into a hash table as a plan
    made for the small table would."""
    if app.engine.dialect.name != "postgresql":
        pytest.skip("SQLite checks each line by its own look-up already")
    grow = ("INSERT INTO journal_entries (entry_id, business_date, kind, currency, memo) "
            "SELECT %s || k, DATE '2025-03-01', 'test', 'CNY', '' "
            "FROM generate_series(1, %s) AS k")
    with app.engine.connect() as conn:
        with conn.begin():  # a young ledger, analysed
            conn.exec_driver_sql(grow, ("e", 400))
        with conn.begin():
            conn.exec_driver_sql("ANALYZE journal_entries")
        with conn.begin():  # a payment group's lines
            _lines(conn, *(f"e{k}" for k in range(1, 11) for _ in range(3)))
        with conn.begin():
            conn.exec_driver_sql(grow, ("g", 20_000))
        with conn.begin():
            before = conn.exec_driver_sql(_SCANS).scalar_one()
            _lines(conn, "g7", "g7", "g4000")
            after = conn.exec_driver_sql(_SCANS).scalar_one()
    assert after == before
    assert _count(app, t.journal_lines) == 33
