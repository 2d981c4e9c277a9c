"""``POST /v1/drawdowns/{id}/cancellation``: within the cooling-off window the borrower
returns the money, the fee is waived, the loan closes and the book stays reconciled;
outside the window or with the wrong amount nothing changes."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import warnings
from collections.abc import Iterator
from typing import Any

import pytest

from access import token_headers
from dunwell.api.app import create_app
from dunwell.app.cob import close_until
from dunwell.app.context import Dunwell
from dunwell.app.lending.book import open_book, register_product
from dunwell.app.lending.verify import verify_book
from dunwell.app.origination import drawdowns
from dunwell.lending.products import builtin_product_texts
from dunwell.origination.disclosure import builtin_disclosure_rules

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

START = dt.date(2025, 1, 15)


@pytest.fixture
def client(app: Dunwell) -> Iterator[TestClient]:
    """A merchant's line 1 with drawdown 1 (loan 1): 20,000.00 over 12 months, drawn on
    2025-01-15 on the terms quoted; the CN window runs to 2025-01-22."""
    with app.uow() as uow:
        open_book(uow, business_date=START, partitions=2, currency="CNY")
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
        terms = {"amount": "20000.00", "term_months": 12}
        q = test_client.post("/v1/credit-lines/1/quotes", json=terms)
        dd = test_client.post("/v1/credit-lines/1/drawdowns", headers={"Idempotency-Key": "d-1"},
                              json={**terms, "accepted_terms": q.json()["fingerprint"]})
        assert dd.json()["cancel_until"] == "2025-01-22", dd.text
        yield test_client


def cancel(client: TestClient, amount: str, key: str = "c-1") -> Any:
    return client.post("/v1/drawdowns/1/cancellation", headers={"Idempotency-Key": key},
                       json={"amount": amount})


def assert_book_clean(app: Dunwell) -> None:
    check = verify_book(app)
    assert check.ok, check


def test_cancelling_on_the_day_returns_the_principal_and_closes_the_loan(
        app: Dunwell, client: TestClient) -> None:
    r = cancel(client, "20000.00")
    assert r.status_code == 201, r.text
    out = r.json()
    assert (out["returned"], out["principal"], out["interest"], out["loan_status"]) == (
        "20000.00", "20000.00", "0.00", "paid_off")
    loan = client.get("/v1/loans/1").json()
    assert loan["status"] == "paid_off"
    assert all(v == "0.00" for k, v in loan["balances"].items()
               if k.endswith("receivable")), loan["balances"]
    line = client.get("/v1/credit-lines/1").json()
    assert (line["outstanding_principal"], line["available"]) == ("0.00", line["credit_limit"])
    assert_book_clean(app)


def test_a_cancellation_replayed_is_200_and_another_amount_on_its_key_is_409(
        client: TestClient) -> None:
    first = cancel(client, "20000.00")
    again = cancel(client, "20000.00")
    assert (again.status_code, again.headers["Idempotent-Replayed"]) == (200, "true")
    assert again.json() == first.json()
    other = cancel(client, "20000.01")
    assert (other.status_code, other.json()["error"]) == (
        409, "idempotency_key_must_match_original_request")
    twice = cancel(client, "20000.00", key="c-2")
    assert (twice.status_code, twice.json()["error"]) == (409, "cancellation_must_not_repeat")


@pytest.mark.parametrize("amount", ["19999.99", "20000.01", "100.00"])
def test_the_wrong_amount_is_409_naming_the_due_and_changes_nothing(
        app: Dunwell, client: TestClient, amount: str) -> None:
    r = cancel(client, amount)
    assert (r.status_code, r.json()["error"]) == (409, "cancellation_amount_must_match_due")
    assert "returns 20000.00 CNY" in r.json()["message"]
    assert client.get("/v1/loans/1").json()["status"] == "disbursed"
    assert cancel(client, "20000.00").status_code == 201  # the key was not used up
    assert_book_clean(app)


def test_after_the_window_it_is_409_and_nothing_changes(app: Dunwell,
                                                       client: TestClient) -> None:
    close_until(app, dt.date(2025, 1, 22))  # the book opens 2025-01-23
    r = cancel(client, "20000.00")
    assert (r.status_code, r.json()["error"]) == (409, "cancellation_must_be_within_window")
    assert "2025-01-22" in r.json()["message"]
    assert client.get("/v1/loans/1").json()["status"] != "paid_off"
    assert_book_clean(app)


def test_on_the_last_day_without_cost_the_interest_accrued_is_given_back(
        app: Dunwell, client: TestClient) -> None:
    close_until(app, dt.date(2025, 1, 21))  # the book opens 2025-01-22, the last day
    r = cancel(client, "20000.00")
    assert r.status_code == 201, r.text
    assert r.json()["interest"] == "0.00"
    assert r.json()["interest_waived"] != "0.00"  # six days accrued by COB, not charged
    loan = client.get("/v1/loans/1").json()
    assert all(v == "0.00" for v in loan["balances"].values()
               if v != loan["balances"].get("cash")), loan["balances"]
    assert_book_clean(app)
    close_until(app, dt.date(2025, 1, 25))  # the closed loan accrues nothing more
    assert client.get("/v1/loans/1").json()["status"] == "paid_off"
    assert_book_clean(app)


def test_where_the_rule_charges_interest_to_date_it_is_returned_with_the_principal(
        app: Dunwell, client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    rules = builtin_disclosure_rules()
    charging = dataclasses.replace(rules, cooling_off={
        **rules.cooling_off,
        "CN": dataclasses.replace(rules.cooling_off["CN"], charges="interest_to_date")})
    monkeypatch.setattr(drawdowns, "builtin_disclosure_rules", lambda: charging)
    close_until(app, dt.date(2025, 1, 19))  # the book opens 2025-01-20
    wrong = cancel(client, "20000.00")
    assert wrong.json()["error"] == "cancellation_amount_must_match_due"
    due = re.search(r"returns ([0-9.]+) CNY", wrong.json()["message"])
    assert due is not None and due.group(1) > "20000.00"
    r = cancel(client, due.group(1))
    assert r.status_code == 201, r.text
    assert (r.json()["returned"], r.json()["principal"]) == (due.group(1), "20000.00")
    assert r.json()["interest"] != "0.00"
    assert_book_clean(app)
