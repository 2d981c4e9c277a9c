"""The FastAPI application: ``create_app(settings)`` wires the book once (migrations,
the credit model, the decision table) and maps every rejection to one error shape,
``{"error": code, "message": ..., "field": ...}``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from dunwell.api.channels import router as channels_router
from dunwell.api.deps import Runner, Services
from dunwell.api.field import router as field_router
from dunwell.api.legal import router as legal_router
from dunwell.api.letters import router as letters_router
from dunwell.api.negotiation import router as negotiation_router
from dunwell.api.payments import router as payments_router
from dunwell.api.portal import router as portal_router
from dunwell.api.routes import router
from dunwell.api.sqlite import WalCheckpointer
from dunwell.api.training import router as training_router
from dunwell.app.bootstrap import Dunwell, bootstrap
from dunwell.app.origination import KEY_CONFLICT, Origination, origination_for
from dunwell.core.errors import Conflict, DomainError, InvalidInput, NotFound
from dunwell.settings import Settings

#: Codes whose status is not their class's.
STATUS_BY_CODE = {"book_must_be_open": 503, KEY_CONFLICT: 409}


def status_for(exc: DomainError) -> int:
    if exc.code in STATUS_BY_CODE:
        return STATUS_BY_CODE[exc.code]
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
    return JSONResponse(error_body(exc.code, exc.message, None if field is None else str(field)),
                        status_code=status_for(exc))


def _field(loc: tuple[Any, ...]) -> str:
    parts = list(loc[1:]) if loc and loc[0] in ("body", "query", "path", "header") else list(loc)
    return ".".join(str(p) for p in parts) or "body"


async def validation_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems = [{"field": _field(tuple(e.get("loc", ()))), "message": str(e.get("msg", ""))}
                for e in exc.errors()]
    first = problems[0] if problems else {"field": "body", "message": "invalid request"}
    message = f"{first['field']}: {first['message']}"
    return JSONResponse(error_body("request_must_be_valid", message, first["field"],
                                   problems=problems[:20]), status_code=422)


def create_app(settings: Settings | None = None, *, dunwell: Dunwell | None = None,
               origination: Origination | None = None) -> FastAPI:
    """The API over the book in ``settings`` (or an already wired ``dunwell``)."""
    dunwell = dunwell or bootstrap(settings)
    origination = origination or origination_for(dunwell.settings)
    sqlite = dunwell.engine.dialect.name == "sqlite"
    checkpointer = WalCheckpointer(dunwell.engine) if sqlite else None

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if checkpointer is not None:
            checkpointer.start()
        try:
            yield
        finally:
            if checkpointer is not None:
                checkpointer.stop()

    api = FastAPI(title="Dunwell", version="1", lifespan=lifespan,
                  description="Origination: applications, decisions with reasons, credit "
                              "lines and drawdowns; read-only loans. Amounts are decimal "
                              "strings in major units.")
    api.state.services = Services(dunwell, origination, Runner(inline=sqlite))
    api.include_router(router)
    api.include_router(payments_router)
    api.include_router(letters_router)
    api.include_router(negotiation_router)
    api.include_router(channels_router)
    api.include_router(legal_router)
    api.include_router(field_router)
    api.include_router(portal_router)
    api.include_router(training_router)
    api.add_exception_handler(DomainError, domain_error)
    api.add_exception_handler(RequestValidationError, validation_error)
    return api
