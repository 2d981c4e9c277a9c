"""The FastAPI application: ``create_app(settings)`` wires the book once (migrations,
the credit model, the decision table) and maps every error to one shape,
``{"error": code, "message": ..., "field": ...}``: rejections, invalid requests,
malformed JSON, unknown routes (404), wrong methods (405), bodies beyond the limit
(413), an unavailable database (503 with ``Retry-After``) and, should one happen, an
unexpected failure (500).

The interactive docs (``/docs``, ``/redoc``) load their assets from an installed
package, not a CDN, so they work offline: see ``dunwell.api.docs``.

Request bodies are limited (``DUNWELL_REQUEST_BODY_BYTES_MAX``, 1 MiB by default;
the evidence bundle check takes ``DUNWELL_BUNDLE_UPLOAD_BYTES_MAX``): a body
announced larger is refused before it is read, and one that grows larger while it
arrives is refused at that point."""

from __future__ import annotations

import gc
import json
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from dunwell.api.auth import add_auth
from dunwell.api.channels import router as channels_router
from dunwell.api.complaints import router as complaints_router
from dunwell.api.deps import COMMANDS_AT_ONCE, DECISIONS_AT_ONCE, Runner, Services
from dunwell.api.docs import add_docs
from dunwell.api.fast import FastFront
from dunwell.api.field import router as field_router
from dunwell.api.legal import router as legal_router
from dunwell.api.letters import router as letters_router
from dunwell.api.negotiation import router as negotiation_router
from dunwell.api.payments import router as payments_router
from dunwell.api.portal import router as portal_router
from dunwell.api.routes import router
from dunwell.api.security import add_security
from dunwell.api.sessions import router as sessions_router
from dunwell.api.training import router as training_router
from dunwell.app.origination.service import KEY_CONFLICT, Origination, origination_for
from dunwell.bootstrap import DATABASE_ERRORS, DbFailure, Dunwell, bootstrap, database_failure
from dunwell.core.errors import (
    Conflict,
    DomainError,
    Forbidden,
    InvalidInput,
    NotFound,
    RetryLater,
    Unauthenticated,
)
from dunwell.lending.errors import BOOK_NOT_OPEN
from dunwell.settings import Settings
from dunwell.web import add_web

#: Codes whose status is not their class's.
STATUS_BY_CODE = {BOOK_NOT_OPEN: 503, KEY_CONFLICT: 409}
#: The path whose body may be as large as ``bundle_upload_bytes_max``.
BUNDLE_VERIFY_PATH = "/v1/legal/bundles/verify"
#: Seconds a 503 asks the caller to wait before retrying.
RETRY_AFTER_SECONDS = 5
#: The code of each HTTP error the framework raises (unknown route, wrong method...).
CODE_BY_STATUS = {400: "request_must_be_valid", 401: "credentials_must_be_valid",
                  403: "permission_must_be_granted", 404: "route_must_exist",
                  405: "method_must_be_allowed", 413: "request_body_must_be_bounded",
                  415: "media_type_must_be_supported"}
#: What FastAPI says when a body cannot be decoded at all.
PARSE_FAILED = "There was an error parsing the body"


def status_for(exc: DomainError) -> int:
    if exc.code in STATUS_BY_CODE:
        return STATUS_BY_CODE[exc.code]
    if isinstance(exc, RetryLater):
        return 503
    if isinstance(exc, Unauthenticated):
        return 401
    if isinstance(exc, Forbidden):
        return 403
    if isinstance(exc, NotFound):
        return 404
    if isinstance(exc, Conflict):
        return 409
    if isinstance(exc, InvalidInput):
        return 400
    return 422


def error_body(code: str, message: str, field: str | None, **more: Any) -> dict[str, Any]:
    return {"error": code, "message": message, "field": field, **more}


async def domain_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    field = exc.details.get("field")
    status = status_for(exc)
    return JSONResponse(error_body(exc.code, exc.message, None if field is None else str(field)),
                        status_code=status,
                        headers={"Retry-After": str(RETRY_AFTER_SECONDS)} if status == 503
                        else None)


async def http_error(_: Request, exc: Exception) -> JSONResponse:
    """The framework's own errors (404 unknown route, 405, 413...) in the same shape."""
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 400 and exc.detail == PARSE_FAILED:  # e.g. a body not in UTF-8
        return JSONResponse(error_body("request_body_must_be_json", "the body is not valid "
                                       "JSON in UTF-8; send the JSON the route describes",
                                       "body"), status_code=422)
    code = CODE_BY_STATUS.get(exc.status_code, "request_must_be_valid")
    message = str(exc.detail)
    if exc.status_code == 404 and exc.detail in (None, "Not Found"):
        message = "no such route; see /openapi.json for the API's paths"
    elif exc.status_code == 404:
        code = "referenced_object_must_exist"
    elif exc.status_code == 405:
        message = "this method is not allowed here; see /openapi.json"
    return JSONResponse(error_body(code, message, "body" if exc.status_code in (400, 413)
                                   else None),
                        status_code=exc.status_code, headers=exc.headers)


async def database_error(request: Request, exc: Exception) -> JSONResponse:
    """A failure of the book's database: unavailable or busy (503, nothing changed;
    retry later), a number it cannot hold (422), or a sum beyond its integers (500)."""
    failure = database_failure(exc)
    if failure is None or failure.failure is DbFailure.URL_INVALID:
        return await unexpected_error(request, exc)
    if failure.failure is DbFailure.VALUE_REFUSED:
        return await value_beyond_limits(request, exc)
    if failure.failure is DbFailure.SUM_OVERFLOW:
        return JSONResponse(error_body("stored_amounts_must_fit_int64", "a sum in the book is "
                                       "beyond 64-bit integers: amounts beyond the limits "
                                       "were stored before they were checked", None),
                            status_code=500)
    return JSONResponse(error_body("database_must_be_reachable", "the book's database is "
                                   "unavailable or busy; nothing was changed, retry later",
                                   None), status_code=503,
                        headers={"Retry-After": str(RETRY_AFTER_SECONDS)})


async def value_beyond_limits(_: Request, exc: Exception) -> JSONResponse:
    """A number the database cannot hold (the limits should have refused it first)."""
    return JSONResponse(error_body("number_must_be_within_limits", "a number in the request "
                                   "is beyond what the book stores (ids 1 to 2^63-1)", None),
                        status_code=422)


async def unexpected_error(_: Request, exc: Exception) -> JSONResponse:
    return JSONResponse(error_body("server_must_not_fail", "the server failed unexpectedly; "
                                   "nothing was changed unless a later read shows it", None),
                        status_code=500)


def _field(loc: tuple[Any, ...]) -> str:
    parts = list(loc[1:]) if loc and loc[0] in ("body", "query", "path", "header") else list(loc)
    return ".".join(str(p) for p in parts) or "body"


async def validation_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    for e in exc.errors():
        if e.get("type") == "json_invalid":
            why = str((e.get("ctx") or {}).get("error", "JSON decode error"))
            return JSONResponse(error_body("request_body_must_be_json", "the body is not "
                                           f"valid JSON ({why})", "body"), status_code=422)
    problems = [{"field": _field(tuple(e.get("loc", ()))), "message": str(e.get("msg", ""))}
                for e in exc.errors()]
    first = problems[0] if problems else {"field": "body", "message": "invalid request"}
    message = f"{first['field']}: {first['message']}"
    return JSONResponse(error_body("request_must_be_valid", message, first["field"],
                                   problems=problems[:20]), status_code=422)


class BodyTooLarge(HTTPException):
    """A request body beyond its limit (an HTTP error so body parsing passes it on)."""

    def __init__(self, bytes_max: int) -> None:
        super().__init__(413, f"the request body is larger than {bytes_max} bytes; send "
                              "less (bulk data belongs in several requests)")


class BodyLimit:
    """Refuse request bodies beyond ``bytes_max`` (or the path's own limit): at once
    when ``Content-Length`` says so, otherwise as soon as the bytes received pass it."""

    def __init__(self, app: ASGIApp, *, bytes_max: int,
                 bytes_max_by_path: Mapping[str, int]) -> None:
        self.app = app
        self.bytes_max = bytes_max
        self.by_path = dict(bytes_max_by_path)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.by_path.get(scope["path"], self.bytes_max)
        declared = dict(scope.get("headers") or ()).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            body = json.dumps(error_body("request_body_must_be_bounded",
                                         str(BodyTooLarge(limit).detail), "body")).encode()
            await send({"type": "http.response.start", "status": 413, "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()), (b"connection", b"close")]})
            await send({"type": "http.response.body", "body": body})
            return
        received = 0

        async def limited() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        await self.app(scope, limited, send)


def create_app(settings: Settings | None = None, *, dunwell: Dunwell | None = None,
               origination: Origination | None = None, fast_front: bool = True) -> FastAPI:
    """The API over the book in ``settings`` (or an already wired ``dunwell``). With
    ``fast_front`` (the default) the usual requests of the two hot routes are answered
    by :class:`~dunwell.api.fast.FastFront`, exactly as the rest of the stack would."""
    dunwell = dunwell or bootstrap(settings)
    origination = origination or origination_for(dunwell.settings)
    sqlite = dunwell.db.dialect == "sqlite"

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        with dunwell.db.serving():
            yield

    api = FastAPI(title="Dunwell", version="1", lifespan=lifespan, docs_url=None, redoc_url=None,
                  description="Origination: applications, decisions with reasons, credit "
                              "lines and drawdowns; read-only loans. Amounts are decimal "
                              "strings in major units.")
    api.state.services = Services(dunwell, origination,
                                  Runner(inline=sqlite, limit=COMMANDS_AT_ONCE,
                                         cpu_limit=DECISIONS_AT_ONCE))
    add_docs(api)
    api.include_router(router)
    api.include_router(payments_router)
    api.include_router(letters_router)
    api.include_router(negotiation_router)
    api.include_router(channels_router)
    api.include_router(legal_router)
    api.include_router(complaints_router)
    api.include_router(field_router)
    api.include_router(portal_router)
    api.include_router(training_router)
    api.include_router(sessions_router)
    add_web(api)
    api.add_exception_handler(DomainError, domain_error)
    api.add_exception_handler(RequestValidationError, validation_error)
    api.add_exception_handler(StarletteHTTPException, http_error)
    for db_error in DATABASE_ERRORS:
        api.add_exception_handler(db_error, database_error)
    api.add_exception_handler(OverflowError, value_beyond_limits)
    api.add_exception_handler(Exception, unexpected_error)
    # the guard runs inside the body limit (a CSRF form field is read through it)
    add_auth(api)
    limits = dunwell.settings
    api.add_middleware(BodyLimit, bytes_max=limits.request_body_bytes_max,
                       bytes_max_by_path={BUNDLE_VERIFY_PATH: limits.bundle_upload_bytes_max})
    add_security(api, dunwell.settings)
    if fast_front:  # outermost: ahead of the security headers, which it adds itself
        api.add_middleware(FastFront, api=api, bytes_max=limits.request_body_bytes_max,
                           hsts=dunwell.settings.cookie_secure)
    return api


def serve_app() -> FastAPI:
    """The app of one server worker (``dunwell serve --workers N`` names this factory):
    the settings come from the environment the command set (``DUNWELL_DB_URL``,
    ``DUNWELL_DEV_MODE``...); the schema was migrated before the workers started."""
    api = create_app(Settings())
    gc.collect()
    gc.freeze()  # what start-up loaded is never garbage: keep the collector off it
    return api
