"""Read-only queries the strategy lab measures a finished run's book with: payments,
cases, contacts, the guard's decisions, complaints, plans, visits, legal steps and the
loans' bucket history. Nothing here writes."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Date, Engine, bindparam, create_engine, select, text
from sqlalchemy.engine import make_url

from dunwell.store.collection_tables import case_timeline, cases


def _rows(conn: Connection, sql: str, **params: Any) -> list[tuple[Any, ...]]:
    return [tuple(r) for r in conn.execute(text(sql), params).all()]


def _date(value: Any) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])


class LabReadRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def cases(self) -> list[tuple[str, int, dt.date, dt.date | None, str]]:
        """(case id, borrower id, opened on, closed on, status)."""
        return [
            (str(c), int(b), _date(o), None if x is None else _date(x), str(s))
            for c, b, o, x, s in _rows(
                self.conn, "SELECT case_id, borrower_id, opened_on, closed_on, status FROM cases"
            )
        ]

    def payments(self) -> list[tuple[int, int, dt.date, int]]:
        """(loan id, borrower id, business date, amount) of every payment."""
        return [
            (int(lid), int(b), _date(d), int(a))
            for lid, b, d, a in _rows(
                self.conn,
                "SELECT p.loan_id, l.borrower_id, p.business_date, p.amount_minor "
                "FROM payments p JOIN loans l ON l.loan_id = p.loan_id",
            )
        ]

    def loans(self) -> list[tuple[int, int, int, int, int]]:
        """(loan id, borrower id, principal, disbursed day, status) of every loan."""
        return [
            (int(a), int(b), int(c), int(d), int(e))
            for a, b, c, d, e in _rows(
                self.conn,
                "SELECT loan_id, borrower_id, principal_minor, disbursed_day, status FROM loans",
            )
        ]

    def overdue_by_loan(self, through_day: int) -> dict[int, int]:
        """What open loans owe on instalments due before ``through_day``."""
        rows = _rows(
            self.conn,
            """
            SELECT i.loan_id, SUM((i.principal_minor - i.paid_principal_minor)
                + (i.interest_minor - i.paid_interest_minor) + (i.fee_minor - i.paid_fee_minor)
                + (i.penalty_minor - i.paid_penalty_minor))
            FROM installments i WHERE i.due_day < :d GROUP BY i.loan_id""",
            d=through_day,
        )
        return {int(a): int(b or 0) for a, b in rows}

    def contacts(self) -> list[tuple[int, str, str, str, int | None]]:
        """(borrower id, timestamp, channel, outcome, action id) of outbound contacts."""
        return [
            (int(b), str(ts), str(ch), str(o), None if a is None else int(a))
            for b, ts, ch, o, a in _rows(
                self.conn,
                "SELECT borrower_id, ts, channel, outcome, action_id FROM "
                "contacts WHERE direction = 'outbound'",
            )
        ]

    def contacts_not_allowed(self) -> int:
        """Outbound contacts on an action the guard did not allow."""
        rows = _rows(
            self.conn,
            "SELECT COUNT(*) FROM contacts c JOIN case_actions a ON "
            "a.action_id = c.action_id WHERE c.direction = 'outbound' AND "
            "a.decision <> 'allow'",
        )
        return int(rows[0][0])

    def decisions(
        self, since: dt.date | None = None
    ) -> list[tuple[str, str | None, str, str | None, int]]:
        """(kind, channel, decision, rule, count) of every step proposed (on or after
        ``since``)."""
        return [
            (str(k), None if c is None else str(c), str(d), None if r is None else str(r), int(n))
            for k, c, d, r, n in self.conn.execute(
                text(
                    "SELECT kind, channel, decision, rule, COUNT(*) FROM case_actions "
                    "WHERE business_date >= :since GROUP BY kind, channel, decision, rule"
                ).bindparams(bindparam("since", type_=Date)),
                {"since": since or dt.date(1970, 1, 1)},
            ).all()
        ]

    def complaints(self) -> list[tuple[int, dt.date, str]]:
        return [
            (int(b), _date(d), str(c))
            for b, d, c in _rows(
                self.conn, "SELECT borrower_id, received_on, category FROM complaints"
            )
        ]

    def plans(self) -> list[tuple[int, int, dt.date, str]]:
        """(plan id, borrower id, accepted on, status)."""
        return [
            (int(p), int(b), _date(d), str(s))
            for p, b, d, s in _rows(
                self.conn, "SELECT plan_id, borrower_id, accepted_on, status FROM plans"
            )
        ]

    def visits(self) -> list[tuple[int, dt.date, str, str | None]]:
        """(borrower id, plan date, status, outcome) of every visit."""
        return [
            (int(b), _date(d), str(s), None if o is None else str(o))
            for b, d, s, o in _rows(
                self.conn, "SELECT borrower_id, plan_date, status, outcome FROM visits"
            )
        ]

    def referrals(self) -> list[tuple[int, int, str, dt.date]]:
        """(referral id, borrower id, status, proposed on)."""
        return [
            (int(r), int(b), str(s), _date(d))
            for r, b, s, d in _rows(
                self.conn,
                "SELECT referral_id, borrower_id, status, proposed_on FROM legal_referrals",
            )
        ]

    def legal_events(self) -> list[tuple[int, str, dt.date, int]]:
        """(referral id, event, on, cost)."""
        return [
            (int(r), str(e), _date(d), int(c))
            for r, e, d, c in _rows(
                self.conn, "SELECT referral_id, event, on_date, cost_minor FROM legal_events"
            )
        ]

    def bucket_changes(self) -> list[tuple[int, dt.date, int, int]]:
        """(loan id, date, bucket before, after) of every bucket change, in order."""
        return [
            (int(lid), _date(d), int(b), int(a))
            for lid, d, b, a in _rows(
                self.conn,
                'SELECT loan_id, business_date, "before", "after" FROM loan_events '
                "WHERE kind = 'bucket_changed' ORDER BY business_date, event_id",
            )
        ]

    def timeline(self, borrower_id: int) -> list[tuple[dt.date, str, str]]:
        """The borrower's case timelines (date, kind, text), oldest first."""
        q = (
            select(case_timeline.c.on_date, case_timeline.c.kind, case_timeline.c.text)
            .join(cases, cases.c.case_id == case_timeline.c.case_id)
            .where(cases.c.borrower_id == borrower_id)
            .order_by(case_timeline.c.on_date, case_timeline.c.entry_id)
        )
        return [(_date(d), str(k), str(t)) for d, k, t in self.conn.execute(q).all()]

    def contacts_of(self, borrower_id: int) -> list[tuple[dt.date, str, str]]:
        """(date, channel, outcome) of the borrower's outbound contacts, oldest first."""
        return [
            (_date(ts), str(ch), str(o))
            for ts, ch, o in _rows(
                self.conn,
                "SELECT ts, channel, outcome FROM contacts WHERE borrower_id = :b AND "
                "direction = 'outbound' ORDER BY ts",
                b=borrower_id,
            )
        ]

    def actions_of(self, borrower_id: int) -> list[tuple[dt.date, str, str, str | None]]:
        """(date, kind, decision, rule) of every step proposed for the borrower."""
        return [
            (_date(d), str(k), str(x), None if r is None else str(r))
            for d, k, x, r in _rows(
                self.conn,
                "SELECT business_date, kind, decision, rule FROM case_actions WHERE "
                "borrower_id = :b ORDER BY business_date, action_id",
                b=borrower_id,
            )
        ]


@contextmanager
def lab_reader(engine: Engine) -> Iterator[LabReadRepository]:
    """A read-only view of a finished run's book."""
    with engine.connect() as conn:
        yield LabReadRepository(conn)


def new_schema_url(base: str, name: str) -> str:
    """A fresh PostgreSQL schema ``<name>_<8 hex>`` in ``base``'s database, and the URL
    whose connections use it."""
    url = make_url(base)
    schema = f"{name}_{uuid.uuid4().hex[:8]}".lower()
    admin = create_engine(url)
    try:
        with admin.begin() as conn:
            conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    finally:
        admin.dispose()
    return url.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
        hide_password=False
    )
