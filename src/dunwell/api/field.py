"""Field routes: ``POST /v1/field/visits/{visit_id}/assign`` (refused with 409
``agent_must_hold_valid_certificates`` for an agent without valid certificates in
every required subject on the visit date), ``POST /v1/field/visits/{visit_id}/outcome``
(what happened at the door; only the agent the visit is assigned to) and
``GET /v1/field/plans/{date}`` (the day's visits per agent). Amounts are decimal
strings in major units.

A field agent reads only their own itinerary, with their borrowers' names and
addresses in full (the read is kept in the audit log); a team lead or manager reads
every agent's, and, for one agent's itinerary, the names and addresses masked (``张*``,
the district)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from pydantic import Field

from dunwell.api.auth import PrincipalDep
from dunwell.api.deps import IdPath, ServicesDep, utc_now
from dunwell.api.schemas import ERROR_RESPONSES, AmountText, IsoDate, IsoDateTime, StrictIn
from dunwell.app.field.visits import (
    Itinerary,
    assign_visit,
    book_currency,
    itineraries,
    record_visit_outcome,
)
from dunwell.app.objects import record_personal_read, require_visit
from dunwell.core.errors import Forbidden, InvalidInput
from dunwell.core.limits import check_date, latest_record_date
from dunwell.core.money import format_minor, to_minor
from dunwell.field.model import VisitRecord
from dunwell.identity.authority import person
from dunwell.identity.masking import mask_address, mask_name
from dunwell.identity.model import Principal
from dunwell.identity.objects import Holding, Thing, sees_all_visits, sees_contact_in_full

router = APIRouter(prefix="/v1/field", tags=["field"], responses=ERROR_RESPONSES)
ERRORS: dict[int | str, dict[str, Any]] = ERROR_RESPONSES
PlanDate = Annotated[IsoDate, Path(description="The plan's date, YYYY-MM-DD.")]
AgentQuery = Annotated[str | None, Query(min_length=1, max_length=64,
                                         description="One agent's itinerary, with names.")]


class AssignIn(StrictIn):
    agent_id: str = Field(min_length=1, max_length=64)


class OutcomeIn(StrictIn):
    outcome: str = Field(max_length=64,
                         description="delivered_in_person, not_at_home, moved, refused, "
                         "promise_to_pay, plan_requested or hardship_reported.")
    at: IsoDateTime = Field(description="When, with its UTC offset; not in the future.")
    latitude: float = Field(ge=-90, le=90)
    longitude: float = Field(ge=-180, le=180)
    note: str = Field(default="", max_length=2000)
    letter_no: str | None = Field(default=None, max_length=64)
    proof: str | None = Field(default=None, max_length=500)
    promise_amount: AmountText | None = None
    promise_due: IsoDate | None = None


def visit_out(v: VisitRecord, currency: str) -> dict[str, Any]:
    return {"visit_id": v.visit_id, "plan_date": v.plan_date.isoformat(), "case_id": v.case_id,
            "borrower_id": v.borrower_id, "agent_id": v.agent_id, "status": v.status.value,
            "reason": v.reason, "sequence": v.sequence,
            "eta": v.eta.isoformat() if v.eta else None,
            "cost": format_minor(v.cost_minor, currency),
            "outcome": v.outcome.value if v.outcome else None,
            "place_flagged": v.place_flagged,
            "distance_from_address_m": v.distance_from_address_m, "letter_no": v.letter_no}



@router.post("/visits/{visit_id}/assign", responses=ERRORS)
async def post_assign(visit_id: IdPath, body: AssignIn, svc: ServicesDep,
                      principal: PrincipalDep) -> dict[str, Any]:
    """Give a visit to an agent by hand (only a certified agent)."""

    def command() -> dict[str, Any]:
        with svc.dunwell.uow() as uow:
            require_visit(uow, principal, visit_id)
        rec = assign_visit(svc.dunwell, visit_id=visit_id, agent_id=body.agent_id, now=utc_now(),
                           by=person(principal))
        return visit_out(rec, book_currency(svc.dunwell))

    return await svc.run(command)


@router.post("/visits/{visit_id}/outcome", responses=ERRORS)
async def post_outcome(visit_id: IdPath, body: OutcomeIn, svc: ServicesDep,
                       principal: PrincipalDep) -> dict[str, Any]:
    """Record a visit's outcome (only the agent the visit is assigned to); it feeds the
    case, the guard's contact history, promises and the letter register."""

    def command() -> dict[str, Any]:
        cur = book_currency(svc.dunwell)
        if body.at.tzinfo is None:
            raise InvalidInput("at must carry a UTC offset, like +08:00",
                               code="timestamp_must_carry_offset", field="at")
        check_date(body.at, field="at", latest=latest_record_date(utc_now().date()))
        with svc.dunwell.uow() as uow:
            require_visit(uow, principal, visit_id)
        rec = record_visit_outcome(
            svc.dunwell, visit_id=visit_id, outcome=body.outcome, at=body.at,
            latitude=body.latitude, longitude=body.longitude, note=body.note,
            letter_no=body.letter_no, proof=body.proof,
            promise_amount_minor=to_minor(body.promise_amount, cur, field="promise_amount")
            if body.promise_amount else None, promise_due=body.promise_due)
        return visit_out(rec, cur)

    return await svc.run(command)


@router.get("/plans/{plan_date}", responses=ERRORS)
async def get_plan(plan_date: PlanDate, svc: ServicesDep, principal: PrincipalDep,
                   agent_id: AgentQuery = None) -> dict[str, Any]:
    """The day's itineraries and the visits left off with their reasons. A field agent
    gets their own itinerary only, with names and addresses; a lead or manager every
    agent's, with masked names and addresses for the one ``agent_id`` asked for."""
    if not sees_all_visits(principal):
        own = principal.staff_id or ""
        if agent_id is not None and agent_id != own:
            raise Forbidden(f"a field agent reads only their own itinerary ({own or 'none'}), "
                            f"not agent {agent_id}'s", code="itinerary_must_be_your_own")
        agent_id = own

    def query() -> dict[str, Any]:
        cur = book_currency(svc.dunwell)
        its, left = itineraries(svc.dunwell, plan_date=plan_date)
        chosen = [it for it in its if agent_id is None or it.agent.agent_id == agent_id]
        shown_in_full: list[str] = []
        out = {"plan_date": plan_date.isoformat(), "itineraries": [
            _itinerary_out(it, cur, principal, names=agent_id is not None,
                           shown_in_full=shown_in_full) for it in chosen],
            "left": [visit_out(v, cur) for v in left]
            if agent_id is None and sees_all_visits(principal) else []}
        if shown_in_full:
            with svc.dunwell.uow() as uow:
                record_personal_read(uow, principal=principal, what="field_plan",
                                     subject=f"plan:{plan_date.isoformat()}", now=utc_now(),
                                     whose=shown_in_full, detail={
                                         "plan_date": plan_date.isoformat(),
                                         "agent_id": agent_id})
                uow.commit()
        return out

    return await svc.run(query)


def _itinerary_out(it: Itinerary, cur: str, principal: Principal, *, names: bool,
                   shown_in_full: list[str]) -> dict[str, Any]:
    """One agent's itinerary; with ``names``, each borrower's name and address, in
    full when the object rules show them to the principal (the case then noted in
    ``shown_in_full``), masked otherwise. (Only the visit's agent matters to the rule
    here: no borrower reaches an itinerary.)"""
    visits = []
    for x in it.lines:
        line: dict[str, Any] = {"sequence": x.sequence, "visit_id": x.visit_id,
                                "case_id": x.case_id, "eta": x.eta.isoformat(),
                                "window": x.window}
        if names:
            full = sees_contact_in_full(principal, Holding(
                Thing.VISIT, x.visit_id, 0, visit_agents=frozenset({it.agent.agent_id})))
            line["borrower_name"] = x.borrower_name if full else mask_name(x.borrower_name)
            line["address"] = x.address if full else mask_address(x.address)
            line["masked"] = not full
            if full:
                shown_in_full.append(x.case_id)
        visits.append(line)
    return {"agent_id": it.agent.agent_id, "certificates": it.certificate_numbers,
            "cost": format_minor(it.cost_minor, cur), "visits": visits}
