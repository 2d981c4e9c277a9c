"""The field agent's day, phone-sized: ``/field`` is the day's itinerary in route
order with a map drawn on the server from the stops' coordinates (an inline SVG:
numbered points, lines between them, scaled to their bounding box; no tiles, so it
works offline), and ``/field/visits/{visit_id}`` one visit: the protocol checklist
and the outcome form (the same service as ``dunwell field visit``), refused when the
visit is not the agent's or the agent may not visit that day."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass

from fastapi import APIRouter, Request, status
from fastapi.responses import RedirectResponse, Response

from dunwell.api.deps import IdPath, ServicesDep, utc_now
from dunwell.app.field.day_view import DayVisit, agent_day, record_door_outcome, visit_sheet
from dunwell.app.field.visits import book_currency
from dunwell.core.errors import DomainError
from dunwell.core.money import to_minor
from dunwell.field.model import VisitOutcome
from dunwell.identity.model import Principal
from dunwell.web.home import form_fields
from dunwell.web.i18n import add_messages
from dunwell.web.render import page, principal_of
from dunwell.web.workbench import AMOUNT, error_page

router = APIRouter(include_in_schema=False)

AGENT_ID = re.compile(r"^[A-Za-z0-9_.\-]{1,64}$")
#: The map's drawing area (SVG user units) and its margin.
MAP_W, MAP_H, MAP_PAD = 320, 240, 24
CHECKS = ("identity", "recording", "notice")
NOTE_CHARS_MAX = 2000


@dataclass(frozen=True, slots=True)
class MapPoint:
    n: int
    x: float
    y: float


def route_map(stops: Sequence[DayVisit]) -> list[MapPoint]:
    """The stops with coordinates, in route order, placed in the map's box: the
    bounding box of their coordinates scaled to fit (north up, one scale for both
    axes, longitude shrunk by the latitude's cosine so distances look right)."""
    import math

    pts = [(s.sequence, s.latitude, s.longitude) for s in stops
           if s.latitude is not None and s.longitude is not None]
    if not pts:
        return []
    mid = sum(p[1] for p in pts) / len(pts)
    shrink = math.cos(math.radians(mid))
    xs = [p[2] * shrink for p in pts]
    ys = [p[1] for p in pts]
    span = max(max(xs) - min(xs), max(ys) - min(ys)) or 1e-9
    scale = min(MAP_W - 2 * MAP_PAD, MAP_H - 2 * MAP_PAD) / span
    off_x = (MAP_W - (max(xs) - min(xs)) * scale) / 2
    off_y = (MAP_H - (max(ys) - min(ys)) * scale) / 2
    return [MapPoint(n, round(off_x + (x - min(xs)) * scale, 1),
                     round(MAP_H - off_y - (y - min(ys)) * scale, 1))
            for (n, _, _), x, y in zip(pts, xs, ys, strict=True)]


def _who(request: Request) -> Principal:
    who = principal_of(request)
    assert who is not None
    return who


@router.get("/field")
async def day_page(request: Request, svc: ServicesDep, agent: str | None = None,
                   day: str | None = None) -> Response:
    who = _who(request)
    chosen = agent if agent and AGENT_ID.match(agent) else None
    try:
        plan_date = dt.date.fromisoformat(day) if day else None
    except ValueError:
        plan_date = None
    try:
        view = await svc.run(lambda: agent_day(svc.dunwell, who, plan_date=plan_date,
                                               agent_id=chosen, now=utc_now()))
    except DomainError as exc:
        return error_page(request, exc)
    one_route = view.agent_id is not None or len(view.agents) <= 1
    return page(request, "field_day.html", title_key="field.title", view=view,
                points=route_map(view.visits) if one_route else [],
                map_w=MAP_W, map_h=MAP_H, chosen=chosen or "")


async def _visit_page(request: Request, svc: ServicesDep, visit_id: int, *,
                      status_code: int = 200, form: dict[str, str] | None = None,
                      errors: dict[str, str] | None = None, alert: str | None = None,
                      ) -> Response:
    who = _who(request)
    try:
        sheet = await svc.run(lambda: visit_sheet(svc.dunwell, who, visit_id, now=utc_now()))
    except DomainError as exc:
        return error_page(request, exc)
    blank = {"outcome": "", "note": "", "letter_no": "", "latitude": "", "longitude": "",
             "promise_amount": "", "promise_due": "", **dict.fromkeys(CHECKS, "")}
    return page(request, "field_visit.html", title_key="field.visit_title",
                status_code=status_code, sheet=sheet, form={**blank, **(form or {})},
                errors=errors or {}, alert=alert, outcomes=[o.value for o in VisitOutcome],
                checks=CHECKS, done=request.query_params.get("done") == "outcome",
                may_record=who.role.value == "field_agent")


@router.get("/field/visits/{visit_id}")
async def visit_page(visit_id: IdPath, request: Request, svc: ServicesDep) -> Response:
    return await _visit_page(request, svc, visit_id)


def _coordinate(text: str, bound: float) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if -bound <= value <= bound else None


def _outcome_errors(form: dict[str, str]) -> dict[str, str]:
    errors: dict[str, str] = {}
    outcome = form["outcome"]
    if outcome not in {o.value for o in VisitOutcome}:
        errors["outcome"] = "field.form.choose"
    elif VisitOutcome(outcome).met_borrower and form["identity"] != "on":
        errors["identity"] = "field.form.identity"
    if form["recording"] != "on":
        errors["recording"] = "field.form.recording"
    if _coordinate(form["latitude"], 90) is None or _coordinate(form["longitude"], 180) is None:
        errors["latitude"] = "field.form.position"
    if len(form["note"]) > NOTE_CHARS_MAX:
        errors["note"] = "field.form.note"
    if outcome == VisitOutcome.PROMISE_TO_PAY.value:
        if not AMOUNT.match(form["promise_amount"]):
            errors["promise_amount"] = "work.form.amount"
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", form["promise_due"]):
            errors["promise_due"] = "work.form.date"
    return errors


def _note(form: dict[str, str]) -> str:
    ticked = [c for c in CHECKS if form[c] == "on"]
    head = "checklist: " + (", ".join(ticked) if ticked else "none")
    return f"{head}. {form['note']}".strip() if form["note"] else head


@router.post("/field/visits/{visit_id}/outcome")
async def outcome_submit(visit_id: IdPath, request: Request, svc: ServicesDep) -> Response:
    fields = await form_fields(request)
    who = _who(request)
    keys = ("outcome", "note", "letter_no", "latitude", "longitude", "promise_amount",
            "promise_due", *CHECKS)
    form = {k: fields.get(k, "").strip() for k in keys}
    errors = _outcome_errors(form)
    if errors:
        return await _visit_page(request, svc, visit_id, status_code=422, form=form,
                                 errors=errors)

    def command() -> object:
        promised = form["outcome"] == VisitOutcome.PROMISE_TO_PAY.value
        return record_door_outcome(
            svc.dunwell, who, visit_id=visit_id, outcome=form["outcome"], at=utc_now(),
            latitude=float(form["latitude"]), longitude=float(form["longitude"]),
            note=_note(form), letter_no=form["letter_no"] or None,
            promise_amount_minor=to_minor(form["promise_amount"], book_currency(svc.dunwell),
                                          field="promise_amount") if promised else None,
            promise_due=dt.date.fromisoformat(form["promise_due"]) if promised else None)

    try:
        await svc.run(command)
    except (DomainError, ValueError) as exc:
        code = exc.code if isinstance(exc, DomainError) else "input_must_be_valid"
        message = exc.message if isinstance(exc, DomainError) else str(exc)
        status_code = 403 if code.endswith("assigned_to_you") else (
            409 if code.startswith(("agent_must", "visit_")) else 422)
        return await _visit_page(request, svc, visit_id, status_code=status_code, form=form,
                                 alert=f"{code}: {message}")
    return RedirectResponse(f"/field/visits/{visit_id}?done=outcome",
                            status_code=status.HTTP_303_SEE_OTHER)


add_messages({
    "field.title": {"zh-CN": "今日外访", "en": "Today's visits"},
    "field.visit_title": {"zh-CN": "外访", "en": "Visit"},
    "field.date": {"zh-CN": "日期：{day}", "en": "Date: {day}"},
    "field.agent": {"zh-CN": "外访专员", "en": "Agent"},
    "field.all": {"zh-CN": "全部", "en": "All"},
    "field.filter_submit": {"zh-CN": "查看", "en": "Show"},
    "field.empty": {"zh-CN": "这一天没有安排外访。", "en": "No visits are planned for this day."},
    "field.map": {"zh-CN": "路线图", "en": "Route map"},
    "field.map_label": {"zh-CN": "按路线顺序编号的 {n} 个拜访点", "en":
                        "{n} stops numbered in route order"},
    "field.route": {"zh-CN": "行程（按路线顺序）", "en": "Itinerary (route order)"},
    "field.eta": {"zh-CN": "预计到达", "en": "ETA"},
    "field.window": {"zh-CN": "时段", "en": "Window"},
    "field.status": {"zh-CN": "状态", "en": "Status"},
    "field.address": {"zh-CN": "地址", "en": "Address"},
    "field.borrower": {"zh-CN": "借款人", "en": "Borrower"},
    "field.case": {"zh-CN": "案件", "en": "Case"},
    "field.open": {"zh-CN": "打开", "en": "Open"},
    "field.not_certified": {"zh-CN": "培训要求未满足，今天不能外访：{why}", "en":
                            "The training gate stops visits today: {why}"},
    "field.reason": {"zh-CN": "外访原因", "en": "Why this visit"},
    "field.protocol": {"zh-CN": "外访规程", "en": "Visit protocol"},
    "field.check.identity": {"zh-CN": "已核实借款人身份", "en": "Identity confirmed"},
    "field.check.recording": {"zh-CN": "已告知并征得录音录像同意", "en":
                              "Recording consent asked"},
    "field.check.notice": {"zh-CN": "已递交告知函/信函", "en": "Notice or letter delivered"},
    "field.outcome": {"zh-CN": "结果", "en": "Outcome"},
    "field.letter_no": {"zh-CN": "当面递交的信函编号（如有）", "en":
                        "Letter handed over (its number, if any)"},
    "field.note": {"zh-CN": "备注", "en": "Note"},
    "field.position": {"zh-CN": "当前位置", "en": "Where you are"},
    "field.latitude": {"zh-CN": "纬度", "en": "Latitude"},
    "field.longitude": {"zh-CN": "经度", "en": "Longitude"},
    "field.locate": {"zh-CN": "使用手机定位", "en": "Use my position"},
    "field.promise_amount": {"zh-CN": "承诺金额", "en": "Amount promised"},
    "field.promise_due": {"zh-CN": "承诺日期", "en": "Promised by"},
    "field.submit": {"zh-CN": "保存结果", "en": "Save the outcome"},
    "field.done": {"zh-CN": "外访结果已记录。", "en": "The visit's outcome is recorded."},
    "field.recorded": {"zh-CN": "已记录结果：{outcome}", "en": "Outcome recorded: {outcome}"},
    "field.read_only": {"zh-CN": "只有负责本次外访的专员可以记录结果。", "en":
                        "Only the visit's own agent records its outcome."},
    "field.letters": {"zh-CN": "可递交的信函：{letters}", "en": "Letters to hand over: {letters}"},
    "field.back": {"zh-CN": "返回行程", "en": "Back to the itinerary"},
    "field.refused": {"zh-CN": "未保存：{reason}", "en": "Not saved: {reason}"},
    "field.form.choose": {"zh-CN": "请选择结果。", "en": "Choose the outcome."},
    "field.form.identity": {"zh-CN": "见到借款人时必须先核实身份。", "en":
                            "Confirm the borrower's identity before recording a meeting."},
    "field.form.recording": {"zh-CN": "外访必须先告知录音录像并征得同意。", "en":
                             "Ask for consent to record before the visit goes on."},
    "field.form.position": {"zh-CN": "请填写当前位置（纬度、经度）。", "en":
                            "Give your position (latitude and longitude)."},
    "field.form.note": {"zh-CN": "备注过长。", "en": "The note is too long."},
    **{f"field.outcome.{o.value}": t for o, t in {
        VisitOutcome.DELIVERED_IN_PERSON: {"zh-CN": "当面送达", "en": "Delivered in person"},
        VisitOutcome.NOT_AT_HOME: {"zh-CN": "不在家", "en": "Not at home"},
        VisitOutcome.MOVED: {"zh-CN": "已搬走", "en": "Moved away"},
        VisitOutcome.REFUSED: {"zh-CN": "拒绝沟通", "en": "Refused to talk"},
        VisitOutcome.PROMISE_TO_PAY: {"zh-CN": "承诺还款", "en": "Promised to pay"},
        VisitOutcome.PLAN_REQUESTED: {"zh-CN": "申请还款计划", "en": "Asked for a plan"},
        VisitOutcome.HARDSHIP_REPORTED: {"zh-CN": "反映经济困难", "en": "Reported hardship"},
    }.items()},
})
