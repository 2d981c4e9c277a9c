"""Journal lines keep to their entries through a statement-level check, not a
row-by-row foreign key.

Close of business appends a few hundred thousand journal lines a day, and the
foreign key ``journal_lines.entry_id -> journal_entries`` checked each of them with
its own look-up of the entry: on PostgreSQL that was over a third of the server's
work in a catch-up. The rule stays the same and is still enforced by the database:

- PostgreSQL: after each ``INSERT`` or ``UPDATE`` statement on ``journal_lines``, one
  query over the statement's new rows (a transition table) refuses the statement if
  any line names an entry that does not exist; after each ``DELETE`` or ``UPDATE``
  statement on ``journal_entries``, one query refuses it if a line still names an
  entry that is gone. The error is a ``foreign_key_violation``, as before.
- SQLite: the same rule as row triggers (SQLite has no statement triggers), raising
  an integrity error.

``dunwell book verify`` also reports lines without an entry (``entries_balance``).

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-11
"""

from __future__ import annotations

from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

_SQLITE_FK = "fk_journal_lines_entry_id_journal_entries"
_NAMING = {"fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s"}

_PG_UP = (
    """
    CREATE FUNCTION journal_lines_need_an_entry() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF EXISTS (SELECT 1 FROM (SELECT DISTINCT entry_id FROM added) AS a
                   WHERE NOT EXISTS (SELECT 1 FROM journal_entries AS e
                                     WHERE e.entry_id = a.entry_id)) THEN
            RAISE EXCEPTION 'a journal line must belong to an entry of journal_entries'
                USING ERRCODE = 'foreign_key_violation';
        END IF;
        RETURN NULL;
    END $$
    """,
    """
    CREATE FUNCTION journal_entries_keep_their_lines() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF EXISTS (SELECT 1 FROM (SELECT DISTINCT entry_id FROM removed) AS r
                   WHERE NOT EXISTS (SELECT 1 FROM journal_entries AS e
                                     WHERE e.entry_id = r.entry_id)
                     AND EXISTS (SELECT 1 FROM journal_lines AS l
                                 WHERE l.entry_id = r.entry_id)) THEN
            RAISE EXCEPTION 'a journal entry with lines must stay in journal_entries'
                USING ERRCODE = 'foreign_key_violation';
        END IF;
        RETURN NULL;
    END $$
    """,
    """
    CREATE TRIGGER journal_lines_need_an_entry_ins AFTER INSERT ON journal_lines
        REFERENCING NEW TABLE AS added FOR EACH STATEMENT
        EXECUTE FUNCTION journal_lines_need_an_entry()
    """,
    """
    CREATE TRIGGER journal_lines_need_an_entry_upd AFTER UPDATE ON journal_lines
        REFERENCING NEW TABLE AS added FOR EACH STATEMENT
        EXECUTE FUNCTION journal_lines_need_an_entry()
    """,
    """
    CREATE TRIGGER journal_entries_keep_their_lines_del AFTER DELETE ON journal_entries
        REFERENCING OLD TABLE AS removed FOR EACH STATEMENT
        EXECUTE FUNCTION journal_entries_keep_their_lines()
    """,
    """
    CREATE TRIGGER journal_entries_keep_their_lines_upd AFTER UPDATE ON journal_entries
        REFERENCING OLD TABLE AS removed FOR EACH STATEMENT
        EXECUTE FUNCTION journal_entries_keep_their_lines()
    """,
)

_PG_DOWN = (
    "DROP TRIGGER journal_entries_keep_their_lines_upd ON journal_entries",
    "DROP TRIGGER journal_entries_keep_their_lines_del ON journal_entries",
    "DROP TRIGGER journal_lines_need_an_entry_upd ON journal_lines",
    "DROP TRIGGER journal_lines_need_an_entry_ins ON journal_lines",
    "DROP FUNCTION journal_entries_keep_their_lines()",
    "DROP FUNCTION journal_lines_need_an_entry()",
)

_SQLITE_UP = (
    """
    CREATE TRIGGER journal_lines_need_an_entry_ins BEFORE INSERT ON journal_lines
    WHEN NOT EXISTS (SELECT 1 FROM journal_entries WHERE entry_id = NEW.entry_id)
    BEGIN SELECT RAISE(ABORT, 'a journal line must belong to an entry of journal_entries');
    END
    """,
    """
    CREATE TRIGGER journal_lines_need_an_entry_upd BEFORE UPDATE OF entry_id ON journal_lines
    WHEN NOT EXISTS (SELECT 1 FROM journal_entries WHERE entry_id = NEW.entry_id)
    BEGIN SELECT RAISE(ABORT, 'a journal line must belong to an entry of journal_entries');
    END
    """,
    """
    CREATE TRIGGER journal_entries_keep_their_lines_del BEFORE DELETE ON journal_entries
    WHEN EXISTS (SELECT 1 FROM journal_lines WHERE entry_id = OLD.entry_id)
    BEGIN SELECT RAISE(ABORT, 'a journal entry with lines must stay in journal_entries');
    END
    """,
    """
    CREATE TRIGGER journal_entries_keep_their_lines_upd
    BEFORE UPDATE OF entry_id ON journal_entries
    WHEN NEW.entry_id <> OLD.entry_id
     AND EXISTS (SELECT 1 FROM journal_lines WHERE entry_id = OLD.entry_id)
    BEGIN SELECT RAISE(ABORT, 'a journal entry with lines must stay in journal_entries');
    END
    """,
)

_SQLITE_DOWN = (
    "DROP TRIGGER journal_entries_keep_their_lines_upd",
    "DROP TRIGGER journal_entries_keep_their_lines_del",
    "DROP TRIGGER journal_lines_need_an_entry_upd",
    "DROP TRIGGER journal_lines_need_an_entry_ins",
)


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint("journal_lines_entry_id_fkey", "journal_lines", type_="foreignkey")
        for sql in _PG_UP:
            op.execute(sql)
        return
    with op.batch_alter_table("journal_lines", naming_convention=_NAMING) as batch:
        batch.drop_constraint(_SQLITE_FK, type_="foreignkey")
    for sql in _SQLITE_UP:
        op.execute(sql)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for sql in _PG_DOWN:
            op.execute(sql)
        op.create_foreign_key(
            "journal_lines_entry_id_fkey",
            "journal_lines",
            "journal_entries",
            ["entry_id"],
            ["entry_id"],
        )
        return
    for sql in _SQLITE_DOWN:
        op.execute(sql)
    with op.batch_alter_table("journal_lines") as batch:
        batch.create_foreign_key(_SQLITE_FK, "journal_entries", ["entry_id"], ["entry_id"])
