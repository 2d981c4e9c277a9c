"""Negotiation routes (the borrower portal's hardship form and its offers):
``POST /v1/hardship``, ``GET /v1/cases/{case_id}/offers``,
``POST /v1/offers/{offer_id}/approve`` (staff) and ``POST /v1/offers/{offer_id}/accept``.
Amounts are decimal strings in major units."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, status
from pydantic import Field

from dunwell.api.deps import IdPath, ServicesDep, utc_now
from dunwell.api.schemas import ERROR_RESPONSES, AmountText, Id, StrictIn
from dunwell.app.negotiation.service import (
    OfferBook,
    OfferRecord,
    PlanRecord,
    accept_offer,
    approve_offer,
    assess_hardship,
    current_offers,
    offer_book,
)
from dunwell.core.money import format_minor, to_minor

router = APIRouter(prefix="/v1", tags=["negotiation"], responses=ERROR_RESPONSES)
ERRORS: dict[int | str, dict[str, Any]] = ERROR_RESPONSES
CasePath = Annotated[str, Path(min_length=1, max_length=64, description="The case id.")]


class EvidenceIn(StrictIn):
    reference: str = Field(min_length=1, max_length=200, description="File name or scan id.")
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$", description="Hex digest of the document.")


class HardshipIn(StrictIn):
    case_id: str = Field(max_length=64)
    reason: Literal["illness", "family_emergency", "business_downturn", "job_loss", "other"]
    monthly_income: AmountText
    essential_expenses: AmountText
    other_debt_payments: AmountText = "0"
    evidence: list[EvidenceIn] = Field(default_factory=list, max_length=20)
    vulnerable: bool = False
    source: Literal["portal", "collector", "field_agent"] = "portal"
    loan_id: Id | None = None


class ApprovalIn(StrictIn):
    by: str = Field(min_length=1, max_length=64, description="The approver's staff id.")
    role: Literal["collector", "field_agent", "team_lead", "manager", "risk_committee"]


def offer_out(rec: OfferRecord, currency: str) -> dict[str, Any]:
    o = rec.offer
    return {
        "offer_id": rec.offer_id, "rank": rec.rank, "kind": o.kind.value, "months": o.months,
        "reduced_months": o.reduced_months, "status": rec.status.value,
        "monthly_payment": format_minor(o.monthly_payment_minor, currency),
        "affordability": str(o.affordability), "keep_probability": str(o.keep_probability),
        "expected_npv": format_minor(o.expected_npv_minor, currency),
        "total_cost": format_minor(o.total_cost_minor, currency),
        "debt": format_minor(o.debt.total_minor, currency),
        "waiver": format_minor(o.waiver.total_minor, currency),
        "approval_needed": o.approval_role.value, "approved_by": rec.approved_by,
        "expires_on": rec.expires_on.isoformat(),
        "schedule": [{"n": i.n, "due_date": i.due_date.isoformat(),
                      "amount": format_minor(i.total_minor, currency)} for i in o.instalments],
    }


def plan_out(plan: PlanRecord) -> dict[str, Any]:
    return {"plan_id": plan.plan_id, "offer_id": plan.offer_id, "case_id": plan.case_id,
            "loan_id": plan.loan_id, "kind": plan.kind.value, "status": plan.status.value,
            "accepted_on": plan.accepted_on.isoformat(), "entry_id": plan.entry_id}


def _book_out(book: OfferBook, currency: str) -> dict[str, Any]:
    return {"case_id": book.case_id, "assessment_id": book.assessment.assessment_id,
            "disposable_income": format_minor(book.assessment.disposable_income_minor, currency),
            "offers": [offer_out(o, currency) for o in book.offers],
            "unaffordable": book.unaffordable, "referral": book.referral}



@router.post("/hardship", status_code=status.HTTP_201_CREATED, responses=ERRORS)
async def post_hardship(body: HardshipIn, svc: ServicesDep) -> dict[str, Any]:
    """Record the borrower's hardship and return today's offers, best first (or the
    referral to free debt advice when none is affordable)."""

    def command() -> dict[str, Any]:
        app = svc.dunwell
        with app.uow() as uow:
            info = uow.book.require()
        cur = info.currency
        assess_hardship(
            app, case_id=body.case_id, reason=body.reason,
            monthly_income_minor=to_minor(body.monthly_income, cur, field="monthly_income"),
            essential_expenses_minor=to_minor(body.essential_expenses, cur,
                                              field="essential_expenses"),
            other_debt_payments_minor=to_minor(body.other_debt_payments, cur,
                                               field="other_debt_payments"),
            evidence=[f"{e.reference}:{e.sha256}" for e in body.evidence],
            vulnerable=body.vulnerable, source=body.source, now=utc_now(), loan_id=body.loan_id)
        book = offer_book(app, case_id=body.case_id, business_date=info.business_date)
        return _book_out(book, cur)

    return await svc.run(command)


@router.get("/cases/{case_id}/offers", responses=ERRORS)
async def get_offers(case_id: CasePath, svc: ServicesDep) -> dict[str, Any]:
    """The case's offers still open or approved, best first."""

    def query() -> dict[str, Any]:
        with svc.dunwell.uow() as uow:
            cur = uow.book.require().currency
        offers = current_offers(svc.dunwell, case_id=case_id)
        return {"case_id": case_id, "offers": [offer_out(o, cur) for o in offers]}

    return await svc.run(query)


@router.post("/offers/{offer_id}/approve", responses=ERRORS)
async def post_approve(offer_id: IdPath, body: ApprovalIn, svc: ServicesDep) -> dict[str, Any]:
    """Approve an offer within the approver's authority (staff)."""

    def command() -> dict[str, Any]:
        with svc.dunwell.uow() as uow:
            cur = uow.book.require().currency
        rec = approve_offer(svc.dunwell, offer_id=offer_id, approver_id=body.by,
                            role=body.role, now=utc_now())
        return offer_out(rec, cur)

    return await svc.run(command)


@router.post("/offers/{offer_id}/accept", status_code=status.HTTP_201_CREATED,
             responses=ERRORS)
async def post_accept(offer_id: IdPath, svc: ServicesDep) -> dict[str, Any]:
    """The borrower accepts an approved offer: the loan is restructured."""

    def command() -> dict[str, Any]:
        return plan_out(accept_offer(svc.dunwell, offer_id=offer_id, now=utc_now()))

    return await svc.run(command)
