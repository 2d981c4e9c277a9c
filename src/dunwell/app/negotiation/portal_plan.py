"""Asking for a repayment plan in the portal, signed in, without a letter's code.

The signed-in borrower's own open collection case is the one the plan is for. They
tell us their monthly budget (recorded as a hardship assessment with source
``portal``) and get today's affordable offers, best first, or the referral to free
debt advice when none is affordable. An offer is accepted online only once staff
approved it (maker-checker: the offer's approver is never the one who accepts it)
and only with the borrower's explicit consent to the new schedule; until then the
page says it is waiting for approval."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from dunwell.app.context import Dunwell
from dunwell.app.negotiation.service import (
    LIVE,
    OfferBook,
    OfferRecord,
    PlanRecord,
    accept_offer,
    assess_hardship,
    offer_book,
)
from dunwell.app.uow import UnitOfWork
from dunwell.collections.model import CaseStatus
from dunwell.core.errors import Conflict, InvalidInput, NotFound
from dunwell.core.money import to_minor
from dunwell.negotiation.model import PlanStatus


@dataclass(frozen=True, slots=True)
class PortalPlans:
    """The borrower's open case (None: nothing to negotiate), its live offers, best
    first, and its active plans."""

    case_id: str | None
    case_status: CaseStatus | None
    currency: str
    business_date: dt.date
    offers: tuple[OfferRecord, ...]
    plans: tuple[PlanRecord, ...]


def _open_case(uow: UnitOfWork, borrower_id: int) -> tuple[str, CaseStatus] | None:
    active = [(str(r["case_id"]), CaseStatus(r["status"])) for r in
              uow.cases.for_borrower(borrower_id) if CaseStatus(r["status"]).is_active]
    return active[-1] if active else None


def my_plans(app: Dunwell, *, borrower_id: int) -> PortalPlans:
    """What the portal's plan page shows the borrower (read only)."""
    with app.uow() as uow:
        info = uow.book.require()
        found = _open_case(uow, borrower_id)
        if found is None:
            return PortalPlans(None, None, info.currency, info.business_date, (), ())
        case_id, status = found
        offers = tuple(o for o in uow.negotiation.offers_for_case(case_id, statuses=LIVE)
                       if info.business_date <= o.expires_on)
        plans = tuple(uow.negotiation.plans(status=PlanStatus.ACTIVE, case_id=case_id))
        return PortalPlans(case_id, status, info.currency, info.business_date, offers, plans)


def _amount(text: str, currency: str, field: str, *, required: bool = True) -> int:
    text = text.strip().replace(",", "")
    if not text:
        if not required:
            return 0
        raise InvalidInput(f"{field.replace('_', ' ')} is required, e.g. 6000.00",
                           code="portal_amount_required", field=field)
    try:
        amount = to_minor(text, currency, field=field)
    except InvalidInput as exc:
        raise InvalidInput(exc.message, code=exc.code, field=field) from None
    if amount < 0:
        raise InvalidInput(f"{field.replace('_', ' ')} must not be negative",
                           code="hardship_amount_must_be_in_range", field=field)
    return amount


def ask_for_plan(app: Dunwell, *, borrower_id: int, reason: str, monthly_income: str,
                 essential_expenses: str, other_debt_payments: str, vulnerable: bool,
                 now: dt.datetime) -> OfferBook:
    """Record the signed-in borrower's budget on their open case and return today's
    offers (``portal_case_must_be_open`` when they have no open case)."""
    with app.uow() as uow:
        currency = uow.book.require().currency
        found = _open_case(uow, borrower_id)
    income = _amount(monthly_income, currency, "monthly_income")
    expenses = _amount(essential_expenses, currency, "essential_expenses")
    debts = _amount(other_debt_payments, currency, "other_debt_payments", required=False)
    if found is None:
        raise Conflict("you have no open collection case, so there is nothing to plan; if "
                       "a payment is hard to make, call us", code="portal_case_must_be_open")
    case_id, status = found
    if status is CaseStatus.PLAN:
        raise Conflict("you are already on a repayment plan; keep to its payments or call "
                       "us to talk it through", code="case_must_not_have_active_plan")
    assess_hardship(app, case_id=case_id, reason=reason, monthly_income_minor=income,
                    essential_expenses_minor=expenses, other_debt_payments_minor=debts,
                    evidence=(), vulnerable=vulnerable, source="portal", now=now,
                    recorded_by=f"borrower:{borrower_id}")
    with app.uow() as uow:
        today = uow.book.require().business_date
    return offer_book(app, case_id=case_id, business_date=today)


def accept_plan(app: Dunwell, *, borrower_id: int, offer_id: int, consent: bool,
                now: dt.datetime) -> PlanRecord:
    """The borrower accepts one of their case's approved offers, having agreed to the
    new schedule (``plan_consent_must_be_given`` without it). An offer of someone
    else's case answers as missing; an offer not yet approved is refused with
    ``offer_must_be_approved`` and nothing changes."""
    with app.uow() as uow:
        found = _open_case(uow, borrower_id)
        try:
            offer: OfferRecord | None = uow.negotiation.offer(offer_id)
        except NotFound:
            offer = None
    if offer is None or found is None or offer.case_id != found[0]:
        raise NotFound(f"offer {offer_id} was not found among your offers",
                       code="offer_must_exist", offer_id=offer_id)
    if not consent:
        raise InvalidInput("tick the box to agree to the new schedule before accepting",
                           code="plan_consent_must_be_given", field="consent")
    return accept_offer(app, offer_id=offer_id, now=now, accepted_by=f"borrower:{borrower_id}")
