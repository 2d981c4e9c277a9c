"""Every rejection has one shape, {"error", "message", "field"}, and names the field."""

from __future__ import annotations

import warnings
from typing import Any

from access import token_headers
from dunwell.api.app import create_app

with warnings.catch_warnings():  # starlette asks for httpx2; httpx serves the tests as well
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient


def body(**changes: Any) -> dict[str, Any]:
    b: dict[str, Any] = {
        "applicant": {"kind": "consumer", "reference": "c-1", "name": "Wang Fang"},
        "currency": "CNY", "requested_amount": "5000.00", "term_months": 6,
        "purpose": "personal", "monthly_income": "9000.00", "monthly_expenses": "4000.00",
        "income_history": ["9000.00"] * 6}
    b.update(changes)
    return b


def post(client: TestClient, b: dict[str, Any], key: str | None = "k-1") -> Any:
    headers = {"Idempotency-Key": key} if key else {}
    return client.post("/v1/applications", json=b, headers=headers)


def error(r: Any) -> tuple[int, str, str | None]:
    e = r.json()
    assert set(e) >= {"error", "message", "field"}
    return r.status_code, e["error"], e["field"]


def test_a_missing_field_is_422_naming_it(client: TestClient) -> None:
    b = body()
    del b["term_months"]
    assert error(post(client, b)) == (422, "request_must_be_valid", "term_months")


def test_an_amount_sent_as_a_number_is_422_naming_it(client: TestClient) -> None:
    assert error(post(client, body(requested_amount=5000))) == (
        422, "request_must_be_valid", "requested_amount")


def test_a_nested_bad_field_is_named_by_its_path(client: TestClient) -> None:
    b = body(applicant={"kind": "merchant", "reference": "m-1", "name": "X"},
             transactions=[{"date": "2024-02-30", "amount": "10.00", "kind": "sale"}])
    assert error(post(client, b)) == (422, "request_must_be_valid", "transactions.0.date")


def test_a_term_out_of_range_is_422_and_one_not_offered_is_400(client: TestClient) -> None:
    assert error(post(client, body(term_months=0))) == (
        422, "request_must_be_valid", "term_months")
    assert error(post(client, body(term_months=12))) == (400, "term_must_be_offered",
                                                         "term_months")


def test_an_amount_finer_than_a_fen_is_400_naming_it(client: TestClient) -> None:
    assert error(post(client, body(monthly_expenses="4000.001"))) == (
        400, "amount_must_fit_minor_unit", "monthly_expenses")


def test_a_zero_request_is_400_naming_it(client: TestClient) -> None:
    assert error(post(client, body(requested_amount="0.00"))) == (
        400, "requested_amount_must_be_in_range", "requested_amount")


def test_another_currency_than_the_books_is_400(client: TestClient) -> None:
    assert error(post(client, body(currency="USD"))) == (400, "currency_must_match_book",
                                                         "currency")
    assert error(post(client, body(currency="XXX"), key="k-2")) == (
        400, "currency_must_be_known", "currency")


def test_an_application_without_an_idempotency_key_is_400(client: TestClient) -> None:
    assert error(post(client, body(), key=None)) == (400, "idempotency_key_must_be_present",
                                                     "idempotency_key")


def test_an_unknown_merchant_is_404(client: TestClient) -> None:
    b = body(applicant={"kind": "merchant", "reference": "m-404", "name": "Nobody"},
             term_months=12)
    assert error(post(client, b)) == (404, "merchant_must_exist", "applicant.reference")


def test_unknown_ids_are_404(client: TestClient) -> None:
    assert error(client.get("/v1/applications/7"))[:2] == (404, "application_must_exist")
    assert error(client.get("/v1/credit-lines/7"))[:2] == (404, "credit_line_must_exist")
    assert error(client.get("/v1/loans/7"))[:2] == (404, "loan_must_exist")
    assert error(client.get("/v1/loans/seven")) == (422, "request_must_be_valid", "loan_id")


def test_an_unsupported_language_is_422_naming_the_parameter(client: TestClient) -> None:
    post(client, body())
    assert error(client.get("/v1/applications/1", params={"lang": "fr"})) == (
        422, "request_must_be_valid", "lang")


def test_the_service_is_unavailable_until_the_book_is_open(db_url: str) -> None:
    from dunwell.bootstrap import bootstrap
    from dunwell.settings import Settings

    closed = bootstrap(Settings(db_url=db_url, log_level="WARNING"))
    with TestClient(create_app(dunwell=closed), headers=token_headers(closed, "manager")) as c:
        assert error(post(c, body()))[:2] == (503, "book_must_be_open")
    closed.engine.dispose()
