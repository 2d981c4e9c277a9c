"""The portal's hardship form over HTTP: offers back, approved by the signed-in
approver within their authority, accepted by the borrower; the case's objects reach
only the borrower and the staff working it; errors coded."""

from __future__ import annotations

import datetime as dt
import json
import warnings
from collections.abc import Callable

from access import token_headers
from dunwell.api.app import create_app
from dunwell.app.cob import close_until
from dunwell.app.collections.collect import collect_day
from dunwell.app.lending.book import LoanRequest, disburse, open_book, register_product
from dunwell.bootstrap import Dunwell
from dunwell.compliance.model import Jurisdiction
from dunwell.store.collections_repo import ActionRepository, BorrowerRepository

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

CASE = "case-1-20250216"
FORM = {"case_id": CASE, "reason": "family_emergency", "monthly_income": "6000.00",
        "essential_expenses": "3500.00", "other_debt_payments": "500.00",
        "evidence": [{"reference": "hospital.pdf", "sha256": "ab" * 32}]}


def audit_kinds(app: Dunwell) -> list[tuple[str, dict[str, object]]]:
    with app.uow() as uow:
        return [(r.kind, json.loads(r.payload_json)) for r in uow.audit.records()]


def test_anonymous_requests_cannot_ask_approve_or_accept(
        app: Dunwell, overdue: Callable[..., list[int]]) -> None:
    overdue()
    with TestClient(create_app(dunwell=app)) as client:
        assert client.post("/v1/hardship", json=FORM).status_code == 401
        assert client.get(f"/v1/cases/{CASE}/offers").status_code == 401
        approve = client.post("/v1/offers/1/approve", json={"by": "x", "role": "risk_committee"})
        assert (approve.status_code, approve.json()["error"]) == (401,
                                                                  "credentials_must_be_valid")
        assert client.post("/v1/offers/1/accept").status_code == 401
    assert [k for k, _ in audit_kinds(app) if k.startswith(("hardship", "offer", "plan"))] == []


def test_the_borrower_asks_a_lead_approves_and_the_borrower_accepts(
        app: Dunwell, overdue: Callable[..., list[int]]) -> None:
    overdue()
    borrower = token_headers(app, "borrower", borrower_id=1)
    collector = token_headers(app, "collector", staff_id="c-01")  # owns the case
    lead = token_headers(app, "team_lead", staff_id="tl-1")
    with TestClient(create_app(dunwell=app)) as client:
        # the body no longer names who told it: a borrower's claim to be a collector is
        # refused, the sign-in says who it is
        claimed = client.post("/v1/hardship", json={**FORM, "source": "collector"},
                              headers=borrower)
        assert (claimed.status_code, claimed.json()["field"]) == (422, "source")
        res = client.post("/v1/hardship", json=FORM, headers=borrower)
        assert res.status_code == 201, res.text
        body = res.json()
        assert body["disposable_income"] == "2000.00" and body["referral"] is None
        best = body["offers"][0]
        assert (best["kind"], best["months"], best["monthly_payment"]) == (
            "penalty_interest_waiver", 3, "1000.00")
        assert best["approval_needed"] == "team_lead" and best["affordability"] == "0.5000"
        assert [s["amount"] for s in best["schedule"]] == ["1000.00"] * 3
        listed = client.get(f"/v1/cases/{CASE}/offers", headers=collector).json()["offers"]
        assert [o["offer_id"] for o in listed] == [o["offer_id"] for o in body["offers"]]

        oid = best["offer_id"]
        res = client.post(f"/v1/offers/{oid}/accept", headers=borrower)
        assert (res.status_code, res.json()["error"]) == (409, "offer_must_be_approved")
        res = client.post(f"/v1/offers/{oid}/approve", headers=collector)
        assert (res.status_code, res.json()["error"]) == (409,
                                                          "approval_must_be_within_authority")
        res = client.post(f"/v1/offers/{oid}/approve", headers=borrower)
        assert res.status_code == 403  # a borrower approves nothing
        res = client.post(f"/v1/offers/{oid}/approve", headers=lead)
        assert res.status_code == 200 and res.json()["status"] == "approved"
        assert res.json()["approved_by"] == "tl-1"
        res = client.post(f"/v1/offers/{oid}/accept", headers=lead)
        assert (res.status_code, res.json()["error"]) == (403,
                                                          "approver_must_not_be_the_proposer")
        res = client.post(f"/v1/offers/{oid}/accept", headers=borrower)
        assert res.status_code == 201, res.text
        assert res.json()["status"] == "active" and res.json()["case_id"] == CASE
        res = client.post(f"/v1/offers/{oid}/accept", headers=borrower)
        assert (res.status_code, res.json()["error"]) == (409, "offer_must_be_unused")
        assert client.get(f"/v1/cases/{CASE}/offers", headers=borrower).json()["offers"] == []
    audited = dict(audit_kinds(app))
    assert (audited["hardship_assessed"]["source"], audited["hardship_assessed"]["by"]) == (
        "portal", "borrower:1")
    assert (audited["offer_approved"]["by"], audited["offer_approved"]["role"]) == (
        "tl-1", "team_lead")
    assert (audited["plan_accepted"]["approved_by"], audited["plan_accepted"]["accepted_by"]
            ) == ("tl-1", "borrower:1")


def big_overdue_book(app: Dunwell) -> None:
    """One borrower owing 60,000.00 on the built-in 12-month merchant loan, overdue
    until a case opens: a settlement forgives more than a manager may."""
    from dunwell.lending.products import builtin_product_texts

    with app.uow() as uow:
        open_book(uow, business_date=dt.date(2025, 1, 15), partitions=2, currency="CNY")
        for text in builtin_product_texts():
            register_product(uow, text)
        disburse(uow, [LoanRequest(1, "merchant_annuity_12m", 6_000_000, 12)])
        BorrowerRepository(uow.conn).put(borrower_id=1, name="Borrower 1",
                                         jurisdiction=Jurisdiction.CN_NIFA,
                                         timezone="Asia/Shanghai", language="zh-CN")
        ActionRepository(uow.conn).put_collector("c-01", "Wang", 30, "09:00", "18:00")
        uow.commit()
    day = dt.date(2025, 2, 14)
    while day <= dt.date(2025, 3, 1):
        close_until(app, day - dt.timedelta(days=1))
        collect_day(app, day, now=dt.datetime.combine(day, dt.time(1), tzinfo=dt.UTC))
        day += dt.timedelta(days=1)


def test_a_collector_cannot_approve_a_risk_committee_waiver(app: Dunwell) -> None:
    big_overdue_book(app)
    with app.uow() as uow:
        [case] = uow.cases.for_borrower(1)
    assert case["owner"] == "c-01"
    borrower = token_headers(app, "borrower", borrower_id=1)
    with TestClient(create_app(dunwell=app)) as client:
        res = client.post("/v1/hardship", headers=borrower, json={
            **FORM, "case_id": case["case_id"], "monthly_income": "40000.00",
            "essential_expenses": "10000.00"})
        assert res.status_code == 201, res.text
        big = [o for o in res.json()["offers"] if o["approval_needed"] == "risk_committee"]
        assert big, res.json()["offers"]
        oid = big[0]["offer_id"]
        for role, staff, code in (
                ("collector", "c-01", "approval_must_be_within_authority"),
                ("manager", "m-1", "approval_must_be_within_authority"),
                ("legal_counsel", "lc-1", "role_must_be_allowed")):
            res = client.post(f"/v1/offers/{oid}/approve",
                              headers=token_headers(app, role, staff_id=staff))
            assert res.json()["error"] == code, (role, res.text)
        capped = token_headers(app, "risk_analyst", staff_id="r-2", authority_minor=100_000)
        res = client.post(f"/v1/offers/{oid}/approve", headers=capped)
        assert (res.status_code, res.json()["error"]) == (403,
                                                          "waiver_must_be_within_your_authority")
        assert client.post(f"/v1/offers/{oid}/accept", headers=borrower).status_code == 409
        res = client.post(f"/v1/offers/{oid}/approve",
                          headers=token_headers(app, "risk_analyst", staff_id="r-1"))
        assert res.status_code == 200 and res.json()["approved_by"] == "r-1"


def test_a_case_reaches_only_its_borrower_and_the_staff_working_it(
        app: Dunwell, overdue: Callable[..., list[int]]) -> None:
    overdue(borrowers=2)
    other_case = "case-2-20250216"
    stranger = token_headers(app, "borrower", borrower_id=2)
    with TestClient(create_app(dunwell=app)) as client:
        mine = client.post("/v1/hardship", json={**FORM, "case_id": other_case},
                           headers=stranger)
        assert mine.status_code == 201
        theirs = client.post("/v1/hardship", json=FORM, headers=stranger)
        missing = client.post("/v1/hardship", json={**FORM, "case_id": "case-x"},
                              headers=stranger)
        assert theirs.status_code == missing.status_code == 404
        assert theirs.json() == {**missing.json(), "message": theirs.json()["message"]}
        assert theirs.json()["message"] == missing.json()["message"].replace("case-x", CASE)
        read = client.get(f"/v1/cases/{CASE}/offers", headers=stranger)
        assert (read.status_code, read.json()["error"]) == (404, "case_must_exist")
        oid = mine.json()["offers"][0]["offer_id"]
        other_collector = token_headers(app, "collector", staff_id="c-99")
        res = client.get(f"/v1/cases/{other_case}/offers", headers=other_collector)
        assert (res.status_code, res.json()["error"]) == (403, "case_must_be_assigned_to_you")
        res = client.post(f"/v1/offers/{oid}/approve", headers=other_collector)
        assert (res.status_code, res.json()["error"]) == (403, "case_must_be_assigned_to_you")
        borrower_1 = token_headers(app, "borrower", borrower_id=1)
        res = client.post(f"/v1/offers/{oid}/accept", headers=borrower_1)
        assert (res.status_code, res.json()["error"]) == (404, "offer_must_exist")


def test_bad_forms_are_refused_with_codes(app: Dunwell,
                                          overdue: Callable[..., list[int]]) -> None:
    overdue()
    borrower = token_headers(app, "borrower", borrower_id=1)
    with TestClient(create_app(dunwell=app), headers=borrower) as client:
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
