"""In-memory repositories of collections: borrowers' contact profiles
(``uow.borrowers``), what collections sees of the loan book (``uow.loan_facts``),
cases with their promises and timeline (``uow.cases``), the actions, contacts,
collectors and call queues of the daily run (``uow.actions``) and the case views
people read (``uow.case_views``), on dictionaries.

They keep their data in ``state["collections"]`` (a :class:`CollectionsData`), looked
up on every call, and return the store's records and raise the store's rejections
(same codes, same words). Cases, actions and call tasks are kept as the rows the
store keeps (the same column names and values), so a listing returns what the store
returns. The loan facts are read from the lending fake's loans, payments and scores,
as the store reads them from the loan book's tables. A unique row the store leaves
to a database constraint (the same step twice on a day) fails here as a programming
error.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

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
    Flag,
    Jurisdiction,
)
from dunwell.core.dates import to_day
from dunwell.core.errors import NotFound
from dunwell.lending.loans import InstallmentState
from dunwell.store.borrowers_repo import BorrowerProfile
from dunwell.store.case_views_repo import CASES_LISTED_MAX, ArmRow, CaseRow
from dunwell.store.collections_repo import HELD, StoredCase
from fakes import registry
from fakes.lending import lending_data


@dataclass
class Promise:
    case_id: str
    promise: PromiseToPay


@dataclass
class Contact:
    borrower_id: int
    event: ContactEvent
    action_id: int | None


@dataclass
class CollectionsData:
    borrowers: dict[int, BorrowerProfile] = field(default_factory=dict)
    #: (borrower id, channel) -> address: phone numbers and e-mail addresses
    addresses: dict[tuple[int, str], str] = field(default_factory=dict)
    #: case id -> the case's row (the store's columns)
    cases: dict[str, dict[str, Any]] = field(default_factory=dict)
    promises: list[Promise] = field(default_factory=list)
    timeline: list[TimelineEntry] = field(default_factory=list)
    #: action id -> the action's row (the store's columns)
    actions: dict[int, dict[str, Any]] = field(default_factory=dict)
    contacts: list[Contact] = field(default_factory=list)
    #: collector id -> (collector, name)
    collectors: dict[str, tuple[Collector, str]] = field(default_factory=dict)
    call_tasks: list[dict[str, Any]] = field(default_factory=list)
    #: business date -> the collection run's report
    runs: dict[dt.date, dict[str, Any]] = field(default_factory=dict)


def collections_data(state: dict[str, Any]) -> CollectionsData:
    """The collections book kept in ``state`` (made on first use)."""
    data = state.setdefault("collections", CollectionsData())
    assert isinstance(data, CollectionsData)
    return data


class _Repo:
    def __init__(self, state: dict[str, Any]) -> None:
        self._state = state

    @property
    def data(self) -> CollectionsData:
        return collections_data(self._state)


def _no_borrower(borrower_id: int) -> NotFound:
    return NotFound(f"borrower {borrower_id} has no contact profile; add one first",
                    code="borrower_must_exist")


class FakeBorrowerRepository(_Repo):
    def put(self, *, borrower_id: int, name: str, jurisdiction: Jurisdiction, timezone: str,
            language: str, flags: Iterable[Flag] = (), channels: Iterable[Channel] = (),
            preferences: ContactPreferences | None = None) -> None:
        borrower = Borrower(timezone=timezone, flags=frozenset(flags),
                            preferred_channels=tuple(channels),
                            contact_preferences=preferences or ContactPreferences(),
                            language=language)
        self.data.borrowers[borrower_id] = BorrowerProfile(borrower_id, name, jurisdiction,
                                                           borrower)

    def set_flag(self, borrower_id: int, flag: Flag, *, on: bool) -> bool:
        profile = self.data.borrowers.get(borrower_id)
        if profile is None:
            raise _no_borrower(borrower_id)
        flags = profile.borrower.flags | {flag} if on else profile.borrower.flags - {flag}
        if flags == profile.borrower.flags:
            return False
        self.data.borrowers[borrower_id] = replace(
            profile, borrower=replace(profile.borrower, flags=flags))
        return True

    def set_contact_preferences(self, borrower_id: int, *, preferences: ContactPreferences,
                                channels: Sequence[Channel], language: str) -> None:
        profile = self.get(borrower_id)
        self.data.borrowers[borrower_id] = replace(profile, borrower=replace(
            profile.borrower, contact_preferences=preferences,
            preferred_channels=tuple(channels), language=language))

    def by_address(self, channel: str, address: str) -> int | None:
        found = [b for (b, ch), a in self.data.addresses.items()
                 if ch == channel and a == address]
        return found[0] if len(found) == 1 else None

    def get(self, borrower_id: int) -> BorrowerProfile:
        found = self.many([borrower_id])
        if borrower_id not in found:
            raise _no_borrower(borrower_id)
        return found[borrower_id]

    def many(self, ids: Sequence[int]) -> dict[int, BorrowerProfile]:
        return {b: self.data.borrowers[b] for b in ids if b in self.data.borrowers}


class FakeLoanFactsRepository(_Repo):
    """Reads the lending fake's loans, as the store reads the loan book's tables."""

    def facts(self, today: dt.date, borrower_ids: Sequence[int] | None = None, *,
              only: bool = False) -> tuple[dict[int, list[CaseLoan]], dict[int, dt.date]]:
        day = to_day(today)
        mine = set(borrower_ids or ())
        loans: dict[int, list[CaseLoan]] = defaultdict(list)
        due: dict[int, dt.date] = {}
        book = lending_data(self._state).loans
        chosen = [ln for ln in book.values()
                  if (ln.borrower_id in mine if only
                      else ln.status.is_open or ln.borrower_id in mine)]
        for loan in sorted(chosen, key=lambda ln: (ln.borrower_id, ln.loan_id)):
            if not loan.installments:
                continue  # the store's join finds no row for a loan without instalments
            unpaid = [(i.due_day, unpaid_minor(i)) for i in loan.installments]
            overdue = sum(u for d, u in unpaid if d < day)
            late = min((d for d, u in unpaid if d < day and u > 0), default=None)
            upcoming = min((d for d, u in unpaid if d >= day and u > 0), default=None)
            dpd = day - late if late is not None and loan.status.is_open else 0
            loans[loan.borrower_id].append(CaseLoan(
                str(loan.loan_id), dpd, max(0, overdue), max(0, sum(u for _, u in unpaid)),
                loan.status))
            if upcoming is not None and loan.status.is_open:
                when = today + dt.timedelta(days=upcoming - day)
                due[loan.borrower_id] = min(due.get(loan.borrower_id, when), when)
        return loans, due

    def risk_scores(self) -> dict[int, float]:
        lending = lending_data(self._state)
        best: dict[int, int] = {}
        for loan_id, (_, bps, _) in lending.scores.items():
            if loan_id in lending.loans:
                b = lending.loans[loan_id].borrower_id
                best[b] = max(best.get(b, bps), bps)
        return {b: bps / 10_000 for b, bps in best.items()}  # float-ok: a probability

    def payments_since(self, borrower_id: int, since: dt.date) -> list[tuple[dt.date, int]]:
        lending = lending_data(self._state)
        return [(p.business_date, p.amount_minor)
                for _, p in sorted(lending.payments.items())
                if p.loan_id in lending.loans
                and lending.loans[p.loan_id].borrower_id == borrower_id
                and p.business_date >= since and p.reversal_entry_id is None]


def unpaid_minor(i: InstallmentState) -> int:
    """What is left to pay of an instalment, every component."""
    return int((i.principal_minor - i.paid_principal_minor)
               + (i.interest_minor - i.paid_interest_minor)
               + (i.fee_minor - i.paid_fee_minor) + (i.penalty_minor - i.paid_penalty_minor))


class FakeCaseRepository(_Repo):
    def _pending(self, case_id: str) -> PromiseToPay | None:
        found = [p.promise for p in self.data.promises
                 if p.case_id == case_id and p.promise.status is PromiseStatus.PENDING]
        return found[-1] if found else None

    def _view(self, m: dict[str, Any], loans: tuple[CaseLoan, ...]) -> CaseView:
        return CaseView(case_id=m["case_id"], borrower_id=str(m["borrower_id"]),
                        status=CaseStatus(m["status"]), loans=loans, opened_on=m["opened_on"],
                        strategy_name=m["strategy_name"],
                        strategy_version=int(m["strategy_version"]), variant=m["variant"],
                        open_promise=self._pending(m["case_id"]),
                        broken_promises=int(m["broken_promises"]))

    def active(self) -> dict[int, StoredCase]:
        out = {}
        for m in self.data.cases.values():
            if CaseStatus(m["status"]).is_active:
                view = self._view(m, (CaseLoan("last-run", int(m["last_dpd"]), 0, 1),))
                out[int(m["borrower_id"])] = StoredCase(view, m["strategy_name"],
                                                       int(m["strategy_version"]))
        return out

    def get(self, case_id: str) -> CaseView:
        m = self.data.cases.get(case_id)
        if m is None:
            raise NotFound(f"case {case_id} does not exist", code="case_must_exist")
        return self._view(m, ())

    def decision_totals(self) -> list[tuple[str, str, str | None, int]]:
        return FakeActionRepository(self._state).decision_totals()

    def for_borrower(self, borrower_id: int) -> list[dict[str, Any]]:
        rows = [dict(m) for m in self.data.cases.values() if m["borrower_id"] == borrower_id]
        return sorted(rows, key=lambda m: m["opened_on"])

    def save(self, view: CaseView, today: dt.date) -> None:
        values = {"status": view.status.value, "variant": view.variant or "champion",
                  "last_dpd": view.max_days_past_due,
                  "strategy_name": view.strategy_name or "",
                  "broken_promises": view.broken_promises,
                  "strategy_version": view.strategy_version or 0,
                  "closed_on": None if view.status.is_active else today}
        row = self.data.cases.get(view.case_id)
        if row is not None:
            row.update(values)
        else:
            self.data.cases[view.case_id] = {
                "case_id": view.case_id, "borrower_id": int(view.borrower_id),
                "opened_on": view.opened_on or today, "owner": None, **values}

    def set_owner(self, case_id: str, owner: str) -> None:
        if case_id in self.data.cases:
            self.data.cases[case_id]["owner"] = owner

    def note(self, case_id: str, on: dt.date, kind: TimelineKind, text: str) -> None:
        self.add_timeline([TimelineEntry(on, case_id, kind, text)])

    def has_note(self, case_id: str, on: dt.date, kind: TimelineKind) -> bool:
        return any((e.case_id, e.on, e.kind) == (case_id, on, kind) for e in self.data.timeline)

    def save_many(self, views: Sequence[CaseView], today: dt.date) -> None:
        for view in views:
            self.save(view, today)

    def add_timeline(self, entries: Sequence[TimelineEntry]) -> None:
        for e in entries:
            assert e.case_id in self.data.cases, f"case {e.case_id} must exist (foreign key)"
        self.data.timeline.extend(entries)

    def timeline(self, case_id: str) -> list[tuple[dt.date, str, str]]:
        return [(e.on, e.kind.value, e.text) for e in self.data.timeline if e.case_id == case_id]

    def add_promise(self, case_id: str, ptp: PromiseToPay) -> None:
        assert case_id in self.data.cases, f"case {case_id} must exist (foreign key)"
        self.data.promises.append(Promise(case_id, replace(ptp, resolved_on=None)))

    def resolve_promise(self, case_id: str, ptp: PromiseToPay) -> None:
        for p in self.data.promises:
            if (p.case_id == case_id and p.promise.status is PromiseStatus.PENDING
                    and p.promise.created_on == ptp.created_on):
                p.promise = replace(p.promise, status=ptp.status, paid_minor=ptp.paid_minor,
                                    resolved_on=ptp.resolved_on)


class FakeActionRepository(_Repo):
    def add(self, row: dict[str, Any]) -> int:
        key = ("case_id", "step_id", "due_date", "occurrence", "business_date")
        assert not any(all(a[k] == row[k] for k in key) for a in self.data.actions.values()), \
            "the same step twice on a day (uq_case_actions_step)"
        action_id = max(self.data.actions, default=0) + 1
        self.data.actions[action_id] = {"action_id": action_id, **row}
        return action_id

    def add_many(self, rows: Sequence[dict[str, Any]]) -> list[int]:
        return [self.add(row) for row in rows]

    def hold(self, action_ids: Sequence[int], *, held: bool = True) -> None:
        for aid in action_ids:
            a = self.data.actions.get(aid)
            if a is None or a["decision"] != "allow" or (not held and a["status"] != HELD):
                continue
            a["status"] = HELD if held else "planned"

    def done_for(self, borrower_ids: Sequence[int],
                 since: Mapping[int, dt.date] | None = None) -> dict[int, list[PastAction]]:
        wanted = set(borrower_ids)
        out: dict[int, list[PastAction]] = defaultdict(list)
        for _, a in sorted(self.data.actions.items()):
            if a["borrower_id"] in wanted and since is not None and (
                    a["due_date"] is None or a["due_date"] < since[a["borrower_id"]]):
                continue
            if (a["borrower_id"] in wanted and a["decision"] in ("allow", "internal", "deny")
                    and a["status"] != HELD):
                out[int(a["borrower_id"])].append(PastAction(
                    on=a["business_date"], kind=ActionKind(a["kind"]), step_id=a["step_id"],
                    due_date=a["due_date"], occurrence=int(a["occurrence"])))
        return out

    def decision_totals(self) -> list[tuple[str, str, str | None, int]]:
        counts: dict[tuple[str, str, str | None], int] = defaultdict(int)
        for a in self.data.actions.values():
            counts[(a["kind"], a["decision"], a["rule"])] += 1
        return [(k, d, r, n) for (k, d, r), n in sorted(counts.items(),
                                                        key=lambda x: (x[0][0], x[0][1]))]

    def for_borrower(self, borrower_id: int) -> list[dict[str, Any]]:
        return [dict(a) for _, a in sorted(self.data.actions.items())
                if a["borrower_id"] == borrower_id]

    def on_date(self, business_date: dt.date) -> list[dict[str, Any]]:
        return [dict(a) for _, a in sorted(self.data.actions.items())
                if a["business_date"] == business_date]

    def contacts_for(self, borrower_ids: Sequence[int]) -> dict[int, list[ContactEvent]]:
        wanted = set(borrower_ids)
        out: dict[int, list[ContactEvent]] = defaultdict(list)
        for c in self.data.contacts:
            if c.borrower_id in wanted:
                out[c.borrower_id].append(c.event)
        return out

    def has_contact(self, borrower_id: int, event: ContactEvent) -> bool:
        return any(c.borrower_id == borrower_id and c.event == event
                   for c in self.data.contacts)

    def add_contact(self, borrower_id: int, event: ContactEvent,
                    action_id: int | None = None) -> None:
        self.data.contacts.append(Contact(borrower_id, event, action_id))

    def collectors(self) -> list[Collector]:
        return [c for _, (c, _) in sorted(self.data.collectors.items())]

    def put_collector(self, collector_id: str, name: str, calls_per_day: int,
                      shift_start: str, shift_end: str) -> None:
        assert collector_id not in self.data.collectors, "a collector is added once"
        self.data.collectors[collector_id] = (Collector(
            collector_id, calls_per_day, dt.time.fromisoformat(shift_start),
            dt.time.fromisoformat(shift_end)), name)

    def run_summary(self, business_date: dt.date) -> dict[str, Any] | None:
        found = self.data.runs.get(business_date)
        return None if found is None else dict(found)

    def last_run_before(self, business_date: dt.date) -> dt.date | None:
        return max((d for d in self.data.runs if d < business_date), default=None)

    def add_run(self, business_date: dt.date, summary: dict[str, Any]) -> None:
        assert business_date not in self.data.runs, "a day is planned once"
        self.data.runs[business_date] = dict(summary)

    def add_call_tasks(self, rows: Sequence[dict[str, Any]]) -> None:
        for row in rows:
            assert row["action_id"] in self.data.actions, "a call task books an action"
            self.data.call_tasks.append({"task_id": len(self.data.call_tasks) + 1, **row})

    def call_tasks(self, business_date: dt.date) -> list[dict[str, Any]]:
        out = []
        for task in self.data.call_tasks:
            if task["business_date"] != business_date:
                continue
            a = self.data.actions[task["action_id"]]
            out.append({**task, **{k: a[k] for k in ("borrower_id", "case_id", "kind",
                                                     "window_start", "window_end")}})
        # the store orders by collector (NULL first on SQLite), then position
        return sorted(out, key=lambda r: (r["collector_id"] is not None,
                                          r["collector_id"] or "", r["position"] or 0))


class FakeCaseViewRepository(_Repo):
    def listing(self, *, status: str | None = None, limit: int = 50) -> list[CaseRow]:
        rows = [m for m in self.data.cases.values() if status is None or m["status"] == status]
        rows.sort(key=lambda m: m["case_id"])
        rows.sort(key=lambda m: m["opened_on"], reverse=True)
        rows.sort(key=lambda m: m["last_dpd"], reverse=True)
        return [CaseRow(m["case_id"], int(m["borrower_id"]), m["status"], m["opened_on"],
                        f"{m['strategy_name']}@{m['strategy_version']}", m["variant"],
                        m["owner"], int(m["last_dpd"]), int(m["broken_promises"]))
                for m in rows[:min(limit, CASES_LISTED_MAX)]]

    def arms(self, today: dt.date) -> list[ArmRow]:
        counts: dict[tuple[str, str], list[int]] = {}
        for m in self.data.cases.values():
            n = counts.setdefault((m["variant"], m["strategy_name"]), [0, 0, 0])
            n[0] += m["closed_on"] is None
            n[1] += m["opened_on"] == today
            n[2] += m["closed_on"] is not None
        return [ArmRow(s, v, a, o, x) for (v, s), (a, o, x) in sorted(counts.items())]


registry.register("borrowers", FakeBorrowerRepository)
registry.register("loan_facts", FakeLoanFactsRepository)
registry.register("cases", FakeCaseRepository)
registry.register("actions", FakeActionRepository)
registry.register("case_views", FakeCaseViewRepository)
