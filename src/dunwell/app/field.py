"""Field operation workflows: agents and certificates, borrower addresses, the visit
plan of a date (guard-allowed visits -> certified agents by territory and workload ->
routes -> the guard again at each ETA -> itineraries with costs), manual assignment,
visit outcomes feeding the case, and visit ROI. Each command is one transaction."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from dunwell.app.audit import record
from dunwell.app.bootstrap import Dunwell
from dunwell.app.contacts import record_contact, record_promise
from dunwell.compliance.guard import decide
from dunwell.compliance.model import Channel, ContentTag, ProposedAction, Recipient, zone_of
from dunwell.core.errors import Conflict, InvalidInput
from dunwell.field.assignment import VisitToAssign, assign
from dunwell.field.model import (
    Address,
    Agent,
    Certificate,
    CertificateGap,
    GeoPoint,
    RoutingProblem,
    Shift,
    Stop,
    Subject,
    Territory,
    Vehicle,
    VisitOutcome,
    VisitRecord,
    VisitStatus,
)
from dunwell.field.routing import NearestNeighbourRouter, Router
from dunwell.field.rules import (
    certificate_numbers,
    certification_gaps,
    far_from_address,
    haversine_m,
    outcome_effects,
    require_certified,
    travel_minutes,
    visit_cost_minor,
)
from dunwell.store.collections_repo import ActionRepository, BorrowerRepository
from dunwell.store.field_repo import FieldRepository

NO_COORDINATES = ("address has no stored coordinates; add them with `dunwell field address`")
NO_ADDRESS = "borrower has no stored address; add one with `dunwell field address`"
SERVICE_MIN = 20
SPEED_KMH = 20
#: How many days after a visit a borrower's payments count towards its return.
ROI_DAYS = 30

Progress = Callable[[str, int, int], None]


def router_for(solver: str, *, time_limit_s: int = 10) -> Router:
    """The router behind ``--solver``: ``ortools`` (default) or ``nearest``."""
    if solver == "nearest":
        return NearestNeighbourRouter()
    if solver == "ortools":
        from dunwell.providers.routing_ortools import OrToolsRouter

        if time_limit_s <= 0:
            raise InvalidInput("--time-limit must be at least 1 second",
                               code="time_limit_must_be_positive")
        return OrToolsRouter(time_limit_s=time_limit_s)
    raise InvalidInput(f"unknown solver {solver!r}; use ortools or nearest",
                       code="solver_must_be_known")


# --- agents, certificates, addresses ------------------------------------------------


def add_agent(app: Dunwell, *, agent_id: str, name: str, timezone: str, territory_name: str,
              latitude: float, longitude: float, radius_m: int, shift_start: dt.time,
              shift_end: dt.time, visits_per_day_max: int, hourly_cost_minor: int,
              cost_per_km_minor: int, now: dt.datetime) -> Agent:
    """Register a field agent. Adding the same agent again changes nothing; the same
    id with other details is refused."""
    zone_of(timezone)
    agent = Agent(agent_id, name, timezone,
                  Territory(territory_name, GeoPoint(latitude, longitude), radius_m),
                  Shift(shift_start, shift_end), visits_per_day_max, hourly_cost_minor,
                  cost_per_km_minor)
    with app.uow() as uow:
        repo = FieldRepository(uow.conn)
        if repo.has_agent(agent_id):
            if repo.agent(agent_id) == agent:
                return agent
            raise Conflict(f"field agent {agent_id} already exists with other details",
                           code="field_agent_id_must_be_unique")
        repo.put_agent(agent)
        record(uow, at=now, entries=[("field_agent_added", f"agent:{agent_id}", {
            "territory": territory_name, "radius_m": radius_m,
            "shift": f"{shift_start.isoformat('minutes')}-{shift_end.isoformat('minutes')}",
            "visits_per_day_max": visits_per_day_max})])
        uow.commit()
    return agent


@dataclass(frozen=True, slots=True)
class AgentStatus:
    agent: Agent
    certificates: tuple[Certificate, ...]
    gaps: tuple[CertificateGap, ...]  # empty: certified on the date asked

    @property
    def certified(self) -> bool:
        return not self.gaps


def list_agents(app: Dunwell, *, on: dt.date) -> list[AgentStatus]:
    with app.uow() as uow:
        repo = FieldRepository(uow.conn)
        agents = repo.agents()
        certs = repo.certificates()
    return [AgentStatus(a, tuple(certs.get(a.agent_id, ())),
                        certification_gaps(certs.get(a.agent_id, ()), on)) for a in agents]


def add_certificate(app: Dunwell, *, agent_id: str, subject: str, expires_on: dt.date,
                    issued_on: dt.date, number: str | None = None,
                    now: dt.datetime) -> Certificate:
    """Record a training certificate (idempotent on its number, which defaults to
    ``AGENT-SUBJECT-ISSUED``)."""
    try:
        subj = Subject(subject)
    except ValueError:
        raise InvalidInput(f"unknown subject {subject!r}; use one of "
                           f"{', '.join(s.value for s in Subject)}",
                           code="certificate_subject_must_be_known") from None
    cert = Certificate(agent_id, subj, number or f"{agent_id}-{subj.value}-{issued_on:%Y%m%d}",
                       issued_on, expires_on)
    with app.uow() as uow:
        repo = FieldRepository(uow.conn)
        repo.agent(agent_id)
        if repo.add_certificate(cert):
            record(uow, at=now, entries=[("field_certificate_added", f"agent:{agent_id}", {
                "subject": subj.value, "number": cert.number,
                "issued_on": issued_on.isoformat(), "expires_on": expires_on.isoformat()})])
        uow.commit()
    return cert


def set_address(app: Dunwell, *, borrower_id: int, text: str, latitude: float | None,
                longitude: float | None, now: dt.datetime) -> Address:
    """Store a borrower's address with its coordinates (never geocoded online)."""
    if (latitude is None) != (longitude is None):
        raise InvalidInput("give both --lat and --lon, or neither",
                           code="coordinates_must_come_in_pairs")
    if not text.strip():
        raise InvalidInput("the address text must not be empty", code="address_must_have_text")
    loc = GeoPoint(latitude, longitude) if latitude is not None and longitude is not None else None
    address = Address(borrower_id, text.strip(), loc)
    with app.uow() as uow:
        BorrowerRepository(uow.conn).get(borrower_id)
        FieldRepository(uow.conn).put_address(address, at=now)
        record(uow, at=now, entries=[("field_address", f"borrower:{borrower_id}", {
            "has_coordinates": loc is not None})])
        uow.commit()
    return address


# --- planning ---------------------------------------------------------------------------


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


def _minutes(ts: dt.datetime, ref: dt.datetime) -> int:
    return int((ts - ref).total_seconds() // 60)


def plan_visits(app: Dunwell, *, plan_date: dt.date, router: Router, now: dt.datetime,
                time_limit_s: int = 0, service_min: int = SERVICE_MIN,
                speed_kmh: int = SPEED_KMH, progress: Progress | None = None) -> PlanReport:
    """Plan the field visits the guard allowed on ``plan_date``.

    Re-planning a date replaces its visits that have no outcome yet (their ids stay
    the same); visits with an outcome are kept; a visit assigned by hand stays with
    its agent."""
    tick = progress or (lambda _stage, _done, _total: None)
    ref = dt.datetime.combine(plan_date, dt.time(0), tzinfo=dt.UTC)
    report = PlanReport(plan_date, router.name)
    with app.uow() as uow:
        repo = FieldRepository(uow.conn)
        actions = repo.allowed_visit_actions(plan_date)
        existing = {v.action_id: v for v in repo.visits_on(plan_date)}
        done = {aid for aid, v in existing.items() if v.status is VisitStatus.DONE}
        report.kept_done = len(done)
        actions = [a for a in actions if int(a["action_id"]) not in done]
        report.candidates = len(actions)
        tick("load", 1, 3)
        bids = sorted({int(a["borrower_id"]) for a in actions})
        addresses = repo.addresses(bids)
        profiles = BorrowerRepository(uow.conn).many(bids)
        contacts = ActionRepository(uow.conn).contacts_for(bids)
        agents = repo.agents()
        certs = repo.certificates()
        by_agent = {a.agent_id: a for a in agents}
        rows: dict[int, dict[str, object]] = {}
        to_assign: list[VisitToAssign] = []
        windows: dict[int, tuple[dt.datetime, dt.datetime]] = {}
        tags = {int(a["action_id"]): list(json.loads(a["tags_json"])) for a in actions}
        for a in actions:
            aid = int(a["action_id"])
            start, end = _ts(a["window_start"]), _ts(a["window_end"])
            rows[aid] = {"plan_date": plan_date, "case_id": a["case_id"],
                         "borrower_id": int(a["borrower_id"]), "action_id": aid,
                         "agent_id": None, "sequence": None, "eta": None,
                         "window_start": a["window_start"], "window_end": a["window_end"],
                         "travel_m": 0, "travel_min": 0, "service_min": service_min,
                         "status": VisitStatus.UNASSIGNED.value, "reason": "",
                         "cost_minor": 0, "pinned": False}
            prior = existing.get(aid)
            pinned = prior.agent_id if prior is not None and prior.pinned else None
            rows[aid]["pinned"] = pinned is not None
            rows[aid]["agent_id"] = pinned
            addr = addresses.get(int(a["borrower_id"]))
            if addr is None or addr.location is None:
                rows[aid]["reason"] = NO_ADDRESS if addr is None else NO_COORDINATES
                continue
            if start is None or end is None:
                rows[aid]["reason"] = "the guard's verdict carries no contact window"
                continue
            windows[aid] = (start, end)
            to_assign.append(VisitToAssign(aid, addr.location, pinned))
        assignment = assign(to_assign, agents, certs, plan_date)
        for aid, why in assignment.unassigned.items():
            if aid not in assignment.eligible:
                rows[aid]["reason"] = why
        vehicles = tuple(_vehicle(by_agent[aid], plan_date, ref) for aid in sorted(
            {a for e in assignment.eligible.values() for a in e}))
        stops = tuple(Stop(v.visit_id, v.location, _minutes(windows[v.visit_id][0], ref) + (
            1 if windows[v.visit_id][0].second else 0), _minutes(windows[v.visit_id][1], ref),
            service_min, assignment.eligible[v.visit_id], assignment.agent_of.get(v.visit_id))
            for v in to_assign if v.visit_id in assignment.eligible)
        tick("route", 2, 3)
        result = router.solve(RoutingProblem(stops, vehicles, speed_kmh))
        for sid, why in result.unserved.items():
            rows[sid]["reason"] = assignment.unassigned.get(sid, why)
        locations = {s.stop_id: s.location for s in stops}
        for route in result.routes:
            agent = by_agent[route.agent_id]
            day = report.agents.setdefault(agent.agent_id, AgentDay(agent.agent_id))
            here = agent.start
            seq = 0
            for rs in route.stops:
                row = rows[rs.stop_id]
                bid = int(str(row["borrower_id"]))
                profile = profiles.get(bid)
                eta = ref + dt.timedelta(minutes=rs.start_min)
                if profile is None:
                    row.update(status=VisitStatus.DEFERRED.value,
                               reason="borrower has no contact profile for the guard")
                    continue
                local_eta = eta.astimezone(profile.borrower.zone)
                verdict = decide(
                    ProposedAction(ts=local_eta, channel=Channel.VISIT,
                                   recipient=Recipient.BORROWER,
                                   content_tags=frozenset(ContentTag(x) for x in
                                                          tags[rs.stop_id])),
                    contacts.get(bid, []), profile.borrower, profile.jurisdiction)
                if not verdict.allowed:
                    row.update(status=VisitStatus.DEFERRED.value,
                               agent_id=row["agent_id"] if row["pinned"] else None,
                               reason=f"guard at ETA {local_eta:%H:%M}: {verdict.rule}: "
                                      f"{verdict.reason}")
                    continue
                seq += 1
                where = locations[rs.stop_id]
                leg_m = haversine_m(here, where)
                leg_min = travel_minutes(leg_m, speed_kmh)
                here = where
                cost = visit_cost_minor(travel_m=leg_m, minutes=leg_min + service_min, agent=agent)
                row.update(agent_id=agent.agent_id, sequence=seq, status=VisitStatus.PLANNED.value,
                           eta=local_eta.isoformat(),
                           travel_m=leg_m, travel_min=leg_min, cost_minor=cost,
                           reason="")
                day.visits += 1
                day.distance_m += leg_m
                day.travel_min += leg_min
                day.cost_minor += cost
            if seq:
                back_m = haversine_m(here, agent.start)
                back_min = travel_minutes(back_m, speed_kmh)
                day.distance_m += back_m
                day.travel_min += back_min
                day.cost_minor += visit_cost_minor(travel_m=back_m, minutes=back_min, agent=agent)
        for row in rows.values():
            if row["pinned"] and row["status"] == VisitStatus.UNASSIGNED.value:
                row["status"] = VisitStatus.ASSIGNED.value
            repo.save_visit(row)
            report.statuses[str(row["status"])] += 1
            if row["reason"]:
                report.reasons[str(row["reason"])] += 1
        repo.drop_unfinished(plan_date, rows)
        report.planned = report.statuses.get(VisitStatus.PLANNED.value, 0)
        report.agents = {k: v for k, v in report.agents.items() if v.visits}
        summary = report.to_json()
        repo.save_plan(plan_date, solver=router.name, time_limit_s=time_limit_s, at=now,
                       summary=summary)
        record(uow, at=now, entries=[("field_plan", f"plan:{plan_date}", summary)])
        uow.commit()
        tick("save", 3, 3)
    return report


def _ts(text: object) -> dt.datetime | None:
    return dt.datetime.fromisoformat(str(text)) if text else None


def _vehicle(agent: Agent, day: dt.date, ref: dt.datetime) -> Vehicle:
    zone = ZoneInfo(agent.timezone)
    start = dt.datetime.combine(day, agent.shift.start, tzinfo=zone)
    end = dt.datetime.combine(day, agent.shift.end, tzinfo=zone)
    return Vehicle(agent.agent_id, agent.start, _minutes(start, ref), _minutes(end, ref),
                   agent.visits_per_day_max)


# --- manual assignment ----------------------------------------------------------------


def assign_visit(app: Dunwell, *, visit_id: int, agent_id: str, now: dt.datetime) -> VisitRecord:
    """Give a visit to ``agent_id`` by hand; refused (``agent_must_hold_valid_certificates``)
    unless the agent holds valid certificates in every required subject on the visit
    date. The next plan of that date routes it on that agent's itinerary."""
    with app.uow() as uow:
        repo = FieldRepository(uow.conn)
        visit = repo.visit(visit_id)
        repo.agent(agent_id)
        if visit.status is VisitStatus.DONE:
            raise Conflict(f"visit {visit_id} already has an outcome; it cannot be reassigned",
                           code="visit_must_be_open_to_assign")
        require_certified(agent_id, repo.certificates([agent_id]).get(agent_id, ()),
                          visit.plan_date)
        repo.update_visit(visit_id, agent_id=agent_id, pinned=True, sequence=None, eta=None,
                          status=VisitStatus.ASSIGNED.value,
                          reason="assigned by hand; run `dunwell field plan` to route it")
        record(uow, at=now, entries=[("field_visit_assigned", f"borrower:{visit.borrower_id}", {
            "visit_id": visit_id, "agent_id": agent_id, "previous": visit.agent_id})])
        out = repo.visit(visit_id)
        uow.commit()
    return out


# --- outcomes --------------------------------------------------------------------------


def record_visit_outcome(app: Dunwell, *, visit_id: int, outcome: str, at: dt.datetime,
                         latitude: float, longitude: float, note: str = "",
                         letter_no: str | None = None, proof: str | None = None,
                         promise_amount_minor: int | None = None,
                         promise_due: dt.date | None = None) -> VisitRecord:
    """What happened at the door. Feeds the case timeline, the contacts the guard reads
    (channel ``visit``), a promise to pay, and the letter register when ``letter_no``
    was handed over. Recording the same outcome again returns the visit unchanged;
    a different outcome for a visit that has one is refused."""
    try:
        result = VisitOutcome(outcome)
    except ValueError:
        raise InvalidInput(f"unknown outcome {outcome!r}; use one of "
                           f"{', '.join(o.value for o in VisitOutcome)}",
                           code="visit_outcome_must_be_known") from None
    if at.tzinfo is None:
        raise InvalidInput("the outcome time must carry an offset, like +08:00",
                           code="timestamp_must_carry_offset")
    place = GeoPoint(latitude, longitude)
    if letter_no is not None and not result.met_borrower:
        raise InvalidInput(f"letter {letter_no} can be delivered only into the borrower's hands; "
                           f"with outcome {result.value} nothing may be left with anyone",
                           code="letter_must_be_handed_to_the_borrower")
    if result is VisitOutcome.PROMISE_TO_PAY and (promise_amount_minor is None
                                                  or promise_due is None):
        raise InvalidInput("a promise to pay needs its amount and date (--promise-amount, "
                           "--promise-due)", code="promise_must_have_amount_and_date")
    with app.uow() as uow:
        repo = FieldRepository(uow.conn)
        visit = repo.visit(visit_id)
        if visit.status is VisitStatus.DONE:
            if (visit.outcome is result and visit.outcome_at == at
                    and visit.letter_no == letter_no):
                return visit
            raise Conflict(f"visit {visit_id} already has outcome {visit.outcome} recorded at "
                           f"{visit.outcome_at}", code="visit_outcome_must_be_recorded_once")
        if visit.agent_id is None or visit.status not in (VisitStatus.PLANNED,
                                                          VisitStatus.ASSIGNED):
            raise Conflict(f"visit {visit_id} is {visit.status.value} and has no agent on an "
                           "itinerary; plan or assign it first", code="visit_must_be_planned")
        address = repo.addresses([visit.borrower_id]).get(visit.borrower_id)
        flagged, distance = (far_from_address(address.location, place)
                             if address is not None and address.location is not None
                             else (True, None))
        effects = outcome_effects(result, agent_id=visit.agent_id, letter_no=letter_no,
                                  note=note)
        for contact in effects.contact_outcomes:
            record_contact(uow, borrower_id=visit.borrower_id, at=at, channel=Channel.VISIT.value,
                           outcome=contact, action_id=visit.action_id, now=at)
        profile = BorrowerRepository(uow.conn).get(visit.borrower_id)
        today = at.astimezone(profile.borrower.zone).date()
        is_case = repo.case_exists(visit.case_id)
        if is_case:
            text = effects.timeline_text + (
                f"; recorded {distance} m from the stored address" if flagged and distance
                else "; no stored coordinates to compare" if flagged else "")
            repo.add_timeline(case_id=visit.case_id, on=today, kind=effects.timeline_kind,
                              text=text)
        if effects.promise:
            if not is_case:
                raise InvalidInput(f"{visit.case_id} is not an open case; a promise needs one",
                                   code="case_must_exist")
            assert promise_amount_minor is not None and promise_due is not None
            record_promise(uow, case_id=visit.case_id, amount_minor=promise_amount_minor,
                           due_date=promise_due, today=today, now=at)
        if effects.letter_delivered:
            from dunwell.app.letters import record_letter_event

            assert letter_no is not None
            record_letter_event(uow, letter_no=letter_no, event="delivered", at=at,
                                method="in_person",
                                proof=proof or f"handed over in person at visit {visit_id} by "
                                               f"agent {visit.agent_id}",
                                note=f"field visit {visit_id}")
        repo.update_visit(visit_id, status=VisitStatus.DONE.value, outcome=result.value,
                          outcome_at=at.isoformat(), outcome_latitude=latitude,
                          outcome_longitude=longitude, distance_from_address_m=distance,
                          place_flagged=flagged, proof=proof, note=note, letter_no=letter_no)
        record(uow, at=at, entries=[("field_visit_outcome", f"borrower:{visit.borrower_id}", {
            "visit_id": visit_id, "agent_id": visit.agent_id, "outcome": result.value,
            "contacts": list(effects.contact_outcomes), "letter_no": letter_no,
            "place_flagged": flagged, "distance_from_address_m": distance})])
        out = repo.visit(visit_id)
        uow.commit()
    return out


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
        repo = FieldRepository(uow.conn)
        visits = repo.visits_on(plan_date)
        agents = {a.agent_id: a for a in repo.agents(active_only=False)}
        certs = repo.certificates()
        bids = sorted({v.borrower_id for v in visits})
        addresses = repo.addresses(bids)
        names = {b: p.name for b, p in BorrowerRepository(uow.conn).many(bids).items()}
    out: list[Itinerary] = []
    midnight = dt.datetime.combine(plan_date, dt.time(0), tzinfo=dt.UTC)
    for agent_id in sorted({v.agent_id for v in visits if v.status is VisitStatus.PLANNED
                            and v.agent_id}):
        mine = sorted((v for v in visits if v.agent_id == agent_id
                       and v.status is VisitStatus.PLANNED), key=lambda v: v.sequence or 0)
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
    return (f"{v.window_start.astimezone(zone):%H:%M}-{v.window_end.astimezone(zone):%H:%M}")


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


# --- ROI -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RoiRow:
    agent_id: str
    visits: int
    cost_minor: int
    collected_minor: int

    @property
    def ratio(self) -> Decimal | None:
        """Collected per unit of cost, two decimals; None without cost."""
        if self.cost_minor == 0:
            return None
        return (Decimal(self.collected_minor) / Decimal(self.cost_minor)).quantize(
            Decimal("0.01"), rounding=ROUND_HALF_UP)


def visit_roi(app: Dunwell, *, date_from: dt.date | None = None, date_to: dt.date | None = None,
              days_after: int = ROI_DAYS) -> list[RoiRow]:
    """Per agent and in total (agent ``*``): visits with an outcome planned within the
    dates, their recorded cost, and what those borrowers paid from the day of the
    visit (its outcome's local date) through ``days_after`` days later."""
    if days_after < 0:
        raise InvalidInput("--days must not be negative", code="roi_days_must_not_be_negative")
    with app.uow() as uow:
        repo = FieldRepository(uow.conn)
        done = repo.done_visits(date_from, date_to)
        paid = {}
        for v in done:
            visited = v.outcome_at.date() if v.outcome_at is not None else v.plan_date
            paid[v.visit_id] = repo.collected(v.borrower_id, visited,
                                              visited + dt.timedelta(days=days_after))
    per: dict[str, list[int]] = {}
    for v in done:
        acc = per.setdefault(v.agent_id or "-", [0, 0, 0])
        acc[0] += 1
        acc[1] += v.cost_minor
        acc[2] += paid[v.visit_id]
    rows = [RoiRow(k, *acc) for k, acc in sorted(per.items())]
    if rows:
        rows.append(RoiRow("*", sum(r.visits for r in rows), sum(r.cost_minor for r in rows),
                           sum(r.collected_minor for r in rows)))
    return rows


def book_currency(app: Dunwell, default: str = "CNY") -> str:
    """The book's currency, for costs (``default`` before the book is opened)."""
    with app.uow() as uow:
        info = uow.book.get()
    return info.currency if info is not None else default
