"""The manager's dashboard (``/dashboard``): the book's figures for a period, product,
strategy and territory, each as a chart drawn by Plotly and as a table, with every
table exported as CSV (``/dashboard/export/{table}.csv`` with the same filters).

The chart library is Plotly's own bundled ``plotly.min.js``, served by the app at
``/static/charts/plotly.min.js``; each chart's figure is built on the server and put in
the page as JSON data (``<script type="application/json">``), which
``static/dashboard.js`` hands to Plotly. Nothing is loaded from another host."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response

from dunwell.analytics.charts import charts
from dunwell.analytics.model import Ratio, Scope
from dunwell.api.deps import ServicesDep
from dunwell.app.analytics.dashboard import Dashboard, Options, dashboard, options
from dunwell.core.errors import InvalidInput
from dunwell.core.money import format_minor
from dunwell.web import i18n
from dunwell.web.render import language, page

router = APIRouter(include_in_schema=False)

#: Plotly's bundled library, served from the installed package.
PLOTLY_PATH = "/static/charts/plotly.min.js"
#: The tables the page shows and exports, in page order.
TABLES = ("overdue", "rates", "rolls", "variants", "roi", "denials", "vintage")


@cache
def _plotly() -> bytes:
    return files("plotly").joinpath("package_data", "plotly.min.js").read_bytes()


@router.get(PLOTLY_PATH)
async def plotly_js() -> Response:
    return Response(_plotly(), media_type="text/javascript",
                    headers={"Cache-Control": "public, max-age=86400"})


# --- filters ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Filters:
    """The form's values as typed, and the errors found in them (field -> message id)."""

    values: dict[str, str]
    errors: dict[str, str]
    scope: Scope | None


def _date(text: str, default: dt.date) -> dt.date | None:
    if not text:
        return default
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


def read_filters(query: Mapping[str, str], known: Options) -> Filters:
    values = {k: query.get(k, "").strip() for k in ("from", "to", "product", "strategy",
                                                     "territory")}
    errors: dict[str, str] = {}
    start = _date(values["from"], known.first_day)
    end = _date(values["to"], known.business_date)
    if start is None:
        errors["from"] = "dashboard.error.date"
    if end is None:
        errors["to"] = "dashboard.error.date"
    if start is not None and end is not None and start > end:
        errors["from"] = "dashboard.error.order"
    for name, allowed in (("product", known.products), ("strategy", known.strategies),
                          ("territory", known.territories)):
        if values[name] and values[name] not in allowed:
            errors[name] = "dashboard.error.unknown"
    if errors or start is None or end is None:
        return Filters(values, errors, None)
    values["from"], values["to"] = start.isoformat(), end.isoformat()
    return Filters(values, errors, Scope(start, end, values["product"] or None,
                                         values["strategy"] or None,
                                         values["territory"] or None))


# --- tables -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Table:
    """One table: column message ids, rows of cells for the CSV (money as decimal
    strings, rates as decimals), and which columns are numbers."""

    name: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    numeric: frozenset[int]


def _r(ratio: Ratio) -> str:
    return ratio.text()


def tables(d: Dashboard) -> dict[str, Table]:
    f = d.figures
    cur = f.currency

    def m(minor: int) -> str:
        return format_minor(minor, cur)

    o = f.overdue
    out = [
        Table("overdue", ("col.measure", "col.all", "col.m1", "col.m3", "col.m1_rate",
                          "col.m3_rate"),
              (("measure.count", str(o.loans), str(o.loans_m1), str(o.loans_m3),
                _r(o.count_m1), _r(o.count_m3)),
               ("measure.balance", m(o.balance_minor), m(o.balance_m1_minor),
                m(o.balance_m3_minor), _r(o.balance_m1), _r(o.balance_m3))),
              frozenset({1, 2, 3, 4, 5})),
        Table("rates", ("col.figure", "col.value", "col.numerator", "col.denominator"),
              _rate_rows(d, m), frozenset({1, 2, 3})),
        Table("rolls", ("col.bucket", "col.at_start", "col.worse", "col.same", "col.better",
                        "col.closed", "col.roll_rate"),
              tuple((f"M{r.bucket}", str(r.at_start), str(r.worse), str(r.same), str(r.better),
                     str(r.closed), _r(r.rate)) for r in f.rolls),
              frozenset(range(1, 7))),
        Table("variants", ("col.variant", "col.cases", "col.cured", "col.cure_rate",
                           "col.contacts", "col.contacts_per_case", "col.kept",
                           "col.resolved", "col.kept_rate", "col.collected"),
              tuple((v.variant, str(v.cases), str(v.cured), _r(v.cure_rate), str(v.contacts),
                     _r(v.contacts_per_case), str(v.promises_kept), str(v.promises_resolved),
                     _r(v.kept_rate), m(v.collected_minor)) for v in f.variants),
              frozenset(range(1, 10))),
        Table("roi", ("col.agent", "col.visits", "col.cost", "col.collected", "col.roi"),
              tuple((r.agent_id, str(r.visits), m(r.cost_minor), m(r.collected_minor),
                     _r(r.ratio)) for r in f.roi), frozenset({1, 2, 3, 4})),
        Table("denials", ("col.rule", "col.denials"),
              tuple((rule, str(n)) for rule, n in f.denials), frozenset({1})),
        Table("vintage", ("col.cohort", "col.mob", "col.loans", "col.ever_m1", "col.m1_rate",
                          "col.ever_m3", "col.m3_rate"),
              tuple((p.cohort, str(p.months_on_book), str(p.loans), str(p.ever_m1),
                     _r(p.m1), str(p.ever_m3), _r(p.m3)) for p in f.vintages),
              frozenset(range(1, 7))),
    ]
    return {t.name: t for t in out}


def _rate_rows(d: Dashboard, m: Callable[[int], str]) -> tuple[tuple[str, ...], ...]:
    f = d.figures
    rows: list[tuple[str, ...]] = [
        ("figure.cure", _r(f.cure), str(f.cure.numerator), str(f.cure.denominator)),
        ("figure.recovery", _r(f.recovery), m(f.recovery.numerator),
         m(f.recovery.denominator)),
        ("figure.cost_per_unit", _r(f.cost_per_unit), m(f.cost_minor),
         m(f.collected_overdue_minor)),
        ("figure.contacts_per_case", _r(f.contacts_per_case),
         str(f.contacts_per_case.numerator), str(f.contacts_per_case.denominator)),
        ("figure.promises_kept", _r(f.promises_kept), str(f.promises_kept.numerator),
         str(f.promises_kept.denominator))]
    c = d.complaints
    if c is None:
        rows.append(("figure.complaints", "", "", ""))
    else:
        rows.append(("figure.complaints", "" if c.rate_per_1000_open_cases is None
                     else f"{c.rate_per_1000_open_cases:.1f}", str(c.received), ""))
    return tuple(rows)


def _label(cell: str, lang: str) -> str:
    """A cell that names a message (``measure.``, ``figure.``) in the reader's language."""
    if cell.startswith(("measure.", "figure.")):
        return i18n.text(f"dashboard.{cell}", lang)
    return cell


def to_csv(table: Table, lang: str) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow([i18n.text(f"dashboard.{c}", lang) for c in table.columns])
    for row in table.rows:
        writer.writerow([_label(cell, lang) for cell in row])
    return buf.getvalue()


# --- pages ------------------------------------------------------------------------------


def _page_context(request: Request, d: Dashboard | None, filters: Filters,
                  known: Options) -> dict[str, Any]:
    lang = language(request)
    shown = tables(d) if d is not None else {}
    figure_json: dict[str, str] = {}
    if d is not None:
        built = charts(d.figures, lambda k: i18n.text(f"dashboard.{k}", lang),
                       lambda b: f"M{b}")
        # "</" never appears inside the data, so it cannot close its script element
        figure_json = {k: json.dumps(v, ensure_ascii=False).replace("</", "<\\/")
                       for k, v in built.items()}
    query = urlencode({k: v for k, v in filters.values.items() if v})
    return {"filters": filters, "known": known, "tables": shown, "order": TABLES,
            "charts": figure_json, "query": query, "figures": d.figures if d else None,
            "complaints": d.complaints if d else None, "label": lambda c: _label(c, lang),
            "rate": _percent}


def _percent(ratio: Ratio) -> str:
    v = ratio.value
    return "—" if v is None else f"{v * 100:.2f} %"


@router.get("/dashboard")
async def dashboard_page(request: Request, svc: ServicesDep) -> Response:
    known = await svc.run(lambda: options(svc.dunwell))
    filters = read_filters(request.query_params, known)
    if filters.scope is None:
        return page(request, "dashboard.html", title_key="dashboard.title", status_code=422,
                    **_page_context(request, None, filters, known))
    scope = filters.scope
    found = await svc.run(lambda: dashboard(svc.dunwell, scope))
    return page(request, "dashboard.html", title_key="dashboard.title",
                **_page_context(request, found, filters, known))


@router.get("/dashboard/export/{table}.csv")
async def dashboard_export(request: Request, table: str, svc: ServicesDep) -> Response:
    if table not in TABLES:
        raise InvalidInput(f"there is no table {table!r}; export one of {', '.join(TABLES)}",
                           code="dashboard_table_must_exist", field="table")
    known = await svc.run(lambda: options(svc.dunwell))
    filters = read_filters(request.query_params, known)
    if filters.scope is None:
        field, _ = next(iter(filters.errors.items()))
        raise InvalidInput(f"the filter {field!r} is not valid; check the dates (YYYY-MM-DD, "
                           "start before end) and pick values from the lists",
                           code="dashboard_filter_must_be_valid", field=field)
    scope = filters.scope
    found = await svc.run(lambda: dashboard(svc.dunwell, scope))
    body = to_csv(tables(found)[table], language(request))
    name = f"dunwell-{table}-{scope.date_from.isoformat()}-{scope.date_to.isoformat()}.csv"
    return Response(("\ufeff" + body).encode("utf-8"), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


def _messages(entries: Sequence[tuple[str, str, str]]) -> dict[str, dict[str, str]]:
    return {f"dashboard.{k}": {"zh-CN": zh, "en": en} for k, zh, en in entries}


i18n.add_messages(_messages((
    ("title", "经营看板", "Dashboard"),
    ("filters", "筛选", "Filters"),
    ("from", "起始日期", "From"),
    ("to", "截止日期", "To"),
    ("product", "产品", "Product"),
    ("strategy", "催收策略", "Strategy"),
    ("territory", "区域", "Territory"),
    ("all", "全部", "All"),
    ("apply", "应用筛选", "Apply filters"),
    ("export", "导出 CSV", "Export CSV"),
    ("error.date", "请按 YYYY-MM-DD 填写日期。", "Enter the date as YYYY-MM-DD."),
    ("error.order", "起始日期不能晚于截止日期。", "The start must not be after the end."),
    ("error.unknown", "请从列表中选择。", "Pick a value from the list."),
    ("error.form", "筛选条件有误，请按提示修改。", "Some filters are not valid; see below."),
    ("period", "期间 {start} 至 {end}", "Period {start} to {end}"),
    ("not_recorded", "未记录", "not recorded"),
    ("no_rows", "此范围内没有数据。", "Nothing in this scope."),
    ("definitions", "各指标定义见文档。", "Each figure's definition is in the documentation."),
    ("complaints_note", "投诉按期间统计，不按产品、策略或区域筛选。",
     "Complaints are counted for the period, not by product, strategy or territory."),
    ("table.overdue", "逾期率（期末）", "Overdue rate (at the period's end)"),
    ("table.rates", "回收与催收效率", "Recovery and collection"),
    ("table.rolls", "迁徙率（按月）", "Roll rates (month over month)"),
    ("table.variants", "冠军与挑战者策略对比", "Champion and challenger"),
    ("table.roi", "外访回报", "Field visit return"),
    ("table.denials", "合规拦截（按规则）", "Guard denials by rule"),
    ("table.vintage", "账龄分析（Vintage）", "Vintage curves"),
    ("card.m1", "M1+ 逾期率（余额）", "M1+ overdue (balance)"),
    ("card.m3", "M3+ 逾期率（余额）", "M3+ overdue (balance)"),
    ("card.recovery", "回收率", "Recovery rate"),
    ("card.cure", "治愈率", "Cure rate"),
    ("measure.count", "笔数", "Loans"),
    ("measure.balance", "未还本金", "Outstanding principal"),
    ("figure.cure", "治愈率", "Cure rate"),
    ("figure.recovery", "回收率", "Recovery rate"),
    ("figure.cost_per_unit", "单位回收成本", "Cost per unit recovered"),
    ("figure.contacts_per_case", "每案联系次数", "Contacts per case"),
    ("figure.promises_kept", "承诺还款履约率", "Promise-kept rate"),
    ("figure.complaints", "投诉率（每千个在催案件）", "Complaint rate (per 1,000 open cases)"),
    ("col.measure", "指标", "Measure"),
    ("col.all", "全部在贷", "All open"),
    ("col.m1", "M1+", "M1+"),
    ("col.m3", "M3+", "M3+"),
    ("col.m1_rate", "M1+ 比率", "M1+ rate"),
    ("col.m3_rate", "M3+ 比率", "M3+ rate"),
    ("col.figure", "指标", "Figure"),
    ("col.value", "数值", "Value"),
    ("col.numerator", "分子", "Numerator"),
    ("col.denominator", "分母", "Denominator"),
    ("col.bucket", "起始账龄段", "From bucket"),
    ("col.at_start", "期初笔数", "Loans at start"),
    ("col.worse", "恶化", "Rolled worse"),
    ("col.same", "不变", "Stayed"),
    ("col.better", "好转或结清", "Improved or paid"),
    ("col.closed", "核销", "Written off"),
    ("col.roll_rate", "迁徙率", "Roll rate"),
    ("col.variant", "分组", "Variant"),
    ("col.cases", "案件数", "Cases"),
    ("col.cured", "治愈", "Cured"),
    ("col.cure_rate", "治愈率", "Cure rate"),
    ("col.contacts", "联系次数", "Contacts"),
    ("col.contacts_per_case", "每案联系", "Contacts per case"),
    ("col.kept", "履约承诺", "Promises kept"),
    ("col.resolved", "到期承诺", "Promises resolved"),
    ("col.kept_rate", "履约率", "Kept rate"),
    ("col.collected", "回收金额", "Collected"),
    ("col.agent", "外访员", "Agent"),
    ("col.visits", "外访次数", "Visits"),
    ("col.cost", "成本", "Cost"),
    ("col.roi", "回报（每单位成本）", "Return per unit of cost"),
    ("col.rule", "规则", "Rule"),
    ("col.denials", "拦截次数", "Denials"),
    ("col.cohort", "放款月份", "Disbursed in"),
    ("col.mob", "账龄（月）", "Months on book"),
    ("col.loans", "贷款笔数", "Loans"),
    ("col.ever_m1", "曾达 M1+", "Ever M1+"),
    ("col.ever_m3", "曾达 M3+", "Ever M3+"),
    ("chart.percent", "百分比", "Percent"),
    ("chart.per_unit", "每单位成本回收", "Collected per unit of cost"),
    ("chart.by_count", "按笔数", "By count"),
    ("chart.by_balance", "按余额", "By balance"),
    ("chart.overdue", "逾期率", "Overdue rate"),
    ("chart.roll_rate", "迁徙率", "Roll rate"),
    ("chart.rolls", "迁徙率（恶化）", "Roll rates (to a worse bucket)"),
    ("chart.roi", "外访回报", "Visit return"),
    ("chart.denials", "合规拦截", "Guard denials"),
    ("chart.cure_rate", "治愈率", "Cure rate"),
    ("chart.kept_rate", "承诺履约率", "Promise-kept rate"),
    ("chart.variants", "冠军与挑战者", "Champion and challenger"),
    ("chart.vintage", "累计逾期率（按放款月份）", "Cumulative overdue rate by disbursement month"),
    ("chart.mob", "账龄（月）", "Months on book"),
)))
