"""The legal API: propose, approve by another signed-in person, record events with
costs within the recorder's authority, and coded refusals that change nothing."""

from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Callable
from decimal import Decimal

from legal_book import FIRST_DUE, reach_out, set_flags, snapshot

from access import token_headers
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
    lead = token_headers(app, "team_lead", staff_id="li-na")
    counsel = token_headers(app, "legal_counsel", staff_id="zhao-min")
    with TestClient(create_app(dunwell=app)) as http:
        claimed = http.post("/v1/legal/referrals", headers=lead, json={
            "case_id": CASE, "proposed_by": "someone else", "business_date": DAY.isoformat()})
        assert (claimed.status_code, claimed.json()["field"]) == (422, "proposed_by")
        made = http.post("/v1/legal/referrals", headers=lead, json={
            "case_id": CASE, "business_date": DAY.isoformat()})
        assert made.status_code == 201, made.text
        rid = made.json()["referral_id"]
        assert (made.json()["status"], made.json()["proposed_by"]) == ("proposed", "li-na")
        assert Decimal(made.json()["outstanding"]) >= Decimal("3000.00")
        ok = http.post(f"/v1/legal/referrals/{rid}/approve", headers=counsel, json={
            "note": "contact exhausted",
            "business_date": DAY.isoformat()})
        assert ok.status_code == 200 and ok.json()["legal_state"] == "approved", ok.text
        assert (ok.json()["decided_by"], ok.json()["decided_role"]) == ("zhao-min",
                                                                        "legal_counsel")
        filed = http.post(f"/v1/legal/referrals/{rid}/events", headers=counsel, json={
            "event": "filed", "on": DAY.isoformat(), "cost": "500.00", "court": "Court",
            "reference": "R-1"})
        assert filed.status_code == 200, filed.text
        assert filed.json()["total_cost"] == "500.00"
        assert filed.json()["events"][0]["recorded_by"] == "zhao-min"
        before = snapshot(app)
        bad = http.post(f"/v1/legal/referrals/{rid}/events", headers=counsel, json={
            "event": "enforcement", "on": DAY.isoformat()})
        assert bad.status_code == 409
        assert bad.json()["error"] == "legal_case_transition_must_be_allowed"
        assert snapshot(app) == before
        case = http.get(f"/v1/legal/referrals/{rid}", headers=counsel).json()
        assert case["state"] == "filed" and case["allowed_next"] == [
            "closed", "hearing", "judgment", "settled"]
        listed = http.get("/v1/legal/referrals", params={"status": "approved"},
                          headers=counsel).json()
        assert [r["referral_id"] for r in listed] == [rid]
        junk = http.post("/v1/legal/bundles/verify", content=b"not a zip", headers={
            "Content-Type": "application/zip", **counsel})
        assert junk.status_code == 400 and junk.json()["error"] == "bundle_must_be_a_zip"


def test_anonymous_callers_cannot_propose_approve_or_cost(
        app: Dunwell, overdue_book: Callable[[dt.date], dt.date]) -> None:
    overdue_book(DAY)
    reach_out(app, 1, DAY)
    before = snapshot(app)
    with TestClient(create_app(dunwell=app)) as http:
        for path, body in (("/v1/legal/referrals", {"case_id": CASE}),
                           ("/v1/legal/referrals/1/approve", {"note": "as legal_counsel"}),
                           ("/v1/legal/referrals/1/events", {"event": "filed",
                                                             "cost": "99999.00"})):
            r = http.post(path, json=body)
            assert (r.status_code, r.json()["error"]) == (401, "credentials_must_be_valid")
        assert http.get("/v1/legal/referrals").status_code == 401
    assert snapshot(app) == before


def test_the_proposer_cannot_approve_and_a_cost_beyond_authority_changes_nothing(
        app: Dunwell, overdue_book: Callable[[dt.date], dt.date]) -> None:
    overdue_book(DAY)
    reach_out(app, 1, DAY)
    manager = token_headers(app, "manager", staff_id="m-1")
    counsel = token_headers(app, "legal_counsel", staff_id="lc-1")
    day = DAY.isoformat()
    with TestClient(create_app(dunwell=app)) as http:
        rid = http.post("/v1/legal/referrals", headers=manager, json={
            "case_id": CASE, "business_date": day}).json()["referral_id"]
        before = snapshot(app)
        own = http.post(f"/v1/legal/referrals/{rid}/approve", headers=manager, json={
            "note": "I proposed it, I approve it", "business_date": day})
        assert (own.status_code, own.json()["error"]) == (403,
                                                          "approver_must_not_be_the_proposer")
        assert snapshot(app) == before
        ok = http.post(f"/v1/legal/referrals/{rid}/approve", headers=counsel, json={
            "note": "checked by someone else", "business_date": day})
        assert ok.status_code == 200, ok.text
        before = snapshot(app)
        costly = http.post(f"/v1/legal/referrals/{rid}/events", headers=counsel, json={
            "event": "filed", "on": day, "cost": "99999.00"})
        assert (costly.status_code, costly.json()["error"]) == (
            403, "legal_cost_must_be_within_your_authority")
        assert "20000.00 CNY" in costly.json()["message"]
        assert snapshot(app) == before
        capped = token_headers(app, "legal_counsel", staff_id="lc-2", authority_minor=10_000)
        small = http.post(f"/v1/legal/referrals/{rid}/events", headers=capped, json={
            "event": "filed", "on": day, "cost": "150.00"})
        assert small.status_code == 403 and "100.00 CNY" in small.json()["message"]
        fine = http.post(f"/v1/legal/referrals/{rid}/events", headers=counsel, json={
            "event": "filed", "on": day, "cost": "15000.00"})
        assert fine.status_code == 200 and fine.json()["total_cost"] == "15000.00"


def test_a_protected_borrower_is_refused_with_409(app: Dunwell,
                                                 overdue_book: Callable[[dt.date], dt.date],
                                                 ) -> None:
    overdue_book(DAY)
    reach_out(app, 1, DAY)
    set_flags(app, 1, "deceased")
    lead = token_headers(app, "team_lead", staff_id="li-na")
    before = snapshot(app)
    with TestClient(create_app(dunwell=app)) as http:
        r = http.post("/v1/legal/referrals", headers=lead, json={
            "case_id": CASE, "business_date": DAY.isoformat()})
    assert r.status_code == 409
    assert r.json()["error"] == "referral_borrower_must_not_be_protected"
    assert snapshot(app) == before
