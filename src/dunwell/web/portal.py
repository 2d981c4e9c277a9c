"""The borrower's portal, in zh-CN and en and sized for a phone: ``/portal`` (their
loans, what is overdue and what happens next), ``/portal/loans/{id}`` (the schedule
and the payoff quote), ``/portal/loans/{id}/pay`` (an amount, a confirm step showing
what it settles, then the charge), ``/portal/plan`` (ask for a repayment plan and
accept an approved offer), ``/portal/preferences`` (hours, language, channels).

A borrower sees only their own loans and offers (another's answer 404, as missing
ones do). Forms post URL-encoded with the session's CSRF token; bad input shows the
form again with the reason next to the field (422) and stores nothing; success
redirects (303) with a notice."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from fastapi import APIRouter, Request, status
from fastapi.responses import RedirectResponse, Response

from dunwell.api.auth import PrincipalDep
from dunwell.api.deps import ServicesDep, utc_now
from dunwell.app.collections.portal_prefs import (
    PORTAL_CHANNELS,
    PORTAL_LANGUAGES,
    my_preferences,
    save_preferences,
)
from dunwell.app.complaints.pages import my_cases, my_complaints, submit_complaint
from dunwell.app.lending.portal import my_loan, my_loans, pay_online, preview_payment
from dunwell.app.negotiation.portal_plan import accept_plan, ask_for_plan, my_plans
from dunwell.complaints.model import TEXT_CHARS_MAX
from dunwell.core.errors import Conflict, DomainError, Forbidden, InvalidInput, NotFound
from dunwell.core.money import format_minor
from dunwell.identity.model import Principal
from dunwell.web.complaints_text import CATEGORIES
from dunwell.web.home import form_fields
from dunwell.web.portal_text import REASONS, error_key
from dunwell.web.render import page

router = APIRouter(include_in_schema=False)
T = TypeVar("T")
_CSS = "/static/web/portal.css"
#: The notices a redirect may ask for (``?notice=``).
NOTICES = ("paid", "replayed", "offers", "accepted", "preferences", "complaint")


def _borrower(principal: Principal) -> int:
    if principal.borrower_id is None:
        raise Forbidden("the portal is for borrowers: sign in at /portal/sign-in",
                        code="portal_user_must_be_a_borrower")
    return principal.borrower_id


def _notice(request: Request) -> str | None:
    found = request.query_params.get("notice")
    return f"portal.notice.{found}" if found in NOTICES else None


def _see(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=status.HTTP_303_SEE_OTHER)


def _errors(exc: DomainError, default_field: str) -> dict[str, str]:
    field = str(exc.details.get("field") or default_field)
    return {field: error_key(exc.code)}


def _status_of(exc: DomainError) -> int:
    if isinstance(exc, NotFound):
        return 404
    if isinstance(exc, Conflict):
        return 409
    return 422


async def _run(svc: ServicesDep, call: Callable[[], T]) -> T:
    return await svc.run(call)


@router.get("/portal")
async def portal_home(request: Request, svc: ServicesDep, principal: PrincipalDep) -> Response:
    bid = _borrower(principal)
    loans = await _run(svc, lambda: my_loans(svc.dunwell, borrower_id=bid))
    return page(request, "portal_home.html", title_key="portal.title", css=_CSS, loans=loans,
                notice=_notice(request))


@router.get("/portal/loans/{loan_id}")
async def portal_loan(request: Request, loan_id: int, svc: ServicesDep,
                      principal: PrincipalDep) -> Response:
    bid = _borrower(principal)
    try:
        detail = await _run(svc, lambda: my_loan(svc.dunwell, borrower_id=bid, loan_id=loan_id))
    except NotFound:
        return page(request, "portal_missing.html", title_key="portal.missing.title",
                    status_code=404, css=_CSS)
    return page(request, "portal_loan.html", title_key="portal.loan.title", css=_CSS,
                detail=detail, notice=_notice(request))


def _pay_page(request: Request, *, detail: Any, step: str, fields: Mapping[str, str],
              errors: Mapping[str, str], preview: Any = None, status_code: int = 200,
              error_values: Mapping[str, str] | None = None) -> Response:
    return page(request, "portal_pay.html", title_key="portal.pay.title", css=_CSS,
                status_code=status_code, detail=detail, step=step, preview=preview,
                amount=fields.get("amount", ""), account=fields.get("account", ""),
                form_key=fields.get("form_key") or secrets.token_urlsafe(16), errors=errors,
                error_values=error_values or {})


@router.get("/portal/loans/{loan_id}/pay")
async def portal_pay_form(request: Request, loan_id: int, svc: ServicesDep,
                          principal: PrincipalDep) -> Response:
    bid = _borrower(principal)
    try:
        detail = await _run(svc, lambda: my_loan(svc.dunwell, borrower_id=bid, loan_id=loan_id))
    except NotFound:
        return page(request, "portal_missing.html", title_key="portal.missing.title",
                    status_code=404, css=_CSS)
    s = detail.summary
    due = s.overdue.total_minor or s.next_due_minor
    return _pay_page(request, detail=detail, step="amount", errors={},
                     fields={"amount": format_minor(due, s.currency) if due else ""})


def _amount_values(exc: DomainError, currency: str) -> dict[str, str]:
    return {k: format_minor(int(exc.details[k + "_minor"]), currency)
            for k in ("payable", "payoff") if k + "_minor" in exc.details}


@router.post("/portal/loans/{loan_id}/pay")
async def portal_pay_submit(request: Request, loan_id: int, svc: ServicesDep,
                            principal: PrincipalDep) -> Response:
    bid = _borrower(principal)
    fields = await form_fields(request)
    try:
        detail = await _run(svc, lambda: my_loan(svc.dunwell, borrower_id=bid, loan_id=loan_id))
    except NotFound:
        return page(request, "portal_missing.html", title_key="portal.missing.title",
                    status_code=404, css=_CSS)
    amount = fields.get("amount", "")
    try:
        preview = await _run(svc, lambda: preview_payment(svc.dunwell, borrower_id=bid,
                                                          loan_id=loan_id, amount=amount))
    except DomainError as exc:
        if fields.get("step") == "pay" and exc.code == "loan_must_be_open":
            return _see(f"/portal/loans/{loan_id}?notice=replayed")
        return _pay_page(request, detail=detail, step="amount", fields=fields,
                         errors=_errors(exc, "amount"), status_code=_status_of(exc),
                         error_values=_amount_values(exc, detail.summary.currency))
    if fields.get("step") != "pay":
        return _pay_page(request, detail=detail, step="confirm", fields=fields, errors={},
                         preview=preview)
    return await _charge(request, svc, bid, detail, fields, preview)


async def _charge(request: Request, svc: ServicesDep, bid: int, detail: Any,
                  fields: Mapping[str, str], preview: Any) -> Response:
    loan_id = detail.summary.loan_id
    try:
        done = await _run(svc, lambda: pay_online(
            svc.dunwell, borrower_id=bid, loan_id=loan_id, amount=fields.get("amount", ""),
            account=fields.get("account", ""), form_key=fields.get("form_key", ""),
            now=utc_now()))
    except InvalidInput as exc:
        step = "amount" if exc.details.get("field") == "amount" else "confirm"
        return _pay_page(request, detail=detail, step=step, fields=fields,
                         errors=_errors(exc, "account"), preview=preview, status_code=422,
                         error_values=_amount_values(exc, detail.summary.currency))
    notice = "replayed" if done.replayed else "paid"
    return _see(f"/portal/loans/{loan_id}?notice={notice}")


def _plan_page(request: Request, plans: Any, *, fields: Mapping[str, str] | None = None,
               errors: Mapping[str, str] | None = None, book: Any = None,
               alert: str | None = None, status_code: int = 200) -> Response:
    form = {"reason": "family_emergency", "income": "", "expenses": "", "other_debts": "",
            "vulnerable": "", **(fields or {})}
    return page(request, "portal_plan.html", title_key="portal.plan.title", css=_CSS,
                status_code=status_code, plans=plans, form=form, errors=errors or {},
                reasons=REASONS, book=book, alert=alert, notice=_notice(request),
                offer_error=(errors or {}).get("offer_id"))


@router.get("/portal/plan")
async def portal_plan(request: Request, svc: ServicesDep, principal: PrincipalDep) -> Response:
    bid = _borrower(principal)
    plans = await _run(svc, lambda: my_plans(svc.dunwell, borrower_id=bid))
    return _plan_page(request, plans)


_PLAN_FIELDS = {"monthly_income": "income", "essential_expenses": "expenses",
                "other_debt_payments": "other_debts"}


@router.post("/portal/plan")
async def portal_plan_submit(request: Request, svc: ServicesDep,
                             principal: PrincipalDep) -> Response:
    bid = _borrower(principal)
    fields = await form_fields(request)
    try:
        await _run(svc, lambda: ask_for_plan(
            svc.dunwell, borrower_id=bid, reason=fields.get("reason", ""),
            monthly_income=fields.get("income", ""),
            essential_expenses=fields.get("expenses", ""),
            other_debt_payments=fields.get("other_debts", ""),
            vulnerable=fields.get("vulnerable") == "yes", now=utc_now()))
    except DomainError as exc:
        plans = await _run(svc, lambda: my_plans(svc.dunwell, borrower_id=bid))
        field = str(exc.details.get("field") or "")
        if field in _PLAN_FIELDS or field == "reason":
            return _plan_page(request, plans, fields=fields, status_code=422,
                              errors={_PLAN_FIELDS.get(field, field): error_key(exc.code)})
        return _plan_page(request, plans, fields=fields, alert=error_key(exc.code),
                          status_code=_status_of(exc))
    return _see("/portal/plan?notice=offers")


@router.post("/portal/plan/offers/{offer_id}/accept")
async def portal_plan_accept(request: Request, offer_id: int, svc: ServicesDep,
                             principal: PrincipalDep) -> Response:
    bid = _borrower(principal)
    fields = await form_fields(request)
    try:
        await _run(svc, lambda: accept_plan(svc.dunwell, borrower_id=bid, offer_id=offer_id,
                                            consent=fields.get("consent") == "yes",
                                            now=utc_now()))
    except DomainError as exc:
        plans = await _run(svc, lambda: my_plans(svc.dunwell, borrower_id=bid))
        if exc.details.get("field") == "consent":
            return _plan_page(request, plans, status_code=422,
                              errors={"offer_id": str(offer_id), "consent": error_key(exc.code)})
        return _plan_page(request, plans, alert=error_key(exc.code), status_code=_status_of(exc))
    return _see("/portal/plan?notice=accepted")


def _prefs_page(request: Request, prefs: Any, *, fields: Mapping[str, Any] | None = None,
                errors: Mapping[str, str] | None = None, status_code: int = 200) -> Response:
    shown = fields or {
        "no_contact_before": "" if prefs.no_contact_before is None
        else prefs.no_contact_before.isoformat("minutes"),
        "no_contact_after": "" if prefs.no_contact_after is None
        else prefs.no_contact_after.isoformat("minutes"),
        "language": prefs.language or "zh-CN",
        "channels": [c.value for c, on in prefs.allowed if on]}
    return page(request, "portal_preferences.html", title_key="portal.prefs.title", css=_CSS,
                status_code=status_code, prefs=prefs, form=shown, errors=errors or {},
                channels=[c.value for c in PORTAL_CHANNELS], languages=PORTAL_LANGUAGES,
                notice=_notice(request))


@router.get("/portal/preferences")
async def portal_preferences(request: Request, svc: ServicesDep,
                             principal: PrincipalDep) -> Response:
    bid = _borrower(principal)
    prefs = await _run(svc, lambda: my_preferences(svc.dunwell, borrower_id=bid))
    return _prefs_page(request, prefs)


@router.post("/portal/preferences")
async def portal_preferences_submit(request: Request, svc: ServicesDep,
                                    principal: PrincipalDep) -> Response:
    bid = _borrower(principal)
    raw = await form_fields(request)
    chosen = [c.value for c in PORTAL_CHANNELS if raw.get(f"channel_{c.value}") == "yes"]
    fields: dict[str, Any] = {k: raw.get(k, "") for k in ("no_contact_before",
                                                           "no_contact_after", "language")}
    fields["channels"] = chosen
    try:
        await _run(svc, lambda: save_preferences(
            svc.dunwell, borrower_id=bid, no_contact_before=fields["no_contact_before"],
            no_contact_after=fields["no_contact_after"], language=fields["language"],
            allowed=chosen, now=utc_now()))
    except DomainError as exc:
        prefs = await _run(svc, lambda: my_preferences(svc.dunwell, borrower_id=bid))
        return _prefs_page(request, prefs, fields=fields, status_code=422,
                           errors=_errors(exc, "language"))
    return _see("/portal/preferences?notice=preferences")


#: A complaint form of up to TEXT_CHARS_MAX characters in any script, URL-encoded.
COMPLAINT_FORM_BYTES_MAX = 16 * TEXT_CHARS_MAX
#: The complaint form's fields as the service names them -> as the form does.
_COMPLAINT_FIELDS = {"category": "category", "text": "text", "case_id": "case_id"}


def _complaint_errors(form: Mapping[str, str], cases: set[str]) -> dict[str, str]:
    errors = {}
    if form["category"] not in CATEGORIES:
        errors["category"] = "portal.complaints.err.choose"
    if not form["text"]:
        errors["text"] = "portal.complaints.err.required"
    elif len(form["text"]) > TEXT_CHARS_MAX:
        errors["text"] = "portal.complaints.err.too_long"
    if form["case_id"] and form["case_id"] not in cases:
        errors["case_id"] = "portal.complaints.err.case"
    return errors


async def _complaints_page(request: Request, svc: ServicesDep, bid: int, *,
                           form: Mapping[str, str] | None = None,
                           errors: Mapping[str, str] | None = None, alert: str | None = None,
                           status_code: int = 200) -> Response:
    today = utc_now().date()
    mine = await _run(svc, lambda: my_complaints(svc.dunwell, borrower_id=bid, today=today))
    cases = await _run(svc, lambda: my_cases(svc.dunwell, borrower_id=bid))
    shown = {"category": "", "text": "", "case_id": "", **(form or {})}
    return page(request, "portal_complaints.html", title_key="portal.complaints.title",
                css=_CSS, status_code=status_code,
                complaints=mine, cases=cases, categories=CATEGORIES, form=shown,
                errors=errors or {}, alert=alert, notice=_notice(request))


@router.get("/portal/complaints")
async def portal_complaints(request: Request, svc: ServicesDep,
                            principal: PrincipalDep) -> Response:
    return await _complaints_page(request, svc, _borrower(principal))


@router.post("/portal/complaints")
async def portal_complaints_submit(request: Request, svc: ServicesDep,
                                   principal: PrincipalDep) -> Response:
    bid = _borrower(principal)
    raw = await form_fields(request, COMPLAINT_FORM_BYTES_MAX)
    form = {k: raw.get(k, "").strip() for k in ("category", "text", "case_id")}
    cases = await _run(svc, lambda: my_cases(svc.dunwell, borrower_id=bid))
    errors = _complaint_errors(form, {c.case_id for c in cases})
    if errors:
        return await _complaints_page(request, svc, bid, form=form, errors=errors,
                                      status_code=422)
    try:
        await _run(svc, lambda: submit_complaint(
            svc.dunwell, borrower_id=bid, category=form["category"], text=form["text"],
            case_id=form["case_id"] or None, now=utc_now()))
    except DomainError as exc:
        field = _COMPLAINT_FIELDS.get(str(exc.details.get("field") or ""))
        if field and isinstance(exc, InvalidInput):
            return await _complaints_page(request, svc, bid, form=form, status_code=422,
                                          errors={field: "portal.complaints.err.choose"})
        return await _complaints_page(request, svc, bid, form=form, status_code=_status_of(exc),
                                      alert="portal.complaints.err.other")
    return _see("/portal/complaints?notice=complaint")
