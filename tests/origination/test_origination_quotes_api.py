"""``POST /v1/credit-lines/{id}/quotes`` discloses the cost; a drawdown sent with the
quote's fingerprint is made on those terms and keeps the acceptance."""

from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Iterator

import pytest

from access import token_headers
from dunwell.api.app import create_app
from dunwell.app.context import Dunwell
from dunwell.app.lending.book import open_book, register_product
from dunwell.lending.products import builtin_product_texts

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient


@pytest.fixture
def client(app: Dunwell) -> Iterator[TestClient]:
    with app.uow() as uow:
        open_book(uow, business_date=dt.date(2025, 1, 15), partitions=2, currency="CNY")
        for text in builtin_product_texts():
            register_product(uow, text)
        uow.commit()
    with TestClient(create_app(dunwell=app), headers=token_headers(app, "manager")) as test_client:
        application = {
            "applicant": {"kind": "merchant", "reference": "m-1", "name": "Noodles"},
            "currency": "CNY", "requested_amount": "50000.00", "term_months": 12,
            "purpose": "inventory", "monthly_expenses": "30000.00",
            "transactions": [{"date": f"2024-{m:02d}-10", "amount": "60000.00",
                              "kind": "sale"} for m in range(1, 13)]}
        r = test_client.post("/v1/applications", json=application,
                             headers={"Idempotency-Key": "app-1"})
        assert r.json()["credit_line_id"] == 1
        yield test_client


def test_a_quote_shows_the_cost_and_a_drawdown_on_it_keeps_the_acceptance(
        client: TestClient) -> None:
    q = client.post("/v1/credit-lines/1/quotes",
                    json={"amount": "20000.00", "term_months": 12, "language": "zh-CN"})
    assert q.status_code == 200, q.text
    disclosure = q.json()["disclosure"]
    assert disclosure["language"] == "zh-CN"
    keys = {f["key"] for f in disclosure["fields"]}
    assert {"annual_cost", "total_to_repay", "monthly_repayment"} <= keys
    assert len(disclosure["schedule"]["rows"]) == 12
    assert client.get("/v1/credit-lines/1").json()["drawdowns"] == []
    dd = client.post("/v1/credit-lines/1/drawdowns", headers={"Idempotency-Key": "d-1"},
                     json={"amount": "20000.00", "term_months": 12,
                           "accepted_terms": q.json()["fingerprint"]})
    assert dd.status_code == 201, dd.text
    assert (dd.json()["accepted_terms"], dd.json()["cancel_until"]) == (
        q.json()["fingerprint"], "2025-01-22")


def test_a_drawdown_on_terms_not_shown_is_refused(client: TestClient) -> None:
    q = client.post("/v1/credit-lines/1/quotes", json={"amount": "20000.00",
                                                        "term_months": 12})
    dd = client.post("/v1/credit-lines/1/drawdowns", headers={"Idempotency-Key": "d-1"},
                     json={"amount": "25000.00", "term_months": 12,
                           "accepted_terms": q.json()["fingerprint"]})
    assert (dd.status_code, dd.json()["error"]) == (409,
                                                    "accepted_terms_must_match_disclosure")
    assert client.get("/v1/credit-lines/1").json()["drawdowns"] == []


def test_a_quote_beyond_the_line_is_refused(client: TestClient) -> None:
    q = client.post("/v1/credit-lines/1/quotes", json={"amount": "900000.00",
                                                        "term_months": 12})
    assert (q.status_code, q.json()["error"]) == (409, "drawdown_must_fit_available_limit")
