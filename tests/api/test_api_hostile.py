"""Hostile input over HTTP, on every backend: ids beyond int64, dates that are not
dates or lie in the future, amounts beyond the limits, malformed and oversized
bodies, unknown routes and wrong methods. Each is a 4xx in the one error shape
``{"error", "message", "field"}``; none reaches the database as a 5xx."""

from __future__ import annotations

import dataclasses
import datetime as dt
import warnings
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy.exc import DataError, InterfaceError, OperationalError

from access import route_headers, token_headers
from applications import merchant_application
from dunwell.api import routes
from dunwell.api.app import create_app
from dunwell.bootstrap import Dunwell
from dunwell.core.errors import RetryLater

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

TOO_BIG_IDS = (2**63, 2**70)
NEXT_YEAR = (dt.datetime.now(dt.UTC) + dt.timedelta(days=400)).date().isoformat()


def shaped(r: Any, status: int, code: str | None = None) -> dict[str, Any]:
    """The response is ``status`` in the API's error shape (with ``code`` if given)."""
    assert r.status_code == status, r.text
    body: dict[str, Any] = r.json()
    assert {"error", "message", "field"} <= set(body), body
    if code is not None:
        assert body["error"] == code, body
    return body


def merchant_body(**changes: Any) -> dict[str, Any]:
    return merchant_application("m-noodles", **changes)


def id_routes(client: TestClient) -> list[tuple[str, str, str]]:
    """(method, path template, parameter) for every integer path parameter."""
    out = []
    for path, item in client.get("/openapi.json").json()["paths"].items():
        for method, op in item.items():
            for param in op.get("parameters", []):
                if param["in"] == "path" and param["schema"].get("type") == "integer":
                    out.append((method, path, param["name"]))
    return out


def test_every_id_path_refuses_ids_beyond_int64_with_422_naming_it(client: TestClient,
                                                                    app: Dunwell) -> None:
    routes = id_routes(client)
    assert len(routes) >= 10, routes
    for method, path, name in routes:
        for big in TOO_BIG_IDS:
            r = client.request(method.upper(), path.replace("{" + name + "}", str(big)),
                               json={}, headers=route_headers(app, method.upper(), path))
            body = shaped(r, 422, "request_must_be_valid")
            assert name in [p["field"] for p in body["problems"]], (path, body)


def test_the_largest_id_is_looked_up_and_not_found(client: TestClient, app: Dunwell) -> None:
    for method, path, name in id_routes(client):
        if method == "get":
            r = client.get(path.replace("{" + name + "}", str(2**63 - 1)),
                           headers=route_headers(app, "GET", path))
            shaped(r, 404)


def test_a_plan_date_of_0_is_not_1970(client: TestClient) -> None:
    shaped(client.get("/v1/field/plans/0"), 422, "request_must_be_valid")
    shaped(client.get("/v1/field/plans/1999-12-31"), 422)
    shaped(client.get("/v1/field/plans/2025-02-30"), 422)
    assert client.get("/v1/field/plans/2025-01-15").status_code == 200


def test_a_transaction_dated_0_is_refused_naming_it(client: TestClient) -> None:
    txs = [{"date": 0, "amount": "10.00", "kind": "sale"}]
    r = client.post("/v1/applications", json=merchant_body(transactions=txs),
                    headers={"Idempotency-Key": "k-0"})
    assert shaped(r, 422)["field"] == "transactions.0.date"


def test_numbers_as_strings_are_not_numbers(client: TestClient) -> None:
    r = client.post("/v1/applications", json=merchant_body(term_months="12"),
                    headers={"Idempotency-Key": "k-s"})
    assert shaped(r, 422)["field"] == "term_months"


def test_a_transaction_from_the_future_never_changes_a_merchants_decision(
        client: TestClient) -> None:
    first = client.post("/v1/applications", json=merchant_body(),
                        headers={"Idempotency-Key": "k-1"})
    assert first.status_code == 201 and first.json()["outcome"] == "approve"
    future = [*merchant_body()["transactions"],
              {"date": "9999-12-31", "amount": "10.00", "kind": "refund"}]
    put = client.put("/v1/merchants/m-noodles", json={"name": "Noodle House",
                                                      "currency": "CNY", "transactions": future})
    assert shaped(put, 422)["field"] == "transactions.12.date"  # beyond 2199: the schema
    soon = [*merchant_body()["transactions"],
            {"date": "2026-01-01", "amount": "10.00", "kind": "refund"}]
    put = client.put("/v1/merchants/m-noodles", json={"name": "Noodle House",
                                                      "currency": "CNY", "transactions": soon})
    body = shaped(put, 400, "date_must_be_within_limits")
    assert body["field"] == "transactions.12.date" and "in the future" in body["message"]
    r = client.post("/v1/applications", json=merchant_body(transactions=soon),
                    headers={"Idempotency-Key": "k-2"})
    assert shaped(r, 400, "date_must_be_within_limits")["field"] == "transactions.12.date"
    again = client.post("/v1/applications", json=merchant_body(),
                        headers={"Idempotency-Key": "k-3"})
    assert again.status_code == 201
    assert (again.json()["outcome"], again.json()["probability_of_default"]) == (
        "approve", first.json()["probability_of_default"])


def test_an_amount_beyond_the_limit_is_refused_before_any_arithmetic(
        client: TestClient) -> None:
    r = client.post("/v1/hardship", json={
        "case_id": "C-1", "reason": "illness", "monthly_income": "92233720368547758.07",
        "essential_expenses": "1.00"})
    assert shaped(r, 400, "amount_must_be_within_limits")["field"] == "monthly_income"
    r = client.post("/v1/hardship", json={
        "case_id": "C-1", "reason": "illness", "monthly_income": "1" * 40,
        "essential_expenses": "1.00"})
    assert shaped(r, 422)["field"] == "monthly_income"
    r = client.post("/v1/hardship", json={
        "case_id": "C-1", "reason": "illness", "monthly_income": "1.00",
        "essential_expenses": "1.00", "loan_id": 2**64})
    assert shaped(r, 422)["field"] == "loan_id"


def test_event_dates_in_the_future_are_refused_naming_the_field(client: TestClient,
                                                               app: Dunwell) -> None:
    r = client.post("/v1/legal/referrals/1/events", json={
        "event": "filed", "on": "2025-06-01"},
        headers=route_headers(app, "POST", "/v1/legal/referrals/{referral_id}/events"))
    body = shaped(r, 400, "date_must_be_within_limits")
    assert body["field"] == "on" and "2025-01-16" in body["message"]
    r = client.post("/v1/legal/referrals", json={
        "case_id": "C-1", "business_date": "2025-03-01"})
    assert shaped(r, 400, "date_must_be_within_limits")["field"] == "business_date"
    agent = route_headers(app, "POST", "/v1/field/visits/{visit_id}/outcome")
    r = client.post("/v1/field/visits/1/outcome", json={
        "outcome": "not_at_home", "at": f"{NEXT_YEAR}T10:00:00+08:00", "latitude": 30.0,
        "longitude": 104.0}, headers=agent)
    assert shaped(r, 400, "date_must_be_within_limits")["field"] == "at"
    r = client.post("/v1/field/visits/1/outcome", json={
        "outcome": "not_at_home", "at": 0, "latitude": 30.0, "longitude": 104.0},
        headers=agent)
    assert shaped(r, 422)["field"] == "at"
    # a delivery report's date: tests/channels/test_channels_callbacks.py (signed)


@pytest.mark.parametrize("raw", [b"{bad", b'{"applicant": ', b"\xff\xfe\x00", b"[1, 2"])
def test_a_malformed_body_gets_the_error_shape(client: TestClient, raw: bytes) -> None:
    r = client.post("/v1/applications", content=raw,
                    headers={"Content-Type": "application/json", "Idempotency-Key": "k"})
    assert shaped(r, 422, "request_body_must_be_json")["field"] == "body"


def test_unknown_routes_and_wrong_methods_get_the_error_shape(client: TestClient) -> None:
    shaped(client.get("/v1/nowhere"), 404, "route_must_exist")
    r = client.delete("/v1/applications")
    shaped(r, 405, "method_must_be_allowed")
    assert "POST" in r.headers["allow"]


def test_a_body_beyond_the_limit_is_413_before_it_is_read(client: TestClient) -> None:
    big = b"{" + b" " * (1024 * 1024 + 10) + b"}"
    r = client.post("/v1/applications", content=big,
                    headers={"Content-Type": "application/json", "Idempotency-Key": "k"})
    assert shaped(r, 413, "request_body_must_be_bounded")["field"] == "body"


def test_a_streamed_body_beyond_the_limit_is_413_as_it_arrives(client: TestClient) -> None:
    def chunks() -> Iterator[bytes]:
        yield b"{"
        for _ in range(40):
            yield b" " * 65536
        yield b"}"

    r = client.post("/v1/applications", content=chunks(),
                    headers={"Content-Type": "application/json", "Idempotency-Key": "k"})
    shaped(r, 413, "request_body_must_be_bounded")


def test_the_body_limit_is_a_setting(app: Dunwell) -> None:
    small = dataclasses.replace(
        app, settings=app.settings.model_copy(update={"request_body_bytes_max": 2048}))
    with TestClient(create_app(dunwell=small), headers=token_headers(small, "manager")) as http:
        r = http.post("/v1/hardship", content=b"{" + b" " * 4096 + b"}",
                      headers={"Content-Type": "application/json"})
    shaped(r, 413, "request_body_must_be_bounded")


@pytest.mark.parametrize(("exc", "code"), [
    (RetryLater("the loan stayed busy; send it again", code="loan_must_be_free"),
     "loan_must_be_free"),
    (OperationalError("SELECT", {}, Exception("database is locked")),
     "database_must_be_reachable"),
    (InterfaceError("SELECT", {}, Exception("connection already closed")),
     "database_must_be_reachable"),
])
def test_a_temporary_failure_is_503_with_retry_after(client: TestClient,
                                                     monkeypatch: pytest.MonkeyPatch,
                                                     exc: Exception, code: str) -> None:
    def busy(*_: Any, **__: Any) -> Any:
        raise exc

    monkeypatch.setattr(routes, "application_view", busy)
    r = client.get("/v1/applications/1")
    shaped(r, 503, code)
    assert int(r.headers["retry-after"]) > 0


@pytest.mark.parametrize(("exc", "status", "code"), [
    (DataError("INSERT", {}, Exception("integer out of range")), 422,
     "number_must_be_within_limits"),
    (OperationalError("SELECT", {}, Exception("integer overflow")), 500,
     "stored_amounts_must_fit_int64"),
])
def test_a_number_the_database_cannot_hold_is_named(client: TestClient,
                                                    monkeypatch: pytest.MonkeyPatch,
                                                    exc: Exception, status: int,
                                                    code: str) -> None:
    def refused(*_: Any, **__: Any) -> Any:
        raise exc

    monkeypatch.setattr(routes, "application_view", refused)
    shaped(client.get("/v1/applications/1"), status, code)
