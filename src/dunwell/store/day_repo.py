"""The day loop's record: which steps of which business dates are behind us."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select

from dunwell.store.day_tables import day_steps


@dataclass(frozen=True, slots=True)
class StepRecord:
    business_date: dt.date
    step: str
    status: str
    detail: dict[str, Any]
    finished_at: str


class DayRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def steps_on(self, business_date: dt.date) -> dict[str, StepRecord]:
        rows = self.conn.execute(select(day_steps)
                                 .where(day_steps.c.business_date == business_date)).all()
        return {r.step: _record(r._mapping) for r in rows}

    def record(self, *, business_date: dt.date, step: str, status: str,
               detail: dict[str, Any], finished_at: dt.datetime) -> None:
        """Record a step's end; a failed step recorded earlier is replaced."""
        self.conn.execute(delete(day_steps).where(day_steps.c.business_date == business_date,
                                                  day_steps.c.step == step))
        self.conn.execute(insert(day_steps).values(
            business_date=business_date, step=step, status=status,
            detail_json=json.dumps(detail, sort_keys=True, default=str),
            finished_at=finished_at.isoformat()))

    def recent(self, days: int) -> list[StepRecord]:
        """Every step of the last ``days`` business dates that have a record."""
        last = self.conn.execute(select(func.max(day_steps.c.business_date))).scalar_one()
        if last is None:
            return []
        since = last - dt.timedelta(days=days - 1)
        rows = self.conn.execute(select(day_steps).where(day_steps.c.business_date >= since)
                                 .order_by(day_steps.c.business_date)).all()
        return [_record(r._mapping) for r in rows]


def _record(m: Any) -> StepRecord:
    return StepRecord(m["business_date"], m["step"], m["status"], json.loads(m["detail_json"]),
                      m["finished_at"])
