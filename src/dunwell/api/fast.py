"""The fast front: the two hot routes answered without the framework's layers.

``POST /v1/loans/{loan_id}/payments`` and ``POST /v1/applications`` are most of a busy
server's requests, and for a small command the framework's path (six middleware
layers, the guard's route search over every route, routing, dependency resolution,
validation of a dictionary, response building) costs as much CPU as the command.
:class:`FastFront` is the outermost of the application's own middleware. It takes a
request to one of those two routes in full only when everything about it is usual:

- ``POST`` to exactly that path (a loan id of plain digits within the ids' bounds), no
  query string, no root path;
- one ``Content-Type`` of ``application/json`` (optionally ``; charset=utf-8``), one
  ``Content-Length`` within the body limit, and a body of exactly that size;
- no ``Origin`` header (CORS has nothing to say) and a path in no rate-limited group;
- one ``Authorization: Bearer`` header whose token the route guard verified within
  its cache window (:class:`~dunwell.api.auth.TokenCache`), of a role the role ×
  route matrix allows on the route;
- the idempotency key header within its bounds, and a body that validates: the
  payment as :class:`~dunwell.api.payments.PaymentIn` (read with ``json.loads``, as
  FastAPI reads it), the application as the decision route reads it directly
  (:func:`~dunwell.api.routes.read_direct`).

It then runs the same command the route runs (:func:`~dunwell.api.payments.pay`,
:func:`~dunwell.api.routes.decide_application`: the borrower's reach, idempotency,
group commit, the decision) and writes the route's own response with the secure
headers the outer middleware would add, in the same order. A command that fails is
rendered by the application's own exception handlers, as the framework would render
it; a failure they do not handle goes on up to the server-error handler, as it would.

Every other request, and any that fails one of the checks before the command runs
(a token not in the cache, a body that does not validate...), goes on to the
unchanged application with its body as received (read bytes are handed on as they
came), which answers it in full: authenticates, names what is wrong, refuses. Nothing
is done before a request is taken, so handing one on changes nothing. The client sees
the same status, body and headers either way; ``tests/api/test_api_fast_front.py``
sends the same requests through the application with the front and without it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from fastapi import FastAPI
from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from dunwell.api import routes
from dunwell.api.auth import RouteGuard, match_route
from dunwell.api.deps import Services, idempotency_key
from dunwell.api.payments import PaymentIn, pay
from dunwell.api.routes import decide_application, read_direct
from dunwell.api.security import CONTENT_SECURITY_POLICY, route_groups, secure_headers
from dunwell.core.errors import InvalidInput
from dunwell.core.ids import IDEMPOTENCY_KEY_MAX_LEN
from dunwell.core.limits import ID_MAX
from dunwell.identity.matrix import Decision, decide, rule_for
from dunwell.identity.model import Principal

APPLICATIONS_PATH = "/v1/applications"
PAYMENTS_TEMPLATE = "/v1/loans/{loan_id}/payments"
_PAYMENTS_PATH = re.compile(r"/v1/loans/([1-9][0-9]{0,18})/payments", re.ASCII)
#: The headers the front reads; a request that sends one of them twice is handed on.
_READ = frozenset({b"content-type", b"content-length", b"authorization",
                   b"idempotency-key", b"origin"})

Handler = Callable[[Request, Exception], Awaitable[Response]]


class _HandOn(Exception):
    """The request is not taken: the application answers it."""


class FastFront:
    """The lean front of the two hot routes (module doc)."""

    def __init__(self, app: ASGIApp, *, api: FastAPI, bytes_max: int, hsts: bool) -> None:
        self.app = app
        self.api = api
        self.bytes_max = bytes_max
        self.secure = secure_headers(CONTENT_SECURITY_POLICY, hsts=hsts)
        self._usable: bool | None = None  # the routes are the expected ones
        self._handlers: dict[type, Handler] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or scope.get("root_path") \
                or scope.get("query_string"):
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        loan_id = 0
        if path != APPLICATIONS_PATH:
            found = _PAYMENTS_PATH.fullmatch(path)
            if found is None:
                await self.app(scope, receive, send)
                return
            loan_id = int(found.group(1))
            if loan_id > ID_MAX:
                await self.app(scope, receive, send)
                return
        headers = self._headers(scope)
        guard = self._guard()
        principal = None if headers is None or guard is None else self._principal(
            guard, headers, PAYMENTS_TEMPLATE if loan_id else APPLICATIONS_PATH)
        if headers is None or principal is None:
            await self.app(scope, receive, send)
            return
        messages: list[Message] = []
        raw = await self._body(receive, messages, int(headers[b"content-length"]))
        try:
            if raw is None:
                raise _HandOn
            if loan_id:
                response = await self._payment(loan_id, raw, headers, principal)
            else:
                response = await self._application(raw, headers)
        except _HandOn:
            await self.app(scope, _replaying(messages, receive), send)
            return
        except Exception as exc:  # the command failed: render it as the framework would
            response = await self._rendered(scope, exc)
        await self._send(response, send)

    def _headers(self, scope: Scope) -> dict[bytes, bytes] | None:
        """The headers the front reads, when the request is one it may take."""
        found: dict[bytes, bytes] = {}
        for name, value in scope["headers"]:
            if name in _READ:
                if name in found:
                    return None
                found[name] = value
        kind = found.get(b"content-type")
        length = found.get(b"content-length")
        if (b"origin" in found or kind is None or length is None or not length.isdigit()
                or int(length) > self.bytes_max
                or kind.decode("latin-1").lower() not in routes.JSON_TYPES):
            return None
        return found

    def _guard(self) -> RouteGuard | None:
        """The application's route guard, once the framework has built it, if the two
        routes are the ones the guard and the router choose for their paths, in no
        rate-limited group (checked once; otherwise the front takes nothing)."""
        guard: RouteGuard | None = getattr(self.api.state, "route_guard", None)
        if guard is None or self._usable is not None:
            return guard if self._usable else None
        routes = guard.routes()
        self._usable = all(
            (route := match_route(routes, path, "POST")) is not None
            and route.template == template and not route_groups("POST", path)
            for path, template in ((APPLICATIONS_PATH, APPLICATIONS_PATH),
                                   ("/v1/loans/1/payments", PAYMENTS_TEMPLATE)))
        return guard if self._usable else None

    @staticmethod
    def _principal(guard: RouteGuard, headers: Mapping[bytes, bytes],
                   template: str) -> Principal | None:
        """Who sends the request, when the guard has just verified its token and the
        matrix lets that role use the route."""
        authorization = headers.get(b"authorization")
        if authorization is None:
            return None
        scheme, _, token = authorization.decode("latin-1").partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            return None
        principal = guard.tokens.get(token)
        if principal is None or decide(rule_for("POST", template, guard.matrix),
                                       principal) is not Decision.ALLOW:
            return None
        return principal

    async def _body(self, receive: Receive, messages: list[Message],
                    length: int) -> bytes | None:
        """The body, read into ``messages`` (to hand on as received); None when it is
        not the size announced."""
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                return None
            chunk = message.get("body", b"")
            size += len(chunk)
            chunks.append(chunk)
            if size > length:
                return None
            if not message.get("more_body"):
                break
        return b"".join(chunks) if size == length else None

    async def _payment(self, loan_id: int, raw: bytes, headers: Mapping[bytes, bytes],
                       principal: Principal) -> Response:
        key_bytes = headers.get(b"idempotency-key")
        if key_bytes is None:
            raise _HandOn
        key = key_bytes.decode("latin-1")
        if not 1 <= len(key) <= IDEMPOTENCY_KEY_MAX_LEN:
            raise _HandOn
        try:
            body = PaymentIn.model_validate(json.loads(raw))
        except (ValueError, ValidationError):  # malformed JSON, or an invalid payment
            raise _HandOn from None
        return await pay(self._services(), loan_id, body, key, principal)

    async def _application(self, raw: bytes, headers: Mapping[bytes, bytes]) -> Response:
        key_bytes = headers.get(b"idempotency-key")
        key_header = None if key_bytes is None else key_bytes.decode("latin-1")
        if key_header is not None and len(key_header) > IDEMPOTENCY_KEY_MAX_LEN:
            raise _HandOn
        direct = read_direct(raw)
        if direct is None:
            raise _HandOn
        application, body_key = direct
        try:
            key = idempotency_key(key_header, body_key)
        except InvalidInput:
            raise _HandOn from None  # the route names the disagreement or asks for a key
        return await decide_application(application, key, self._services())

    def _services(self) -> Services:
        services: Services = self.api.state.services
        return services

    async def _rendered(self, scope: Scope, exc: Exception) -> Response:
        """``exc`` as the application's exception handlers render it; raised on when
        none does (the server-error handler outside answers it, as it would)."""
        handler = self._handler(type(exc))
        if handler is None:
            raise exc
        return await handler(Request(scope), exc)

    def _handler(self, kind: type) -> Handler | None:
        if kind not in self._handlers:
            found: Any = None
            for base in kind.__mro__:
                if base is Exception:
                    break  # the server-error handler's: it answers outside the app
                found = self.api.exception_handlers.get(base)
                if found is not None:
                    break
            if found is None:
                return None
            self._handlers[kind] = found
        return self._handlers[kind]

    async def _send(self, response: Response, send: Send) -> None:
        headers = response.raw_headers
        present = {name for name, _ in headers}
        headers = headers + [(k, v) for k, v in self.secure if k not in present]
        await send({"type": "http.response.start", "status": response.status_code,
                    "headers": headers})
        await send({"type": "http.response.body", "body": response.body})


def _replaying(messages: list[Message], receive: Receive) -> Receive:
    """A ``receive`` that hands on the messages already read, then reads on."""
    async def replay() -> Message:
        return messages.pop(0) if messages else await receive()
    return replay

