"""Every response carries the secure headers, errors included; a page that sets its
own Content-Security-Policy (the offline docs) keeps it; CORS is closed unless
origins are configured, and then open to exactly those."""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Iterator

import pytest

from dunwell.api.app import create_app
from dunwell.api.docs import PAGE_POLICY
from dunwell.api.security import CONTENT_SECURITY_POLICY, DOCS_POLICY, PERMISSIONS_POLICY
from dunwell.bootstrap import Dunwell

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

pytestmark = pytest.mark.sqlite_only(reason=(
    "the headers and CORS are the middleware's; no query differs by database"))

FIXED = {"x-content-type-options": "nosniff", "x-frame-options": "DENY",
         "referrer-policy": "no-referrer", "permissions-policy": PERMISSIONS_POLICY}
APP_ORIGIN = "https://app.lender.example"


def _client(app: Dunwell, **settings: object) -> TestClient:
    changed = dataclasses.replace(app, settings=app.settings.model_copy(update=settings))
    return TestClient(create_app(dunwell=changed))


@pytest.fixture
def client(app: Dunwell) -> Iterator[TestClient]:
    with _client(app) as http:
        yield http


@pytest.mark.parametrize(("path", "status"), [("/openapi.json", 200),
                                              ("/letters/verify", 200),
                                              ("/v1/nowhere", 404)])
def test_every_response_carries_the_secure_headers(client: TestClient, path: str,
                                                   status: int) -> None:
    answer = client.get(path)
    assert answer.status_code == status
    for name, value in FIXED.items():
        assert answer.headers[name] == value, name
    policy = answer.headers["content-security-policy"]
    assert policy == CONTENT_SECURITY_POLICY
    assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert "script-src 'self';" in policy  # no inline script anywhere but the docs
    assert answer.headers["strict-transport-security"] == "max-age=31536000"


def test_the_docs_pages_keep_their_own_policy(client: TestClient) -> None:
    for page in ("/docs", "/redoc"):
        answer = client.get(page)
        assert answer.headers["content-security-policy"] == PAGE_POLICY
        assert answer.headers["x-frame-options"] == "DENY"
    redirect = client.get("/docs/oauth2-redirect")
    assert redirect.headers["content-security-policy"] == DOCS_POLICY


def test_without_https_only_cookies_no_transport_security_is_promised(app: Dunwell) -> None:
    with _client(app, cookie_secure=False) as http:
        answer = http.get("/openapi.json")
    assert "strict-transport-security" not in answer.headers
    assert answer.headers["x-frame-options"] == "DENY"


def _preflight(http: TestClient, origin: str) -> tuple[int, dict[str, str]]:
    answer = http.options("/v1/letters/verify/ABCD-EFGH-JKMN-PQRS", headers={
        "Origin": origin, "Access-Control-Request-Method": "GET"})
    return answer.status_code, dict(answer.headers)


def test_cors_is_closed_by_default(client: TestClient) -> None:
    status, headers = _preflight(client, APP_ORIGIN)
    assert status == 403 and "access-control-allow-origin" not in headers
    refused = client.options("/openapi.json", headers={
        "Origin": APP_ORIGIN, "Access-Control-Request-Method": "GET"}).json()
    assert refused["error"] == "origin_must_be_allowed"
    assert "DUNWELL_CORS_ORIGINS" in refused["message"]
    plain = client.get("/openapi.json", headers={"Origin": APP_ORIGIN})
    assert plain.status_code == 200
    assert not any(h.startswith("access-control-") for h in plain.headers)


def test_configured_origins_and_only_those_may_call(app: Dunwell) -> None:
    with _client(app, cors_origins=f"{APP_ORIGIN}/, https://ops.lender.example") as http:
        status, headers = _preflight(http, APP_ORIGIN)
        assert status == 200 and headers["access-control-allow-origin"] == APP_ORIGIN
        assert "authorization" in headers["access-control-allow-headers"].lower()
        assert "access-control-allow-credentials" not in headers
        status, headers = _preflight(http, "https://evil.example")
        assert status == 400 and "access-control-allow-origin" not in headers
        allowed = http.get("/openapi.json", headers={"Origin": "https://ops.lender.example"})
        assert allowed.headers["access-control-allow-origin"] == "https://ops.lender.example"
        other = http.get("/openapi.json", headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in other.headers
        assert other.headers["x-content-type-options"] == "nosniff"
