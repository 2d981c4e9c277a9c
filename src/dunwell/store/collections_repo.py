"""Repositories for collections: cases with their promises and timeline; actions with
their verdicts, contacts, collectors, call queues and the record of each day's run.

The borrowers' contact profiles and the loan facts per borrower are in
:mod:`dunwell.store.borrowers_repo` (named here too for the modules that import them
from this one)."""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, bindparam, func, insert, select, update

from dunwell.collections.model import (
    ActionKind,
    CaseLoan,
    CaseStatus,
    CaseView,
    PastAction,
    PromiseStatus,
    PromiseToPay,
    TimelineEntry,
    TimelineKind,
)
from dunwell.collections.queues import Collector
from dunwell.compliance.model import (
    Channel,
    ContactEvent,
    Direction,
    Outcome,
)
from dunwell.core.errors import NotFound
from dunwell.store import collection_tables as c
from dunwell.store.borrowers_repo import (
    BorrowerProfile,
    BorrowerRepository,
    LoanFactsRepository,
    chunks,
)

__all__ = ["ACTIVE", "HELD", "ActionRepository", "BorrowerProfile", "BorrowerRepository",
           "CaseRepository", "LoanFactsRepository", "StoredCase", "chunks"]

ACTIVE = [s.value for s in CaseStatus if s.is_active]


# Statements built once: the collection run saves a case, an action and a contact per
# borrower, and building the same expression for each row cost more than running it.
_CASE_EXISTS = select(c.cases.c.case_id).where(c.cases.c.case_id == bindparam("cid"))
_CASE_UPDATE = update(c.cases).where(c.cases.c.case_id == bindparam("cid"))
_CASE_INSERT = insert(c.cases)
_ACTION_INSERT = insert(c.case_actions)


def _case_values(view: CaseView, today: dt.date) -> dict[str, Any]:
    return {"status": view.status.value, "variant": view.variant or "champion",
            "last_dpd": view.max_days_past_due,
            "strategy_name": view.strategy_name or "", "broken_promises":
            view.broken_promises, "strategy_version": view.strategy_version or 0,
            "closed_on": None if view.status.is_active else today}
_CONTACT_INSERT = insert(c.contacts)

@dataclass(frozen=True, slots=True)
class StoredCase:
    view: CaseView
    strategy_name: str
    strategy_version: int


#: ``case_actions.status`` of an allowed action held back before it reached the borrower.
HELD = "held"


def _as_last_seen(m: Any) -> tuple[CaseLoan, ...]:
    """The case's loans as the last run saw them, summarised: its worst days past due.
    The day's run replaces them with the facts of the day; this is what the bucket
    change is measured against."""
    return (CaseLoan("last-run", int(m["last_dpd"]), 0, 1),)


class CaseRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def active(self) -> dict[int, StoredCase]:
        rows = self.conn.execute(select(c.cases).where(c.cases.c.status.in_(ACTIVE))).all()
        promises = self._pending_promises([r._mapping["case_id"] for r in rows])
        out = {}
        for r in rows:
            m = r._mapping
            view = CaseView(case_id=m["case_id"], borrower_id=str(m["borrower_id"]),
                            status=CaseStatus(m["status"]), loans=_as_last_seen(m),
                            opened_on=m["opened_on"],
                            strategy_name=m["strategy_name"],
                            strategy_version=int(m["strategy_version"]), variant=m["variant"],
                            open_promise=promises.get(m["case_id"]),
                            broken_promises=int(m["broken_promises"]))
            out[int(m["borrower_id"])] = StoredCase(view, m["strategy_name"],
                                                   int(m["strategy_version"]))
        return out

    def get(self, case_id: str) -> CaseView:
        row = self.conn.execute(select(c.cases).where(c.cases.c.case_id == case_id)).first()
        if row is None:
            raise NotFound(f"case {case_id} does not exist", code="case_must_exist")
        m = row._mapping
        return CaseView(case_id=m["case_id"], borrower_id=str(m["borrower_id"]),
                        status=CaseStatus(m["status"]), loans=(), opened_on=m["opened_on"],
                        strategy_name=m["strategy_name"],
                        strategy_version=int(m["strategy_version"]), variant=m["variant"],
                        open_promise=self._pending_promises([case_id]).get(case_id),
                        broken_promises=int(m["broken_promises"]))

    def decision_totals(self) -> list[tuple[str, str, str | None, int]]:
        """(kind, decision, rule, count) over every planned day."""
        q = (select(c.case_actions.c.kind, c.case_actions.c.decision, c.case_actions.c.rule,
                    func.count())
             .group_by(c.case_actions.c.kind, c.case_actions.c.decision, c.case_actions.c.rule)
             .order_by(c.case_actions.c.kind, c.case_actions.c.decision))
        return [(k, d, r, int(n)) for k, d, r, n in self.conn.execute(q)]

    def for_borrower(self, borrower_id: int) -> list[dict[str, Any]]:
        rows = self.conn.execute(select(c.cases).where(c.cases.c.borrower_id == borrower_id)
                                 .order_by(c.cases.c.opened_on)).all()
        return [dict(r._mapping) for r in rows]

    def save(self, view: CaseView, today: dt.date) -> None:
        values = _case_values(view, today)
        exists = self.conn.execute(_CASE_EXISTS, {"cid": view.case_id}).first()
        if exists:
            self.conn.execute(_CASE_UPDATE, {"cid": view.case_id, **values})
        else:
            self.conn.execute(_CASE_INSERT, {
                "case_id": view.case_id, "borrower_id": int(view.borrower_id),
                "opened_on": view.opened_on or today, **values})

    def save_many(self, views: Sequence[CaseView], today: dt.date) -> None:
        """:meth:`save` of many cases (each once): which exist is read in one query,
        the updates and the inserts are written with one batched statement each."""
        ids = [v.case_id for v in views]
        existing: set[str] = set()
        for k in range(0, len(ids), 900):
            q = select(c.cases.c.case_id).where(c.cases.c.case_id.in_(ids[k:k + 900]))
            existing.update(r[0] for r in self.conn.execute(q))
        updates, inserts = [], []
        for view in views:
            values = _case_values(view, today)
            if view.case_id in existing:
                updates.append({"cid": view.case_id, **values})
            else:
                inserts.append({"case_id": view.case_id, "borrower_id": int(view.borrower_id),
                                "opened_on": view.opened_on or today, **values})
        if updates:
            self.conn.execute(_CASE_UPDATE, updates)
        if inserts:
            self.conn.execute(_CASE_INSERT, inserts)

    def set_owner(self, case_id: str, owner: str) -> None:
        self.conn.execute(update(c.cases).where(c.cases.c.case_id == case_id)
                          .values(owner=owner))

    def note(self, case_id: str, on: dt.date, kind: TimelineKind, text: str) -> None:
        """One entry on the case's timeline."""
        self.add_timeline([TimelineEntry(on, case_id, kind, text)])

    def has_note(self, case_id: str, on: dt.date, kind: TimelineKind) -> bool:
        q = select(c.case_timeline.c.entry_id).where(
            c.case_timeline.c.case_id == case_id, c.case_timeline.c.on_date == on,
            c.case_timeline.c.kind == kind.value)
        return self.conn.execute(q).first() is not None

    def add_timeline(self, entries: Sequence[TimelineEntry]) -> None:
        if entries:
            self.conn.execute(insert(c.case_timeline), [
                {"case_id": e.case_id, "on_date": e.on, "kind": e.kind.value, "text": e.text}
                for e in entries])

    def timeline(self, case_id: str) -> list[tuple[dt.date, str, str]]:
        q = (select(c.case_timeline.c.on_date, c.case_timeline.c.kind, c.case_timeline.c.text)
             .where(c.case_timeline.c.case_id == case_id).order_by(c.case_timeline.c.entry_id))
        return [(d, k, x) for d, k, x in self.conn.execute(q)]

    def _pending_promises(self, case_ids: Sequence[str]) -> dict[str, PromiseToPay]:
        out: dict[str, PromiseToPay] = {}
        for k in range(0, len(case_ids), 900):
            q = select(c.promises).where(c.promises.c.case_id.in_(list(case_ids[k:k + 900])),
                                         c.promises.c.status == PromiseStatus.PENDING.value)
            for r in self.conn.execute(q):
                m = r._mapping
                out[m["case_id"]] = PromiseToPay(int(m["amount_minor"]), m["due_date"],
                                                 m["created_on"], PromiseStatus(m["status"]),
                                                 int(m["paid_minor"]), m["resolved_on"])
        return out

    def add_promise(self, case_id: str, ptp: PromiseToPay) -> None:
        self.conn.execute(insert(c.promises).values(
            case_id=case_id, amount_minor=ptp.amount_minor, due_date=ptp.due_date,
            created_on=ptp.created_on, status=ptp.status.value, paid_minor=ptp.paid_minor))

    def resolve_promise(self, case_id: str, ptp: PromiseToPay) -> None:
        self.conn.execute(update(c.promises).where(
            c.promises.c.case_id == case_id, c.promises.c.status == PromiseStatus.PENDING.value,
            c.promises.c.created_on == ptp.created_on)
            .values(status=ptp.status.value, paid_minor=ptp.paid_minor,
                    resolved_on=ptp.resolved_on))


class ActionRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(self, row: dict[str, Any]) -> int:
        res = self.conn.execute(_ACTION_INSERT, row)
        pk = res.inserted_primary_key
        assert pk is not None
        return int(pk[0])

    def add_many(self, rows: Sequence[dict[str, Any]]) -> list[int]:
        """:meth:`add` of many rows in one batched statement; their ids, in order."""
        if not rows:
            return []
        q = _ACTION_INSERT.returning(c.case_actions.c.action_id, sort_by_parameter_order=True)
        return [int(r[0]) for r in self.conn.execute(q, list(rows))]

    def hold(self, action_ids: Sequence[int], *, held: bool = True) -> None:
        """Mark allowed actions as held back before they reached the borrower (a visit
        without its notice in time), so the strategy proposes the step again; or,
        with ``held=False``, as planned again."""
        ids = list(action_ids)
        for chunk in chunks(ids):
            q = update(c.case_actions).where(c.case_actions.c.action_id.in_(chunk),
                                             c.case_actions.c.decision == "allow")
            if not held:
                q = q.where(c.case_actions.c.status == HELD)
            self.conn.execute(q.values(status=HELD if held else "planned"))

    def done_for(self, borrower_ids: Sequence[int],
                 since: Mapping[int, dt.date] | None = None) -> dict[int, list[PastAction]]:
        """Ladder steps already decided, per borrower: allowed, internal, or denied (a
        denial is final for that step; a deferred step, or an allowed one held back
        before it reached the borrower, is proposed again). With ``since``, only the
        steps for due dates on or after the borrower's date there (the ladder counts
        from one due date a day; older ones are never asked about again), so a day's
        read does not grow with the book's history."""
        out: dict[int, list[PastAction]] = defaultdict(list)
        ids = list(borrower_ids)
        if since is not None:  # borrowers of close dates read together
            ids.sort(key=lambda b: (since[b], b))
        for chunk in chunks(ids):
            q = (select(c.case_actions.c.borrower_id, c.case_actions.c.business_date,
                        c.case_actions.c.kind, c.case_actions.c.step_id,
                        c.case_actions.c.due_date, c.case_actions.c.occurrence)
                 .where(c.case_actions.c.borrower_id.in_(chunk),
                        c.case_actions.c.decision.in_(("allow", "internal", "deny")),
                        c.case_actions.c.status != HELD)
                 .order_by(c.case_actions.c.action_id))
            if since is not None:
                q = q.where(c.case_actions.c.due_date >= min(since[b] for b in chunk))
            for bid, on, kind, step, due, occ in self.conn.execute(q):
                if since is not None and due < since[bid]:
                    continue
                out[int(bid)].append(PastAction(on=on, kind=ActionKind(kind), step_id=step,
                                                due_date=due, occurrence=int(occ)))
        return out

    def decision_totals(self) -> list[tuple[str, str, str | None, int]]:
        """(kind, decision, rule, count) over every planned day."""
        q = (select(c.case_actions.c.kind, c.case_actions.c.decision, c.case_actions.c.rule,
                    func.count())
             .group_by(c.case_actions.c.kind, c.case_actions.c.decision, c.case_actions.c.rule)
             .order_by(c.case_actions.c.kind, c.case_actions.c.decision))
        return [(k, d, r, int(n)) for k, d, r, n in self.conn.execute(q)]

    def for_borrower(self, borrower_id: int) -> list[dict[str, Any]]:
        q = (select(c.case_actions).where(c.case_actions.c.borrower_id == borrower_id)
             .order_by(c.case_actions.c.action_id))
        return [dict(r._mapping) for r in self.conn.execute(q)]

    def on_date(self, business_date: dt.date) -> list[dict[str, Any]]:
        q = (select(c.case_actions).where(c.case_actions.c.business_date == business_date)
             .order_by(c.case_actions.c.action_id))
        return [dict(r._mapping) for r in self.conn.execute(q)]

    def contacts_for(self, borrower_ids: Sequence[int]) -> dict[int, list[ContactEvent]]:
        out: dict[int, list[ContactEvent]] = defaultdict(list)
        for chunk in chunks(borrower_ids):
            q = (select(c.contacts).where(c.contacts.c.borrower_id.in_(chunk))
                 .order_by(c.contacts.c.contact_id))
            for r in self.conn.execute(q):
                m = r._mapping
                out[int(m["borrower_id"])].append(ContactEvent(
                    dt.datetime.fromisoformat(m["ts"]), Channel(m["channel"]),
                    Direction(m["direction"]), Outcome(m["outcome"])))
        return out

    def has_contact(self, borrower_id: int, event: ContactEvent) -> bool:
        """Whether the same contact (moment, channel, direction, outcome) is stored."""
        q = select(c.contacts.c.ts).where(
            c.contacts.c.borrower_id == borrower_id, c.contacts.c.channel == event.channel.value,
            c.contacts.c.direction == event.direction.value,
            c.contacts.c.outcome == event.outcome.value)
        return any(dt.datetime.fromisoformat(ts) == event.ts for (ts,) in self.conn.execute(q))

    def add_contact(self, borrower_id: int, event: ContactEvent,
                    action_id: int | None = None) -> None:
        self.conn.execute(_CONTACT_INSERT, {
            "borrower_id": borrower_id, "ts": event.ts.isoformat(),
            "channel": event.channel.value, "direction": event.direction.value,
            "outcome": event.outcome.value, "action_id": action_id})

    def add_contacts(self, rows: Sequence[tuple[int, ContactEvent, int | None]]) -> None:
        """Insert (borrower_id, event, action_id) rows in order, in one statement."""
        if rows:
            self.conn.execute(_CONTACT_INSERT, [
                {"borrower_id": borrower_id, "ts": event.ts.isoformat(),
                 "channel": event.channel.value, "direction": event.direction.value,
                 "outcome": event.outcome.value, "action_id": action_id}
                for borrower_id, event, action_id in rows])

    def collectors(self) -> list[Collector]:
        rows = self.conn.execute(select(c.collectors).order_by(c.collectors.c.collector_id))
        return [Collector(m["collector_id"], int(m["calls_per_day"]),
                          dt.time.fromisoformat(m["shift_start"]),
                          dt.time.fromisoformat(m["shift_end"]))
                for m in (r._mapping for r in rows)]

    def put_collector(self, collector_id: str, name: str, calls_per_day: int,
                      shift_start: str, shift_end: str) -> None:
        self.conn.execute(insert(c.collectors).values(
            collector_id=collector_id, name=name, calls_per_day=calls_per_day,
            shift_start=shift_start, shift_end=shift_end))

    def run_summary(self, business_date: dt.date) -> dict[str, Any] | None:
        """What the collection run of ``business_date`` reported, or None if it has not
        run."""
        row = self.conn.execute(select(c.collect_runs.c.summary_json)
                                .where(c.collect_runs.c.business_date == business_date)).first()
        return None if row is None else dict(json.loads(row[0]))

    def last_run_before(self, business_date: dt.date) -> dt.date | None:
        """The latest business date a collection run planned before ``business_date``."""
        found = self.conn.execute(select(func.max(c.collect_runs.c.business_date))
                                  .where(c.collect_runs.c.business_date < business_date)
                                  ).scalar_one()
        return found if isinstance(found, dt.date) else None

    def add_run(self, business_date: dt.date, summary: dict[str, Any]) -> None:
        """Record that ``business_date`` was planned, with the run's report."""
        self.conn.execute(insert(c.collect_runs).values(
            business_date=business_date, summary_json=json.dumps(summary)))

    def add_call_tasks(self, rows: Sequence[dict[str, Any]]) -> None:
        if rows:
            self.conn.execute(insert(c.call_tasks), list(rows))

    def call_tasks(self, business_date: dt.date) -> list[dict[str, Any]]:
        q = (select(c.call_tasks, c.case_actions.c.borrower_id, c.case_actions.c.case_id,
                    c.case_actions.c.kind, c.case_actions.c.window_start,
                    c.case_actions.c.window_end)
             .join(c.case_actions, c.case_actions.c.action_id == c.call_tasks.c.action_id)
             .where(c.call_tasks.c.business_date == business_date)
             .order_by(c.call_tasks.c.collector_id, c.call_tasks.c.position))
        return [dict(r._mapping) for r in self.conn.execute(q)]
