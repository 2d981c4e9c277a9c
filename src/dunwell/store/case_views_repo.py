"""Read-only views of the case book for people: the case list and the experiment's
split between champion and challenger."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Connection, case, func, select

from dunwell.store import collection_tables as c

#: The most cases one listing returns.
CASES_LISTED_MAX = 10_000


@dataclass(frozen=True, slots=True)
class CaseRow:
    case_id: str
    borrower_id: int
    status: str
    opened_on: dt.date
    strategy: str
    variant: str
    owner: str | None
    days_past_due: int
    broken_promises: int


@dataclass(frozen=True, slots=True)
class ArmRow:
    strategy: str
    variant: str
    active: int
    opened_today: int
    closed: int


class CaseViewRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def listing(self, *, status: str | None = None, limit: int = 50) -> list[CaseRow]:
        """Cases, the most overdue first (then the newest)."""
        k = c.cases.c
        q = (select(k.case_id, k.borrower_id, k.status, k.opened_on, k.strategy_name,
                    k.strategy_version, k.variant, k.owner, k.last_dpd, k.broken_promises)
             .order_by(k.last_dpd.desc(), k.opened_on.desc(), k.case_id)
             .limit(min(limit, CASES_LISTED_MAX)))
        if status is not None:
            q = q.where(k.status == status)
        return [CaseRow(r.case_id, int(r.borrower_id), r.status, r.opened_on,
                        f"{r.strategy_name}@{r.strategy_version}", r.variant, r.owner,
                        int(r.last_dpd), int(r.broken_promises))
                for r in self.conn.execute(q).all()]

    def arms(self, today: dt.date) -> list[ArmRow]:
        """Cases per strategy and arm: still active, opened on ``today``, closed."""
        k = c.cases.c
        active = func.sum(case((k.closed_on.is_(None), 1), else_=0))
        opened = func.sum(case((k.opened_on == today, 1), else_=0))
        closed = func.sum(case((k.closed_on.is_not(None), 1), else_=0))
        q = (select(k.strategy_name, k.variant, active, opened, closed)
             .group_by(k.strategy_name, k.variant).order_by(k.variant, k.strategy_name))
        return [ArmRow(s, v, int(a or 0), int(o or 0), int(x or 0))
                for s, v, a, o, x in self.conn.execute(q).all()]
