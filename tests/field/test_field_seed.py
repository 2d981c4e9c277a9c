"""The sample book is ready for field work: borrowers have addresses with
coordinates around one city (a few without, as in real books), ten agents hold valid
certificates, and once the strategy reaches its D+37 visit step (a week after the
D+30 visit notice letter) the day's visits can be planned."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from sqlalchemy import func, select

from dunwell.app.field.visits import list_agents, plan_visits
from dunwell.bootstrap import Dunwell, router_for
from dunwell.channels.letters import VISIT_NOTICE_DAYS
from dunwell.field.model import VisitStatus
from dunwell.field.rules import haversine_m
from dunwell.simulation.field import CITY_CENTRE, CITY_RADIUS_KM
from dunwell.simulation.portfolio import run_days, seed_book
from dunwell.store import collection_tables as c
from dunwell.store.field_repo import FieldRepository
from dunwell.store.letters_repo import LetterRepository

START = dt.date(2025, 1, 15)
SHARED_START = dt.date(2025, 1, 31)


def test_the_sample_book_plans_its_first_visits(
        simulated_book: Callable[..., Dunwell]) -> None:
    # the 40-loan book the dashboard and the ladder tests read, simulated once per worker
    app = simulated_book(loans=40, start=SHARED_START, seed=7, days=70)
    first_visits_are_planned(app, loans=40, start=SHARED_START)


@pytest.mark.stress
def test_a_bigger_sample_book_plans_its_first_visits(app: Dunwell) -> None:
    seed_book(app, loans=150, start=START, seed=3)
    run_days(app, days=70, seed=3)
    first_visits_are_planned(app, loans=150, start=START)


def first_visits_are_planned(app: Dunwell, *, loans: int, start: dt.date) -> None:
    """``app`` holds the sample book of ``loans`` seeded on ``start`` and run for the
    70 days that take its first late borrowers to the D+37 visit step."""
    with app.uow() as uow:
        addresses = FieldRepository(uow.conn).addresses(list(range(1, loans + 1)))
    assert len(addresses) == loans
    pinned = [a for a in addresses.values() if a.location is not None]
    assert loans - loans // 10 <= len(pinned) < loans  # a few without coordinates
    assert all(haversine_m(CITY_CENTRE, a.location) <= CITY_RADIUS_KM * 1000 + 1  # type: ignore[arg-type]
               for a in pinned)
    agents = list_agents(app, on=start + dt.timedelta(days=60))
    assert len(agents) == 10 and all(s.certified for s in agents)

    with app.uow() as uow:
        day = uow.conn.execute(select(func.min(c.case_actions.c.business_date)).where(
            c.case_actions.c.kind == "field_visit",
            c.case_actions.c.decision == "allow")).scalar()
    assert day is not None
    report = plan_visits(app, plan_date=day, router=router_for("nearest"),
                         now=dt.datetime.combine(day, dt.time(7), tzinfo=dt.UTC))
    assert report.planned > 0
    assert report.planned + report.statuses.get("unassigned", 0) + report.statuses.get(
        "deferred", 0) == report.candidates
    with app.uow() as uow:  # every planned visit was announced by a notice a week before
        planned = [v for v in FieldRepository(uow.conn).visits_on(day)
                   if v.status is VisitStatus.PLANNED]
        notices = LetterRepository(uow.conn).first_issued_many(
            borrower_ids=[v.borrower_id for v in planned], kind="visit_notice")
    assert len(notices) == len(planned)
    assert all(day - notices[v.borrower_id] >= dt.timedelta(days=VISIT_NOTICE_DAYS)
               for v in planned)
