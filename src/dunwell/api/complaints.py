"""Complaints over HTTP: record one received on any channel, the queue (overdue first),
one complaint with its timeline, and the final response. Who acts is the signed-in
user, never the body; rejections use the common error shape with the complaint codes
(e.g. ``complaint_category_must_be_known``) and nothing changes when one is returned."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Path, Query, status
from pydantic import BaseModel, Field

from dunwell.api.auth import PrincipalDep
from dunwell.api.deps import ServicesDep, utc_now
from dunwell.api.schemas import ERROR_RESPONSES, StrictIn
from dunwell.app.complaints.service import (
    ComplaintEvent,
    ComplaintView,
    answer,
    get_complaint,
    list_complaints,
    record_complaint,
)
from dunwell.core.limits import ID_MAX
from dunwell.identity.model import Principal

router = APIRouter(prefix="/v1/complaints", tags=["complaints"], responses=ERROR_RESPONSES)
ComplaintPath = Annotated[int, Path(ge=1, le=ID_MAX, description="Complaint id.")]


class EventOut(BaseModel):
    at: dt.datetime
    kind: str
    actor: str
    note: str


class ComplaintOut(BaseModel):
    complaint_id: int
    borrower_id: int
    case_id: str | None
    jurisdiction: str
    channel: str
    category: str
    dispute: bool = Field(description="The category contests the debt.")
    status: str = Field(description="received, acknowledged, final_response, escalated, "
                        "closed")
    received_at: dt.datetime
    acknowledge_by: dt.date
    answer_by: dt.date
    days_left: int
    overdue: bool
    pauses_collection: bool
    deadline_source: str
    escalated_to: str | None
    text: str
    answer: str
    timeline: list[EventOut] = Field(default_factory=list)


class ComplaintIn(StrictIn):
    borrower_id: int = Field(ge=1, le=ID_MAX)
    channel: str = Field(max_length=16, description="portal, call, letter, visit, email, other")
    category: str = Field(max_length=32)
    text: str = Field(min_length=1, max_length=4000)
    case_id: str | None = Field(default=None, max_length=64)


class AnswerIn(StrictIn):
    text: str = Field(min_length=1, max_length=4000)


def complaint_out(v: ComplaintView, events: list[ComplaintEvent] | None = None) -> ComplaintOut:
    c = v.complaint
    return ComplaintOut(
        complaint_id=c.complaint_id, borrower_id=c.borrower_id, case_id=c.case_id,
        jurisdiction=c.jurisdiction.value, channel=c.channel.value, category=c.category.value,
        dispute=c.category.is_dispute, status=c.status.value, received_at=c.received_at,
        acknowledge_by=v.deadlines.acknowledge_by, answer_by=v.deadlines.answer_by,
        days_left=v.days_left, overdue=v.overdue, pauses_collection=v.pauses_collection,
        deadline_source=v.deadlines.source, escalated_to=c.escalated_to, text=v.text,
        answer=v.answer,
        timeline=[EventOut(at=e.at, kind=e.kind, actor=e.actor, note=e.note)
                  for e in events or []])


def _who(p: Principal) -> str:
    return p.staff_id or p.name


@router.post("", status_code=status.HTTP_201_CREATED, response_model=ComplaintOut)
async def post_complaint(body: ComplaintIn, svc: ServicesDep,
                         principal: PrincipalDep) -> ComplaintOut:
    """Record a complaint; its deadlines follow the borrower's jurisdiction."""
    def command() -> ComplaintOut:
        return complaint_out(record_complaint(
            svc.dunwell, borrower_id=body.borrower_id, channel=body.channel,
            category=body.category, text=body.text, case_id=body.case_id, now=utc_now(),
            by=_who(principal)))

    return await svc.run(command)


@router.get("", response_model=list[ComplaintOut])
async def get_complaints(
    svc: ServicesDep,
    status_: Annotated[str | None, Query(alias="status", max_length=16)] = None,
    category: Annotated[str | None, Query(max_length=32)] = None,
    overdue: bool = False,
) -> list[ComplaintOut]:
    """The queue: overdue first, then by final-answer deadline."""
    def command() -> list[ComplaintOut]:
        views = list_complaints(svc.dunwell, today=utc_now().date(), status=status_,
                                category=category, overdue_only=overdue)
        return [complaint_out(v) for v in views]

    return await svc.run(command)


@router.get("/{complaint_id}", response_model=ComplaintOut)
async def get_one(complaint_id: ComplaintPath, svc: ServicesDep) -> ComplaintOut:
    """One complaint with its deadlines and timeline."""
    def command() -> ComplaintOut:
        v, events = get_complaint(svc.dunwell, complaint_id, today=utc_now().date())
        return complaint_out(v, events)

    return await svc.run(command)


@router.post("/{complaint_id}/answer", response_model=ComplaintOut)
async def post_answer(complaint_id: ComplaintPath, body: AnswerIn, svc: ServicesDep,
                      principal: PrincipalDep) -> ComplaintOut:
    """Send the final response (for a dispute, the verification: the pause ends)."""
    def command() -> ComplaintOut:
        v = answer(svc.dunwell, complaint_id=complaint_id, text=body.text, now=utc_now(),
                   by=_who(principal))
        _, events = get_complaint(svc.dunwell, complaint_id, today=utc_now().date())
        return complaint_out(v, events)

    return await svc.run(command)
