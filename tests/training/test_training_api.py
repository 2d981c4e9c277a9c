"""The ``/v1/training`` routes: register, take and certify a course (each person takes
their own; a compliance officer signs, never their own), read the status, warnings and
quality figures; whoever signs, complains or reviews is the signed-in user."""

from __future__ import annotations

import warnings
from collections.abc import Iterator

import pytest

from access import token_headers
from dunwell.api.app import create_app
from dunwell.bootstrap import Dunwell
from dunwell.training.curriculum import builtin_curriculum

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

ITEMS = ["introduced_self", "verified_identity", "no_pressure", "listened_for_hardship",
         "offered_options", "recorded_accurately"]


@pytest.fixture
def client(app: Dunwell) -> Iterator[TestClient]:
    with TestClient(create_app(dunwell=app)) as c:
        yield c


def register(client: TestClient, app: Dunwell, *people: tuple[str, str, str]) -> None:
    manager = token_headers(app, "manager", staff_id="m-1")
    for staff_id, name, role in people:
        r = client.post("/v1/training/staff", headers=manager,
                        json={"staff_id": staff_id, "name": name, "role": role})
        assert r.status_code == 201, r.text


def pass_course(client: TestClient, as_: dict[str, str], staff_id: str) -> None:
    r = client.post(f"/v1/training/staff/{staff_id}/enrolments", headers=as_,
                    json={"course_id": "SAF-101", "on": "2026-03-02"})
    assert r.status_code == 201 and r.json()["modules_left"] == ["saf-1", "saf-2"]
    for m in ("saf-1", "saf-2"):
        r = client.post(f"/v1/training/staff/{staff_id}/courses/SAF-101/modules",
                        json={"module_id": m}, headers=as_)
        assert r.status_code == 200
    answers = {q.question_id: q.answer
               for q in builtin_curriculum().course("SAF-101").questions}
    r = client.post(f"/v1/training/staff/{staff_id}/courses/SAF-101/attempts", headers=as_,
                    json={"answers": answers, "started_at": "2026-03-02T09:00:00+08:00",
                          "submitted_at": "2026-03-02T09:10:00+08:00"})
    assert r.status_code == 201 and (r.json()["score_pct"], r.json()["passed"]) == (100, True)


def test_a_course_taken_and_certified_over_the_api(client: TestClient, app: Dunwell) -> None:
    register(client, app, ("t-1", "Trainer", "trainer"), ("fa-1", "Agent", "field_agent"),
             ("fa-2", "Agent Two", "field_agent"), ("co-1", "Compliance", "compliance_officer"))
    agent = token_headers(app, "field_agent", staff_id="fa-1")
    pass_course(client, agent, "fa-1")
    r = client.post("/v1/training/staff/fa-2/courses/SAF-101/attempts", headers=agent,
                    json={"answers": {}, "started_at": "2026-03-02T09:00:00+08:00",
                          "submitted_at": "2026-03-02T09:10:00+08:00"})
    assert (r.status_code, r.json()["error"]) == (403, "training_must_be_your_own")
    r = client.post("/v1/training/staff/fa-1/courses/SAF-101/certificate", headers=agent,
                    json={"issued_on": "2026-03-02"})
    assert r.status_code == 403  # only compliance signs
    officer = token_headers(app, "compliance_officer", staff_id="co-1")
    pass_course(client, officer, "co-1")
    r = client.post("/v1/training/staff/co-1/courses/SAF-101/certificate", headers=officer,
                    json={"issued_on": "2026-03-02"})
    assert r.status_code == 409
    assert r.json()["error"] == "certificate_must_be_signed_by_someone_else"
    trainer = token_headers(app, "compliance_officer", staff_id="t-1")
    r = client.post("/v1/training/staff/fa-1/courses/SAF-101/certificate", headers=trainer,
                    json={"issued_on": "2026-03-02"})
    assert r.status_code == 201
    assert (r.json()["expires_on"], r.json()["signed_by"]) == ("2027-03-01", "t-1")
    status = client.get("/v1/training/status", headers=officer,
                        params={"on": "2026-03-02", "staff_id": "fa-1"}).json()
    [row] = status["staff"]
    assert row["subjects"]["visit_safety"]["status"] == "valid"
    assert row["actions"]["visit"]["allowed"] is False
    assert "legal_knowledge (missing)" in row["actions"]["visit"]["refused"]
    warned = client.get("/v1/training/warnings", params={"on": "2027-02-20", "days": 30},
                        headers=officer)
    assert [w["subject"] for w in warned.json()["warnings"]] == ["visit_safety"]
    quality = client.get("/v1/training/quality", headers=officer,
                         params={"from": "2026-03-01", "to": "2026-03-31"})
    assert quality.status_code == 200
    assert {r["staff_id"] for r in quality.json()["staff"]} >= {"t-1", "fa-1"}
    courses = client.get("/v1/training/courses", params={"lang": "zh-CN"}, headers=agent)
    assert courses.json()["courses"][0]["title"] == "沟通与冲突化解"
    assert client.get("/v1/training/staff/fa-1/records", headers=agent).status_code == 200
    other = client.get("/v1/training/staff/co-1/records", headers=agent)
    assert (other.status_code, other.json()["error"]) == (403, "training_must_be_your_own")


def test_an_unknown_staff_member_is_404_and_a_bad_role_422(client: TestClient,
                                                           app: Dunwell) -> None:
    r = client.post("/v1/training/staff/nobody/enrolments",
                    headers=token_headers(app, "team_lead", staff_id="tl-1"),
                    json={"course_id": "SAF-101", "on": "2026-03-02"})
    assert r.status_code == 404 and r.json()["error"] == "staff_must_exist"
    r = client.post("/v1/training/staff", json={"staff_id": "x", "name": "X", "role": "boss"},
                    headers=token_headers(app, "manager"))
    assert r.status_code in (400, 422) and r.json()["error"] == "staff_role_must_be_known"


def test_imports_complaints_reviews_and_records(client: TestClient, app: Dunwell) -> None:
    register(client, app, ("co-1", "Compliance", "compliance_officer"),
             ("c-1", "Collector", "collector"))
    officer = token_headers(app, "compliance_officer", staff_id="co-1")
    r = client.post("/v1/training/staff/c-1/imports", headers=officer, json={
        "subject": "privacy", "score_pct": 91, "evidence": "city college PR-7",
        "issued_on": "2026-01-05"})
    assert r.status_code == 201 and r.json()["source"] == "import"
    assert r.json()["signed_by"] == "co-1"
    r = client.post("/v1/training/staff/c-1/imports", headers=officer, json={
        "subject": "privacy", "score_pct": 50, "evidence": "retake", "issued_on": "2026-01-06"})
    assert r.status_code == 409
    assert r.json()["error"] == "certificate_must_follow_a_passed_assessment"
    r = client.post("/v1/training/staff/c-1/complaints", headers=officer, json={
        "reference": "CMP-1", "received_on": "2026-03-01", "upheld": True})
    assert r.status_code == 201 and r.json()["recorded"] is True
    r = client.post("/v1/training/reviews", headers=officer, json={
        "staff_id": "c-1", "kind": "call", "reference": "contact-3", "passed": ITEMS,
        "failed": [], "on": "2026-03-02"})
    assert r.status_code == 201 and r.json()["score_pct"] == 100
    own = client.post("/v1/training/reviews", headers=officer, json={
        "staff_id": "co-1", "kind": "call", "reference": "contact-4", "passed": ITEMS,
        "failed": [], "on": "2026-03-02"})
    assert own.status_code in (400, 409, 422)  # nobody reviews their own work
    collector = token_headers(app, "collector", staff_id="c-1")
    records = client.get("/v1/training/staff/c-1/records", headers=collector).json()
    assert [c["subject"] for c in records["certificates"]] == ["privacy"]
    assert [s["staff_id"] for s in client.get("/v1/training/staff", headers=officer)
            .json()["staff"]] == ["c-1", "co-1"]
    sample = client.get("/v1/training/reviews/sample", headers=officer,
                        params={"from": "2026-03-01", "to": "2026-03-31"})
    assert sample.status_code == 200 and sample.json()["sample"] == []


def test_training_dates_are_iso_text_and_ids_are_bounded(client: TestClient,
                                                         app: Dunwell) -> None:
    officer = token_headers(app, "compliance_officer", staff_id="co-1")
    for body in ({"course_id": "SAF-101", "on": 0}, {"course_id": "SAF-101", "on": "03/02/26"}):
        r = client.post("/v1/training/staff/fa-1/enrolments", json=body, headers=officer)
        assert r.status_code == 422 and r.json()["field"] == "on", r.text
    assert client.get("/v1/training/status", params={"on": "0"},
                      headers=officer).status_code == 422
    r = client.get(f"/v1/training/staff/{'x' * 65}/records", headers=officer)
    assert r.status_code == 422


def test_nobody_signed_in_trains_signs_or_reads(client: TestClient) -> None:
    for method, path in (("get", "/v1/training/staff"), ("get", "/v1/training/courses"),
                         ("post", "/v1/training/staff/fa-1/courses/SAF-101/certificate")):
        r = client.request(method.upper(), path, json={"issued_on": "2026-03-02"})
        assert (r.status_code, r.json()["error"]) == (401, "credentials_must_be_valid")
