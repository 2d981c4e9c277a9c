"""Field routes: ``POST /v1/field/visits/{visit_id}/assign`` (refused with 409
``agent_must_hold_valid_certificates`` for an agent without valid certificates in
every required subject on the visit date), ``POST /v1/field/visits/{visit_id}/outcome``
(what happened at the door) and ``GET /v1/field/plans/{date}`` (the day's visits per
agent; borrower names only when one agent's itinerary is asked for). Amounts are
decimal strings in major units."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from pydantic import Field

from dunwell.api.deps import IdPath, ServicesDep, utc_now
from dunwell.api.schemas import ERROR_RESPONSES, AmountText, IsoDate, IsoDateTime, StrictIn
from dunwell.app.field.visits import (
    assign_visit,
    book_currency,
    itineraries,
    record_visit_outcome,
)
from dunwell.core.errors import InvalidInput
from dunwell.core.limits import check_date, latest_record_date
from dunwell.core.money import format_minor, to_minor
from dunwell.field.model import VisitRecord

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
async def post_assign(visit_id: IdPath, body: AssignIn, svc: ServicesDep) -> dict[str, Any]:
    """Give a visit to an agent by hand (only a certified agent)."""

    def command() -> dict[str, Any]:
        rec = assign_visit(svc.dunwell, visit_id=visit_id, agent_id=body.agent_id, now=utc_now())
        return visit_out(rec, book_currency(svc.dunwell))

    return await svc.run(command)


@router.post("/visits/{visit_id}/outcome", responses=ERRORS)
async def post_outcome(visit_id: IdPath, body: OutcomeIn, svc: ServicesDep) -> dict[str, Any]:
    """Record a visit's outcome; it feeds the case, the guard's contact history,
    promises and the letter register."""

    def command() -> dict[str, Any]:
        cur = book_currency(svc.dunwell)
        if body.at.tzinfo is None:
            raise InvalidInput("at must carry a UTC offset, like +08:00",
                               code="timestamp_must_carry_offset", field="at")
        check_date(body.at, field="at", latest=latest_record_date(utc_now().date()))
        rec = record_visit_outcome(
            svc.dunwell, visit_id=visit_id, outcome=body.outcome, at=body.at,
            latitude=body.latitude, longitude=body.longitude, note=body.note,
            letter_no=body.letter_no, proof=body.proof,
            promise_amount_minor=to_minor(body.promise_amount, cur, field="promise_amount")
            if body.promise_amount else None, promise_due=body.promise_due)
        return visit_out(rec, cur)

    return await svc.run(command)


@router.get("/plans/{plan_date}", responses=ERRORS)
async def get_plan(plan_date: PlanDate, svc: ServicesDep,
                   agent_id: AgentQuery = None) -> dict[str, Any]:
    """The day's itineraries (with borrower names only for the one ``agent_id`` asked
    for) and the visits left off with their reasons."""

    def query() -> dict[str, Any]:
        cur = book_currency(svc.dunwell)
        its, left = itineraries(svc.dunwell, plan_date=plan_date)
        chosen = [it for it in its if agent_id is None or it.agent.agent_id == agent_id]
        return {"plan_date": plan_date.isoformat(), "itineraries": [{
            "agent_id": it.agent.agent_id, "certificates": it.certificate_numbers,
            "cost": format_minor(it.cost_minor, cur),
            "visits": [{"sequence": x.sequence, "visit_id": x.visit_id, "case_id": x.case_id,
                        "eta": x.eta.isoformat(), "window": x.window,
                        **({"borrower_name": x.borrower_name, "address": x.address}
                           if agent_id is not None else {})} for x in it.lines]}
            for it in chosen],
            "left": [visit_out(v, cur) for v in left] if agent_id is None else []}

    return await svc.run(query)
