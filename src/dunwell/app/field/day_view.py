"""The field agent's day as a person reads it on a phone: their visits of a date in
route order (with the borrower's name, address and coordinates in full for their
own visits, kept in the audit log as a personal-data read), one visit with what the
agent needs at the door, and the outcome recorded through the same service as
``dunwell field visit`` — refused unless the visit is theirs and the training gate
lets them visit that day.

A team lead or manager reads every agent's day with names and addresses masked (the
district) and coordinates rounded to about a kilometre."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from dunwell.app.context import Dunwell
from dunwell.app.field.visits import record_visit_outcome
from dunwell.app.objects import record_personal_read, require_visit
from dunwell.app.training.gate import require_visit_qualified, visit_refusals
from dunwell.app.uow import UnitOfWork
from dunwell.core.errors import Forbidden
from dunwell.field.model import VisitRecord, VisitStatus
from dunwell.identity.masking import mask_address, mask_coordinate, mask_name
from dunwell.identity.model import Principal
from dunwell.identity.objects import Holding, Thing, sees_all_visits, sees_contact_in_full


@dataclass(frozen=True, slots=True)
class DayVisit:
    """One stop of an itinerary as the page shows it."""

    visit_id: int
    sequence: int
    agent_id: str
    case_id: str
    borrower_id: int
    borrower: str  # in full for the visit's own agent, masked otherwise
    address: str  # likewise; "" when none is stored
    latitude: float | None
    longitude: float | None
    eta: dt.datetime | None
    window: str
    status: str
    outcome: str | None
    in_full: bool


@dataclass(frozen=True, slots=True)
class AgentDayView:
    plan_date: dt.date
    agent_id: str | None  # the agent shown (None: every agent, for a lead)
    agents: list[str]  # the agents with visits that day (for a lead's filter)
    visits: list[DayVisit]
    certified: bool
    refusals: tuple[str, ...]  # why the training gate stops the agent visiting that day


def _window(v: VisitRecord) -> str:
    if v.window_start is None or v.window_end is None:
        return ""
    zone = v.eta.tzinfo if v.eta is not None else dt.UTC
    return f"{v.window_start.astimezone(zone):%H:%M}-{v.window_end.astimezone(zone):%H:%M}"


def _stop(uow: UnitOfWork, principal: Principal, v: VisitRecord) -> DayVisit:
    full = sees_contact_in_full(principal, Holding(
        Thing.VISIT, v.visit_id, v.borrower_id,
        visit_agents=frozenset({v.agent_id} if v.agent_id else ())))
    name = uow.borrowers.get(v.borrower_id).name
    address = uow.field.addresses([v.borrower_id]).get(v.borrower_id)
    text = "" if address is None else address.text
    where = None if address is None else address.location
    lat = None if where is None else where.latitude
    lon = None if where is None else where.longitude
    return DayVisit(v.visit_id, v.sequence or 0, str(v.agent_id or ""), v.case_id,
                    v.borrower_id, name if full else mask_name(name),
                    text if full or not text else mask_address(text),
                    lat if full else mask_coordinate(lat),
                    lon if full else mask_coordinate(lon), v.eta, _window(v), v.status.value,
                    v.outcome.value if v.outcome else None, full)


def _on_itinerary(v: VisitRecord) -> bool:
    return v.agent_id is not None and v.status in (VisitStatus.PLANNED, VisitStatus.DONE,
                                                   VisitStatus.ASSIGNED)


def _gate(uow: UnitOfWork, agent_id: str, day: dt.date) -> tuple[str, ...]:
    return visit_refusals(uow, agent_ids=[agent_id], on=day, beyond={}).get(agent_id, ())


def agent_day(app: Dunwell, principal: Principal, *, plan_date: dt.date | None = None,
              agent_id: str | None = None, now: dt.datetime) -> AgentDayView:
    """The visits of ``plan_date`` (default: the book's open date, or today where no
    loan book is kept) in route order: a
    field agent's own; a lead's or manager's for every agent or ``agent_id``."""
    if not sees_all_visits(principal):
        own = principal.staff_id
        if not own or (agent_id is not None and agent_id != own):
            raise Forbidden("a field agent reads only their own day's visits",
                            code="itinerary_must_be_your_own")
        agent_id = own
    with app.uow() as uow:
        book = uow.book.get()
        day = plan_date or (book.business_date if book else now.date())
        every = [v for v in uow.field.visits_on(day) if _on_itinerary(v)]
        agents = sorted({str(v.agent_id) for v in every})
        mine = [v for v in every if agent_id is None or v.agent_id == agent_id]
        mine.sort(key=lambda v: (str(v.agent_id), v.sequence or 0, v.visit_id))
        stops = [_stop(uow, principal, v) for v in mine]
        refusals = _gate(uow, agent_id, day) if agent_id else ()
        record_personal_read(uow, principal=principal, what="field_day",
                             subject=f"plan:{day.isoformat()}", now=now,
                             whose=[s.case_id for s in stops if s.in_full],
                             detail={"plan_date": day.isoformat(), "agent_id": agent_id})
        uow.commit()
    return AgentDayView(day, agent_id, agents, stops, not refusals, refusals)


@dataclass(frozen=True, slots=True)
class VisitSheet:
    """One visit at the door: the stop, the visit's reason, what was recorded, the
    letters issued to the borrower that may be handed over, and whether the agent may
    record an outcome."""

    stop: DayVisit
    plan_date: dt.date
    reason: str
    note: str
    letter_no: str | None
    letters: list[str]
    refusals: tuple[str, ...]

    @property
    def open(self) -> bool:
        return self.stop.status != VisitStatus.DONE.value


def visit_sheet(app: Dunwell, principal: Principal, visit_id: int, *,
                now: dt.datetime) -> VisitSheet:
    """One visit (only the agent's own for a field agent: 403, or 404 when missing)."""
    with app.uow() as uow:
        require_visit(uow, principal, visit_id)
        v = uow.field.visit(visit_id)
        stop = _stop(uow, principal, v)
        letters = [x.letter_no for x in uow.letters.listing(borrower_id=v.borrower_id)
                   if x.status.value != "delivered"]
        refusals = _gate(uow, str(v.agent_id), v.plan_date) if v.agent_id else ()
        record_personal_read(uow, principal=principal, what="field_visit",
                             subject=f"visit:{visit_id}", now=now,
                             whose=[v.case_id] if stop.in_full else [])
        uow.commit()
    return VisitSheet(stop, v.plan_date, v.reason, v.note, v.letter_no, letters, refusals)


def record_door_outcome(app: Dunwell, principal: Principal, *, visit_id: int, outcome: str,
                        at: dt.datetime, latitude: float, longitude: float, note: str,
                        letter_no: str | None, promise_amount_minor: int | None,
                        promise_due: dt.date | None) -> VisitRecord:
    """Record what happened at the door as ``dunwell field visit`` does, once the
    object rules (the visit is the principal's) and the training gate (its agent may
    visit on its date; ``agent_must_hold_valid_certificates``) allow it."""
    with app.uow() as uow:
        require_visit(uow, principal, visit_id)
        v = uow.field.visit(visit_id)
        if v.agent_id:
            require_visit_qualified(uow, agent_id=v.agent_id, on=v.plan_date)
    return record_visit_outcome(app, visit_id=visit_id, outcome=outcome, at=at,
                                latitude=latitude, longitude=longitude, note=note,
                                letter_no=letter_no, promise_amount_minor=promise_amount_minor,
                                promise_due=promise_due)


__all__ = ["AgentDayView", "DayVisit", "VisitSheet", "agent_day", "record_door_outcome",
           "visit_sheet"]
