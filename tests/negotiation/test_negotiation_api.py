"""The portal's hardship form over HTTP: offers back, approve, accept; errors coded."""

from __future__ import annotations

import warnings
from collections.abc import Callable

from dunwell.api.app import create_app
from dunwell.bootstrap import Dunwell

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

CASE = "case-1-20250216"
FORM = {"case_id": CASE, "reason": "family_emergency", "monthly_income": "6000.00",
        "essential_expenses": "3500.00", "other_debt_payments": "500.00",
        "evidence": [{"reference": "hospital.pdf", "sha256": "ab" * 32}]}


def test_the_hardship_form_returns_ranked_offers_and_a_plan_can_be_accepted(
        app: Dunwell, overdue: Callable[..., list[int]]) -> None:
    overdue()
    with TestClient(create_app(dunwell=app)) as client:
        res = client.post("/v1/hardship", json=FORM)
        assert res.status_code == 201, res.text
        body = res.json()
        assert body["disposable_income"] == "2000.00" and body["referral"] is None
        best = body["offers"][0]
        assert (best["kind"], best["months"], best["monthly_payment"]) == (
            "penalty_interest_waiver", 3, "1000.00")
        assert best["approval_needed"] == "team_lead" and best["affordability"] == "0.5000"
        assert [s["amount"] for s in best["schedule"]] == ["1000.00"] * 3
        listed = client.get(f"/v1/cases/{CASE}/offers").json()["offers"]
        assert [o["offer_id"] for o in listed] == [o["offer_id"] for o in body["offers"]]

        oid = best["offer_id"]
        res = client.post(f"/v1/offers/{oid}/accept")
        assert (res.status_code, res.json()["error"]) == (409, "offer_must_be_approved")
        res = client.post(f"/v1/offers/{oid}/approve", json={"by": "c-01", "role": "collector"})
        assert (res.status_code, res.json()["error"]) == (409,
                                                          "approval_must_be_within_authority")
        res = client.post(f"/v1/offers/{oid}/approve", json={"by": "tl", "role": "team_lead"})
        assert res.status_code == 200 and res.json()["status"] == "approved"
        res = client.post(f"/v1/offers/{oid}/accept")
        assert res.status_code == 201, res.text
        assert res.json()["status"] == "active" and res.json()["case_id"] == CASE
        res = client.post(f"/v1/offers/{oid}/accept")
        assert (res.status_code, res.json()["error"]) == (409, "offer_must_be_unused")
        assert client.get(f"/v1/cases/{CASE}/offers").json()["offers"] == []


def test_bad_forms_are_refused_with_codes(app: Dunwell,
                                          overdue: Callable[..., list[int]]) -> None:
    overdue()
    with TestClient(create_app(dunwell=app)) as client:
        res = client.post("/v1/hardship", json={**FORM, "monthly_income": "60.001"})
        assert (res.status_code, res.json()["error"]) == (400, "amount_must_fit_minor_unit")
        res = client.post("/v1/hardship", json={**FORM, "reason": "bad_luck"})
        assert (res.status_code, res.json()["error"]) == (422, "request_must_be_valid")
        res = client.post("/v1/hardship", json={**FORM, "case_id": "case-x"})
        assert (res.status_code, res.json()["error"]) == (404, "case_must_exist")
        res = client.get("/v1/cases/case-x/offers")
        assert res.status_code == 404
        res = client.post("/v1/hardship", json={**FORM, "monthly_income": "3000.00",
                                                "essential_expenses": "3000.00"})
        assert res.status_code == 201
        assert res.json()["offers"] == [] and "debt advice" in res.json()["referral"]
