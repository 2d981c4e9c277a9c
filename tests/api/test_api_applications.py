"""POST and GET /v1/applications through FastAPI's TestClient, on every backend."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fastapi.testclient import TestClient


def merchant_body(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "applicant": {"kind": "merchant", "reference": "m-noodles", "name": "Noodle House",
                      "language": "zh-CN"},
        "currency": "CNY", "requested_amount": "50000.00", "term_months": 12,
        "purpose": "working_capital", "monthly_expenses": "30000.00",
        "existing_debt_payments": "0.00",
        "transactions": [{"date": f"2024-{m:02d}-10", "amount": "60000.00", "kind": "sale"}
                         for m in range(1, 13)],
    }
    body.update(changes)
    return body


def post(client: TestClient, body: dict[str, Any], key: str = "app-1") -> Any:
    return client.post("/v1/applications", json=body, headers={"Idempotency-Key": key})


def test_an_application_is_decided_with_amounts_as_decimal_strings(client: TestClient) -> None:
    r = post(client, merchant_body())
    assert r.status_code == 201
    d = r.json()
    assert (d["outcome"], d["grade"], d["annual_rate"]) == ("approve", "A", "0.108")
    assert (d["requested_amount"], d["approved_amount"], d["credit_limit"]) == (
        "50000.00", "50000.00", "90000.00")
    assert d["monthly_cash_flow"] == "30000.00"
    assert d["term_options"] == [12]
    assert d["credit_line_id"] == 1
    assert d["language"] == "zh-CN"
    assert d["reasons"][0] == {"code": "risk_grade", "effect": "helps",
                               "text": "您的风险等级为 A。"}


def test_a_replay_returns_the_first_decision_with_200(client: TestClient) -> None:
    first = post(client, merchant_body())
    again = post(client, merchant_body())
    assert again.status_code == 200
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()


def test_the_key_may_come_in_the_body(client: TestClient) -> None:
    r = client.post("/v1/applications", json=merchant_body(idempotency_key="app-9"))
    assert r.status_code == 201
    again = client.post("/v1/applications", json=merchant_body(idempotency_key="app-9"))
    assert again.status_code == 200


def test_the_same_key_with_different_data_is_409(client: TestClient) -> None:
    post(client, merchant_body())
    r = post(client, merchant_body(requested_amount="50000.01"))
    assert r.status_code == 409
    assert r.json() == {"error": "idempotency_key_must_match_original_request",
                        "message": "idempotency key 'app-1' was used for a different "
                                   "application; use a new key",
                        "field": "idempotency_key"}


def test_a_stored_decision_reads_back_in_either_language(client: TestClient) -> None:
    post(client, merchant_body(existing_debt_payments="14000.00"))
    zh = client.get("/v1/applications/1").json()
    en = client.get("/v1/applications/1", params={"lang": "en"}).json()
    assert zh["outcome"] == en["outcome"]
    assert en["language"] == "en"
    assert [r["code"] for r in en["reasons"]] == [r["code"] for r in zh["reasons"]]
    assert en["reasons"][0]["text"] != zh["reasons"][0]["text"]


def test_a_declined_consumer_reads_what_would_help(client: TestClient) -> None:
    body = {"applicant": {"kind": "consumer", "reference": "c-liwei", "name": "Li Wei"},
            "currency": "CNY", "requested_amount": "30000.00", "term_months": 6,
            "purpose": "personal", "monthly_income": "12000.00",
            "monthly_expenses": "5000.00", "existing_debt_payments": "3500.00",
            "income_history": ["12000.00"] * 6}
    d = post(client, body, "app-2").json()
    assert d["outcome"] == "decline"
    assert d["credit_line_id"] is None
    assert d["debt_service_ratio"] == "0.5000"
    assert d["reasons"][0]["code"] == "existing_debt_too_high"
    assert d["what_would_help"][0] == "Paying down existing debts first would help."


def test_a_merchant_registers_its_records_then_applies_by_id(client: TestClient) -> None:
    records = merchant_body()["transactions"]
    r = client.put("/v1/merchants/m-tea", json={"name": "Tea Stall", "currency": "CNY",
                                                "transactions": records})
    assert r.status_code == 200
    assert (r.json()["months_active"], r.json()["monthly_turnover"]) == (12, "60000.00")
    body = merchant_body(transactions=[], applicant={"kind": "merchant",
                                                     "reference": "m-tea", "name": "Tea Stall"})
    assert post(client, body, "app-3").json()["outcome"] == "approve"


def test_the_openapi_document_describes_the_endpoints(client: TestClient) -> None:
    doc = client.get("/openapi.json").json()
    for path in ("/v1/applications", "/v1/applications/{application_id}",
                 "/v1/credit-lines/{line_id}", "/v1/credit-lines/{line_id}/drawdowns",
                 "/v1/loans/{loan_id}", "/v1/merchants/{merchant_id}"):
        assert path in doc["paths"]
    post_op = doc["paths"]["/v1/applications"]["post"]
    assert "requestBody" in post_op
    assert "201" in post_op["responses"] and "409" in post_op["responses"]
