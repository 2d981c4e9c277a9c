"""Credit lines and loans over HTTP: a drawdown books a loan the ledger shows."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from fastapi.testclient import TestClient


@pytest.fixture
def client(client: TestClient) -> TestClient:
    """The shared client, with one approved merchant holding credit line 1."""
    application = {
        "applicant": {"kind": "merchant", "reference": "m-noodles", "name": "Noodles"},
        "currency": "CNY", "requested_amount": "50000.00", "term_months": 12,
        "purpose": "inventory", "monthly_expenses": "30000.00",
        "transactions": [{"date": f"2024-{m:02d}-10", "amount": "60000.00", "kind": "sale"}
                         for m in range(1, 13)]}
    r = client.post("/v1/applications", json=application, headers={"Idempotency-Key": "app-1"})
    assert r.json()["credit_line_id"] == 1
    return client


def draw(client: TestClient, amount: str, months: int, key: str) -> Any:
    """Quote the drawdown first, then draw on the terms shown (what a borrower accepts)."""
    terms = {"amount": amount, "term_months": months}
    q = client.post("/v1/credit-lines/1/quotes", json=terms)
    accepted = q.json()["fingerprint"] if q.status_code == 200 else "0" * 64
    return client.post("/v1/credit-lines/1/drawdowns", headers={"Idempotency-Key": key},
                       json={**terms, "accepted_terms": accepted})


def test_a_drawdown_without_accepted_terms_is_422_naming_the_quote_route(
        client: TestClient) -> None:
    r = client.post("/v1/credit-lines/1/drawdowns", headers={"Idempotency-Key": "dd-0"},
                    json={"amount": "20000.00", "term_months": 12})
    assert r.status_code == 422
    assert (r.json()["error"], r.json()["field"]) == ("accepted_terms_must_be_given",
                                                      "accepted_terms")
    assert "POST /v1/credit-lines/1/quotes" in r.json()["message"]
    assert client.get("/v1/credit-lines/1").json()["drawdowns"] == []


def test_a_drawdown_books_a_loan_and_the_loan_view_shows_the_ledger(
        client: TestClient) -> None:
    r = draw(client, "20000.00", 12, "dd-1")
    assert r.status_code == 201
    dd = r.json()
    assert (dd["amount"], dd["product_code"], dd["available"]) == (
        "20000.00", "merchant_annuity_12m-a", "70000.00")
    loan = client.get(f"/v1/loans/{dd['loan_id']}").json()
    assert (loan["principal"], loan["status"], loan["bucket"]) == ("20000.00", "disbursed", "M0")
    assert loan["balances"] == {"cash": "-20000.00", "principal_receivable": "20000.00"}
    assert len(loan["installments"]) == 12
    assert sum(int(i["principal"].replace(".", "")) for i in loan["installments"]) == 2_000_000
    line = client.get("/v1/credit-lines/1").json()
    assert (line["credit_limit"], line["outstanding_principal"], line["available"]) == (
        "90000.00", "20000.00", "70000.00")
    assert [d["loan_id"] for d in line["drawdowns"]] == [dd["loan_id"]]


def test_a_drawdown_beyond_what_is_available_is_409_naming_the_amount(
        client: TestClient) -> None:
    draw(client, "80000.00", 12, "dd-1")
    r = draw(client, "10000.01", 12, "dd-2")
    assert r.status_code == 409
    assert (r.json()["error"], r.json()["field"]) == ("drawdown_must_fit_available_limit",
                                                      "amount")
    assert "10000.00 CNY available" in r.json()["message"]


def test_a_drawdown_replayed_is_200_and_books_nothing_new(client: TestClient) -> None:
    first = draw(client, "5000.00", 3, "dd-1")
    again = draw(client, "5000.00", 3, "dd-1")
    assert (again.status_code, again.headers["Idempotent-Replayed"]) == (200, "true")
    assert again.json()["loan_id"] == first.json()["loan_id"]
    assert len(client.get("/v1/credit-lines/1").json()["drawdowns"]) == 1
    assert draw(client, "5000.00", 12, "dd-1").status_code == 409


def test_a_drawdown_on_a_term_the_line_does_not_offer_is_400(client: TestClient) -> None:
    r = draw(client, "5000.00", 6, "dd-1")
    assert (r.status_code, r.json()["error"], r.json()["field"]) == (
        400, "term_must_be_offered", "term_months")
