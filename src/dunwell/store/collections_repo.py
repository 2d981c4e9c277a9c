"""Repositories for collections: borrower contact facts, loan facts per borrower,
cases with their timeline, actions with verdicts, contacts, promises, collectors."""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, func, insert, select, update

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
    Borrower,
    Channel,
    ContactEvent,
    ContactPreferences,
    Direction,
    Flag,
    Jurisdiction,
    Outcome,
)
from dunwell.core.dates import to_day
from dunwell.core.errors import NotFound
from dunwell.lending.model import LoanStatus
from dunwell.store import collection_tables as c
from dunwell.store import tables as t
from dunwell.store.channel_tables import channel_addresses

ACTIVE = [s.value for s in CaseStatus if s.is_active]


@dataclass(frozen=True, slots=True)
class BorrowerProfile:
    borrower_id: int
    name: str
    jurisdiction: Jurisdiction
    borrower: Borrower


@dataclass(frozen=True, slots=True)
class StoredCase:
    view: CaseView
    strategy_name: str
    strategy_version: int


#: ``case_actions.status`` of an allowed action held back before it reached the borrower.
HELD = "held"


class BorrowerRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def put(self, *, borrower_id: int, name: str, jurisdiction: Jurisdiction, timezone: str,
            language: str, flags: Iterable[Flag] = (), channels: Iterable[Channel] = (),
            preferences: ContactPreferences | None = None) -> None:
        prefs = preferences or ContactPreferences()
        row = {"name": name, "jurisdiction": jurisdiction.value, "timezone": timezone,
               "language": language, "flags_json": json.dumps(sorted(f.value for f in flags)),
               "channels_json": json.dumps([ch.value for ch in channels]),
               "preferences_json": json.dumps({
                   "no_contact_before": _hhmm(prefs.no_contact_before),
                   "no_contact_after": _hhmm(prefs.no_contact_after), "reason": prefs.reason})}
        exists = self.conn.execute(select(c.borrowers.c.borrower_id)
                                   .where(c.borrowers.c.borrower_id == borrower_id)).first()
        if exists:
            self.conn.execute(update(c.borrowers)
                              .where(c.borrowers.c.borrower_id == borrower_id).values(**row))
        else:
            self.conn.execute(insert(c.borrowers).values(borrower_id=borrower_id, **row))

    def set_flag(self, borrower_id: int, flag: Flag, *, on: bool) -> bool:
        """Set or clear one flag in the borrower's contact profile; True if it changed."""
        row = self.conn.execute(select(c.borrowers.c.flags_json)
                                .where(c.borrowers.c.borrower_id == borrower_id)).first()
        if row is None:
            raise NotFound(f"borrower {borrower_id} has no contact profile; add one first",
                           code="borrower_must_exist")
        flags = set(json.loads(row[0]))
        before = set(flags)
        if on:
            flags.add(flag.value)
        else:
            flags.discard(flag.value)
        if flags == before:
            return False
        self.conn.execute(update(c.borrowers).where(c.borrowers.c.borrower_id == borrower_id)
                          .values(flags_json=json.dumps(sorted(flags))))
        return True

    def set_contact_preferences(self, borrower_id: int, *, preferences: ContactPreferences,
                                channels: Sequence[Channel], language: str) -> None:
        """Replace what the borrower asked about hours, channels and language."""
        self.get(borrower_id)
        self.conn.execute(update(c.borrowers).where(c.borrowers.c.borrower_id == borrower_id)
                          .values(language=language,
                                  channels_json=json.dumps([ch.value for ch in channels]),
                                  preferences_json=json.dumps({
                                      "no_contact_before": _hhmm(preferences.no_contact_before),
                                      "no_contact_after": _hhmm(preferences.no_contact_after),
                                      "reason": preferences.reason})))

    def by_address(self, channel: str, address: str) -> int | None:
        """The borrower a channel address (phone number, e-mail) belongs to, if one
        borrower alone has it."""
        a = channel_addresses
        rows = self.conn.execute(select(a.c.borrower_id).where(
            a.c.channel == channel, a.c.address == address).limit(2)).all()
        return int(rows[0][0]) if len(rows) == 1 else None

    def get(self, borrower_id: int) -> BorrowerProfile:
        found = self.many([borrower_id])
        if borrower_id not in found:
            raise NotFound(f"borrower {borrower_id} has no contact profile; add one first",
                           code="borrower_must_exist")
        return found[borrower_id]

    def many(self, ids: Sequence[int]) -> dict[int, BorrowerProfile]:
        out: dict[int, BorrowerProfile] = {}
        for chunk in chunks(ids):
            for r in self.conn.execute(select(c.borrowers)
                                       .where(c.borrowers.c.borrower_id.in_(chunk))):
                m = r._mapping
                prefs = json.loads(m["preferences_json"])
                borrower = Borrower(
                    timezone=m["timezone"],
                    flags=frozenset(Flag(f) for f in json.loads(m["flags_json"])),
                    preferred_channels=tuple(Channel(x) for x in json.loads(m["channels_json"])),
                    contact_preferences=ContactPreferences(
                        _time(prefs.get("no_contact_before")), _time(prefs.get("no_contact_after")),
                        prefs.get("reason")),
                    language=m["language"])
                out[int(m["borrower_id"])] = BorrowerProfile(
                    int(m["borrower_id"]), m["name"], Jurisdiction(m["jurisdiction"]), borrower)
        return out


def _hhmm(t_: dt.time | None) -> str | None:
    return None if t_ is None else t_.isoformat("minutes")


def _time(text: str | None) -> dt.time | None:
    return None if not text else dt.time.fromisoformat(text)


def chunks(ids: Sequence[int], size: int = 900) -> Iterable[list[int]]:
    """``ids`` in lists small enough for one ``IN (...)`` on every backend."""
    items = list(ids)
    for k in range(0, len(items), size):
        yield items[k:k + size]


class LoanFactsRepository:
    """What collections sees of the loan book, by borrower."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def facts(self, today: dt.date, borrower_ids: Sequence[int] | None = None, *,
              only: bool = False) -> tuple[dict[int, list[CaseLoan]], dict[int, dt.date]]:
        """Loans per borrower (open ones, and closed ones of the given borrowers) with
        days past due as of ``today`` (today minus the oldest unpaid due date), and
        each borrower's next unpaid due date on or after ``today``. With ``only``, just
        the given borrowers' loans are read (not the whole open book)."""
        day = to_day(today)
        i = t.installments.c
        unpaid = ((i.principal_minor - i.paid_principal_minor)
                  + (i.interest_minor - i.paid_interest_minor)
                  + (i.fee_minor - i.paid_fee_minor) + (i.penalty_minor - i.paid_penalty_minor))
        overdue = func.sum(_case_when(i.due_day < day, unpaid))
        outstanding = func.sum(unpaid)
        oldest_late = func.min(_case_when(and_(i.due_day < day, unpaid > 0), i.due_day, None))
        next_due = func.min(_case_when(and_(i.due_day >= day, unpaid > 0), i.due_day, None))
        open_codes = [int(s) for s in LoanStatus if s.is_open]
        mine = t.loans.c.borrower_id.in_(list(borrower_ids or ()))
        cond: ColumnElement[bool] = t.loans.c.status.in_(open_codes)
        if only:
            cond = mine
        elif borrower_ids:
            cond = cond | mine
        q = (select(t.loans.c.loan_id, t.loans.c.borrower_id, t.loans.c.status,
                    oldest_late, overdue, outstanding, next_due)
             .join(t.installments, i.loan_id == t.loans.c.loan_id).where(cond)
             .group_by(t.loans.c.loan_id, t.loans.c.borrower_id, t.loans.c.status)
             .order_by(t.loans.c.borrower_id, t.loans.c.loan_id))
        loans: dict[int, list[CaseLoan]] = defaultdict(list)
        due: dict[int, dt.date] = {}
        for lid, bid, status, late, od, outst, nd in self.conn.execute(q):
            st = LoanStatus(int(status))
            dpd = day - int(late) if late is not None and st.is_open else 0
            loans[int(bid)].append(CaseLoan(str(lid), dpd, max(0, int(od or 0)),
                                            max(0, int(outst or 0)), st))
            if nd is not None and st.is_open:
                when = today + dt.timedelta(days=int(nd) - day)
                due[int(bid)] = min(due.get(int(bid), when), when)
        return loans, due

    def risk_scores(self) -> dict[int, float]:
        """Each borrower's latest early-warning score: the highest over their loans."""
        q = (select(t.loans.c.borrower_id, func.max(c.loan_scores.c.score_bps))
             .join(c.loan_scores, c.loan_scores.c.loan_id == t.loans.c.loan_id)
             .group_by(t.loans.c.borrower_id))
        return {int(b): int(s) / 10_000 for b, s in self.conn.execute(q)}  # float-ok: a probability

    def payments_since(self, borrower_id: int, since: dt.date) -> list[tuple[dt.date, int]]:
        q = (select(t.payments.c.business_date, t.payments.c.amount_minor)
             .join(t.loans, t.loans.c.loan_id == t.payments.c.loan_id)
             .where(t.loans.c.borrower_id == borrower_id, t.payments.c.business_date >= since,
                    t.payments.c.reversal_entry_id.is_(None))
             .order_by(t.payments.c.payment_id))
        return [(d, int(a)) for d, a in self.conn.execute(q)]


def _case_when(cond: Any, value: Any, other: Any = 0) -> Any:
    from sqlalchemy import case
    return case((cond, value), else_=other)


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
        values = {"status": view.status.value, "variant": view.variant or "champion",
                  "last_dpd": view.max_days_past_due,
                  "strategy_name": view.strategy_name or "", "broken_promises":
                  view.broken_promises, "strategy_version": view.strategy_version or 0,
                  "closed_on": None if view.status.is_active else today}
        exists = self.conn.execute(select(c.cases.c.case_id)
                                   .where(c.cases.c.case_id == view.case_id)).first()
        if exists:
            self.conn.execute(update(c.cases).where(c.cases.c.case_id == view.case_id)
                              .values(**values))
        else:
            self.conn.execute(insert(c.cases).values(
                case_id=view.case_id, borrower_id=int(view.borrower_id),
                opened_on=view.opened_on or today, **values))

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
        res = self.conn.execute(insert(c.case_actions).values(**row))
        pk = res.inserted_primary_key
        assert pk is not None
        return int(pk[0])

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

    def done_for(self, borrower_ids: Sequence[int]) -> dict[int, list[PastAction]]:
        """Ladder steps already decided, per borrower: allowed, internal, or denied (a
        denial is final for that step; a deferred step, or an allowed one held back
        before it reached the borrower, is proposed again)."""
        out: dict[int, list[PastAction]] = defaultdict(list)
        for chunk in chunks(borrower_ids):
            q = (select(c.case_actions.c.borrower_id, c.case_actions.c.business_date,
                        c.case_actions.c.kind, c.case_actions.c.step_id,
                        c.case_actions.c.due_date, c.case_actions.c.occurrence)
                 .where(c.case_actions.c.borrower_id.in_(chunk),
                        c.case_actions.c.decision.in_(("allow", "internal", "deny")),
                        c.case_actions.c.status != HELD)
                 .order_by(c.case_actions.c.action_id))
            for bid, on, kind, step, due, occ in self.conn.execute(q):
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
        self.conn.execute(insert(c.contacts).values(
            borrower_id=borrower_id, ts=event.ts.isoformat(), channel=event.channel.value,
            direction=event.direction.value, outcome=event.outcome.value, action_id=action_id))

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
