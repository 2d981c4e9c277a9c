"""Negotiation routes (the borrower portal's hardship form and its offers):
``POST /v1/hardship``, ``GET /v1/cases/{case_id}/offers``,
``POST /v1/offers/{offer_id}/approve`` (staff) and ``POST /v1/offers/{offer_id}/accept``.
Amounts are decimal strings in major units.

Who acts is the signed-in user, never the body: hardship is recorded as told by the
borrower (``portal``), their collector or a field agent, according to who sends it;
an offer is approved by the user at their role's approval level (a risk analyst for
the risk committee) within their own authority; it is accepted by the borrower or by
the staff member they accept it with, who may not be its approver. Every route
applies the object rules to the case: a borrower reaches only their own, a collector
only the cases assigned to them."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, status
from pydantic import Field

from dunwell.api.auth import PrincipalDep
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
from dunwell.app.objects import require_case, require_offer
from dunwell.core.money import format_minor, to_minor
from dunwell.identity.authority import approval_level, person
from dunwell.identity.model import Role

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
    loan_id: Id | None = None


#: Who told the hardship, by the role of the user who records it.
SOURCE_OF = {Role.BORROWER: "portal", Role.FIELD_AGENT: "field_agent"}


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
async def post_hardship(body: HardshipIn, svc: ServicesDep,
                        principal: PrincipalDep) -> dict[str, Any]:
    """Record the borrower's hardship and return today's offers, best first (or the
    referral to free debt advice when none is affordable). Its source is who sends
    it: ``portal`` for the borrower, ``field_agent`` for an agent, ``collector`` for
    other staff."""

    def command() -> dict[str, Any]:
        app = svc.dunwell
        with app.uow() as uow:
            info = uow.book.require()
            cur = info.currency
            income, expenses, debts = (
                to_minor(body.monthly_income, cur, field="monthly_income"),
                to_minor(body.essential_expenses, cur, field="essential_expenses"),
                to_minor(body.other_debt_payments, cur, field="other_debt_payments"))
            require_case(uow, principal, body.case_id)
        assess_hardship(
            app, case_id=body.case_id, reason=body.reason, monthly_income_minor=income,
            essential_expenses_minor=expenses, other_debt_payments_minor=debts,
            evidence=[f"{e.reference}:{e.sha256}" for e in body.evidence],
            vulnerable=body.vulnerable, source=SOURCE_OF.get(principal.role, "collector"),
            now=utc_now(), loan_id=body.loan_id, recorded_by=person(principal))
        book = offer_book(app, case_id=body.case_id, business_date=info.business_date)
        return _book_out(book, cur)

    return await svc.run(command)


@router.get("/cases/{case_id}/offers", responses=ERRORS)
async def get_offers(case_id: CasePath, svc: ServicesDep,
                     principal: PrincipalDep) -> dict[str, Any]:
    """The case's offers still open or approved, best first."""

    def query() -> dict[str, Any]:
        with svc.dunwell.uow() as uow:
            require_case(uow, principal, case_id)
            cur = uow.book.require().currency
        offers = current_offers(svc.dunwell, case_id=case_id)
        return {"case_id": case_id, "offers": [offer_out(o, cur) for o in offers]}

    return await svc.run(query)


@router.post("/offers/{offer_id}/approve", responses=ERRORS)
async def post_approve(offer_id: IdPath, svc: ServicesDep,
                       principal: PrincipalDep) -> dict[str, Any]:
    """Approve an offer as the signed-in user (no body): at their role's approval
    level (``approval_needed`` names the level an offer needs; a risk analyst acts for
    the risk committee), within their own authority on the amount waived. 409
    ``approval_must_be_within_authority`` when the level is too low, 403 when the role
    approves no offers or the waiver is beyond the user's own authority."""
    level = approval_level(principal.role)

    def command() -> dict[str, Any]:
        with svc.dunwell.uow() as uow:
            require_offer(uow, principal, offer_id)
            cur = uow.book.require().currency
        rec = approve_offer(svc.dunwell, offer_id=offer_id, approver_id=person(principal),
                            role=level.value, now=utc_now(),
                            authority_minor=principal.authority_minor)
        return offer_out(rec, cur)

    return await svc.run(command)


@router.post("/offers/{offer_id}/accept", status_code=status.HTTP_201_CREATED,
             responses=ERRORS)
async def post_accept(offer_id: IdPath, svc: ServicesDep,
                      principal: PrincipalDep) -> dict[str, Any]:
    """The borrower accepts an approved offer (or staff record it with them; never
    the offer's approver): the loan is restructured."""

    def command() -> dict[str, Any]:
        with svc.dunwell.uow() as uow:
            require_offer(uow, principal, offer_id)
        return plan_out(accept_offer(svc.dunwell, offer_id=offer_id, now=utc_now(),
                                     accepted_by=person(principal)))

    return await svc.run(command)
