"""The field routes: assigning by hand (refused for an uncertified agent), recording
an outcome, and reading a day's plan."""

from __future__ import annotations

import warnings
from collections.abc import Iterator

import pytest
from field_book import DAY, NOW, Book, agent, certify

from dunwell.api.app import create_app
from dunwell.app.field.visits import plan_visits
from dunwell.bootstrap import router_for
from dunwell.store.collections_repo import ActionRepository
from dunwell.store.field_repo import FieldRepository

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient


@pytest.fixture
def client(book: Book) -> Iterator[TestClient]:
    plan_visits(book.app, plan_date=DAY, router=router_for("nearest"), now=NOW)
    with TestClient(create_app(dunwell=book.app)) as c:
        yield c



def first_visit(book: Book) -> int:
    with book.app.uow() as uow:
        return FieldRepository(uow.conn).visits_on(DAY)[0].visit_id


def test_assigning_to_an_agent_lacking_a_subject_is_409_naming_it(book: Book,
                                                                  client: TestClient) -> None:
    agent(book.app, "a-5", certified=False)
    certify(book.app, "a-5", subjects=("communication_skills", "privacy"))
    r = client.post(f"/v1/field/visits/{first_visit(book)}/assign", json={"agent_id": "a-5"})
    assert r.status_code == 409
    assert r.json()["error"] == "agent_must_hold_valid_certificates"
    assert "legal_knowledge (missing)" in r.json()["message"]
    certify(book.app, "a-5", subjects=("legal_knowledge",))
    r = client.post(f"/v1/field/visits/{first_visit(book)}/assign", json={"agent_id": "a-5"})
    assert r.status_code == 200
    assert (r.json()["agent_id"], r.json()["status"]) == ("a-5", "assigned")


def test_an_outcome_posted_feeds_the_contacts_the_guard_reads(book: Book,
                                                              client: TestClient) -> None:
    vid = first_visit(book)
    r = client.post(f"/v1/field/visits/{vid}/outcome", json={
        "outcome": "not_at_home", "at": "2026-11-24T10:05:00+08:00", "latitude": 30.66,
        "longitude": 104.06})
    assert r.status_code == 200, r.text
    assert r.json()["outcome"] == "not_at_home"
    with book.app.uow() as uow:
        borrower = FieldRepository(uow.conn).visit(vid).borrower_id
        events = ActionRepository(uow.conn).contacts_for([borrower])[borrower]
    assert [(e.channel.value, e.outcome.value) for e in events] == [("visit", "no_answer")]
    again = client.post(f"/v1/field/visits/{vid}/outcome", json={
        "outcome": "moved", "at": "2026-11-24T10:06:00+08:00", "latitude": 30.66,
        "longitude": 104.06})
    assert again.status_code == 409
    assert again.json()["error"] == "visit_outcome_must_be_recorded_once"


def test_borrower_names_are_shown_only_on_one_agents_itinerary(client: TestClient) -> None:
    whole = client.get(f"/v1/field/plans/{DAY}").json()
    assert whole["itineraries"] and all("borrower_name" not in v for it in whole["itineraries"]
                                        for v in it["visits"])
    agent_id = whole["itineraries"][0]["agent_id"]
    mine = client.get(f"/v1/field/plans/{DAY}", params={"agent_id": agent_id}).json()
    assert [it["agent_id"] for it in mine["itineraries"]] == [agent_id]
    assert all(v["borrower_name"].startswith("借款人") for v in mine["itineraries"][0]["visits"])
