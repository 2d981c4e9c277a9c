"""Secure headers, CORS (closed unless origins are configured) and abuse limits.

``add_security`` wraps the whole application (it is installed last, so it is the
outermost layer), in this order from the outside in:

1. **Secure headers** on every response, errors included: a Content-Security-Policy
   (this server only; inline styles for the borrower's pages; a route that sets its
   own policy, as ``/docs`` and ``/redoc`` do, keeps it), ``X-Content-Type-Options:
   nosniff``, ``X-Frame-Options: DENY`` (and ``frame-ancestors 'none'``),
   ``Referrer-Policy: no-referrer``, a ``Permissions-Policy`` that turns off the
   camera, microphone, location and payment features, and
   ``Strict-Transport-Security`` when cookies are HTTPS-only (``cookie_secure``).
2. **CORS**: with ``DUNWELL_CORS_ORIGINS`` empty (the default) no response carries
   CORS headers and a browser's preflight is refused (403), so no other site's
   script can call the API from a user's browser; with origins set, exactly those
   may (Starlette's CORS middleware), without cookies.
3. **Abuse limits** per client address and route group, as token buckets: a group
   allows its number of requests per window at once, and refills evenly over the
   window. Over the limit the answer is 429 with ``Retry-After`` (whole seconds)
   and the API's error shape. The groups: sign-in (``POST /v1/sessions``,
   ``POST /v1/portal/sessions``, ``POST /portal/sign-in``;
   ``sign_in_attempts_per_minute``), one-time codes (``POST /v1/portal/codes``;
   ``otp_requests_per_hour``), letter checks (``/letters/verify...``,
   ``/v1/letters/verify/...``; ``letter_checks_per_minute``) and the borrower's
   portal (``/portal/...``; ``portal_requests_per_minute``). A request may be in two
   groups (signing in through the portal) and must pass both.

The buckets live in the process: with several server processes each keeps its own,
so the limits apply per process (``--workers 4`` allows up to four times as much in
total); run one process per address behind the proxy, or lower the limits to match.
The client address is the connection's, which uvicorn takes from
``X-Forwarded-For`` only when the proxy is trusted (``--forwarded-allow-ips``).
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI
from starlette.datastructures import Headers, MutableHeaders
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from dunwell.settings import Settings

#: The policy of every response that does not set its own.
CONTENT_SECURITY_POLICY = ("default-src 'self'; script-src 'self'; "
                           "style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
                           "font-src 'self'; connect-src 'self'; object-src 'none'; "
                           "base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
#: The interactive docs' pages run an inline script that starts Swagger UI or ReDoc.
DOCS_POLICY = ("default-src 'self'; script-src 'self' 'unsafe-inline'; "
               "style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; "
               "worker-src 'self' blob:; object-src 'none'; base-uri 'none'; "
               "frame-ancestors 'none'")
DOCS_PREFIXES = ("/docs", "/redoc")
PERMISSIONS_POLICY = ("accelerometer=(), camera=(), geolocation=(), gyroscope=(), "
                      "magnetometer=(), microphone=(), payment=(), usb=()")
#: A year: browsers keep to HTTPS for this long after they last saw the header.
HSTS_SECONDS = 365 * 24 * 3600
#: Buckets kept at most; beyond it, full (idle) buckets are dropped first, then the
#: oldest, so a flood of addresses cannot grow the process without bound.
BUCKETS_MAX = 100_000
RATE_CODE = "request_rate_must_be_within_limit"
ORIGIN_CODE = "origin_must_be_allowed"
CORS_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
CORS_HEADERS = ("Authorization", "Content-Type", "Idempotency-Key", "Accept-Language",
                "X-CSRF-Token")
CORS_MAX_AGE_SECONDS = 600

SIGN_IN_ROUTES = frozenset({("POST", "/v1/sessions"), ("POST", "/v1/portal/sessions"),
                            ("POST", "/portal/sign-in")})
CODE_ROUTES = frozenset({("POST", "/v1/portal/codes")})


@dataclass(frozen=True, slots=True)
class Limit:
    """``requests_max`` requests per ``window_seconds`` for one group of routes."""

    group: str
    requests_max: int
    window_seconds: int
    what: str  # how the refusal names the requests

    @property
    def per(self) -> str:
        """``a minute`` or ``an hour``, as the refusal says it."""
        return "a minute" if self.window_seconds == 60 else "an hour"


def limits_for(settings: Settings) -> dict[str, Limit]:
    """Each route group's limit from the settings."""
    return {limit.group: limit for limit in (
        Limit("sign_in", settings.sign_in_attempts_per_minute, 60, "sign-in attempts"),
        Limit("one_time_codes", settings.otp_requests_per_hour, 3600,
              "requests for a one-time code"),
        Limit("letter_checks", settings.letter_checks_per_minute, 60, "letter checks"),
        Limit("portal", settings.portal_requests_per_minute, 60, "requests to the portal"),
    )}


def route_groups(method: str, path: str) -> list[str]:
    """The limited groups a request belongs to (none for most of the API)."""
    groups = []
    if (method, path) in SIGN_IN_ROUTES:
        groups.append("sign_in")
    if (method, path) in CODE_ROUTES:
        groups.append("one_time_codes")
    if path in ("/letters/verify", "/v1/letters/verify") \
            or path.startswith(("/letters/verify/", "/v1/letters/verify/")):
        groups.append("letter_checks")
    if path == "/portal" or path.startswith("/portal/"):
        groups.append("portal")
    return groups


class TokenBuckets:
    """One bucket per (group, client): full at ``requests_max`` tokens, refilled at
    ``requests_max / window_seconds`` a second; a request takes one token."""

    def __init__(self, *, clock: Callable[[], float] = time.monotonic,
                 buckets_max: int = BUCKETS_MAX) -> None:
        self.clock = clock
        self.buckets_max = buckets_max
        #: (group, client) -> (tokens, when last taken, the group's window)
        self._buckets: dict[tuple[str, str], tuple[float, float, int]] = {}

    def __len__(self) -> int:
        return len(self._buckets)

    def take(self, limit: Limit, client: str) -> int:
        """Take a token for ``client``: 0 when there was one, else the whole seconds
        until there will be (the request is refused and takes nothing)."""
        now = self.clock()
        rate = limit.requests_max / limit.window_seconds
        key = (limit.group, client)
        tokens, at, _ = self._buckets.pop(key, (float(limit.requests_max), now, 0))
        tokens = min(float(limit.requests_max), tokens + (now - at) * rate)
        wait = 0
        if tokens >= 1:
            tokens -= 1
        else:
            wait = max(1, math.ceil((1 - tokens) / rate))
        self._buckets[key] = (tokens, now, limit.window_seconds)  # the newest last
        if len(self._buckets) > self.buckets_max:
            self._prune(now)
        return wait

    def _prune(self, now: float) -> None:
        """Drop the buckets idle for a whole window (full again, so forgetting them
        changes nothing); then, under a flood of addresses, the least recently used,
        down to nine tenths of the bound."""
        for key, (_, at, window) in list(self._buckets.items()):
            if now - at >= window:
                del self._buckets[key]
        excess = len(self._buckets) - self.buckets_max * 9 // 10
        for key in list(self._buckets)[:max(0, excess)]:
            del self._buckets[key]


def _json(status: int, body: dict[str, object],
          headers: dict[str, str] | None = None) -> tuple[Message, Message]:
    raw = json.dumps(body).encode()
    fields = [(b"content-type", b"application/json"),
              (b"content-length", str(len(raw)).encode())]
    fields += [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    return ({"type": "http.response.start", "status": status, "headers": fields},
            {"type": "http.response.body", "body": raw})


class RateLimits:
    """Refuse a client's requests beyond its group's limit (429, ``Retry-After``)."""

    def __init__(self, app: ASGIApp, *, limits: dict[str, Limit],
                 buckets: TokenBuckets) -> None:
        self.app = app
        self.limits = limits
        self.buckets = buckets

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            client = scope.get("client")
            address = str(client[0]) if client else "unknown"
            for group in route_groups(scope["method"], scope["path"]):
                limit = self.limits[group]
                wait = self.buckets.take(limit, address)
                if wait:
                    for message in _json(429, {
                            "error": RATE_CODE, "field": None,
                            "message": f"too many {limit.what} from this address: at most "
                                       f"{limit.requests_max} {limit.per}; try again in "
                                       f"{wait} seconds"}, {"Retry-After": str(wait)}):
                        await send(message)
                    return
        await self.app(scope, receive, send)


class ClosedCors:
    """No cross-origin access: a browser's preflight (OPTIONS with ``Origin`` and
    ``Access-Control-Request-Method``) is refused with 403; nothing else changes."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "OPTIONS":
            headers = Headers(scope=scope)
            if "origin" in headers and "access-control-request-method" in headers:
                for message in _json(403, {
                        "error": ORIGIN_CODE, "field": None,
                        "message": "this API takes no cross-origin requests; the lender "
                                   "allows an origin by listing it in DUNWELL_CORS_ORIGINS"}):
                    await send(message)
                return
        await self.app(scope, receive, send)


def fixed_headers(*, hsts: bool) -> dict[str, str]:
    """The secure headers but the content policy, in the order they are added."""
    fixed = {"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY",
             "Referrer-Policy": "no-referrer", "Permissions-Policy": PERMISSIONS_POLICY}
    if hsts:
        fixed["Strict-Transport-Security"] = f"max-age={HSTS_SECONDS}"
    return fixed


def secure_headers(policy: str, *, hsts: bool) -> list[tuple[bytes, bytes]]:
    """The raw headers :class:`SecureHeaders` adds to a response that sets none of
    them, in its order (the content policy first)."""
    named = {"Content-Security-Policy": policy, **fixed_headers(hsts=hsts)}
    return [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in named.items()]


class SecureHeaders:
    """Add the secure headers to every response that does not set them itself."""

    def __init__(self, app: ASGIApp, *, hsts: bool) -> None:
        self.app = app
        self.fixed = fixed_headers(hsts=hsts)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        docs = str(scope["path"]).startswith(DOCS_PREFIXES)
        policy = DOCS_POLICY if docs else CONTENT_SECURITY_POLICY

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("Content-Security-Policy", policy)
                for name, value in self.fixed.items():
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, with_headers)


def cors_origins(settings: Settings) -> list[str]:
    """The configured origins, each as a browser sends it (no trailing slash)."""
    return [o.strip().rstrip("/") for o in settings.cors_origins.split(",") if o.strip()]


def document_limits(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` (an OpenAPI document) with the 429 answer on each limited operation."""
    too_many = {"description": "Too many requests from this address: wait the seconds "
                "in Retry-After", "headers": {"Retry-After": {
                    "description": "Seconds to wait", "schema": {"type": "integer"}}},
                "content": {"application/json": {"schema": {
                    "$ref": "#/components/schemas/ErrorOut"}}}}
    for path, operations in schema.get("paths", {}).items():
        for method, operation in operations.items():
            if isinstance(operation, dict) and route_groups(method.upper(), path):
                operation.setdefault("responses", {}).setdefault("429", too_many)
    return schema


def add_security(api: FastAPI, settings: Settings) -> None:
    """Install the security middleware on ``api`` (module doc). The token buckets
    are on ``api.state.rate_limits``; the OpenAPI document names the 429 answers."""
    generate = api.openapi

    def openapi() -> dict[str, Any]:
        return document_limits(generate())

    api.openapi = openapi  # type: ignore[method-assign]
    buckets = TokenBuckets()
    api.state.rate_limits = buckets
    api.add_middleware(RateLimits, limits=limits_for(settings), buckets=buckets)
    origins = cors_origins(settings)
    if origins:
        api.add_middleware(CORSMiddleware, allow_origins=origins,
                           allow_methods=list(CORS_METHODS), allow_headers=list(CORS_HEADERS),
                           allow_credentials=False, max_age=CORS_MAX_AGE_SECONDS)
    else:
        api.add_middleware(ClosedCors)
    api.add_middleware(SecureHeaders, hsts=settings.cookie_secure)
