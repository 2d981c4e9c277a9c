"""The front door: ``/`` sends a signed-in person to their role's home page and
anyone else to sign in; ``/sign-in`` is staff's name-and-password form (borrowers
sign in with a one-time code at ``/portal/sign-in``); ``/sign-out`` ends the
session."""

from __future__ import annotations

from urllib.parse import parse_qs

from fastapi import APIRouter, Request, status
from fastapi.responses import RedirectResponse, Response

from dunwell.api.auth import SESSION_COOKIE
from dunwell.api.deps import ServicesDep, utc_now
from dunwell.api.sessions import clear_session_cookies, local_path, set_session_cookies
from dunwell.app.identity.sessions import sign_in, sign_out
from dunwell.core.errors import DomainError
from dunwell.web.render import home_of, page, principal_of

router = APIRouter(include_in_schema=False)

#: The largest sign-in form read.
FORM_BYTES_MAX = 4_096


async def form_fields(request: Request, bytes_max: int = FORM_BYTES_MAX) -> dict[str, str]:
    """A URL-encoded form's fields (the first value of each); a form beyond
    ``bytes_max`` reads as empty."""
    raw = await request.body()
    if len(raw) > bytes_max:
        return {}
    return {k: v[0] for k, v in parse_qs(raw.decode("utf-8", "replace"),
                                         keep_blank_values=True).items()}


@router.get("/")
async def home(request: Request) -> Response:
    who = principal_of(request)
    if who is not None and home_of(who) != "/":
        return RedirectResponse(home_of(who), status_code=status.HTTP_303_SEE_OTHER)
    return page(request, "home.html", title_key="home.title")


@router.get("/sign-in")
async def sign_in_form(request: Request, next: str | None = None) -> Response:
    return page(request, "sign_in.html", title_key="sign_in.title", name="", error=None, errors={},
                next=local_path(next, ""))


@router.post("/sign-in")
async def sign_in_submit(request: Request, svc: ServicesDep) -> Response:
    fields = await form_fields(request)
    name, password = fields.get("name", "").strip(), fields.get("password", "")
    errors = {k: "form.required" for k, v in (("name", name), ("password", password)) if not v}
    if errors:
        return page(request, "sign_in.html", title_key="sign_in.title", status_code=422,
                    name=name, error=None, errors=errors, next=fields.get("next", ""))
    try:
        opened = await svc.run(lambda: sign_in(svc.dunwell, name=name, password=password,
                                               now=utc_now()))
    except DomainError:
        return page(request, "sign_in.html", title_key="sign_in.title", status_code=401,
                    name=name, error="sign_in.failed", errors={},
                    next=fields.get("next", ""))
    done = RedirectResponse(local_path(fields.get("next"), home_of(opened.principal)),
                            status_code=status.HTTP_303_SEE_OTHER)
    set_session_cookies(done, opened, svc.dunwell.settings)
    return done


@router.post("/sign-out")
async def sign_out_submit(request: Request, svc: ServicesDep) -> Response:
    session_id = request.cookies.get(SESSION_COOKIE)
    if session_id:
        await svc.run(lambda: sign_out(svc.dunwell, session_id=session_id, now=utc_now()))
    done = RedirectResponse("/", status_code=status.HTTP_303_SEE_OTHER)
    clear_session_cookies(done, svc.dunwell.settings)
    return done
