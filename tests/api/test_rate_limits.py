"""Abuse limits: per client address and route group, a token bucket that allows the
limit at once and refills over the window. Beyond it the answer is 429 with
Retry-After in the API's error shape; other addresses, other groups and the rest of
the API are not slowed."""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Iterator

import httpx
import pytest

from dunwell.api.app import create_app
from dunwell.api.security import Limit, TokenBuckets, route_groups
from dunwell.bootstrap import Dunwell

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

pytestmark = pytest.mark.sqlite_only(reason=(
    "the token buckets live in the process, not in the database"))

CODE = "ABCD-EFGH-JKMN-PQRS"


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def limited(app: Dunwell, clock: Clock) -> Iterator[TestClient]:
    """The API with small limits: 3 letter checks, 2 sign-ins and 4 portal requests
    a minute, 1 one-time code an hour."""
    small = dataclasses.replace(app, settings=app.settings.model_copy(update={
        "letter_checks_per_minute": 3, "sign_in_attempts_per_minute": 2,
        "portal_requests_per_minute": 4, "otp_requests_per_hour": 1}))
    api = create_app(dunwell=small)
    api.state.rate_limits.clock = clock
    with TestClient(api) as http:
        yield http


def _refused(answer: httpx.Response, retry_after: int) -> str:
    assert answer.status_code == 429, answer
    assert answer.headers["retry-after"] == str(retry_after)
    assert answer.headers["x-content-type-options"] == "nosniff"  # secure headers too
    body = answer.json()
    assert body["error"] == "request_rate_must_be_within_limit" and body["field"] is None
    return str(body["message"])


def test_letter_checks_beyond_the_limit_wait_for_the_bucket_to_refill(
        limited: TestClient, clock: Clock) -> None:
    for path in ("/letters/verify", f"/letters/verify/{CODE}", f"/v1/letters/verify/{CODE}"):
        assert limited.get(path).status_code != 429
    message = _refused(limited.get(f"/v1/letters/verify/{CODE}"), 20)  # 3 a minute
    assert "at most 3 a minute" in message and "20 seconds" in message
    clock.now += 19
    _refused(limited.get("/letters/verify"), 1)  # a refusal takes no token
    clock.now += 1
    assert limited.get("/letters/verify").status_code == 200
    _refused(limited.get("/letters/verify"), 20)
    clock.now += 60  # a whole window: the bucket is full again
    assert [limited.get("/letters/verify").status_code for _ in range(3)] == [200] * 3


def test_another_address_has_its_own_bucket(limited: TestClient) -> None:
    for _ in range(3):
        limited.get("/letters/verify")
    _refused(limited.get("/letters/verify"), 20)
    neighbour = TestClient(limited.app, client=("203.0.113.7", 40000))
    assert neighbour.get("/letters/verify").status_code == 200


def test_the_rest_of_the_api_is_not_limited(limited: TestClient) -> None:
    for _ in range(3):
        limited.get("/letters/verify")
    assert all(limited.get("/openapi.json").status_code == 200 for _ in range(50))


def test_sign_in_attempts_are_limited_whatever_their_outcome(limited: TestClient) -> None:
    for path in ("/v1/sessions", "/v1/portal/sessions"):
        assert limited.post(path, json={}).status_code != 429
    message = _refused(limited.post("/portal/sign-in", data={}), 30)
    assert "sign-in attempts" in message
    assert limited.get("/v1/sessions").status_code != 429  # only POST signs in


def test_one_time_codes_are_limited_per_hour(limited: TestClient) -> None:
    assert limited.post("/v1/portal/codes", json={}).status_code != 429
    message = _refused(limited.post("/v1/portal/codes", json={}), 3600)
    assert "at most 1 an hour" in message and "3600 seconds" in message


def test_portal_pages_are_limited(limited: TestClient, clock: Clock) -> None:
    assert all(limited.get("/portal/learn").status_code != 429 for _ in range(4))
    _refused(limited.get("/portal/learn/fake_collectors"), 15)
    clock.now += 15
    assert limited.get("/portal/learn").status_code != 429


def test_the_groups_of_routes() -> None:
    assert route_groups("POST", "/portal/sign-in") == ["sign_in", "portal"]
    assert route_groups("POST", "/v1/portal/codes") == ["one_time_codes"]
    assert route_groups("GET", "/letters/verify/ABCD") == ["letter_checks"]
    assert route_groups("GET", "/v1/letters/verify/ABCD") == ["letter_checks"]
    assert route_groups("GET", "/letters/verifying") == []
    assert route_groups("GET", "/v1/loans/1") == []
    assert route_groups("GET", "/portalx") == []


def test_the_buckets_stay_bounded_under_a_flood_of_addresses() -> None:
    clock = Clock()
    buckets = TokenBuckets(clock=clock, buckets_max=100)
    limit = Limit("letter_checks", 1, 60, "letter checks")
    for n in range(1_000):
        assert buckets.take(limit, f"198.51.100.{n}") == 0
        assert len(buckets) <= 100
    assert buckets.take(limit, "198.51.100.999") == 60  # the newest is remembered
    clock.now += 60
    buckets.take(limit, "192.0.2.1")
    assert buckets.take(limit, "198.51.100.999") == 0


def test_the_openapi_document_names_the_429_of_each_limited_operation(
        limited: TestClient) -> None:
    paths = limited.get("/openapi.json").json()["paths"]
    verify = paths["/v1/letters/verify/{code}"]["get"]["responses"]["429"]
    assert "Retry-After" in verify["headers"]
    assert verify["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorOut")
    limited_ops = {(m.upper(), p) for p, ops in paths.items() for m, op in ops.items()
                   if "429" in op.get("responses", {})}
    assert all(route_groups(m, p) for m, p in limited_ops)
    assert ("GET", "/v1/loans/{loan_id}") not in limited_ops
