"""Reads for the dashboard's figures: the book's facts as the analytics domain's plain
rows (``dunwell.analytics.model``), every one up to a day. Encrypted columns are not
read; a borrower's coordinates are read only to place them in a territory."""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import Connection, select

from dunwell.analytics.model import (
    CaseRow,
    ContactRow,
    CostRow,
    DecisionRow,
    LoanEventRow,
    LoanRow,
    PaymentRow,
    PromiseRow,
    VisitRow,
)
from dunwell.core.dates import from_day
from dunwell.store import collection_tables as c
from dunwell.store import field_tables as f
from dunwell.store import legal_tables as lg
from dunwell.store import tables as t


class AnalyticsRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def products(self) -> list[str]:
        return [str(r[0]) for r in self.conn.execute(
            select(t.products.c.code).order_by(t.products.c.code))]

    def strategies(self) -> list[str]:
        return [str(r[0]) for r in self.conn.execute(
            select(c.cases.c.strategy_name).distinct().order_by(c.cases.c.strategy_name))]

    def loans(self, through: dt.date) -> list[LoanRow]:
        ln = t.loans.c
        q = (select(ln.loan_id, ln.borrower_id, ln.product_code, ln.currency,
                    ln.principal_minor, ln.disbursed_day)
             .where(ln.disbursed_day <= (through - dt.date(1970, 1, 1)).days)
             .order_by(ln.loan_id))
        return [LoanRow(int(a), int(b), str(p), str(cur), int(m), from_day(int(d)))
                for a, b, p, cur, m, d in self.conn.execute(q)]

    def loan_events(self, through: dt.date) -> list[LoanEventRow]:
        ev = t.loan_events.c
        q = (select(ev.loan_id, ev.business_date, ev.kind, ev.before, ev.after)
             .where(ev.business_date <= through).order_by(ev.event_id))
        return [LoanEventRow(int(a), d, str(k), int(b), int(x))
                for a, d, k, b, x in self.conn.execute(q)]

    def payments(self, through: dt.date) -> list[PaymentRow]:
        """Payments not reversed, with the principal their allocation settled."""
        p = t.payments.c
        q = (select(p.loan_id, p.business_date, p.amount_minor, p.allocation_json)
             .where(p.business_date <= through, p.reversal_entry_id.is_(None))
             .order_by(p.payment_id))
        return [PaymentRow(int(a), d, int(m), sum(int(v) for _, comp, v in json.loads(js)
                                                  if comp == "principal"))
                for a, d, m, js in self.conn.execute(q)]

    def cases(self, through: dt.date) -> list[CaseRow]:
        k = c.cases.c
        q = (select(k.case_id, k.borrower_id, k.status, k.opened_on, k.closed_on,
                    k.strategy_name, k.variant)
             .where(k.opened_on <= through).order_by(k.case_id))
        return [CaseRow(str(a), int(b), str(s), o, x, str(n), str(v))
                for a, b, s, o, x, n, v in self.conn.execute(q)]

    def contacts(self, start: dt.date, end: dt.date) -> list[ContactRow]:
        k = c.contacts.c
        q = (select(k.borrower_id, k.ts, k.channel, k.direction)
             .where(k.ts >= start.isoformat(), k.ts < (end + dt.timedelta(days=1)).isoformat()))
        return [ContactRow(int(b), dt.date.fromisoformat(str(ts)[:10]), str(ch), str(d))
                for b, ts, ch, d in self.conn.execute(q)]

    def promises(self, through: dt.date) -> list[PromiseRow]:
        k = c.promises.c
        q = select(k.case_id, k.due_date, k.status, k.amount_minor).where(k.due_date <= through)
        return [PromiseRow(str(a), d, str(s), int(m)) for a, d, s, m in self.conn.execute(q)]

    def visits(self, start: dt.date, end: dt.date) -> list[VisitRow]:
        """Visits with an outcome planned within the dates."""
        v = f.visits.c
        q = (select(v.borrower_id, v.plan_date, v.agent_id, v.cost_minor)
             .where(v.status == "done", v.plan_date >= start, v.plan_date <= end))
        return [VisitRow(int(b), d, str(a or "-"), int(m)) for b, d, a, m in self.conn.execute(q)]

    def legal_costs(self, start: dt.date, end: dt.date) -> list[CostRow]:
        e, r = lg.legal_events.c, lg.legal_referrals.c
        q = (select(r.borrower_id, e.on_date, e.event, e.cost_minor)
             .join(lg.legal_referrals, r.referral_id == e.referral_id)
             .where(e.on_date >= start, e.on_date <= end, e.cost_minor != 0))
        return [CostRow(int(b), d, f"legal:{k}", int(m)) for b, d, k, m in self.conn.execute(q)]

    def decisions(self, start: dt.date, end: dt.date) -> list[DecisionRow]:
        a = c.case_actions.c
        q = (select(a.borrower_id, a.business_date, a.decision, a.rule)
             .where(a.business_date >= start, a.business_date <= end))
        return [DecisionRow(int(b), d, str(x), str(rule or "")) for b, d, x, rule
                in self.conn.execute(q)]
