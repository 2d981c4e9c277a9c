"""The journal lines' entry check looks a small statement's entries up by key.

Migration 0019's check is one query over a statement's new lines joined to
``journal_entries``. As static SQL in PL/pgSQL, PostgreSQL plans it once in each
connection, from the tables' sizes at that moment, and keeps the plan: a connection
whose first check saw a young ledger (a few hundred entries) kept a plan that reads the
whole of ``journal_entries`` into a hash table, and ran it for every later statement
however large the ledger grew. Even planned afresh, the planner prices a look-up in
the index as a read from disk and prefers the hash table up to some thousands of
entries. On the payments benchmark that check was a quarter of the database's work.

Now a statement of at most :data:`ONE_BY_ONE` lines (a payment, a payment group, a
reversal) looks each of its entries up by the primary key, each look-up planned for
the table as it is (``force_custom_plan``: a plan kept from a young ledger would read
it whole); a larger one (close of business) runs the one set-based query through
``EXECUTE``, planned for that statement, which joins the table once. The rule and
its error (``foreign_key_violation``) are unchanged; SQLite's row triggers are
untouched.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-12
"""

from __future__ import annotations

from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

_MISSING_ENTRY = (
    "SELECT EXISTS (SELECT 1 FROM (SELECT DISTINCT entry_id FROM added) AS a "
    "WHERE NOT EXISTS (SELECT 1 FROM journal_entries AS e WHERE e.entry_id = a.entry_id))"
)

_RAISE = """
            RAISE EXCEPTION 'a journal line must belong to an entry of journal_entries'
                USING ERRCODE = 'foreign_key_violation';"""

#: The most lines a statement may add for its entries to be looked up one by one.
ONE_BY_ONE = 256

_PG_UP = f"""
    CREATE OR REPLACE FUNCTION journal_lines_need_an_entry() RETURNS trigger
    LANGUAGE plpgsql SET plan_cache_mode = force_custom_plan AS $$
    DECLARE
        wanted text;
        missing boolean;
    BEGIN
        IF (SELECT count(*) FROM added) <= {ONE_BY_ONE} THEN
            FOR wanted IN SELECT DISTINCT entry_id FROM added LOOP
                PERFORM FROM journal_entries WHERE entry_id = wanted;
                IF NOT FOUND THEN{_RAISE}
                END IF;
            END LOOP;
            RETURN NULL;
        END IF;
        EXECUTE '{_MISSING_ENTRY}' INTO missing;
        IF missing THEN{_RAISE}
        END IF;
        RETURN NULL;
    END $$
"""

_PG_DOWN = f"""
    CREATE OR REPLACE FUNCTION journal_lines_need_an_entry() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        IF {_MISSING_ENTRY.removeprefix("SELECT ")} THEN{_RAISE}
        END IF;
        RETURN NULL;
    END $$
"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_PG_UP)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_PG_DOWN)
