"""Rendering a page: the shared layout, the reader's language, the signed-in person's
navigation and the session's CSRF token for forms."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import partial
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from dunwell.api.auth import CSRF_COOKIE
from dunwell.identity.model import Principal, Role
from dunwell.web import i18n

env = Environment(loader=PackageLoader("dunwell.web", "templates"),
                  autoescape=select_autoescape(["html"]), undefined=StrictUndefined,
                  auto_reload=False)


@dataclass(frozen=True, slots=True)
class NavItem:
    path: str
    label_key: str


_PORTAL = NavItem("/portal", "nav.portal")
_WORK = NavItem("/work", "nav.work")
_FIELD = NavItem("/field", "nav.field")
_DASHBOARD = NavItem("/dashboard", "nav.dashboard")
_COMPLAINTS = NavItem("/complaints", "nav.complaints")

#: Each role's pages, its home first.
NAV: dict[Role, tuple[NavItem, ...]] = {
    Role.BORROWER: (_PORTAL,),
    Role.COLLECTOR: (_WORK,),
    Role.FIELD_AGENT: (_FIELD,),
    Role.TEAM_LEAD: (_WORK, _FIELD, _DASHBOARD),
    Role.MANAGER: (_DASHBOARD, _WORK, _FIELD, _COMPLAINTS),
    Role.RISK_ANALYST: (_DASHBOARD,),
    Role.COMPLIANCE_OFFICER: (_COMPLAINTS, _DASHBOARD),
    Role.LEGAL_COUNSEL: (_DASHBOARD,),
    Role.ADMIN: (),
}


def home_of(principal: Principal) -> str:
    """Where ``principal`` lands after signing in."""
    items = NAV.get(principal.role, ())
    return items[0].path if items else "/"


def language(request: Request) -> str:
    return i18n.pick_language(request.query_params.get("lang"),
                              request.cookies.get(i18n.LANG_COOKIE),
                              request.headers.get("accept-language"))


def principal_of(request: Request) -> Principal | None:
    found: Principal | None = getattr(request.state, "principal", None)
    return found


def page(request: Request, template: str, *, title_key: str, status_code: int = 200,
         **context: Any) -> HTMLResponse:
    """``template`` rendered in the reader's language with the layout's context:
    ``t(key, **values)``, ``money(minor, currency)``, ``date(day)``, ``lang``,
    ``principal``, ``nav``, ``csrf`` (the value for a ``csrf_token`` field) and
    ``title``."""
    lang = language(request)
    who = principal_of(request)
    t = partial(i18n.text, lang=lang)
    body = env.get_template(template).render(
        request=request, lang=lang, other_lang="en" if lang == "zh-CN" else "zh-CN",
        t=lambda key, **values: i18n.text(key, lang, **values),
        money=lambda minor, currency="CNY": i18n.money(minor, currency, lang),
        date=lambda day: i18n.date(day, lang) if isinstance(day, dt.date) else "",
        number=lambda value: i18n.number(value, lang),
        principal=who, nav=NAV.get(who.role, ()) if who else (),
        csrf=request.cookies.get(CSRF_COOKIE, ""), title=t(title_key),
        path=request.url.path, **context)
    response = HTMLResponse(body, status_code=status_code)
    if request.query_params.get("lang") in i18n.LANGUAGES:
        response.set_cookie(i18n.LANG_COOKIE, lang, max_age=365 * 86_400, samesite="lax",
                            path="/")
    return response
