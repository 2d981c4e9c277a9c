"""The borrower portal's pages: ask for a repayment plan (``GET``/``POST
/portal/hardship``). The borrower signs in first (``/portal/sign-in``, a one-time code
to their phone) and names the letter we sent them by its verification code; a letter
addressed to someone else is refused. Bad input re-shows the form with what was wrong
and records nothing. The form carries the session's CSRF token."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, select_autoescape

from dunwell.api.auth import PrincipalDep, csrf_token
from dunwell.api.deps import ServicesDep, utc_now
from dunwell.app.negotiation.portal import hardship_from_portal
from dunwell.app.negotiation.service import OfferBook
from dunwell.core.errors import DomainError, Forbidden
from dunwell.core.money import format_minor
from dunwell.identity.model import Principal
from dunwell.negotiation.model import Offer

router = APIRouter(tags=["portal"], include_in_schema=False)
pages = Environment(loader=PackageLoader("dunwell.api", "templates"),
                    autoescape=select_autoescape(["html"]), auto_reload=False)
REASONS = (("family_emergency", "家庭变故 · Family emergency"), ("illness", "疾病 · Illness"),
           ("business_downturn", "生意下滑 · Business downturn"),
           ("job_loss", "失业 · Lost my job"), ("other", "其他 · Something else"))
KIND_LABELS = {
    "instalment_plan": "分期还款，利息冻结 · Instalments, interest frozen",
    "reduced_payments": "先少还，后补足 · Smaller payments first",
    "term_extension": "延长还款期限 · A longer term",
    "penalty_waiver": "分期还款，免除罚息 · Instalments, penalty interest waived",
    "penalty_interest_waiver": "分期还款，免除罚息和利息 · Instalments, penalty and interest "
                               "waived",
    "settlement": "一次性结清（折扣）· Settle in one payment at a discount",
}
FORM_BYTES_MAX = 4_096
EMPTY_FORM = {"code": "", "reason": "family_emergency", "income": "", "expenses": "",
              "other_debts": "", "vulnerable": False}


def _page(name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    return HTMLResponse(pages.get_template(name).render(**context), status_code=status_code)


@router.get("/portal/hardship", response_class=HTMLResponse)
async def hardship_form(request: Request, principal: PrincipalDep) -> HTMLResponse:
    return _page("portal_hardship.html", title="还款方案 · Repayment plan", form=EMPTY_FORM,
                 reasons=REASONS, error=None, csrf=csrf_token(request))


@router.post("/portal/hardship", response_class=HTMLResponse)
async def hardship_submit(request: Request, svc: ServicesDep,
                          principal: PrincipalDep) -> HTMLResponse:
    raw = await request.body()
    form = dict(EMPTY_FORM)
    csrf = csrf_token(request)
    if len(raw) > FORM_BYTES_MAX:
        return _page("portal_hardship.html", 413, title="还款方案 · Repayment plan", form=form,
                     reasons=REASONS, error="the form is too large", csrf=csrf)
    fields = {k: v[0] for k, v in parse_qs(raw.decode("utf-8", "replace")).items()}
    form.update({k: fields.get(k, "") for k in ("code", "reason", "income", "expenses",
                                                  "other_debts")})
    form["vulnerable"] = fields.get("vulnerable") == "yes"

    def command() -> OfferBook:
        return hardship_from_portal(
            svc.dunwell, letter_code=str(form["code"]), reason=str(form["reason"]),
            monthly_income=str(form["income"]), essential_expenses=str(form["expenses"]),
            other_debt_payments=str(form["other_debts"]), vulnerable=bool(form["vulnerable"]),
            now=utc_now(), borrower_id=_own_borrower(principal))

    try:
        book = await svc.run(command)
    except DomainError as exc:
        return _page("portal_hardship.html", 403 if isinstance(exc, Forbidden) else 422,
                     title="还款方案 · Repayment plan", form=form, reasons=REASONS,
                     error=f"{exc} [{exc.code}]", csrf=csrf)
    with svc.dunwell.uow() as uow:
        currency = uow.book.require().currency
    return _page("portal_offers.html", 201, title="您的方案 · Your options",
                 disposable=format_minor(book.assessment.disposable_income_minor, currency),
                 offers=[_offer_row(o.offer, currency) for o in book.offers],
                 referral=book.referral)


def _own_borrower(principal: Principal) -> int:
    """The borrower the portal acts for: the signed-in borrower."""
    if principal.borrower_id is None:
        raise Forbidden("the portal is for borrowers: sign in at /portal/sign-in",
                        code="portal_user_must_be_a_borrower")
    return principal.borrower_id


def _offer_row(offer: Offer, currency: str) -> Mapping[str, object]:
    share = (Decimal(offer.affordability) * 100).quantize(Decimal("1"))
    return {"label": KIND_LABELS.get(offer.kind.value, offer.label), "months": offer.months,
            "monthly": format_minor(offer.monthly_payment_minor, currency),
            "share": f"{share}%", "total": format_minor(offer.total_cost_minor, currency),
            "waiver": format_minor(offer.waiver.total_minor, currency)}
