"""Field operation workflows: agents and certificates, borrower addresses, manual
assignment, visit outcomes feeding the case, and visit ROI; the day's plan and
itineraries live in :mod:`dunwell.app.field.plan` and are re-exported here. Each
command is one transaction."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from dunwell.app.audit import record
from dunwell.app.collections.contacts import record_contact, record_promise
from dunwell.app.context import Dunwell
from dunwell.app.field.plan import (
    NO_ADDRESS,
    NO_COORDINATES,
    NO_NOTICE,
    SERVICE_MIN,
    SPEED_KMH,
    VISIT_NOTICE_VALID_DAYS,
    AgentDay,
    Itinerary,
    ItineraryLine,
    PlanReport,
    itineraries,
    itinerary_csv_rows,
    itinerary_text,
    notice_refusal,
    plan_visits,
)
from dunwell.app.training.gate import require_visit_qualified, visit_refusals
from dunwell.app.training.service import import_certificate
from dunwell.app.uow import UnitOfWork
from dunwell.compliance.model import Channel, zone_of
from dunwell.core.errors import Conflict, InvalidInput
from dunwell.core.limits import check_date, latest_record_date
from dunwell.field.model import (
    Address,
    Agent,
    Certificate,
    CertificateGap,
    GeoPoint,
    Shift,
    Territory,
    VisitOutcome,
    VisitRecord,
    VisitStatus,
)
from dunwell.field.rules import (
    OutcomeEffects,
    certification_gaps,
    far_from_address,
    outcome_effects,
)
from dunwell.training.model import Certificate as TrainingCertificate

#: How many days after a visit a borrower's payments count towards its return.
ROI_DAYS = 30


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
        repo = uow.field
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
    gaps: tuple[CertificateGap, ...]  # the field subjects without a valid certificate
    #: what else the training gate names (other visit subjects, suspensions, role)
    training_gaps: tuple[str, ...] = ()

    @property
    def certified(self) -> bool:
        """May visit on the date asked."""
        return not self.gaps and not self.training_gaps

    def describe_gaps(self) -> list[str]:
        return [g.describe() for g in self.gaps] + list(self.training_gaps)


def list_agents(app: Dunwell, *, on: dt.date) -> list[AgentStatus]:
    with app.uow() as uow:
        repo = uow.field
        agents = repo.agents()
        certs = repo.certificates()
        gaps = {a.agent_id: certification_gaps(certs.get(a.agent_id, ()), on) for a in agents}
        more = visit_refusals(uow, agent_ids=[a.agent_id for a in agents], on=on,
                              beyond={k: {g.subject.value for g in v} for k, v in gaps.items()})
    return [AgentStatus(a, tuple(certs.get(a.agent_id, ())), gaps[a.agent_id],
                        more.get(a.agent_id, ())) for a in agents]


def add_certificate(app: Dunwell, *, agent_id: str, subject: str, expires_on: dt.date,
                    issued_on: dt.date, signed_by: str, score_pct: int, evidence: str,
                    number: str | None = None, now: dt.datetime) -> TrainingCertificate:
    """Import a certificate the agent earned on an outside course: it goes through
    :func:`dunwell.app.training.service.import_certificate`, so it needs the assessment's
    passing score, its evidence and a trainer or compliance officer other than the
    agent as signer (``dunwell training`` runs the course in Dunwell itself)."""
    with app.uow() as uow:
        uow.field.agent(agent_id)
    return import_certificate(app, staff_id=agent_id, subject=subject, signer_id=signed_by,
                              score_pct=score_pct, evidence=evidence, issued_on=issued_on,
                              expires_on=expires_on, number=number, now=now)


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
        uow.borrowers.get(borrower_id)
        uow.field.put_address(address, at=now)
        record(uow, at=now, entries=[("field_address", f"borrower:{borrower_id}", {
            "has_coordinates": loc is not None})])
        uow.commit()
    return address


# --- manual assignment ----------------------------------------------------------------


def assign_visit(app: Dunwell, *, visit_id: int, agent_id: str, now: dt.datetime,
                 by: str | None = None) -> VisitRecord:
    """Give a visit to ``agent_id`` by hand; refused (``agent_must_hold_valid_certificates``)
    unless the training gate lets the agent visit on the visit date (every subject the
    curriculum requires for a visit, none suspended), and refused
    (``visit_must_have_prior_notice``) when the borrower's visit notice does not allow a
    visit on that date. The next plan of that date routes it on that
    agent's itinerary."""
    with app.uow() as uow:
        repo = uow.field
        visit = repo.visit(visit_id)
        repo.agent(agent_id)
        if visit.status is VisitStatus.DONE:
            raise Conflict(f"visit {visit_id} already has an outcome; it cannot be reassigned",
                           code="visit_must_be_open_to_assign")
        require_visit_qualified(uow, agent_id=agent_id, on=visit.plan_date)
        unnoticed = notice_refusal(uow, borrower_id=visit.borrower_id, on=visit.plan_date)
        if unnoticed is not None:
            raise Conflict(f"visit {visit_id} on {visit.plan_date} cannot be assigned: "
                           f"{unnoticed}", code="visit_must_have_prior_notice",
                           visit_id=visit_id)
        repo.update_visit(visit_id, agent_id=agent_id, pinned=True, sequence=None, eta=None,
                          status=VisitStatus.ASSIGNED.value,
                          reason="assigned by hand; run `dunwell field plan` to route it")
        record(uow, at=now, entries=[("field_visit_assigned", f"borrower:{visit.borrower_id}", {
            "visit_id": visit_id, "agent_id": agent_id, "previous": visit.agent_id,
            "by": by})])
        out = repo.visit(visit_id)
        uow.commit()
    return out


# --- outcomes --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OutcomeReport:
    """One outcome as the agent reports it from the door."""

    visit_id: int
    outcome: VisitOutcome
    at: dt.datetime
    place: GeoPoint
    note: str = ""
    letter_no: str | None = None
    proof: str | None = None
    promise_amount_minor: int | None = None
    promise_due: dt.date | None = None


def record_visit_outcome(app: Dunwell, *, visit_id: int, outcome: str, at: dt.datetime,
                         latitude: float, longitude: float, note: str = "",
                         letter_no: str | None = None, proof: str | None = None,
                         promise_amount_minor: int | None = None,
                         promise_due: dt.date | None = None) -> VisitRecord:
    """What happened at the door. Feeds the case timeline, the contacts the guard reads
    (channel ``visit``), a promise to pay, and the letter register when ``letter_no``
    was handed over. Recording the same outcome again returns the visit unchanged;
    a different outcome for a visit that has one is refused."""
    result = parse_outcome(outcome)
    with app.uow() as uow:
        book = uow.book.get()
    check_outcome_time(at, today=dt.datetime.now(dt.UTC).date(),
                       business_date=book.business_date if book else None)
    report = OutcomeReport(visit_id, result, at, GeoPoint(latitude, longitude), note,
                           letter_no, proof, promise_amount_minor, promise_due)
    check_outcome_details(report)
    with app.uow() as uow:
        visit = uow.field.visit(visit_id)
        if is_repeat(visit, report):
            return visit
        require_on_itinerary(visit)
        address = uow.field.addresses([visit.borrower_id]).get(visit.borrower_id)
        flagged, distance = place_check(address, report.place)
        effects = outcome_effects(report.outcome, agent_id=str(visit.agent_id),
                                  letter_no=letter_no, note=note)
        feed_collections(uow, visit, report, effects,
                         place_note=place_note(flagged, distance))
        save_outcome(uow, visit, report, effects, flagged=flagged, distance=distance)
        out = uow.field.visit(visit_id)
        uow.commit()
    return out


def parse_outcome(outcome: str) -> VisitOutcome:
    """The outcome named ``outcome`` (``visit_outcome_must_be_known`` otherwise)."""
    try:
        return VisitOutcome(outcome)
    except ValueError:
        raise InvalidInput(f"unknown outcome {outcome!r}; use one of "
                           f"{', '.join(o.value for o in VisitOutcome)}",
                           code="visit_outcome_must_be_known") from None


def check_outcome_time(at: dt.datetime, *, today: dt.date,
                       business_date: dt.date | None) -> None:
    """An outcome's time carries its offset and is no later than the latest date a
    record may carry (today, or the book's date when it runs ahead)."""
    if at.tzinfo is None:
        raise InvalidInput("the outcome time must carry an offset, like +08:00",
                           code="timestamp_must_carry_offset")
    check_date(at.astimezone(dt.UTC).date(), field="at", latest=latest_record_date(
        today, *([business_date] if business_date is not None else [])))


def check_outcome_details(report: OutcomeReport) -> None:
    """A letter goes only into the borrower's hands; a promise names its amount and
    date."""
    if report.letter_no is not None and not report.outcome.met_borrower:
        raise InvalidInput(f"letter {report.letter_no} can be delivered only into the "
                           f"borrower's hands; with outcome {report.outcome.value} nothing "
                           "may be left with anyone",
                           code="letter_must_be_handed_to_the_borrower")
    if report.outcome is VisitOutcome.PROMISE_TO_PAY and (report.promise_amount_minor is None
                                                          or report.promise_due is None):
        raise InvalidInput("a promise to pay needs its amount and date (--promise-amount, "
                           "--promise-due)", code="promise_must_have_amount_and_date")


def is_repeat(visit: VisitRecord, report: OutcomeReport) -> bool:
    """True when ``visit`` already holds exactly this outcome (a harmless repeat);
    refused (``visit_outcome_must_be_recorded_once``) when it holds another one."""
    if visit.status is not VisitStatus.DONE:
        return False
    if (visit.outcome is report.outcome and visit.outcome_at == report.at
            and visit.letter_no == report.letter_no):
        return True
    raise Conflict(f"visit {visit.visit_id} already has outcome {visit.outcome} recorded at "
                   f"{visit.outcome_at}", code="visit_outcome_must_be_recorded_once")


def require_on_itinerary(visit: VisitRecord) -> None:
    """Only a visit planned or assigned to an agent gets an outcome
    (``visit_must_be_planned``)."""
    if visit.agent_id is None or visit.status not in (VisitStatus.PLANNED,
                                                      VisitStatus.ASSIGNED):
        raise Conflict(f"visit {visit.visit_id} is {visit.status.value} and has no agent on "
                       "an itinerary; plan or assign it first", code="visit_must_be_planned")


def place_check(address: Address | None, place: GeoPoint) -> tuple[bool, int | None]:
    """(flagged, metres from the stored address) of where the outcome was recorded;
    flagged with no distance when the address has no coordinates to compare."""
    if address is None or address.location is None:
        return True, None
    return far_from_address(address.location, place)


def place_note(flagged: bool, distance: int | None) -> str:
    """What the case timeline adds about the place of a flagged outcome."""
    if not flagged:
        return ""
    if distance:
        return f"; recorded {distance} m from the stored address"
    return "; no stored coordinates to compare"


def feed_collections(uow: UnitOfWork, visit: VisitRecord, report: OutcomeReport,
                     effects: OutcomeEffects, *, place_note: str) -> None:
    """The contacts the guard reads, the case timeline, the promise to pay and the
    letter register, as the outcome's effects say."""
    at = report.at
    for contact in effects.contact_outcomes:
        record_contact(uow, borrower_id=visit.borrower_id, at=at, channel=Channel.VISIT.value,
                       outcome=contact, action_id=visit.action_id, now=at)
    profile = uow.borrowers.get(visit.borrower_id)
    today = at.astimezone(profile.borrower.zone).date()
    is_case = uow.field.case_exists(visit.case_id)
    if is_case:
        uow.cases.note(visit.case_id, today, effects.timeline_kind,
                       effects.timeline_text + place_note)
    if effects.promise:
        if not is_case:
            raise InvalidInput(f"{visit.case_id} is not an open case; a promise needs one",
                               code="case_must_exist")
        assert report.promise_amount_minor is not None and report.promise_due is not None
        record_promise(uow, case_id=visit.case_id, amount_minor=report.promise_amount_minor,
                       due_date=report.promise_due, today=today, now=at)
    if effects.letter_delivered:
        deliver_letter(uow, visit, report)


def deliver_letter(uow: UnitOfWork, visit: VisitRecord, report: OutcomeReport) -> None:
    """The letter handed over at the door, delivered in person in the register."""
    from dunwell.app.letters.service import record_letter_event

    assert report.letter_no is not None
    record_letter_event(uow, letter_no=report.letter_no, event="delivered", at=report.at,
                        method="in_person",
                        proof=report.proof or f"handed over in person at visit "
                                              f"{visit.visit_id} by agent {visit.agent_id}",
                        note=f"field visit {visit.visit_id}")


def save_outcome(uow: UnitOfWork, visit: VisitRecord, report: OutcomeReport,
                 effects: OutcomeEffects, *, flagged: bool, distance: int | None) -> None:
    """The visit done with its outcome, and the audit entry."""
    uow.field.update_visit(
        visit.visit_id, status=VisitStatus.DONE.value, outcome=report.outcome.value,
        outcome_at=report.at.isoformat(), outcome_latitude=report.place.latitude,
        outcome_longitude=report.place.longitude, distance_from_address_m=distance,
        place_flagged=flagged, proof=report.proof, note=report.note,
        letter_no=report.letter_no)
    record(uow, at=report.at, entries=[(
        "field_visit_outcome", f"borrower:{visit.borrower_id}", {
            "visit_id": visit.visit_id, "agent_id": visit.agent_id,
            "outcome": report.outcome.value, "contacts": list(effects.contact_outcomes),
            "letter_no": report.letter_no, "place_flagged": flagged,
            "distance_from_address_m": distance})])


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
        repo = uow.field
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


__all__ = [
    "NO_ADDRESS",
    "NO_COORDINATES",
    "NO_NOTICE",
    "ROI_DAYS",
    "SERVICE_MIN",
    "SPEED_KMH",
    "VISIT_NOTICE_VALID_DAYS",
    "AgentDay",
    "AgentStatus",
    "Itinerary",
    "ItineraryLine",
    "PlanReport",
    "RoiRow",
    "VisitRecord",
    "add_agent",
    "add_certificate",
    "assign_visit",
    "book_currency",
    "itineraries",
    "itinerary_csv_rows",
    "itinerary_text",
    "list_agents",
    "plan_visits",
    "record_visit_outcome",
    "set_address",
    "visit_roi",
]
