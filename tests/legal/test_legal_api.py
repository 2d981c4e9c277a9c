"""The legal API: propose, approve by a named person, record events with costs, and
coded refusals that change nothing."""

from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Callable
from decimal import Decimal

from legal_book import FIRST_DUE, reach_out, set_flags, snapshot

from dunwell.api.app import create_app
from dunwell.bootstrap import Dunwell

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

DAY = FIRST_DUE + dt.timedelta(days=100)
CASE = f"case-1-{DAY:%Y%m%d}"


def test_a_referral_through_the_api(app: Dunwell,
                                    overdue_book: Callable[[dt.date], dt.date]) -> None:
    overdue_book(DAY)
    reach_out(app, 1, DAY)
    with TestClient(create_app(dunwell=app)) as http:
        made = http.post("/v1/legal/referrals", json={
            "case_id": CASE, "proposed_by": "Li Na", "business_date": DAY.isoformat()})
        assert made.status_code == 201, made.text
        rid = made.json()["referral_id"]
        assert made.json()["status"] == "proposed"
        assert Decimal(made.json()["outstanding"]) >= Decimal("3000.00")
        wrong = http.post(f"/v1/legal/referrals/{rid}/approve", json={
            "approver": "Zhao Min", "role": "intern", "note": "ok"})
        assert wrong.status_code == 400
        assert wrong.json()["error"] == "referral_approval_must_name_person_role_and_note"
        ok = http.post(f"/v1/legal/referrals/{rid}/approve", json={
            "approver": "Zhao Min", "role": "legal_counsel", "note": "contact exhausted",
            "business_date": DAY.isoformat()})
        assert ok.status_code == 200 and ok.json()["legal_state"] == "approved", ok.text
        filed = http.post(f"/v1/legal/referrals/{rid}/events", json={
            "event": "filed", "on": DAY.isoformat(), "cost": "500.00", "court": "Court",
            "reference": "R-1", "recorded_by": "Zhao Min"})
        assert filed.status_code == 200, filed.text
        assert filed.json()["total_cost"] == "500.00"
        before = snapshot(app)
        bad = http.post(f"/v1/legal/referrals/{rid}/events", json={
            "event": "enforcement", "on": DAY.isoformat(), "recorded_by": "Zhao Min"})
        assert bad.status_code == 409
        assert bad.json()["error"] == "legal_case_transition_must_be_allowed"
        assert snapshot(app) == before
        case = http.get(f"/v1/legal/referrals/{rid}").json()
        assert case["state"] == "filed" and case["allowed_next"] == [
            "closed", "hearing", "judgment", "settled"]
        listed = http.get("/v1/legal/referrals", params={"status": "approved"}).json()
        assert [r["referral_id"] for r in listed] == [rid]
        junk = http.post("/v1/legal/bundles/verify", content=b"not a zip",
                         headers={"Content-Type": "application/zip"})
        assert junk.status_code == 400 and junk.json()["error"] == "bundle_must_be_a_zip"


def test_a_protected_borrower_is_refused_with_409(app: Dunwell,
                                                 overdue_book: Callable[[dt.date], dt.date],
                                                 ) -> None:
    overdue_book(DAY)
    reach_out(app, 1, DAY)
    set_flags(app, 1, "deceased")
    before = snapshot(app)
    with TestClient(create_app(dunwell=app)) as http:
        r = http.post("/v1/legal/referrals", json={
            "case_id": CASE, "proposed_by": "Li Na", "business_date": DAY.isoformat()})
    assert r.status_code == 409
    assert r.json()["error"] == "referral_borrower_must_not_be_protected"
    assert snapshot(app) == before
