"""Who is asking: the signed-in principal of a request, and the route guard.

The route guard installed by ``add_auth`` authenticates every request (an API token
in ``Authorization: Bearer``, or a web session cookie with its CSRF token on unsafe
methods), checks the role × route matrix (``dunwell.identity.matrix``) and leaves the
principal on ``request.state.principal``; handlers take it as ``PrincipalDep`` and
apply the object rules.

The guard is ASGI middleware: it finds the route the router will choose (the same
templates, in the same order), so it answers before anything reads or validates the
request: anonymous on a route that needs a user → 401, a role the matrix does not
list (or a route missing from the matrix) → 403, in the API's error shape. Paths no
route serves pass through to the router's 404 and 405.

Sessions: the cookie ``dunwell_session`` (HttpOnly, SameSite=Lax, Secure unless
``cookie_secure`` is off) carries the session id; ``dunwell_csrf`` (readable by the
page, same flags otherwise) carries the CSRF token, which a request that changes
something must send back as the ``X-CSRF-Token`` header or a ``csrf_token`` form
field. A request with a bearer token needs no CSRF token (a browser never adds one).

Tokens verified once are trusted for a few seconds: each server process keeps the
principal of a token it verified for :data:`TOKEN_CACHE_SECONDS` (keyed by the token's
SHA-256 digest, never the token itself; at most :data:`TOKEN_CACHE_MAX` of them), so a
busy client costs the database one token lookup per process per window instead of one
per request. That is the bound on revocation: a revoked or expired token, a disabled
user or a changed role is refused (or seen) by every process within
``TOKEN_CACHE_SECONDS`` of the change. A token that fails is never cached."""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import re
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from http.cookies import SimpleCookie
from typing import Annotated, Any
from urllib.parse import parse_qs, quote

from fastapi import Depends, FastAPI, Request
from fastapi.routing import iter_route_contexts
from starlette.responses import HTMLResponse, Response
from starlette.routing import Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from dunwell.api.deps import Services
from dunwell.app.identity.sessions import authenticate_session, csrf_matches
from dunwell.app.identity.tokens import authenticate_token
from dunwell.core.errors import Forbidden, Unauthenticated
from dunwell.identity.matrix import (
    MATRIX,
    PUBLIC,
    SIGNED,
    Decision,
    Open,
    Rule,
    decide,
    rule_for,
)
from dunwell.identity.model import Principal

SESSION_COOKIE = "dunwell_session"
CSRF_COOKIE = "dunwell_csrf"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
#: Methods that change nothing, so need no CSRF token.
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
#: The largest form body the guard reads to find a ``csrf_token`` field.
FORM_BYTES_MAX = 1024 * 1024
#: Where a person is sent to sign in to a page.
SIGN_IN_PAGE = "/portal/sign-in"
#: How long (seconds) a process trusts a token it verified (the revocation bound).
TOKEN_CACHE_SECONDS = 5.0
#: Verified tokens a process keeps at most (beyond it, it starts again empty).
TOKEN_CACHE_MAX = 10_000

ErrorRenderer = Callable[[Request, Exception], Awaitable[Response]]


async def current_principal(request: Request) -> Principal:
    principal: Principal | None = getattr(request.state, "principal", None)
    if principal is None:
        raise Unauthenticated("sign in first: send Authorization: Bearer TOKEN "
                              "(dunwell token create NAME) or a session cookie")
    return principal


PrincipalDep = Annotated[Principal, Depends(current_principal)]


def csrf_token(request: Request) -> str:
    """The CSRF token of the request's session, for a page to put in its forms as the
    hidden field ``csrf_token`` (empty when there is no session)."""
    return request.cookies.get(CSRF_COOKIE, "")


@dataclass(frozen=True, slots=True)
class GuardedRoute:
    """One route as the router matches it: its template and methods."""

    template: str
    methods: frozenset[str] | None  # None: every method (a mount)
    regex: re.Pattern[str]
    page: bool  # an HTML page rather than an API route


def guarded_routes(api: FastAPI) -> list[GuardedRoute]:
    """The application's routes in the router's order."""
    found: list[GuardedRoute] = []
    for route in iter_route_contexts(api.routes):
        regex = getattr(route, "path_regex", None)
        template = route.path_format
        if regex is None or template is None:
            continue
        mount = isinstance(route.original_route, Mount)
        methods = None if mount else frozenset(route.methods or ())
        page = not template.startswith("/v1/") and not mount
        found.append(GuardedRoute(template, methods, regex, page))
    return found


def match_route(routes: Iterable[GuardedRoute], path: str,
                method: str) -> GuardedRoute | None:
    """The route the router will run for ``method`` on ``path``; None when it will
    answer 404 or 405 itself."""
    for route in routes:
        if route.regex.match(path) and (route.methods is None or method in route.methods):
            return route
    return None


def _cookies(scope: Scope) -> dict[str, str]:
    jar: SimpleCookie = SimpleCookie()
    for name, value in scope.get("headers") or ():
        if name == b"cookie":
            try:
                jar.load(value.decode("latin-1"))
            except Exception:  # a malformed cookie header carries no session
                continue
    return {key: morsel.value for key, morsel in jar.items()}


def _header(scope: Scope, wanted: bytes) -> str | None:
    for name, value in scope.get("headers") or ():
        if name == wanted:
            return str(value.decode("latin-1"))
    return None


class TokenCache:
    """Principals of the API tokens verified in the last ``seconds`` (module doc). Used
    from the event loop's thread only."""

    def __init__(self, seconds: float = TOKEN_CACHE_SECONDS, *, size_max: int = TOKEN_CACHE_MAX,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds = seconds
        self.size_max = size_max
        self.clock = clock
        self._found: dict[bytes, tuple[float, Principal]] = {}

    def get(self, token: str) -> Principal | None:
        if self.seconds <= 0:
            return None
        key = hashlib.sha256(token.encode()).digest()
        found = self._found.get(key)
        if found is None:
            return None
        if found[0] <= self.clock():
            del self._found[key]
            return None
        return found[1]

    def put(self, token: str, principal: Principal) -> None:
        if self.seconds <= 0:
            return
        if len(self._found) >= self.size_max:
            self._found.clear()
        self._found[hashlib.sha256(token.encode()).digest()] = (self.clock() + self.seconds,
                                                                principal)


class RouteGuard:
    """The ASGI middleware that authenticates and checks the matrix (module doc)."""

    def __init__(self, app: ASGIApp, *, api: FastAPI,
                 matrix: dict[tuple[str, str], Rule] | None = None,
                 token_cache_seconds: float = TOKEN_CACHE_SECONDS) -> None:
        self.app = app
        self.api = api
        self.matrix = dict(MATRIX if matrix is None else matrix)
        self._routes: list[GuardedRoute] | None = None
        self.tokens = TokenCache(token_cache_seconds)
        api.state.route_guard = self  # the fast front reads its tokens and matrix

    def routes(self) -> list[GuardedRoute]:
        if self._routes is None:
            self._routes = guarded_routes(self.api)
        return self._routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        root = scope.get("root_path") or ""
        if root and path.startswith(root):
            path = path[len(root):] or "/"
        method = scope["method"].upper()
        route = match_route(self.routes(), path, method)
        if route is None:
            await self.app(scope, receive, send)
            return
        rule = rule_for("GET" if route.methods is None else method, route.template,
                        self.matrix)
        request = Request(scope, receive)
        try:
            principal, receive = await self._principal(scope, receive, method, rule)
            self._check(rule, principal, route)
        except Exception as exc:  # rendered by the application's own error handlers
            response = await self._error(request, exc, route)
            await response(scope, receive, send)
            return
        scope.setdefault("state", {})["principal"] = principal
        await self.app(scope, receive, send)

    async def _principal(self, scope: Scope, receive: Receive, method: str,
                         rule: Rule | None) -> tuple[Principal | None, Receive]:
        """Who the request acts as, and the ``receive`` the route must read the body
        from (the guard may have read a form to find its CSRF token). On an open route
        bad credentials are ignored (the route needs none); elsewhere they are refused
        with the reason."""
        body = _Body(receive)
        try:
            return await self._authenticate(scope, body, method), body.receive
        except (Unauthenticated, Forbidden):
            if isinstance(rule, Open):
                return None, body.receive
            raise

    async def _authenticate(self, scope: Scope, body: _Body,
                            method: str) -> Principal | None:
        services: Services = self.api.state.services
        now = dt.datetime.now(dt.UTC)
        authorization = _header(scope, b"authorization")
        if authorization is not None:
            scheme, _, token = authorization.partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                raise Unauthenticated("send the API token as Authorization: Bearer dw_...",
                                      code="token_must_be_valid")
            token = token.strip()
            principal = self.tokens.get(token)
            if principal is None:
                principal = await services.run(lambda: authenticate_token(
                    services.dunwell, token=token, now=now))
                self.tokens.put(token, principal)
            return principal
        session_id = _cookies(scope).get(SESSION_COOKIE)
        if not session_id:
            return None
        auth = await services.run(lambda: authenticate_session(
            services.dunwell, session_id=session_id, now=now))
        if method not in SAFE_METHODS:
            csrf_matches(auth, await _csrf_given(scope, body))
        return auth.principal

    def _check(self, rule: Rule | None, principal: Principal | None,
               route: GuardedRoute) -> None:
        decision = decide(rule, principal)
        if decision is Decision.ALLOW:
            return
        if decision is Decision.SIGN_IN:
            raise Unauthenticated("sign in first: send Authorization: Bearer TOKEN "
                                  "(dunwell token create NAME) or sign in for a session "
                                  "(POST /v1/sessions; borrowers: /portal/sign-in)")
        if rule is None:
            raise Forbidden(f"{route.template} is not open to anyone yet: the role × route "
                            "matrix has no entry for it", code="route_must_be_in_matrix")
        assert principal is not None
        raise Forbidden(f"a {principal.role.value} may not use {route.template}; ask for a "
                        "user with a role that may", code="role_must_be_allowed")

    async def _error(self, request: Request, exc: Exception, route: GuardedRoute) -> Response:
        if (route.page and isinstance(exc, Unauthenticated)
                and "text/html" in (request.headers.get("accept") or "")):
            return sign_in_needed(request)
        for kind in type(exc).__mro__:
            handler: Any = self.api.exception_handlers.get(kind)
            if handler is not None:
                response: Response = await handler(request, exc)
                if isinstance(exc, Unauthenticated):
                    response.headers["WWW-Authenticate"] = "Bearer"
                return response
        raise exc


def sign_in_needed(request: Request) -> HTMLResponse:
    """A page that needs a signed-in borrower, asked for without one: 401, with the
    way to sign in."""
    if not request.url.path.startswith("/portal"):  # staff pages: name and password
        target = html.escape(f"/sign-in?next={quote(request.url.path, safe='/')}")
        return HTMLResponse(
            "<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\">"
            "<title>请先登录 · Please sign in</title></head><body><main>"
            "<h1>请先登录 · Please sign in</h1>"
            f"<p><a href=\"{target}\">员工登录 · Staff sign-in</a></p></main></body></html>",
            status_code=401, headers={"WWW-Authenticate": "Bearer"})
    link = html.escape(f"{SIGN_IN_PAGE}?next={quote(request.url.path, safe='/')}")
    return HTMLResponse(
        "<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\">"
        "<title>请先登录 · Please sign in</title></head><body><main>"
        "<h1>请先登录 · Please sign in</h1>"
        f"<p><a href=\"{link}\">用手机验证码登录 · Sign in with a code sent to your "
        "phone</a></p></main></body></html>", status_code=401,
        headers={"WWW-Authenticate": "Bearer"})


class _Body:
    """A request's body as the guard may read it: once read, ``receive`` hands the
    same messages on to the route."""

    def __init__(self, receive: Receive) -> None:
        self.receive = receive

    async def read(self) -> bytes:
        """The whole body (at most :data:`FORM_BYTES_MAX`)."""
        original = self.receive
        messages: list[Message] = []
        chunks: list[bytes] = []
        size, more = 0, True
        while more:
            message = await original()
            messages.append(message)
            if message["type"] != "http.request":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            chunks.append(chunk)
            more = bool(message.get("more_body"))
            if size > FORM_BYTES_MAX:
                break

        async def replay() -> Message:
            return messages.pop(0) if messages else await original()

        self.receive = replay
        if size > FORM_BYTES_MAX:
            raise Forbidden("the form is too large to carry a CSRF token",
                            code="csrf_token_must_match")
        return b"".join(chunks)


async def _csrf_given(scope: Scope, body: _Body) -> str | None:
    """The CSRF token the request sends: the header, or a form's ``csrf_token``."""
    given = _header(scope, CSRF_HEADER.encode())
    content_type = _header(scope, b"content-type") or ""
    if given is None and content_type.startswith("application/x-www-form-urlencoded"):
        fields = parse_qs((await body.read()).decode("utf-8", "replace"))
        given = next(iter(fields.get(CSRF_FIELD) or ()), None)
    return given


#: The error body of a 401 or 403, as the API writes every error.
_ERROR_SCHEMA = {"type": "object", "required": ["error", "message"], "properties": {
    "error": {"type": "string"}, "message": {"type": "string"},
    "field": {"anyOf": [{"type": "string"}, {"type": "null"}]}}}
_ERROR_JSON = {"application/json": {"schema": _ERROR_SCHEMA}}
SECURITY_SCHEMES = {
    "token": {"type": "http", "scheme": "bearer",
              "description": "An API token from `dunwell token create NAME`."},
    "session": {"type": "apiKey", "in": "cookie", "name": SESSION_COOKIE,
                "description": "A web session (POST /v1/sessions, or a borrower's "
                               "/v1/portal/sessions); unsafe methods also need the "
                               "X-CSRF-Token header."},
}


def document_access(schema: dict[str, Any],
                    matrix: dict[tuple[str, str], Rule] | None = None) -> dict[str, Any]:
    """Say in the OpenAPI document who may call each operation: its security (a token
    or a session; none for open routes), the roles (``x-roles`` and a line of its
    description) and the 401 and 403 answers of the guard."""
    chosen = dict(MATRIX if matrix is None else matrix)
    components = schema.setdefault("components", {})
    components.setdefault("securitySchemes", {}).update(SECURITY_SCHEMES)
    for path, operations in schema.get("paths", {}).items():
        for method, operation in operations.items():
            rule = rule_for(method, path, chosen)
            if rule is PUBLIC:
                operation["security"] = []
                continue
            if rule is SIGNED:
                operation["security"] = []
                operation["description"] = (operation.get("description", "") + "\n\n"
                                            "Called by providers, signed; no user.").strip()
                continue
            names = sorted(r.value for r in rule) if rule is not None else []
            operation["security"] = [{"token": []}, {"session": []}]
            operation["x-roles"] = names
            operation["description"] = (operation.get("description", "") + "\n\nRoles: "
                                        + (", ".join(names) or "none")).strip()
            responses = operation.setdefault("responses", {})
            responses.setdefault("401", {"description": "Not signed in, or the credentials "
                                         "are not valid", "content": _ERROR_JSON})
            responses.setdefault("403", {"description": "The signed-in role (or object) is "
                                         "not allowed", "content": _ERROR_JSON})
    return schema


def add_auth(api: FastAPI) -> None:
    """Install the route guard on ``api`` (default deny), and describe it in the
    OpenAPI document."""
    api.add_middleware(RouteGuard, api=api)
    generate = api.openapi

    def openapi() -> dict[str, Any]:
        if api.openapi_schema is None:
            api.openapi_schema = document_access(generate())
        return api.openapi_schema

    api.openapi = openapi  # type: ignore[method-assign]
