"""Bulk reads of a book's collection history for uplift modelling: the days planned,
cases, the steps decided, contacts, promises, payments and scheduled instalments, as
plain tuples (no encrypted column is read)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import Connection, select

from dunwell.core.dates import from_day
from dunwell.store import collection_tables as c
from dunwell.store import tables as t
from dunwell.store.borrowers_repo import chunks

#: (borrower, business date, kind, decision, status, reason) of a case's step.
ActionRow = tuple[int, dt.date, str, str, str, str]
#: (case, borrower, opened on, closed on or None).
CaseRow = tuple[str, int, dt.date, dt.date | None]
#: (case, created on, status, resolved on or None).
PromiseRow = tuple[str, dt.date, str, dt.date | None]
#: (borrower, local day, channel, direction, outcome).
ContactRow = tuple[int, dt.date, str, str, str]


class UpliftHistoryRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def run_dates(self) -> list[dt.date]:
        """Business dates the collection run planned, in order."""
        q = select(c.collect_runs.c.business_date).order_by(c.collect_runs.c.business_date)
        return [d for (d,) in self.conn.execute(q)]

    def cases(self) -> list[CaseRow]:
        q = select(
            c.cases.c.case_id, c.cases.c.borrower_id, c.cases.c.opened_on, c.cases.c.closed_on
        ).order_by(c.cases.c.case_id)
        return [(str(k), int(b), o, e) for k, b, o, e in self.conn.execute(q)]

    def case_actions(self) -> list[ActionRow]:
        """Every decided step of a case (pre-due steps left out), in order."""
        a = c.case_actions.c
        q = (
            select(a.borrower_id, a.business_date, a.kind, a.decision, a.status, a.reason)
            .where(~a.case_id.like("pre-%"))
            .order_by(a.action_id)
        )
        return [
            (int(b), d, str(k), str(dc), str(s), str(r))
            for b, d, k, dc, s, r in self.conn.execute(q)
        ]

    def promises(self) -> list[PromiseRow]:
        p = c.promises.c
        q = select(p.case_id, p.created_on, p.status, p.resolved_on).order_by(p.promise_id)
        return [(str(k), o, str(s), r) for k, o, s, r in self.conn.execute(q)]

    def contacts(self) -> list[ContactRow]:
        q = select(
            c.contacts.c.borrower_id,
            c.contacts.c.ts,
            c.contacts.c.channel,
            c.contacts.c.direction,
            c.contacts.c.outcome,
        ).order_by(c.contacts.c.contact_id)
        return [
            (int(b), dt.datetime.fromisoformat(ts).date(), str(ch), str(d), str(o))
            for b, ts, ch, d, o in self.conn.execute(q)
        ]

    def contact_action_ids(self) -> list[int]:
        """The steps outbound contacts were made for, in the order of the contacts."""
        q = (
            select(c.contacts.c.action_id)
            .where(c.contacts.c.action_id.is_not(None), c.contacts.c.direction == "outbound")
            .order_by(c.contacts.c.contact_id)
        )
        return [int(a) for (a,) in self.conn.execute(q)]

    def payments(
        self, borrower_ids: Sequence[int] | None = None, *, since: dt.date | None = None
    ) -> dict[int, list[tuple[int, dt.date, int]]]:
        """(loan, business date, amount) of each payment not reversed, per borrower;
        only ``borrower_ids``' and from ``since`` when given."""
        p, ln = t.payments.c, t.loans.c
        base = (
            select(ln.borrower_id, p.loan_id, p.business_date, p.amount_minor)
            .join(t.loans, ln.loan_id == p.loan_id)
            .where(p.reversal_entry_id.is_(None))
            .order_by(p.payment_id)
        )
        if since is not None:
            base = base.where(p.business_date >= since)
        out: dict[int, list[tuple[int, dt.date, int]]] = defaultdict(list)
        queries = (
            [base]
            if borrower_ids is None
            else [base.where(ln.borrower_id.in_(ch)) for ch in chunks(borrower_ids)]
        )
        for q in queries:
            for b, loan, day, amount in self.conn.execute(q):
                out[int(b)].append((int(loan), day, int(amount)))
        return out

    def schedules(self) -> dict[int, dict[int, list[tuple[dt.date, int]]]]:
        """Per borrower, per loan: (due date, principal + interest + fee) of each
        instalment as scheduled now, in order."""
        i, ln = t.installments.c, t.loans.c
        q = (
            select(
                ln.borrower_id,
                i.loan_id,
                i.due_day,
                i.principal_minor + i.interest_minor + i.fee_minor,
            )
            .join(t.loans, ln.loan_id == i.loan_id)
            .order_by(i.loan_id, i.n)
        )
        out: dict[int, dict[int, list[tuple[dt.date, int]]]] = defaultdict(dict)
        for b, loan, due, amount in self.conn.execute(q):
            out[int(b)].setdefault(int(loan), []).append((from_day(int(due)), int(amount)))
        return out


__all__ = ["UpliftHistoryRepository"]
