"""Planning a date: the visits the guard allowed go to certified agents, get routes
within their contact windows and the agents' shifts, pass the guard again at their
ETA, and land on itineraries with costs. Runs on every configured database."""

from __future__ import annotations

import datetime as dt

import pytest
from field_book import DAY, NOW, Book, agent, offset, put_visit_case
from sqlalchemy import select

from dunwell.app.field.visits import (
    NO_ADDRESS,
    NO_COORDINATES,
    assign_visit,
    itineraries,
    plan_visits,
    set_address,
)
from dunwell.bootstrap import router_for
from dunwell.compliance.model import Flag
from dunwell.core.errors import InvalidInput
from dunwell.field.errors import AgentNotCertified
from dunwell.field.model import VisitStatus
from dunwell.field.routing import Router
from dunwell.providers.routing_ortools import OrToolsRouter
from dunwell.store import field_tables as f
from dunwell.store.collections_repo import BorrowerRepository
from dunwell.store.field_repo import FieldRepository

SHANGHAI = dt.timezone(dt.timedelta(hours=8))


def router(solver: str) -> Router:
    """``solver``'s router; OR-Tools stops its search after 0.2 s without a better plan
    (a second by default): six or seven visits are routed long before that."""
    if solver == "ortools":
        return OrToolsRouter(time_limit_s=1, patience_s=0.2)
    return router_for(solver)


def visits(book: Book) -> dict[int, object]:
    with book.app.uow() as uow:
        return {v.borrower_id: v for v in FieldRepository(uow.conn).visits_on(DAY)}


@pytest.mark.parametrize("solver", ["nearest", "ortools"])
def test_every_allowed_visit_is_planned_inside_its_window_and_the_agents_shift(
        book: Book, solver: str) -> None:
    put_visit_case(book.app, 7, window=("15:00", "16:00"))
    set_address(book.app, borrower_id=7, text="成都市 7 号", latitude=offset(1, 1)[0],
                longitude=offset(1, 1)[1], now=NOW)
    report = plan_visits(book.app, plan_date=DAY, router=router(solver),
                         now=NOW)
    assert report.planned == 7 and report.statuses == {"planned": 7}
    for v in visits(book).values():
        assert v.status is VisitStatus.PLANNED and v.eta is not None
        assert v.window_start <= v.eta <= v.window_end
        local = v.eta.astimezone(SHANGHAI).time()
        assert dt.time(9) <= local and (v.eta + dt.timedelta(minutes=v.service_min)).astimezone(
            SHANGHAI).time() <= dt.time(17, 30)
        assert v.cost_minor > 0
    assert visits(book)[7].eta.astimezone(SHANGHAI).time() >= dt.time(15)
    its, left = itineraries(book.app, plan_date=DAY)
    assert left == []
    for it in its:
        etas = [line.eta for line in it.lines]
        assert etas == sorted(etas)
        assert [line.sequence for line in it.lines] == list(range(1, len(it.lines) + 1))
    assert sum(r.visits for r in report.agents.values()) == 7
    assert sum(r.cost_minor for r in report.agents.values()) >= sum(
        v.cost_minor for v in visits(book).values())


def test_an_address_without_coordinates_is_left_with_a_clear_reason_and_the_rest_goes_on(
        book: Book) -> None:
    set_address(book.app, borrower_id=2, text="somewhere without a map pin", latitude=None,
                longitude=None, now=NOW)
    put_visit_case(book.app, 9)  # no address at all
    report = plan_visits(book.app, plan_date=DAY, router=router_for("nearest"), now=NOW)
    got = visits(book)
    assert got[2].status is VisitStatus.UNASSIGNED
    assert got[2].reason == NO_COORDINATES
    assert NO_COORDINATES == ("address has no stored coordinates; add them with "
                              "`dunwell field address`")
    assert got[9].reason == NO_ADDRESS
    assert report.planned == 5


def test_only_certified_agents_get_visits(book: Book) -> None:
    agent(book.app, "a-3", certified=False)
    plan_visits(book.app, plan_date=DAY, router=router("ortools"), now=NOW)
    assert {v.agent_id for v in visits(book).values()} <= {"a-1", "a-2"}


def test_with_no_certified_agent_nothing_is_planned_and_each_visit_says_why(app) -> None:
    put_visit_case(app, 1)
    set_address(app, borrower_id=1, text="x", latitude=30.66, longitude=104.06, now=NOW)
    agent(app, "a-9", certified=False)
    plan_visits(app, plan_date=DAY, router=router_for("nearest"), now=NOW)
    with app.uow() as uow:
        (v,) = FieldRepository(uow.conn).visits_on(DAY)
    assert v.status is VisitStatus.UNASSIGNED
    assert v.reason == "no agent holds valid certificates in all required subjects on this date"


def test_the_guard_is_asked_again_at_the_eta_and_a_visit_it_now_refuses_is_deferred(
        book: Book) -> None:
    with book.app.uow() as uow:  # since the morning run, borrower 3 asked for no visits
        people = BorrowerRepository(uow.conn)
        p = people.get(3)
        people.put(borrower_id=3, name=p.name, jurisdiction=p.jurisdiction,
                   timezone="Asia/Shanghai", language="zh-CN",
                   flags=[*p.borrower.flags, Flag.OPT_OUT_VISIT])
        uow.commit()
    report = plan_visits(book.app, plan_date=DAY, router=router_for("nearest"), now=NOW)
    v = visits(book)[3]
    assert v.status is VisitStatus.DEFERRED and v.agent_id is None
    assert v.reason.startswith("guard at ETA ") and "opt" in v.reason.lower()
    assert report.planned == 5


def test_only_visits_the_guard_allowed_that_day_are_planned(book: Book) -> None:
    put_visit_case(book.app, 8, decision="deny")
    put_visit_case(book.app, 10, day=DAY - dt.timedelta(days=1))
    report = plan_visits(book.app, plan_date=DAY, router=router_for("nearest"), now=NOW)
    assert report.candidates == 6 and 8 not in visits(book) and 10 not in visits(book)


def test_re_planning_keeps_visit_ids_and_keeps_a_hand_assignment(book: Book) -> None:
    plan_visits(book.app, plan_date=DAY, router=router_for("nearest"), now=NOW)
    first = {b: v.visit_id for b, v in visits(book).items()}
    target = visits(book)[1]
    other = "a-2" if target.agent_id == "a-1" else "a-1"
    assigned = assign_visit(book.app, visit_id=target.visit_id, agent_id=other, now=NOW)
    assert assigned.status is VisitStatus.ASSIGNED and assigned.pinned
    plan_visits(book.app, plan_date=DAY, router=router("ortools"), now=NOW)
    again = visits(book)
    assert {b: v.visit_id for b, v in again.items()} == first
    assert again[1].agent_id == other and again[1].status is VisitStatus.PLANNED
    with book.app.uow() as uow:
        rows = uow.conn.execute(select(f.visits.c.visit_id)).all()
    assert len(rows) == 6


def test_assigning_a_visit_to_an_agent_whose_privacy_certificate_expired_is_refused(
        book: Book) -> None:
    plan_visits(book.app, plan_date=DAY, router=router_for("nearest"), now=NOW)
    agent(book.app, "a-4", certified=False)
    from field_book import certify

    certify(book.app, "a-4", subjects=("communication_skills", "legal_knowledge"))
    certify(book.app, "a-4", subjects=("privacy",), expires=DAY - dt.timedelta(days=1))
    before = visits(book)[1]
    with pytest.raises(AgentNotCertified) as err:
        assign_visit(book.app, visit_id=before.visit_id, agent_id="a-4", now=NOW)
    assert err.value.code == "agent_must_hold_valid_certificates"
    assert err.value.details["subjects"] == ["privacy"]
    assert f"privacy (expired on {DAY - dt.timedelta(days=1)})" in err.value.message
    assert visits(book)[1] == before  # nothing changed


def test_an_unknown_solver_is_refused_with_the_choices() -> None:
    with pytest.raises(InvalidInput) as err:
        router_for("no-such-solver")
    assert err.value.code == "solver_must_be_known"
