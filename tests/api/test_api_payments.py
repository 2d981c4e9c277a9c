"""``POST /v1/loans/{loan_id}/payments``: the contract of DESIGN.md §4 — 201 posted,
200 replay, 409 key reused for a different request, 422 invalid — and reversal."""

from __future__ import annotations

import datetime as dt

from fastapi.testclient import TestClient

from dunwell.app.cob import close_until
from dunwell.app.lending.book import LoanRequest, disburse
from dunwell.app.lending.verify import verify_book
from dunwell.bootstrap import Dunwell


def a_loan(app: Dunwell) -> int:
    with app.uow() as uow:
        (loan,) = disburse(uow, [LoanRequest(7, "merchant_annuity_12m", 1_200_000, 12)])
        uow.commit()
    close_until(app, dt.date(2025, 2, 17))
    return loan.loan_id


def test_a_payment_posts_with_its_allocation_and_a_replay_answers_200(
        client: TestClient, app: Dunwell) -> None:
    loan_id = a_loan(app)
    body = {"amount": "300.00", "currency": "CNY"}
    first = client.post(f"/v1/loans/{loan_id}/payments", json=body,
                        headers={"Idempotency-Key": "api-pay-1"})
    assert first.status_code == 201, first.text
    out = first.json()
    assert out["status"] == "posted" and out["loan_id"] == loan_id
    assert out["amount"] == "300.00" and out["currency"] == "CNY"
    assert sum(int(a["amount"].replace(".", "")) for a in out["allocation"]) == 300_00
    again = client.post(f"/v1/loans/{loan_id}/payments", json=body,
                        headers={"Idempotency-Key": "api-pay-1"})
    assert again.status_code == 200
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["payment_id"] == out["payment_id"]
    assert again.json()["status"] == "replayed"
    assert verify_book(app).ok


def test_the_same_key_for_another_amount_is_a_conflict(client: TestClient,
                                                       app: Dunwell) -> None:
    loan_id = a_loan(app)
    url = f"/v1/loans/{loan_id}/payments"
    client.post(url, json={"amount": "300.00", "currency": "CNY"},
                headers={"Idempotency-Key": "api-pay-2"})
    clash = client.post(url, json={"amount": "301.00", "currency": "CNY"},
                        headers={"Idempotency-Key": "api-pay-2"})
    assert clash.status_code == 409
    assert clash.json()["error"] == "idempotency_key_must_match_original_request"


def test_invalid_payments_are_422_and_change_nothing(client: TestClient, app: Dunwell) -> None:
    loan_id = a_loan(app)
    url = f"/v1/loans/{loan_id}/payments"
    cases = [
        ({"amount": "-5.00", "currency": "CNY"}, {"Idempotency-Key": "k-neg"}),
        ({"amount": "0", "currency": "CNY"}, {"Idempotency-Key": "k-zero"}),
        ({"amount": "1.234", "currency": "CNY"}, {"Idempotency-Key": "k-frac"}),
        ({"amount": "5.00", "currency": "USD"}, {"Idempotency-Key": "k-cur"}),
        ({"amount": 5, "currency": "CNY"}, {"Idempotency-Key": "k-num"}),
        ({"amount": "5.00", "currency": "CNY", "kind": "prepayment"}, {"Idempotency-Key": "k-m"}),
        ({"amount": "5.00", "currency": "CNY"}, {}),
    ]
    for body, headers in cases:
        r = client.post(url, json=body, headers=headers)
        assert r.status_code == 422, (body, r.status_code, r.text)
        assert set(r.json()) >= {"error", "message"}
    with app.uow() as uow:
        assert uow.payments.for_loan(loan_id) == []


def test_a_payment_on_a_missing_loan_is_404_and_an_id_beyond_int64_is_422(
        client: TestClient) -> None:
    body = {"amount": "5.00", "currency": "CNY"}
    assert client.post("/v1/loans/999/payments", json=body,
                       headers={"Idempotency-Key": "k-404"}).status_code == 404
    assert client.post(f"/v1/loans/{2**63}/payments", json=body,
                       headers={"Idempotency-Key": "k-big"}).status_code == 422


def test_a_reversal_posts_once_and_a_repeat_answers_200(client: TestClient,
                                                        app: Dunwell) -> None:
    loan_id = a_loan(app)
    paid = client.post(f"/v1/loans/{loan_id}/payments",
                       json={"amount": "300.00", "currency": "CNY"},
                       headers={"Idempotency-Key": "api-pay-3"}).json()
    url = f"/v1/payments/{paid['payment_id']}/reversal"
    first = client.post(url, json={"reason": "bounced"})
    assert first.status_code == 201, first.text
    assert first.json()["reversed"] is True
    assert client.post(url, json={"reason": "bounced"}).status_code == 200
    shown = client.get(f"/v1/payments/{paid['payment_id']}")
    assert shown.status_code == 200 and shown.json()["reversed"] is True
    assert verify_book(app).ok
