"""The compliance officer's complaint pages: ``/complaints`` is the register's queue
(overdue first, then by final-answer deadline) with filters by status and category;
``/complaints/{id}`` one complaint with its deadlines, its timeline and the forms that
move it on: acknowledge, send the final response, escalate to one of the routes its
jurisdiction allows, close.

Managers read the queue and the complaints; only the compliance officer acts on them
(the same rule as ``POST /v1/complaints/{id}/answer``). Borrowers' names are masked.
Each action goes through the register's own service, so the deadlines, the status
table, the timeline and the audit log are the same as for ``dunwell complaints``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

from fastapi import APIRouter, Request, status
from fastapi.responses import RedirectResponse, Response

from dunwell.api.app import status_for
from dunwell.api.deps import IdPath, ServicesDep, utc_now
from dunwell.app.complaints.pages import complaint_detail, complaint_queue
from dunwell.app.complaints.service import ComplaintView, acknowledge, answer, close, escalate
from dunwell.complaints.model import TEXT_CHARS_MAX, TRANSITIONS, Status
from dunwell.core.errors import DomainError
from dunwell.identity.model import Principal, Role
from dunwell.web.complaints_text import CATEGORIES, STATUSES
from dunwell.web.home import form_fields
from dunwell.web.render import page, principal_of

router = APIRouter(include_in_schema=False)
_CSS = "/static/web/complaints.css"
#: A form with a final response of up to TEXT_CHARS_MAX characters in any script,
#: URL-encoded (up to nine bytes a character), with room to spare.
FORM_BYTES_MAX = 16 * TEXT_CHARS_MAX
#: The notices a redirect after an action names (?done=...).
DONE = {s: f"complaints.done.{s}" for s in ("acknowledge", "answer", "escalate", "close")}


def _who(request: Request) -> Principal:
    who = principal_of(request)
    assert who is not None  # the route guard let only signed-in staff through
    return who


def _today() -> dt.date:
    return utc_now().date()


def error_page(request: Request, exc: DomainError) -> Response:
    """A refusal (not found, not allowed) as a page with its status."""
    return page(request, "complaints_error.html", title_key="complaints.error_title",
                status_code=status_for(exc), css=_CSS, code=exc.code, message=exc.message)


@router.get("/complaints")
async def queue_page(request: Request, svc: ServicesDep) -> Response:
    chosen = {k: request.query_params.get(k, "").strip() for k in ("status", "category")}
    known = {"status": STATUSES, "category": CATEGORIES}
    errors = {k: "complaints.form.choose" for k, v in chosen.items() if v and v not in known[k]}
    rows: list[Any] = []
    if not errors:
        rows = await svc.run(lambda: complaint_queue(
            svc.dunwell, today=_today(), status=chosen["status"],
            category=chosen["category"]))
    return page(request, "complaints_queue.html", title_key="complaints.title",
                status_code=422 if errors else 200, css=_CSS, rows=rows, chosen=chosen,
                errors=errors, statuses=STATUSES, categories=CATEGORIES,
                overdue_count=sum(1 for r in rows if r.view.overdue), today=_today())


def actions_for(view: ComplaintView) -> list[str]:
    """The forms the complaint's status allows: escalation only once answered or
    past its final-answer deadline (the domain refuses it before)."""
    moves = TRANSITIONS[view.complaint.status]
    out = []
    if Status.ACKNOWLEDGED in moves:
        out.append("acknowledge")
    if Status.FINAL_RESPONSE in moves:
        out.append("answer")
    if Status.ESCALATED in moves and (view.complaint.status.answered or view.days_left < 0):
        out.append("escalate")
    if Status.CLOSED in moves:
        out.append("close")
    return out


async def _detail_page(request: Request, svc: ServicesDep, complaint_id: int, *,
                       status_code: int = 200, form: Mapping[str, str] | None = None,
                       errors: Mapping[str, str] | None = None, alert: str | None = None,
                       ) -> Response:
    try:
        row, events = await svc.run(lambda: complaint_detail(svc.dunwell, complaint_id,
                                                             today=_today()))
    except DomainError as exc:
        return error_page(request, exc)
    who = _who(request)
    shown = {"note": "", "answer": "", "to": "", "form": "", **(form or {})}
    return page(request, "complaints_detail.html", title_key="complaints.detail_title",
                status_code=status_code, css=_CSS, row=row, c=row.view.complaint,
                view=row.view, events=events, form=shown, errors=errors or {}, alert=alert,
                done=DONE.get(request.query_params.get("done", "")),
                can_act=who.role is Role.COMPLIANCE_OFFICER, actions=actions_for(row.view))


@router.get("/complaints/{complaint_id}")
async def detail_page(complaint_id: IdPath, request: Request, svc: ServicesDep) -> Response:
    return await _detail_page(request, svc, complaint_id)


def _field_errors(action: str, kept: Mapping[str, str]) -> dict[str, str]:
    """The form's own checks, before the service is asked."""
    errors = {}
    if action == "answer" and not kept["answer"]:
        errors["answer"] = "form.required"
    if action == "escalate" and not kept["to"]:
        errors["to"] = "complaints.form.choose"
    for name in ("answer", "note"):
        if len(kept[name]) > TEXT_CHARS_MAX:
            errors[name] = "complaints.form.too_long"
    return errors


async def _act(request: Request, svc: ServicesDep, complaint_id: int, action: str,
               command: Callable[[Mapping[str, str], str, dt.datetime], object]) -> Response:
    """Read the form, check it, run ``command`` and redirect with a notice; on bad
    input or a refusal show the complaint again with the reason and nothing saved."""
    fields = await form_fields(request, FORM_BYTES_MAX)
    kept = {k: fields.get(k, "").strip() for k in ("note", "answer", "to")} | {"form": action}
    who = _who(request)
    errors = _field_errors(action, kept)
    if errors:
        return await _detail_page(request, svc, complaint_id, status_code=422, form=kept,
                                  errors=errors)
    try:
        await svc.run(lambda: command(kept, who.staff_id or who.name, utc_now()))
    except DomainError as exc:
        field = str(exc.details.get("field") or "")
        code = status_for(exc)
        reason = f"{exc.code}: {exc.message}"
        if field in ("answer", "to", "text"):
            return await _detail_page(request, svc, complaint_id, status_code=422, form=kept,
                                      errors={"answer" if field == "text" else field: reason})
        return await _detail_page(request, svc, complaint_id, form=kept, alert=reason,
                                  status_code=422 if code == 400 else code)
    return RedirectResponse(f"/complaints/{complaint_id}?done={action}#notice",
                            status_code=status.HTTP_303_SEE_OTHER)


@router.post("/complaints/{complaint_id}/acknowledge")
async def acknowledge_submit(complaint_id: IdPath, request: Request,
                             svc: ServicesDep) -> Response:
    return await _act(request, svc, complaint_id, "acknowledge", lambda f, by, now: acknowledge(
        svc.dunwell, complaint_id=complaint_id, now=now, by=by, note=f["note"]))


@router.post("/complaints/{complaint_id}/answer")
async def answer_submit(complaint_id: IdPath, request: Request, svc: ServicesDep) -> Response:
    return await _act(request, svc, complaint_id, "answer", lambda f, by, now: answer(
        svc.dunwell, complaint_id=complaint_id, text=f["answer"], now=now, by=by))


@router.post("/complaints/{complaint_id}/escalate")
async def escalate_submit(complaint_id: IdPath, request: Request,
                          svc: ServicesDep) -> Response:
    return await _act(request, svc, complaint_id, "escalate", lambda f, by, now: escalate(
        svc.dunwell, complaint_id=complaint_id, to=f["to"], now=now, by=by, note=f["note"]))


@router.post("/complaints/{complaint_id}/close")
async def close_submit(complaint_id: IdPath, request: Request, svc: ServicesDep) -> Response:
    return await _act(request, svc, complaint_id, "close", lambda f, by, now: close(
        svc.dunwell, complaint_id=complaint_id, now=now, by=by, note=f["note"]))


__all__ = ["actions_for", "router"]
