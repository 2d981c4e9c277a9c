"""The ``/v1/training`` routes: register, take and certify a course, refuse a
self-signed certificate with 409, read the status, warnings and quality figures."""

from __future__ import annotations

import warnings
from collections.abc import Iterator

import pytest

from dunwell.api.app import create_app
from dunwell.bootstrap import Dunwell
from dunwell.training.curriculum import builtin_curriculum

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient


@pytest.fixture
def client(app: Dunwell) -> Iterator[TestClient]:
    with TestClient(create_app(dunwell=app)) as c:
        yield c


def test_a_course_taken_and_certified_over_the_api(client: TestClient) -> None:
    for body in ({"staff_id": "t-1", "name": "Trainer", "role": "trainer"},
                 {"staff_id": "fa-1", "name": "Agent", "role": "field_agent"}):
        assert client.post("/v1/training/staff", json=body).status_code == 201
    r = client.post("/v1/training/staff/fa-1/enrolments",
                    json={"course_id": "SAF-101", "on": "2026-03-02"})
    assert r.status_code == 201 and r.json()["modules_left"] == ["saf-1", "saf-2"]
    for m in ("saf-1", "saf-2"):
        r = client.post("/v1/training/staff/fa-1/courses/SAF-101/modules",
                        json={"module_id": m})
        assert r.status_code == 200
    answers = {q.question_id: q.answer
               for q in builtin_curriculum().course("SAF-101").questions}
    r = client.post("/v1/training/staff/fa-1/courses/SAF-101/attempts", json={
        "answers": answers, "started_at": "2026-03-02T09:00:00+08:00",
        "submitted_at": "2026-03-02T09:10:00+08:00"})
    assert r.status_code == 201 and (r.json()["score_pct"], r.json()["passed"]) == (100, True)
    r = client.post("/v1/training/staff/fa-1/courses/SAF-101/certificate",
                    json={"signer_id": "fa-1", "issued_on": "2026-03-02"})
    assert r.status_code == 409
    assert r.json()["error"] == "certificate_must_be_signed_by_someone_else"
    r = client.post("/v1/training/staff/fa-1/courses/SAF-101/certificate",
                    json={"signer_id": "t-1", "issued_on": "2026-03-02"})
    assert r.status_code == 201
    assert (r.json()["expires_on"], r.json()["signed_by"]) == ("2027-03-01", "t-1")
    status = client.get("/v1/training/status", params={"on": "2026-03-02",
                                                       "staff_id": "fa-1"}).json()
    [row] = status["staff"]
    assert row["subjects"]["visit_safety"]["status"] == "valid"
    assert row["actions"]["visit"]["allowed"] is False
    assert "legal_knowledge (missing)" in row["actions"]["visit"]["refused"]
    warned = client.get("/v1/training/warnings", params={"on": "2027-02-20", "days": 30})
    assert [w["subject"] for w in warned.json()["warnings"]] == ["visit_safety"]
    quality = client.get("/v1/training/quality", params={"from": "2026-03-01",
                                                         "to": "2026-03-31"})
    assert quality.status_code == 200
    assert {r["staff_id"] for r in quality.json()["staff"]} == {"t-1", "fa-1"}
    courses = client.get("/v1/training/courses", params={"lang": "zh-CN"}).json()
    assert courses["courses"][0]["title"] == "沟通与冲突化解"


def test_an_unknown_staff_member_is_404_and_a_bad_role_422(client: TestClient) -> None:
    r = client.post("/v1/training/staff/nobody/enrolments",
                    json={"course_id": "SAF-101", "on": "2026-03-02"})
    assert r.status_code == 404 and r.json()["error"] == "staff_must_exist"
    r = client.post("/v1/training/staff", json={"staff_id": "x", "name": "X", "role": "boss"})
    assert r.status_code in (400, 422) and r.json()["error"] == "staff_role_must_be_known"


def test_imports_complaints_reviews_and_records(client: TestClient) -> None:
    for body in ({"staff_id": "co-1", "name": "Compliance", "role": "compliance_officer"},
                 {"staff_id": "c-1", "name": "Collector", "role": "collector"}):
        client.post("/v1/training/staff", json=body)
    r = client.post("/v1/training/staff/c-1/imports", json={
        "subject": "privacy", "signer_id": "co-1", "score_pct": 91,
        "evidence": "city college PR-7", "issued_on": "2026-01-05"})
    assert r.status_code == 201 and r.json()["source"] == "import"
    r = client.post("/v1/training/staff/c-1/imports", json={
        "subject": "privacy", "signer_id": "co-1", "score_pct": 50,
        "evidence": "retake", "issued_on": "2026-01-06"})
    assert r.status_code == 409
    assert r.json()["error"] == "certificate_must_follow_a_passed_assessment"
    r = client.post("/v1/training/staff/c-1/complaints", json={
        "reference": "CMP-1", "received_on": "2026-03-01", "upheld": True, "by": "co-1"})
    assert r.status_code == 201 and r.json()["recorded"] is True
    items = ["introduced_self", "verified_identity", "no_pressure", "listened_for_hardship",
             "offered_options", "recorded_accurately"]
    r = client.post("/v1/training/reviews", json={
        "staff_id": "c-1", "kind": "call", "reference": "contact-3", "reviewer": "co-1",
        "passed": items, "failed": [], "on": "2026-03-02"})
    assert r.status_code == 201 and r.json()["score_pct"] == 100
    records = client.get("/v1/training/staff/c-1/records").json()
    assert [c["subject"] for c in records["certificates"]] == ["privacy"]
    assert [s["staff_id"] for s in client.get("/v1/training/staff").json()["staff"]] == [
        "c-1", "co-1"]
    sample = client.get("/v1/training/reviews/sample", params={"from": "2026-03-01",
                                                               "to": "2026-03-31"})
    assert sample.status_code == 200 and sample.json()["sample"] == []


def test_training_dates_are_iso_text_and_ids_are_bounded(client: TestClient) -> None:
    for body in ({"course_id": "SAF-101", "on": 0}, {"course_id": "SAF-101", "on": "03/02/26"}):
        r = client.post("/v1/training/staff/fa-1/enrolments", json=body)
        assert r.status_code == 422 and r.json()["field"] == "on", r.text
    assert client.get("/v1/training/status", params={"on": "0"}).status_code == 422
    r = client.get(f"/v1/training/staff/{'x' * 65}/records")
    assert r.status_code == 422
