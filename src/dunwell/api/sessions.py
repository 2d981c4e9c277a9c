"""Signing in and out: staff with a name and password (``POST /v1/sessions``),
borrowers with a one-time code texted to their phone (``POST /v1/portal/codes``, then
``POST /v1/portal/sessions``, or the page ``/portal/sign-in``); ``GET /v1/me`` says
who a request acts as; ``DELETE /v1/sessions`` signs out.

A session answers with two cookies: ``dunwell_session`` (HttpOnly) and
``dunwell_csrf``, and the CSRF token in the body: a request that changes something
sends it back as ``X-CSRF-Token`` (or the form field ``csrf_token``). API clients
that are programs use tokens (``dunwell token create``) instead."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, PackageLoader, select_autoescape
from pydantic import BaseModel, ConfigDict, Field

from dunwell.api.auth import CSRF_COOKIE, SESSION_COOKIE, PrincipalDep
from dunwell.api.deps import ServicesDep, utc_now
from dunwell.api.schemas import ErrorOut
from dunwell.app.identity.codes import request_code, verify_code
from dunwell.app.identity.sessions import NewSession, sign_in, sign_out
from dunwell.core.errors import DomainError
from dunwell.identity.model import Principal
from dunwell.settings import Settings

router = APIRouter(tags=["sessions"])
pages = Environment(loader=PackageLoader("dunwell.api", "templates"),
                    autoescape=select_autoescape(["html"]), auto_reload=False)
#: Where a borrower lands after signing in on the page, unless ``next`` says where.
PORTAL_HOME = "/portal/hardship"
FORM_BYTES_MAX = 4_096
ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorOut, "description": text} for code, text in (
        (400, "Invalid input (a phone number or code of the wrong shape)"),
        (401, "Not signed in, or the credentials are wrong"), (409, "Conflict with the state"),
        (413, "Request body too large"), (422, "Invalid request"),
        (503, "Temporarily unavailable; retry later"))}


class SignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=64, description="The user's name.")
    password: str = Field(min_length=1, max_length=1024)


class CodeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    phone: str = Field(min_length=1, max_length=40,
                       description="The mobile number on file, e.g. +8613800000001.")


class CodeSignIn(CodeRequest):
    code: str = Field(min_length=1, max_length=12, description="The 6-digit code texted.")


def principal_out(principal: Principal) -> dict[str, Any]:
    return {"user_id": principal.user_id, "name": principal.name,
            "role": principal.role.value, "borrower_id": principal.borrower_id,
            "staff_id": principal.staff_id, "authority_minor": principal.authority_minor,
            "via": principal.via}


def set_session_cookies(response: Response, opened: NewSession, settings: Settings) -> None:
    """The session's two cookies, lasting as long as the session."""
    seconds = settings.session_ttl_minutes * 60
    response.set_cookie(SESSION_COOKIE, opened.session_id, max_age=seconds, path="/",
                        httponly=True, samesite="lax", secure=settings.cookie_secure)
    response.set_cookie(CSRF_COOKIE, opened.csrf_token, max_age=seconds, path="/",
                        httponly=False, samesite="lax", secure=settings.cookie_secure)


def clear_session_cookies(response: Response, settings: Settings) -> None:
    for name in (SESSION_COOKIE, CSRF_COOKIE):
        response.delete_cookie(name, path="/", secure=settings.cookie_secure,
                               httponly=name == SESSION_COOKIE, samesite="lax")


def _session_out(opened: NewSession) -> dict[str, Any]:
    return {"user": principal_out(opened.principal), "csrf_token": opened.csrf_token,
            "expires_at": opened.session.expires_at.isoformat()}


@router.post("/v1/sessions", status_code=status.HTTP_201_CREATED, responses=ERRORS)
async def post_session(body: SignIn, svc: ServicesDep, response: Response) -> dict[str, Any]:
    """Sign in with a name and password: the session cookie is set and the CSRF token
    returned (send it as ``X-CSRF-Token`` on requests that change something)."""
    opened = await svc.run(lambda: sign_in(svc.dunwell, name=body.name,
                                           password=body.password, now=utc_now()))
    set_session_cookies(response, opened, svc.dunwell.settings)
    return _session_out(opened)


@router.delete("/v1/sessions", status_code=status.HTTP_204_NO_CONTENT, responses=ERRORS)
async def delete_session(request: Request, svc: ServicesDep,
                         principal: PrincipalDep) -> Response:
    """Sign out: the session in the cookie ends (a token is revoked with ``dunwell
    token revoke`` instead)."""
    session_id = request.cookies.get(SESSION_COOKIE)
    if principal.via == "session" and session_id:
        await svc.run(lambda: sign_out(svc.dunwell, session_id=session_id, now=utc_now()))
    done = Response(status_code=status.HTTP_204_NO_CONTENT)
    clear_session_cookies(done, svc.dunwell.settings)
    return done


@router.get("/v1/me", responses=ERRORS)
async def get_me(principal: PrincipalDep) -> dict[str, Any]:
    """Who this request acts as: user, role, the borrower or staff id, and how it
    signed in (``token`` or ``session``)."""
    return principal_out(principal)


@router.post("/v1/portal/codes", status_code=status.HTTP_202_ACCEPTED, responses=ERRORS)
async def post_code(body: CodeRequest, svc: ServicesDep) -> dict[str, Any]:
    """Text a sign-in code to a borrower's mobile number. The answer is the same
    whether or not the number is one we have."""
    await svc.run(lambda: request_code(svc.dunwell, phone=body.phone, now=utc_now()))
    return {"status": "accepted", "message": "if this number is on file, a code is on its "
            f"way; it works for {_minutes(svc.dunwell.settings)} minutes"}


@router.post("/v1/portal/sessions", status_code=status.HTTP_201_CREATED, responses=ERRORS)
async def post_portal_session(body: CodeSignIn, svc: ServicesDep,
                              response: Response) -> dict[str, Any]:
    """Sign a borrower in with the code texted to them: the session cookie is set and
    the CSRF token returned."""
    opened = await svc.run(lambda: verify_code(svc.dunwell, phone=body.phone,
                                               code=body.code, now=utc_now()))
    set_session_cookies(response, opened, svc.dunwell.settings)
    return _session_out(opened)


def _minutes(settings: Settings) -> int:
    return max(1, settings.otp_ttl_seconds // 60)


def local_path(target: str | None, fallback: str = PORTAL_HOME) -> str:
    """``target`` if it is a path on this site, else ``fallback`` (no open redirects)."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return fallback


def _page(settings: Settings, *, status_code: int = 200, step: str = "phone", phone: str = "",
          error: str | None = None, next_page: str = PORTAL_HOME) -> HTMLResponse:
    return HTMLResponse(pages.get_template("portal_sign_in.html").render(
        title="登录 · Sign in", step=step, phone=phone, error=error, next=next_page,
        minutes=_minutes(settings)), status_code=status_code)


@router.get("/portal/sign-in", response_class=HTMLResponse, include_in_schema=False)
async def sign_in_page(svc: ServicesDep, next: str | None = None) -> HTMLResponse:
    return _page(svc.dunwell.settings, next_page=local_path(next))


@router.post("/portal/sign-in", response_class=HTMLResponse, include_in_schema=False)
async def sign_in_submit(request: Request, svc: ServicesDep) -> Response:
    """Step one (a phone number): text a code, show the code form. Step two (the
    number and the code): sign in and go on to ``next``."""
    settings = svc.dunwell.settings
    raw = await request.body()
    if len(raw) > FORM_BYTES_MAX:
        return _page(settings, status_code=413, error="the form is too large")
    fields = {k: v[0] for k, v in parse_qs(raw.decode("utf-8", "replace")).items()}
    phone, code = fields.get("phone", "").strip(), fields.get("code", "").strip()
    next_page = local_path(fields.get("next"))
    try:
        if not code or fields.get("resend") == "yes":
            await svc.run(lambda: request_code(svc.dunwell, phone=phone, now=utc_now()))
            return _page(settings, step="code", phone=phone, next_page=next_page)
        opened = await svc.run(lambda: verify_code(svc.dunwell, phone=phone, code=code,
                                                   now=utc_now()))
    except DomainError as exc:
        status_code = 401 if exc.code.startswith("code_") and exc.code != (
            "code_must_be_six_digits") else 422
        step = "code" if code else "phone"
        return _page(settings, status_code=status_code, step=step, phone=phone,
                     error=f"{exc.message} [{exc.code}]", next_page=next_page)
    done = RedirectResponse(next_page, status_code=status.HTTP_303_SEE_OTHER)
    set_session_cookies(done, opened, settings)
    return done
