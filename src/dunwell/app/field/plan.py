"""The visit plan of a date: guard-allowed visits -> a visit notice whose notice
period has run -> addresses with coordinates -> certified agents by territory and
workload -> routes -> the guard again at each ETA -> itineraries with costs. One
transaction; re-planning a date replaces the visits that have no outcome yet and
keeps their ids. A re-plan starts each agent where they are: at the place of their
last visit done that day (where its outcome was recorded), free from when it was
recorded (or from now, if later), with the visits they have left in the day; their
day still ends at their territory's centre."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from dunwell.app.audit import record
from dunwell.app.collections.contacts import judge_contact
from dunwell.app.context import Dunwell
from dunwell.app.letters.service import earliest_visit_date, earliest_visit_dates
from dunwell.app.training.gate import visit_certificates
from dunwell.app.uow import UnitOfWork
from dunwell.compliance.model import Channel, ContactEvent
from dunwell.field.assignment import Assignment, VisitToAssign, assign
from dunwell.field.model import (
    Address,
    Agent,
    GeoPoint,
    RoutingProblem,
    RoutingResult,
    Stop,
    Vehicle,
    VisitRecord,
    VisitStatus,
)
from dunwell.field.routing import Router
from dunwell.field.rules import (
    certificate_numbers,
    haversine_m,
    travel_minutes,
    visit_cost_minor,
)

if TYPE_CHECKING:  # a record the collections repository returns, for the type checker
    from dunwell.store.borrowers_repo import BorrowerProfile

NO_COORDINATES = "address has no stored coordinates; add them with `dunwell field address`"
NO_ADDRESS = "borrower has no stored address; add one with `dunwell field address`"
NO_WINDOW = "the guard's verdict carries no contact window"
#: Days a visit notice letter stays good for: a visit on date D needs a notice issued
#: on or after D minus this many days (and at least ``VISIT_NOTICE_DAYS`` before D, as
#: the letter promises). An older notice no longer counts as notice of a visit.
VISIT_NOTICE_VALID_DAYS = 60
NO_NOTICE = (f"no visit notice issued in the last {VISIT_NOTICE_VALID_DAYS} days; a visit "
             "needs prior notice (letter kind visit_notice)")
SERVICE_MIN = 20
SPEED_KMH = 20

Progress = Callable[[str, int, int], None]


@dataclass
class AgentDay:
    agent_id: str
    visits: int = 0
    distance_m: int = 0
    travel_min: int = 0
    cost_minor: int = 0


@dataclass
class PlanReport:
    plan_date: dt.date
    solver: str
    candidates: int = 0
    planned: int = 0
    kept_done: int = 0
    statuses: Counter[str] = field(default_factory=Counter)
    reasons: Counter[str] = field(default_factory=Counter)
    agents: dict[str, AgentDay] = field(default_factory=dict)

    def to_json(self) -> dict[str, object]:
        return {"plan_date": self.plan_date.isoformat(), "solver": self.solver,
                "candidates": self.candidates, "planned": self.planned,
                "kept_done": self.kept_done, "statuses": dict(self.statuses),
                "reasons": dict(self.reasons),
                "agents": {k: vars(v) for k, v in sorted(self.agents.items())}}


@dataclass(frozen=True)
class _Day:
    """What planning one date reads, loaded once."""

    plan_date: dt.date
    ref: dt.datetime  # minute 0 of the routing problem: the date's midnight UTC
    service_min: int
    speed_kmh: int
    addresses: dict[int, Address]
    profiles: dict[int, BorrowerProfile]
    contacts: dict[int, list[ContactEvent]]
    agents: dict[str, Agent]
    tags: dict[int, list[str]]
    visit_from: dict[int, dt.date]  # borrower -> first day their visit notice allows a visit


def plan_visits(app: Dunwell, *, plan_date: dt.date, router: Router, now: dt.datetime,
                time_limit_s: int = 0, service_min: int = SERVICE_MIN,
                speed_kmh: int = SPEED_KMH, progress: Progress | None = None) -> PlanReport:
    """Plan the field visits the guard allowed on ``plan_date``.

    Re-planning a date replaces its visits that have no outcome yet (their ids stay
    the same); visits with an outcome are kept; a visit assigned by hand stays with
    its agent."""
    tick = progress or (lambda _stage, _done, _total: None)
    report = PlanReport(plan_date, router.name)
    with app.uow() as uow:
        existing = {v.action_id: v for v in uow.field.visits_on(plan_date)}
        actions = _actions_to_plan(uow, plan_date, existing)
        report.kept_done = sum(v.status is VisitStatus.DONE for v in existing.values())
        report.candidates = len(actions)
        tick("load", 1, 3)
        day = _load_day(uow, plan_date, actions, service_min=service_min, speed_kmh=speed_kmh)
        rows, to_assign, windows, unnoticed = _candidates(day, actions, existing)
        assignment = _assign_agents(uow, day, to_assign, rows)
        tick("route", 2, 3)
        positions = _where_agents_are(uow, day, existing, now) if existing else {}
        problem = _problem(day, to_assign, windows, assignment, positions)
        result = router.solve(problem)
        for sid, why in result.unserved.items():
            rows[sid]["reason"] = assignment.unassigned.get(sid, why)
        _itineraries(day, result, {v.visit_id: v.location for v in to_assign}, rows, report,
                     {v.agent_id: v for v in problem.vehicles})
        _save_visits(uow, plan_date, rows, unnoticed, report)
        _hold_waiting(uow, rows)
        report.planned = report.statuses.get(VisitStatus.PLANNED.value, 0)
        summary = report.to_json()
        uow.field.save_plan(plan_date, solver=router.name, time_limit_s=time_limit_s, at=now,
                            summary=summary)
        record(uow, at=now, entries=[("field_plan", f"plan:{plan_date}", summary)])
        uow.commit()
        tick("save", 3, 3)
    return report


def _actions_to_plan(uow: UnitOfWork, plan_date: dt.date,
                     existing: dict[int, VisitRecord]) -> list[dict[str, Any]]:
    """The guard-allowed visit actions of the date, less those whose visit is done."""
    return [a for a in uow.field.allowed_visit_actions(plan_date)
            if not (int(a["action_id"]) in existing
                    and existing[int(a["action_id"])].status is VisitStatus.DONE)]


def _load_day(uow: UnitOfWork, plan_date: dt.date, actions: list[dict[str, Any]], *,
              service_min: int, speed_kmh: int) -> _Day:
    """What planning the date reads about its borrowers and agents, once."""
    bids = sorted({int(a["borrower_id"]) for a in actions})
    notice_since = plan_date - dt.timedelta(days=VISIT_NOTICE_VALID_DAYS)
    return _Day(plan_date, dt.datetime.combine(plan_date, dt.time(0), tzinfo=dt.UTC),
                service_min, speed_kmh, uow.field.addresses(bids), uow.borrowers.many(bids),
                uow.actions.contacts_for(bids),
                {a.agent_id: a for a in uow.field.agents()},
                {int(a["action_id"]): list(json.loads(a["tags_json"])) for a in actions},
                earliest_visit_dates(uow, borrower_ids=bids, since=notice_since))


def _assign_agents(uow: UnitOfWork, day: _Day, to_assign: list[VisitToAssign],
                   rows: dict[int, dict[str, Any]]) -> Assignment:
    """The agents each visit may go to (certified by the training gate, in territory,
    within workload); a visit no agent may take carries the reason."""
    certificates = visit_certificates(uow, on=day.plan_date,
                                      certificates=uow.field.certificates())
    assignment = assign(to_assign, list(day.agents.values()), certificates, day.plan_date)
    for aid, why in assignment.unassigned.items():
        if aid not in assignment.eligible:
            rows[aid]["reason"] = why
    return assignment


def _save_visits(uow: UnitOfWork, plan_date: dt.date, rows: dict[int, dict[str, Any]],
                 unnoticed: set[int], report: PlanReport) -> None:
    """Each visit saved (a hand assignment with notice stays ``assigned``), counted in
    the report; the date's other unfinished visits dropped."""
    for aid, row in rows.items():
        if (row["pinned"] and row["status"] == VisitStatus.UNASSIGNED.value
                and aid not in unnoticed):
            row["status"] = VisitStatus.ASSIGNED.value
        uow.field.save_visit(row)
        report.statuses[str(row["status"])] += 1
        if row["reason"]:
            report.reasons[str(row["reason"])] += 1
    uow.field.drop_unfinished(plan_date, rows)


def _hold_waiting(uow: UnitOfWork, rows: dict[int, dict[str, Any]]) -> None:
    """A visit that could not go ahead today (no notice in time, no coordinates, no
    certified agent, no room on a route, the guard at its ETA) is held: the strategy
    proposes it again tomorrow, until its ladder window closes."""
    waiting = {aid for aid, row in rows.items()
               if row["status"] in (VisitStatus.UNASSIGNED.value, VisitStatus.DEFERRED.value)}
    uow.actions.hold(sorted(waiting))
    uow.actions.hold(sorted(set(rows) - waiting), held=False)


def _candidates(day: _Day, actions: list[dict[str, Any]], existing: dict[int, VisitRecord],
                ) -> tuple[dict[int, dict[str, Any]], list[VisitToAssign],
                           dict[int, tuple[dt.datetime, dt.datetime]], set[int]]:
    """A visit row per action (unassigned until routed), the visits that can be
    routed: those whose borrower had a visit notice in time, with coordinates and a
    window (a hand assignment is kept), and the actions held back for want of notice
    (not even a hand-assigned agent may go)."""
    rows: dict[int, dict[str, Any]] = {}
    to_assign: list[VisitToAssign] = []
    windows: dict[int, tuple[dt.datetime, dt.datetime]] = {}
    unnoticed: set[int] = set()
    for a in actions:
        aid, bid = int(a["action_id"]), int(a["borrower_id"])
        prior = existing.get(aid)
        pinned = prior.agent_id if prior is not None and prior.pinned else None
        rows[aid] = {"plan_date": day.plan_date, "case_id": a["case_id"], "borrower_id": bid,
                     "action_id": aid, "agent_id": pinned, "pinned": pinned is not None,
                     "sequence": None, "eta": None, "window_start": a["window_start"],
                     "window_end": a["window_end"], "travel_m": 0, "travel_min": 0,
                     "service_min": day.service_min, "status": VisitStatus.UNASSIGNED.value,
                     "reason": "", "cost_minor": 0}
        addr = day.addresses.get(bid)
        start, end = _ts(a["window_start"]), _ts(a["window_end"])
        notice = _notice_refusal(day, bid)
        if notice is not None:
            rows[aid]["reason"] = notice
            unnoticed.add(aid)
        elif addr is None or addr.location is None:
            rows[aid]["reason"] = NO_ADDRESS if addr is None else NO_COORDINATES
        elif start is None or end is None:
            rows[aid]["reason"] = NO_WINDOW
        else:
            windows[aid] = (start, end)
            to_assign.append(VisitToAssign(aid, addr.location, pinned))
    return rows, to_assign, windows, unnoticed


def _notice_refusal(day: _Day, borrower_id: int) -> str | None:
    return _notice_reason(day.visit_from.get(borrower_id), day.plan_date)


def _notice_reason(visit_from: dt.date | None, on: dt.date) -> str | None:
    """Why a visit on ``on`` would come without the notice it needs, or None. The visit
    notice letter promises no visit before its date plus ``VISIT_NOTICE_DAYS``; the
    plan keeps that promise."""
    if visit_from is None:
        return NO_NOTICE
    if on < visit_from:
        return f"the visit notice allows visits from {visit_from.isoformat()}"
    return None


def notice_refusal(uow: UnitOfWork, *, borrower_id: int, on: dt.date) -> str | None:
    """Why ``borrower_id`` may not be visited on ``on`` for want of a visit notice (none
    in the last ``VISIT_NOTICE_VALID_DAYS`` days, or one too recent), or None."""
    since = on - dt.timedelta(days=VISIT_NOTICE_VALID_DAYS)
    return _notice_reason(earliest_visit_date(uow, borrower_id=borrower_id, since=since), on)


@dataclass(frozen=True, slots=True)
class Position:
    """Where an agent is when a day is re-planned: the place, the minute (of the
    routing problem) from which they are free, and the visits they have done."""

    place: GeoPoint
    free_min: int
    done: int


def _where_agents_are(uow: UnitOfWork, day: _Day, existing: dict[int, VisitRecord],
                      now: dt.datetime) -> dict[str, Position]:
    """Each agent's position for a re-plan: after their last visit done on the date
    (its recorded place, else the borrower's address), free from the later of its
    outcome and ``now``; an agent with nothing done yet is at their start, free from
    ``now``."""
    now_min = -(-_seconds(now, day.ref) // 60)
    done = sorted((v for v in existing.values()
                   if v.status is VisitStatus.DONE and v.agent_id),
                  key=lambda v: (v.outcome_at or day.ref, v.sequence or 0))
    addresses = uow.field.addresses(sorted({v.borrower_id for v in done}))
    out = {aid: Position(agent.start, now_min, 0) for aid, agent in day.agents.items()}
    for v in done:
        aid = str(v.agent_id)
        if aid not in day.agents:
            continue
        addr = addresses.get(v.borrower_id)
        place = v.outcome_location or (addr.location if addr is not None else None)
        free = (-(-_seconds(v.outcome_at, day.ref) // 60) if v.outcome_at is not None
                else now_min)
        prior = out[aid]
        out[aid] = Position(place or prior.place, max(free, now_min), prior.done + 1)
    return out


def _problem(day: _Day, to_assign: Sequence[VisitToAssign],
             windows: dict[int, tuple[dt.datetime, dt.datetime]],
             assignment: Assignment, positions: dict[str, Position]) -> RoutingProblem:
    """Visits with an eligible agent become stops (window start rounded up to the
    minute, end down); the eligible agents become vehicles, starting where
    ``positions`` puts them on a re-plan."""
    stops = []
    for v in to_assign:
        if v.visit_id not in assignment.eligible:
            continue
        start, end = windows[v.visit_id]
        stops.append(Stop(v.visit_id, v.location, -(-_seconds(start, day.ref) // 60),
                          _seconds(end, day.ref) // 60, day.service_min,
                          assignment.eligible[v.visit_id], assignment.agent_of.get(v.visit_id)))
    used = sorted({a for e in assignment.eligible.values() for a in e})
    return RoutingProblem(tuple(stops), tuple(_vehicle(day.agents[a], day, positions.get(a))
                                              for a in used), day.speed_kmh)


def _itineraries(day: _Day, result: RoutingResult, locations: dict[int, GeoPoint],
                 rows: dict[int, dict[str, Any]], report: PlanReport,
                 vehicles: dict[str, Vehicle]) -> None:
    """Each route's visits, asked of the guard again at their ETA; those it no longer
    allows are deferred and the rest are numbered, timed and costed."""
    for route in result.routes:
        agent = day.agents[route.agent_id]
        totals = AgentDay(agent.agent_id)
        here = vehicles[route.agent_id].start
        for rs in route.stops:
            row = rows[rs.stop_id]
            eta = day.ref + dt.timedelta(minutes=rs.start_min)
            refusal, local_eta = _guard_at(day, rs.stop_id, int(row["borrower_id"]), eta)
            if refusal is not None:
                row.update(status=VisitStatus.DEFERRED.value, reason=refusal,
                           agent_id=row["agent_id"] if row["pinned"] else None)
                continue
            leg_m = haversine_m(here, locations[rs.stop_id])
            leg_min = travel_minutes(leg_m, day.speed_kmh)
            here = locations[rs.stop_id]
            cost = visit_cost_minor(travel_m=leg_m, minutes=leg_min + day.service_min,
                                    agent=agent)
            totals.visits += 1
            row.update(agent_id=agent.agent_id, sequence=totals.visits,
                       status=VisitStatus.PLANNED.value, eta=local_eta.isoformat(),
                       travel_m=leg_m, travel_min=leg_min, cost_minor=cost, reason="")
            totals.distance_m += leg_m
            totals.travel_min += leg_min
            totals.cost_minor += cost
        if totals.visits:
            back_m = haversine_m(here, agent.start)
            back_min = travel_minutes(back_m, day.speed_kmh)
            totals.distance_m += back_m
            totals.travel_min += back_min
            totals.cost_minor += visit_cost_minor(travel_m=back_m, minutes=back_min, agent=agent)
            report.agents[agent.agent_id] = totals


def _guard_at(day: _Day, action_id: int, borrower_id: int,
              eta: dt.datetime) -> tuple[str | None, dt.datetime]:
    """(why the guard refuses a visit at ``eta`` or None, the ETA on the borrower's clock)."""
    profile = day.profiles.get(borrower_id)
    if profile is None:
        return "borrower has no contact profile for the guard", eta
    local = eta.astimezone(profile.borrower.zone)
    verdict = judge_contact(profile, day.contacts.get(borrower_id, []), at=local,
                            channel=Channel.VISIT, content_tags=day.tags[action_id])
    if verdict.allowed:
        return None, local
    return f"guard at ETA {local:%H:%M}: {verdict.rule}: {verdict.reason}", local


def _seconds(ts: dt.datetime, ref: dt.datetime) -> int:
    return int((ts - ref).total_seconds())


def _ts(text: object) -> dt.datetime | None:
    return dt.datetime.fromisoformat(str(text)) if text else None


def _vehicle(agent: Agent, day: _Day, position: Position | None = None) -> Vehicle:
    """The agent's day as the router sees it; on a re-plan, from ``position`` (never
    before the shift starts, never past its end) with the visits left, back home."""
    zone = ZoneInfo(agent.timezone)
    start = dt.datetime.combine(day.plan_date, agent.shift.start, tzinfo=zone)
    end = dt.datetime.combine(day.plan_date, agent.shift.end, tzinfo=zone)
    start_min, end_min = _seconds(start, day.ref) // 60, _seconds(end, day.ref) // 60
    if position is None:
        return Vehicle(agent.agent_id, agent.start, start_min, end_min,
                       agent.visits_per_day_max)
    return Vehicle(agent.agent_id, position.place,
                   min(max(start_min, position.free_min), end_min), end_min,
                   max(0, agent.visits_per_day_max - position.done), end=agent.start)


# --- itineraries ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ItineraryLine:
    sequence: int
    visit_id: int
    case_id: str
    borrower_name: str
    address: str
    eta: dt.datetime
    window: str
    travel_m: int
    cost_minor: int


@dataclass(frozen=True, slots=True)
class Itinerary:
    agent: Agent
    plan_date: dt.date
    certificate_numbers: str
    lines: tuple[ItineraryLine, ...]

    @property
    def cost_minor(self) -> int:
        return sum(x.cost_minor for x in self.lines)

    @property
    def travel_m(self) -> int:
        return sum(x.travel_m for x in self.lines)


def itineraries(app: Dunwell, *, plan_date: dt.date) -> tuple[list[Itinerary], list[VisitRecord]]:
    """Each agent's ordered visits of ``plan_date`` (borrower names are for that agent's
    eyes only), and the visits left off the itineraries with their reasons."""
    with app.uow() as uow:
        repo = uow.field
        visits = repo.visits_on(plan_date)
        agents = {a.agent_id: a for a in repo.agents(active_only=False)}
        certs = repo.certificates()
        bids = sorted({v.borrower_id for v in visits})
        addresses = repo.addresses(bids)
        names = {b: p.name for b, p in uow.borrowers.many(bids).items()}
    out: list[Itinerary] = []
    midnight = dt.datetime.combine(plan_date, dt.time(0), tzinfo=dt.UTC)
    planned = [v for v in visits if v.status is VisitStatus.PLANNED and v.agent_id]
    for agent_id in sorted({str(v.agent_id) for v in planned}):
        mine = sorted((v for v in planned if v.agent_id == agent_id),
                      key=lambda v: v.sequence or 0)
        lines = tuple(ItineraryLine(
            v.sequence or 0, v.visit_id, v.case_id, names.get(v.borrower_id, "?"),
            addresses[v.borrower_id].text if v.borrower_id in addresses else "?",
            v.eta or midnight, _window_label(v), v.travel_m, v.cost_minor) for v in mine)
        out.append(Itinerary(agents[agent_id], plan_date,
                             certificate_numbers(certs.get(agent_id, ()), plan_date), lines))
    left = [v for v in visits if v.status in (VisitStatus.UNASSIGNED, VisitStatus.DEFERRED,
                                              VisitStatus.ASSIGNED)]
    return out, left


def _window_label(v: VisitRecord) -> str:
    if v.window_start is None or v.window_end is None or v.eta is None:
        return ""
    zone = v.eta.tzinfo
    return f"{v.window_start.astimezone(zone):%H:%M}-{v.window_end.astimezone(zone):%H:%M}"


def itinerary_text(it: Itinerary, *, currency: str, protocol: Sequence[str]) -> str:
    """A printable plain-text itinerary for one agent."""
    from dunwell.core.money import format_minor

    head = [f"Itinerary {it.plan_date} - {it.agent.name} (agent {it.agent.agent_id})",
            f"Certificates: {it.certificate_numbers}",
            f"Territory: {it.agent.territory.name}; shift "
            f"{it.agent.shift.start:%H:%M}-{it.agent.shift.end:%H:%M} {it.agent.timezone}",
            "", "Visit protocol:", *(f"  {p}" for p in protocol), "",
            f"{'#':>2}  {'ETA':5}  {'window':11}  {'visit':>6}  borrower / address"]
    body = [f"{x.sequence:>2}  {x.eta:%H:%M}  {x.window:11}  {x.visit_id:>6}  "
            f"{x.borrower_name} - {x.address} (case {x.case_id})" for x in it.lines]
    foot = ["", f"{len(it.lines)} visits, {it.travel_m / 1000:.1f} km to visits, planned cost "
                f"{format_minor(it.cost_minor, currency)} {currency}",
            "Record each outcome: dunwell field visit VISIT_ID --outcome ... --lat ... --lon ..."]
    return "\n".join(head + body + foot) + "\n"


def itinerary_csv_rows(it: Itinerary) -> list[list[str]]:
    rows = [["agent_id", "certificates", "sequence", "eta", "window", "visit_id", "case_id",
             "borrower_name", "address", "travel_m", "cost_minor"]]
    for x in it.lines:
        rows.append([it.agent.agent_id, it.certificate_numbers, str(x.sequence),
                     x.eta.isoformat(), x.window, str(x.visit_id), x.case_id, x.borrower_name,
                     x.address, str(x.travel_m), str(x.cost_minor)])
    return rows
