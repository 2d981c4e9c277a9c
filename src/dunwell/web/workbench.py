"""The collector's workbench: ``/work`` is the day's call queue in priority order (a
collector's own; a team lead's or manager's for every collector, with a filter), and
``/work/cases/{case_id}`` one case: its timeline newest first, the guard's live
answer to "may I contact now?" per channel, a call script in the borrower's language,
and the forms a call ends with (its outcome, a promise to pay, a hardship
assessment), each through the same service as its command."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request, status
from fastapi.responses import RedirectResponse, Response

from dunwell.api.app import status_for
from dunwell.api.deps import ServicesDep, utc_now
from dunwell.app.collections.workbench import (
    CALL_OUTCOMES,
    CaseFile,
    case_file,
    contact_now,
    record_call,
    record_case_hardship,
    record_case_promise,
    work_queue,
)
from dunwell.core.dates import parse_date
from dunwell.core.errors import Conflict, DomainError
from dunwell.core.money import to_minor
from dunwell.identity.model import Principal
from dunwell.web.home import form_fields
from dunwell.web.i18n import add_messages
from dunwell.web.render import page, principal_of
from dunwell.web.work_scripts import script_for

router = APIRouter(include_in_schema=False)

AMOUNT = re.compile(r"^\d{1,12}(\.\d{1,2})?$")
HARDSHIP_REASONS = ("illness", "family_emergency", "business_downturn", "job_loss", "other")
#: The notices a redirect after a saved form names (?done=...).
DONE = {"call": "work.done.call", "promise": "work.done.promise",
        "hardship": "work.done.hardship"}
CASE_ID = re.compile(r"^[A-Za-z0-9_.:\-]{1,64}$")


def _who(request: Request) -> Principal:
    who = principal_of(request)
    assert who is not None  # the route guard let only signed-in staff through
    return who


def error_page(request: Request, exc: DomainError) -> Response:
    """A refusal (not yours, not found, not allowed) as a page with its status."""
    return page(request, "work_error.html", title_key="work.error_title",
                status_code=status_for(exc), code=exc.code, message=exc.message)


@router.get("/work")
async def queue_page(request: Request, svc: ServicesDep, collector: str | None = None,
                     day: str | None = None) -> Response:
    who = _who(request)
    chosen = collector if collector and CASE_ID.match(collector) else None
    try:
        wanted = parse_date(day, field="day") if day else None
        queue = await svc.run(lambda: work_queue(svc.dunwell, who, business_date=wanted,
                                                 collector=chosen))
    except DomainError as exc:
        return error_page(request, exc)
    return page(request, "work_queue.html", title_key="work.title", queue=queue,
                chosen=chosen or "")


def _parse_at(text: str | None, zone: str) -> dt.datetime | None:
    """A ``datetime-local`` value on the borrower's clock (or an ISO time with an
    offset); None when it is not one."""
    if not text:
        return None
    try:
        at = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return at if at.tzinfo is not None else at.replace(tzinfo=ZoneInfo(zone))


def _local_now(zone: str) -> str:
    return utc_now().astimezone(ZoneInfo(zone)).strftime("%Y-%m-%dT%H:%M")


async def _case_page(request: Request, svc: ServicesDep, case_id: str, *,
                     status_code: int = 200, forms: dict[str, dict[str, str]] | None = None,
                     errors: dict[str, str] | None = None, alert: str | None = None,
                     ) -> Response:
    who = _who(request)
    try:
        case: CaseFile = await svc.run(lambda: case_file(svc.dunwell, who, case_id))
    except DomainError as exc:
        return error_page(request, exc)
    asked = _parse_at(request.query_params.get("at"), case.timezone)
    at = asked or utc_now()
    answers = await svc.run(lambda: contact_now(svc.dunwell, case_id, at))
    given = forms or {}
    call = {"outcome": "conversation", "at": _local_now(case.timezone), **given.get("call", {})}
    done = DONE.get(request.query_params.get("done", ""))
    return page(request, "work_case.html", title_key="work.case_title", status_code=status_code,
                case=case, answers=answers, judged_at=at.astimezone(ZoneInfo(case.timezone)),
                asked=asked is not None, script=script_for(case.step, case.language),
                outcomes=CALL_OUTCOMES, reasons=HARDSHIP_REASONS, call=call,
                promise=given.get("promise", {"amount": "", "by": ""}),
                hardship=given.get("hardship", {"reason": "illness", "income": "",
                                                "expenses": "", "other_debts": "0",
                                                "vulnerable": ""}),
                errors=errors or {}, alert=alert, done=done)


@router.get("/work/cases/{case_id}")
async def case_page(case_id: str, request: Request, svc: ServicesDep) -> Response:
    return await _case_page(request, svc, case_id)


def _saved(case_id: str, what: str) -> Response:
    return RedirectResponse(f"/work/cases/{case_id}?done={what}#notice",
                            status_code=status.HTTP_303_SEE_OTHER)


async def _refused(request: Request, svc: ServicesDep, case_id: str, form: str,
                   fields: dict[str, str], exc: DomainError, field_ids: dict[str, str],
                   ) -> Response:
    """Re-render the case with the form as sent and the refusal: next to its field
    when the service named one this form has, else above the form."""
    field = str(exc.details.get("field") or "")
    errors: dict[str, str] = {}
    alert = None
    if field in field_ids:
        errors[f"{form}.{field_ids[field]}"] = f"{exc.code}: {exc.message}"
    else:
        alert = f"{exc.code}: {exc.message}"
    code = 409 if isinstance(exc, Conflict) else status_for(exc)
    if code == 400:
        code = 422
    return await _case_page(request, svc, case_id, status_code=code, forms={form: fields},
                            errors=errors, alert=alert)


@router.post("/work/cases/{case_id}/calls")
async def call_submit(case_id: str, request: Request, svc: ServicesDep) -> Response:
    fields = await form_fields(request)
    who = _who(request)
    kept = {"outcome": fields.get("outcome", ""), "at": fields.get("at", "")}
    try:
        case = await svc.run(lambda: case_file(svc.dunwell, who, case_id))
    except DomainError as exc:
        return error_page(request, exc)
    errors = {}
    if kept["outcome"] not in CALL_OUTCOMES:
        errors["call.outcome"] = "work.form.choose"
    at = _parse_at(kept["at"], case.timezone)
    if at is None:
        errors["call.at"] = "work.form.time"
    if errors or at is None:
        return await _case_page(request, svc, case_id, status_code=422, forms={"call": kept},
                                errors=errors)
    try:
        await svc.run(lambda: record_call(svc.dunwell, who, case_id=case_id,
                                          outcome=kept["outcome"], at=at, now=utc_now()))
    except DomainError as exc:
        return await _refused(request, svc, case_id, "call", kept, exc,
                              {"outcome": "outcome", "at": "at"})
    return _saved(case_id, "call")


def _amount_error(text: str) -> str | None:
    if not text:
        return "form.required"
    return None if AMOUNT.match(text) else "work.form.amount"


@router.post("/work/cases/{case_id}/promises")
async def promise_submit(case_id: str, request: Request, svc: ServicesDep) -> Response:
    fields = await form_fields(request)
    who = _who(request)
    kept = {"amount": fields.get("amount", "").strip(), "by": fields.get("by", "").strip()}
    errors: dict[str, str] = {}
    bad = _amount_error(kept["amount"])
    if bad:
        errors["promise.amount"] = bad
    try:
        due = dt.date.fromisoformat(kept["by"])
    except ValueError:
        errors["promise.by"] = "work.form.date"
    if errors:
        return await _case_page(request, svc, case_id, status_code=422,
                                forms={"promise": kept}, errors=errors)

    def command() -> bool:
        currency = case_file(svc.dunwell, who, case_id).currency
        return record_case_promise(svc.dunwell, who, case_id=case_id,
                                   amount_minor=to_minor(kept["amount"], currency,
                                                         field="amount"),
                                   due_date=due, now=utc_now())

    try:
        await svc.run(command)
    except DomainError as exc:
        return await _refused(request, svc, case_id, "promise", kept, exc,
                              {"amount": "amount", "due_date": "by", "promise": "amount"})
    return _saved(case_id, "promise")


def _hardship_errors(kept: dict[str, str]) -> dict[str, str]:
    errors = {}
    if kept["reason"] not in HARDSHIP_REASONS:
        errors["hardship.reason"] = "work.form.choose"
    for name in ("income", "expenses", "other_debts"):
        bad = _amount_error(kept[name])
        if bad:
            errors[f"hardship.{name}"] = bad
    return errors


@router.post("/work/cases/{case_id}/hardship")
async def hardship_submit(case_id: str, request: Request, svc: ServicesDep) -> Response:
    fields = await form_fields(request)
    who = _who(request)
    kept = {k: fields.get(k, "").strip() for k in ("reason", "income", "expenses",
                                                     "other_debts", "vulnerable")}
    kept["other_debts"] = kept["other_debts"] or "0"
    errors = _hardship_errors(kept)
    if errors:
        return await _case_page(request, svc, case_id, status_code=422,
                                forms={"hardship": kept}, errors=errors)

    def command() -> Any:
        currency = case_file(svc.dunwell, who, case_id).currency
        minor = {k: to_minor(kept[k], currency, field=k)
                 for k in ("income", "expenses", "other_debts")}
        return record_case_hardship(
            svc.dunwell, who, case_id=case_id, reason=kept["reason"],
            income_minor=minor["income"], expenses_minor=minor["expenses"],
            other_debts_minor=minor["other_debts"], vulnerable=kept["vulnerable"] == "on",
            now=utc_now())

    try:
        await svc.run(command)
    except DomainError as exc:
        return await _refused(request, svc, case_id, "hardship", kept, exc,
                              {"income": "income", "expenses": "expenses",
                               "other_debts": "other_debts", "reason": "reason"})
    return _saved(case_id, "hardship")


__all__ = ["router"]

add_messages({
    "work.title": {"zh-CN": "今日催收队列", "en": "Today's call queue"},
    "work.case_title": {"zh-CN": "案件", "en": "Case"},
    "work.error_title": {"zh-CN": "无法打开", "en": "Not available"},
    "work.date": {"zh-CN": "业务日期：{day}", "en": "Business date: {day}"},
    "work.filter": {"zh-CN": "催收员", "en": "Collector"},
    "work.filter_all": {"zh-CN": "全部", "en": "All"},
    "work.filter_submit": {"zh-CN": "筛选", "en": "Filter"},
    "work.empty": {"zh-CN": "今天没有排队的电话。", "en": "No calls are queued today."},
    "work.col.position": {"zh-CN": "顺序", "en": "No."},
    "work.col.collector": {"zh-CN": "催收员", "en": "Collector"},
    "work.col.borrower": {"zh-CN": "借款人", "en": "Borrower"},
    "work.col.case": {"zh-CN": "案件", "en": "Case"},
    "work.col.dpd": {"zh-CN": "逾期天数", "en": "DPD"},
    "work.col.overdue": {"zh-CN": "逾期金额", "en": "Overdue"},
    "work.col.expected": {"zh-CN": "预期回收", "en": "Expected recovery"},
    "work.col.step": {"zh-CN": "待办步骤", "en": "Step due"},
    "work.col.window": {"zh-CN": "时段", "en": "Window"},
    "work.unassigned": {"zh-CN": "未分配", "en": "unassigned"},
    "work.summary": {"zh-CN": "借款人 {borrower} · 状态 {status} · 逾期 {dpd} 天 · "
                              "逾期金额 {overdue}",
                     "en": "Borrower {borrower} · status {status} · {dpd} days past due · "
                           "{overdue} overdue"},
    "work.owner": {"zh-CN": "负责人：{owner}", "en": "Assigned to {owner}"},
    "work.promise_open": {"zh-CN": "待履行承诺：{amount}，截至 {day}", "en":
                          "Pending promise: {amount} by {day}"},
    "work.may_contact": {"zh-CN": "现在可以联系吗？", "en": "May I contact now?"},
    "work.judged_at": {"zh-CN": "合规规则于借款人当地时间 {at} 的判断", "en":
                       "The guard's answer at {at}, the borrower's local time"},
    "work.ask_at": {"zh-CN": "换个时间问", "en": "Ask about another time"},
    "work.ask_submit": {"zh-CN": "查询", "en": "Ask"},
    "work.col.channel": {"zh-CN": "渠道", "en": "Channel"},
    "work.col.answer": {"zh-CN": "结论", "en": "Answer"},
    "work.col.rule": {"zh-CN": "规则", "en": "Rule"},
    "work.col.next": {"zh-CN": "下次允许时间", "en": "Next permitted time"},
    "work.decision.allow": {"zh-CN": "可以", "en": "Yes"},
    "work.decision.defer": {"zh-CN": "稍后", "en": "Not yet"},
    "work.decision.deny": {"zh-CN": "不可以", "en": "No"},
    "work.channel.call": {"zh-CN": "电话", "en": "Call"},
    "work.channel.sms": {"zh-CN": "短信", "en": "SMS"},
    "work.channel.email": {"zh-CN": "电子邮件", "en": "E-mail"},
    "work.channel.visit": {"zh-CN": "上门", "en": "Visit"},
    "work.script": {"zh-CN": "通话脚本（借款人语言）",
                    "en": "Call script (the borrower's language)"},
    "work.timeline": {"zh-CN": "时间线（最新在前）", "en": "Timeline (newest first)"},
    "work.col.when": {"zh-CN": "日期", "en": "Date"},
    "work.col.kind": {"zh-CN": "类型", "en": "Kind"},
    "work.col.what": {"zh-CN": "内容", "en": "What"},
    "work.timeline_empty": {"zh-CN": "暂无记录。", "en": "Nothing recorded yet."},
    "work.kind.payment": {"zh-CN": "还款", "en": "payment"},
    "work.kind.contact": {"zh-CN": "联系", "en": "contact"},
    "work.kind.decision": {"zh-CN": "合规决定", "en": "guard decision"},
    "work.kind.letter": {"zh-CN": "信函", "en": "letter"},
    "work.kind.visit": {"zh-CN": "外访", "en": "visit"},
    "work.kind.promise": {"zh-CN": "承诺还款", "en": "promise"},
    "work.kind.offer": {"zh-CN": "方案报价", "en": "offer"},
    "work.kind.plan": {"zh-CN": "还款计划", "en": "plan"},
    "work.kind.case": {"zh-CN": "案件", "en": "case"},
    "work.call.title": {"zh-CN": "记录通话结果", "en": "Record a call's outcome"},
    "work.call.outcome": {"zh-CN": "结果", "en": "Outcome"},
    "work.call.at": {"zh-CN": "通话时间（借款人当地时间）", "en":
                     "When (the borrower's local time)"},
    "work.call.submit": {"zh-CN": "保存通话", "en": "Save the call"},
    "work.promise.title": {"zh-CN": "承诺还款", "en": "Promise to pay"},
    "work.promise.amount": {"zh-CN": "金额", "en": "Amount"},
    "work.promise.by": {"zh-CN": "承诺日期", "en": "Promised by"},
    "work.promise.submit": {"zh-CN": "保存承诺", "en": "Save the promise"},
    "work.hardship.title": {"zh-CN": "困难评估", "en": "Hardship assessment"},
    "work.hardship.reason": {"zh-CN": "原因", "en": "Reason"},
    "work.hardship.income": {"zh-CN": "月收入", "en": "Monthly income"},
    "work.hardship.expenses": {"zh-CN": "必要月支出", "en": "Essential monthly expenses"},
    "work.hardship.other_debts": {"zh-CN": "其他债务月供", "en": "Other debts' monthly payments"},
    "work.hardship.vulnerable": {"zh-CN": "借款人属于弱势群体", "en": "The borrower is vulnerable"},
    "work.hardship.submit": {"zh-CN": "保存评估", "en": "Save the assessment"},
    "work.reason.illness": {"zh-CN": "疾病", "en": "Illness"},
    "work.reason.family_emergency": {"zh-CN": "家庭变故", "en": "Family emergency"},
    "work.reason.business_downturn": {"zh-CN": "经营困难", "en": "Business downturn"},
    "work.reason.job_loss": {"zh-CN": "失业", "en": "Job loss"},
    "work.reason.other": {"zh-CN": "其他", "en": "Other"},
    "work.form.amount": {"zh-CN": "请输入金额，例如 500.00。", "en":
                         "Enter an amount such as 500.00."},
    "work.form.date": {"zh-CN": "请输入日期，格式 YYYY-MM-DD。", "en":
                       "Enter a date as YYYY-MM-DD."},
    "work.form.time": {"zh-CN": "请输入通话的日期和时间。", "en":
                       "Enter the date and time of the call."},
    "work.refused": {"zh-CN": "未保存：{reason}", "en": "Not saved: {reason}"},
    "work.done.call": {"zh-CN": "通话已记录。", "en": "The call is recorded."},
    "work.done.promise": {"zh-CN": "承诺已记录。", "en": "The promise is recorded."},
    "work.done.hardship": {"zh-CN": "困难评估已记录，可在方案中查看报价。", "en":
                           "The hardship assessment is recorded; its offers are ready."},
    "work.outcome.conversation": {"zh-CN": "已通话", "en": "Spoke with the borrower"},
    "work.outcome.no_answer": {"zh-CN": "无人接听", "en": "No answer"},
    "work.outcome.voicemail_left": {"zh-CN": "已留言", "en": "Voicemail left"},
    "work.outcome.not_connected": {"zh-CN": "未接通", "en": "Not connected"},
    "work.outcome.number_unreachable": {"zh-CN": "号码无法接通", "en": "Number unreachable"},
    "work.outcome.promise_to_pay": {"zh-CN": "承诺还款", "en": "Promised to pay"},
    "work.outcome.dispute_received": {"zh-CN": "借款人提出异议",
                                      "en": "Borrower disputes the debt"},
    "work.outcome.opt_out_request": {"zh-CN": "要求停止联系", "en": "Asked not to be contacted"},
    "work.back": {"zh-CN": "返回队列", "en": "Back to the queue"},
    "work.form.choose": {"zh-CN": "请从列表中选择。", "en": "Choose one from the list."},
})
