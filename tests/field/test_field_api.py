"""The field routes: assigning by hand (refused for an uncertified agent), recording
an outcome (only the agent the visit is assigned to), and reading a day's plan (an
agent their own itinerary in full, a lead every agent's with names and addresses
masked)."""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator

import pytest
from field_book import DAY, NOW, Book, agent, certify

from access import token_headers
from dunwell.api.app import create_app
from dunwell.app.field.visits import plan_visits
from dunwell.bootstrap import Dunwell, router_for
from dunwell.field.model import VisitRecord
from dunwell.store.collections_repo import ActionRepository
from dunwell.store.field_repo import FieldRepository

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

OUTCOME = {"outcome": "not_at_home", "at": "2026-11-24T10:05:00+08:00", "latitude": 30.66,
           "longitude": 104.06}


@pytest.fixture
def client(book: Book) -> Iterator[TestClient]:
    plan_visits(book.app, plan_date=DAY, router=router_for("nearest"), now=NOW)
    with TestClient(create_app(dunwell=book.app)) as c:
        yield c


def first_visit(book: Book) -> VisitRecord:
    with book.app.uow() as uow:
        return FieldRepository(uow.conn).visits_on(DAY)[0]


def agent_headers(app: Dunwell, agent_id: str) -> dict[str, str]:
    return token_headers(app, "field_agent", staff_id=agent_id)


def personal_reads(app: Dunwell) -> list[dict[str, object]]:
    with app.uow() as uow:
        return [json.loads(r.payload_json) for r in uow.audit.records()
                if r.kind == "personal_data_read"]


def test_assigning_to_an_agent_lacking_a_subject_is_409_naming_it(book: Book,
                                                                  client: TestClient) -> None:
    lead = token_headers(book.app, "team_lead", staff_id="tl-1")
    agent(book.app, "a-5", certified=False)
    certify(book.app, "a-5", subjects=("communication_skills", "privacy"))
    vid = first_visit(book).visit_id
    r = client.post(f"/v1/field/visits/{vid}/assign", json={"agent_id": "a-5"}, headers=lead)
    assert r.status_code == 409
    assert r.json()["error"] == "agent_must_hold_valid_certificates"
    assert "legal_knowledge (missing)" in r.json()["message"]
    certify(book.app, "a-5", subjects=("legal_knowledge",))
    r = client.post(f"/v1/field/visits/{vid}/assign", json={"agent_id": "a-5"}, headers=lead)
    assert r.status_code == 200
    assert (r.json()["agent_id"], r.json()["status"]) == ("a-5", "assigned")
    with book.app.uow() as uow:
        [assigned] = [json.loads(x.payload_json) for x in uow.audit.records()
                      if x.kind == "field_visit_assigned"]
    assert (assigned["by"], assigned["agent_id"]) == ("tl-1", "a-5")


def test_only_the_assigned_agent_records_an_outcome(book: Book, client: TestClient) -> None:
    visit = first_visit(book)
    other = "a-2" if visit.agent_id == "a-1" else "a-1"
    assert client.post(f"/v1/field/visits/{visit.visit_id}/outcome",
                       json=OUTCOME).status_code == 401
    r = client.post(f"/v1/field/visits/{visit.visit_id}/outcome", json=OUTCOME,
                    headers=agent_headers(book.app, other))
    assert (r.status_code, r.json()["error"]) == (403, "visit_must_be_assigned_to_you")
    r = client.post(f"/v1/field/visits/{visit.visit_id}/outcome", json=OUTCOME,
                    headers=token_headers(book.app, "team_lead", staff_id="tl-1"))
    assert r.status_code == 403
    with book.app.uow() as uow:
        assert FieldRepository(uow.conn).visit(visit.visit_id).outcome is None
    mine = agent_headers(book.app, str(visit.agent_id))
    r = client.post(f"/v1/field/visits/{visit.visit_id}/outcome", json=OUTCOME, headers=mine)
    assert r.status_code == 200, r.text
    assert r.json()["outcome"] == "not_at_home"
    with book.app.uow() as uow:
        events = ActionRepository(uow.conn).contacts_for([visit.borrower_id])[visit.borrower_id]
    assert [(e.channel.value, e.outcome.value) for e in events] == [("visit", "no_answer")]
    again = client.post(f"/v1/field/visits/{visit.visit_id}/outcome", headers=mine, json={
        **OUTCOME, "outcome": "moved", "at": "2026-11-24T10:06:00+08:00"})
    assert again.status_code == 409
    assert again.json()["error"] == "visit_outcome_must_be_recorded_once"


def test_a_lead_sees_every_itinerary_but_names_and_addresses_masked(
        book: Book, client: TestClient) -> None:
    lead = token_headers(book.app, "team_lead", staff_id="tl-1")
    whole = client.get(f"/v1/field/plans/{DAY}", headers=lead).json()
    assert whole["itineraries"] and all("borrower_name" not in v for it in whole["itineraries"]
                                        for v in it["visits"])
    agent_id = whole["itineraries"][0]["agent_id"]
    one = client.get(f"/v1/field/plans/{DAY}", params={"agent_id": agent_id},
                     headers=lead).json()
    assert [it["agent_id"] for it in one["itineraries"]] == [agent_id]
    visits = one["itineraries"][0]["visits"]
    assert all(v["masked"] and v["borrower_name"] == "借" + "*" * 7 for v in visits)
    assert {v["address"] for v in visits} == {"成都市"}  # the district, nothing finer
    assert personal_reads(book.app) == []


def test_an_agent_sees_only_their_own_itinerary_in_full_and_the_read_is_kept(
        book: Book, client: TestClient) -> None:
    visit = first_visit(book)
    mine = agent_headers(book.app, str(visit.agent_id))
    other = "a-2" if visit.agent_id == "a-1" else "a-1"
    r = client.get(f"/v1/field/plans/{DAY}", params={"agent_id": other}, headers=mine)
    assert (r.status_code, r.json()["error"]) == (403, "itinerary_must_be_your_own")
    own = client.get(f"/v1/field/plans/{DAY}", headers=mine).json()
    assert [it["agent_id"] for it in own["itineraries"]] == [visit.agent_id]
    assert own["left"] == []
    lines = own["itineraries"][0]["visits"]
    assert all(v["borrower_name"].startswith("借款人") and not v["masked"] for v in lines)
    assert all(v["address"].startswith("成都市 ") and v["address"].endswith(" 号")
               for v in lines)
    [read] = personal_reads(book.app)
    assert (read["what"], read["by"], read["role"]) == ("field_plan", visit.agent_id,
                                                        "field_agent")
    assert sorted(read["whose"]) == sorted({v["case_id"] for v in lines})  # type: ignore[arg-type]
