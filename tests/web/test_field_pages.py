"""The field agent's day: their own visits in route order with addresses in full and
a map drawn from the coordinates, a lead's masked view, one visit's checklist and
outcome form (bad input 422 and nothing saved; refused for someone else's visit or
an agent the training gate stops)."""

from __future__ import annotations

import datetime as dt
import re
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "field"))

from field_book import DAY, NOW, agent, offset, put_visit_case

from access import token_headers
from dunwell.api.app import create_app
from dunwell.app.field.visits import plan_visits, set_address
from dunwell.app.training.service import suspend
from dunwell.bootstrap import Dunwell, router_for
from dunwell.field.model import VisitRecord
from dunwell.store.field_repo import FieldRepository
from dunwell.web.field_view import route_map

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

pytestmark = pytest.mark.sqlite_only(reason=(
    "the pages render what the field services read; those reads are tested on both databases in "
    "tests/field"))

HTML = {"Accept": "text/html"}
GOOD = {"outcome": "not_at_home", "recording": "on", "latitude": "30.6680",
        "longitude": "104.0647", "note": "nobody answered"}


@pytest.fixture
def book(app: Dunwell) -> Dunwell:
    """Four borrowers around the centre, two certified agents with two visits each, the
    day planned."""
    for k, (n, e) in enumerate([(1, 0), (0, 2), (-3, 0), (2, 2)], start=1):
        put_visit_case(app, k)
        lat, lon = offset(n, e)
        set_address(app, borrower_id=k, text=f"成都市武侯区人民南路{k}号", latitude=lat,
                    longitude=lon, now=NOW)
    agent(app, "a-1", capacity=2)
    agent(app, "a-2", at=offset(-2, -2), capacity=2)
    plan_visits(app, plan_date=DAY, router=router_for("nearest"), now=NOW)
    return app


@pytest.fixture
def client(book: Dunwell) -> Iterator[TestClient]:
    with TestClient(create_app(dunwell=book)) as c:
        yield c


def visits(book: Dunwell) -> list[VisitRecord]:
    with book.uow() as uow:
        return FieldRepository(uow.conn).visits_on(DAY)


def agent_h(book: Dunwell, agent_id: str) -> dict[str, str]:
    return {**HTML, **token_headers(book, "field_agent", staff_id=agent_id)}


def busiest(book: Dunwell) -> str:
    ids = [v.agent_id for v in visits(book) if v.agent_id]
    return max(set(ids), key=ids.count)  # type: ignore[arg-type]


def test_the_agent_sees_their_own_visits_in_route_order_with_a_map(
        book: Dunwell, client: TestClient) -> None:
    me = busiest(book)
    r = client.get(f"/field?day={DAY}&lang=en", headers=agent_h(book, me))
    assert r.status_code == 200
    mine = sorted((v for v in visits(book) if v.agent_id == me), key=lambda v: v.sequence or 0)
    shown = [int(x) for x in re.findall(r'<a href="/field/visits/(\d+)">', r.text)]
    assert shown == [v.visit_id for v in mine]
    others = [v.visit_id for v in visits(book) if v.agent_id != me]
    assert not set(others) & set(shown)
    assert "人民南路" in r.text  # their own addresses in full
    assert r.text.count("<circle") == len(mine) and "<svg" in r.text
    if len(mine) > 1:
        assert "<polyline" in r.text
    assert "<script" not in r.text.split("</main>")[0]


def test_a_lead_sees_every_agent_masked_and_an_agent_only_their_own(
        book: Dunwell, client: TestClient) -> None:
    r = client.get(f"/field?day={DAY}", headers={**HTML, **token_headers(book, "team_lead")})
    assert r.status_code == 200 and "人民南路" not in r.text and "成都市武侯区" in r.text
    me = busiest(book)
    other = "a-2" if me == "a-1" else "a-1"
    assert client.get(f"/field?agent={other}", headers=agent_h(book, me)).status_code == 403
    theirs = next(v for v in visits(book) if v.agent_id == other)
    page = client.get(f"/field/visits/{theirs.visit_id}", headers=agent_h(book, me))
    assert page.status_code == 403
    posted = client.post(f"/field/visits/{theirs.visit_id}/outcome", headers=agent_h(book, me),
                         data={**GOOD, "identity": "on"})
    assert posted.status_code == 403
    assert client.get("/field", headers={**HTML, **token_headers(
        book, "collector", staff_id="c-01")}).status_code == 403


def test_the_map_is_scaled_to_the_bounding_box() -> None:
    from dunwell.app.field.day_view import DayVisit

    def stop(n: int, lat: float, lon: float) -> DayVisit:
        return DayVisit(n, n, "a", f"c{n}", n, "x", "y", lat, lon, None, "", "planned", None,
                        True)

    pts = route_map([stop(1, 30.0, 104.0), stop(2, 30.1, 104.0), stop(3, 30.0, 104.1)])
    assert [p.n for p in pts] == [1, 2, 3]
    assert all(0 <= p.x <= 320 and 0 <= p.y <= 240 for p in pts)
    assert pts[1].y < pts[0].y  # north is up
    assert pts[2].x > pts[0].x  # east is right
    assert route_map([]) == []


def test_the_outcome_form_refuses_bad_input_and_saves_nothing(
        book: Dunwell, client: TestClient) -> None:
    me = busiest(book)
    v = next(v for v in visits(book) if v.agent_id == me)
    for form, field in (({**GOOD, "recording": ""}, "recording"),
                        ({**GOOD, "latitude": "north"}, "latitude"),
                        ({**GOOD, "outcome": "refused"}, "identity"),
                        ({**GOOD, "outcome": "promise_to_pay", "identity": "on"},
                         "promise_amount")):
        r = client.post(f"/field/visits/{v.visit_id}/outcome", headers=agent_h(book, me),
                        data=form)
        assert r.status_code == 422, field
        assert f'aria-describedby="{field}-error"' in r.text
    assert all(x.outcome is None for x in visits(book))


def test_the_agent_records_an_outcome_and_an_uncertified_agent_cannot(
        book: Dunwell, client: TestClient) -> None:
    me = busiest(book)
    other = "a-2" if me == "a-1" else "a-1"
    mine = next(v for v in visits(book) if v.agent_id == me)
    ok = client.post(f"/field/visits/{mine.visit_id}/outcome", headers=agent_h(book, me),
                     data=GOOD, follow_redirects=False)
    assert ok.status_code == 303
    done = next(v for v in visits(book) if v.visit_id == mine.visit_id)
    assert done.outcome is not None and done.outcome.value == "not_at_home"
    assert "recording" in done.note
    theirs = [v for v in visits(book) if v.agent_id == other]
    suspend(book, staff_id=other, by="t-1", reason="complaint under review",
            on=DAY - dt.timedelta(days=1), now=NOW)
    r = client.post(f"/field/visits/{theirs[0].visit_id}/outcome",
                    headers=agent_h(book, other), data=GOOD)
    assert r.status_code == 409 and "agent_must_hold_valid_certificates" in r.text
    assert next(v for v in visits(book)
                if v.visit_id == theirs[0].visit_id).outcome is None
