"""A visit keeps the promise of its notice letter: the plan of date D sends an agent
only to a borrower who was sent a visit notice (letter kind ``visit_notice``) in the
last 60 days and at least 7 days before D, since the letter says no visit will take
place before its date plus 7 days. Runs on every configured database."""

from __future__ import annotations

import datetime as dt

import pytest
from field_book import DAY, NOW, Book, give_visit_notice, offset, put_visit_case

from dunwell.app.field.visits import (
    NO_NOTICE,
    VISIT_NOTICE_VALID_DAYS,
    assign_visit,
    plan_visits,
    record_visit_outcome,
    set_address,
)
from dunwell.app.letters.service import earliest_visit_date, earliest_visit_dates
from dunwell.bootstrap import Dunwell, router_for
from dunwell.channels.letters import VISIT_NOTICE_DAYS
from dunwell.core.errors import Conflict
from dunwell.field.model import VisitRecord, VisitStatus
from dunwell.store.collections_repo import ActionRepository
from dunwell.store.field_repo import FieldRepository


def visit_of(app: Dunwell, borrower_id: int) -> VisitRecord:
    with app.uow() as uow:
        return {v.borrower_id: v for v in FieldRepository(uow.conn).visits_on(DAY)}[borrower_id]


def borrower_with_visit(app: Dunwell, borrower_id: int, *, notice_days_before: int | None) -> None:
    put_visit_case(app, borrower_id, notice_days_before=notice_days_before)
    lat, lon = offset(1, 1)
    set_address(app, borrower_id=borrower_id, text=f"成都市 {borrower_id} 号", latitude=lat,
                longitude=lon, now=NOW)


def plan(app: Dunwell) -> None:
    plan_visits(app, plan_date=DAY, router=router_for("nearest"), now=NOW)


def test_a_visit_without_a_notice_is_left_unplanned_and_says_what_is_missing(book: Book) -> None:
    borrower_with_visit(book.app, 7, notice_days_before=None)
    plan(book.app)
    v = visit_of(book.app, 7)
    assert (v.status, v.agent_id, v.eta) == (VisitStatus.UNASSIGNED, None, None)
    assert v.reason == ("no visit notice issued in the last 60 days; a visit needs prior "
                        "notice (letter kind visit_notice)") == NO_NOTICE
    assert visit_of(book.app, 1).status is VisitStatus.PLANNED  # the others go ahead


def test_a_notice_sent_three_days_ago_holds_the_visit_until_the_date_it_names(
        book: Book) -> None:
    borrower_with_visit(book.app, 7, notice_days_before=3)
    plan(book.app)
    v = visit_of(book.app, 7)
    assert v.status is VisitStatus.UNASSIGNED
    assert v.reason == f"the visit notice allows visits from {DAY + dt.timedelta(days=4)}"


def test_a_visit_held_for_its_notice_is_proposed_again_until_it_can_go_ahead(
        book: Book) -> None:
    borrower_with_visit(book.app, 7, notice_days_before=3)
    plan(book.app)

    def visit_steps_done() -> dict[int, list[str | None]]:
        with book.app.uow() as uow:
            done = ActionRepository(uow.conn).done_for([1, 7])
        return {b: [a.step_id for a in done.get(b, [])] for b in (1, 7)}

    # held back: the strategy does not count the step as done, so tomorrow's run
    # proposes the visit again (the guard and the plan judge it afresh)
    assert visit_steps_done() == {1: ["d37_field_visit"], 7: []}
    # with a notice old enough the same day's re-plan sends the agent, and the step is
    # done again
    give_visit_notice(book.app, 7, on=DAY - dt.timedelta(days=VISIT_NOTICE_DAYS))
    plan(book.app)
    assert visit_of(book.app, 7).status is VisitStatus.PLANNED
    assert visit_steps_done() == {1: ["d37_field_visit"], 7: ["d37_field_visit"]}


@pytest.mark.parametrize("days_before", [VISIT_NOTICE_DAYS, 20, VISIT_NOTICE_VALID_DAYS])
def test_a_notice_at_least_seven_and_at_most_sixty_days_old_lets_the_visit_be_planned(
        book: Book, days_before: int) -> None:
    borrower_with_visit(book.app, 7, notice_days_before=days_before)
    plan(book.app)
    v = visit_of(book.app, 7)
    assert (v.status, v.reason) == (VisitStatus.PLANNED, "")
    assert v.agent_id is not None and v.eta is not None


def test_a_notice_older_than_sixty_days_no_longer_counts(book: Book) -> None:
    borrower_with_visit(book.app, 7, notice_days_before=VISIT_NOTICE_VALID_DAYS + 1)
    plan(book.app)
    assert visit_of(book.app, 7).reason == NO_NOTICE


def test_the_first_notice_in_the_period_decides_when_visits_may_start(book: Book) -> None:
    borrower_with_visit(book.app, 7, notice_days_before=10)
    give_visit_notice(book.app, 7, on=DAY - dt.timedelta(days=2))  # a second, later notice
    plan(book.app)
    assert visit_of(book.app, 7).status is VisitStatus.PLANNED
    with book.app.uow() as uow:
        since = DAY - dt.timedelta(days=VISIT_NOTICE_VALID_DAYS)
        batched = earliest_visit_dates(uow, borrower_ids=[7, 1, 404, 7], since=since)
        one = earliest_visit_date(uow, borrower_id=7, since=since)
        later = earliest_visit_dates(uow, borrower_ids=[7], since=DAY - dt.timedelta(days=5))
    assert batched[7] == one == DAY - dt.timedelta(days=3)
    assert batched[1] == DAY  # the book's borrowers were given notice 7 days before
    assert 404 not in batched  # never sent a notice
    assert later == {7: DAY + dt.timedelta(days=5)}


def test_a_visit_without_notice_cannot_be_assigned_by_hand(book: Book) -> None:
    borrower_with_visit(book.app, 7, notice_days_before=3)
    plan(book.app)
    held = visit_of(book.app, 7)
    with pytest.raises(Conflict) as err:
        assign_visit(book.app, visit_id=held.visit_id, agent_id="a-1", now=NOW)
    assert err.value.code == "visit_must_have_prior_notice"
    assert err.value.message == (f"visit {held.visit_id} on {DAY} cannot be assigned: the "
                                 f"visit notice allows visits from {DAY + dt.timedelta(days=4)}")
    assert visit_of(book.app, 7) == held  # nothing changed


def test_a_hand_assignment_made_before_the_notice_rule_is_held_back_at_the_next_plan(
        book: Book) -> None:
    borrower_with_visit(book.app, 7, notice_days_before=None)
    plan(book.app)
    held = visit_of(book.app, 7)
    with book.app.uow() as uow:  # an assignment stored before visits needed a notice
        FieldRepository(uow.conn).update_visit(held.visit_id, agent_id="a-1", pinned=True,
                                               status=VisitStatus.ASSIGNED.value)
        uow.commit()
    plan(book.app)  # the plan asks for the notice again, even for a pinned visit
    v = visit_of(book.app, 7)
    assert (v.status, v.agent_id, v.pinned, v.reason) == (
        VisitStatus.UNASSIGNED, "a-1", True, NO_NOTICE)
    lat, lon = offset(1, 1)
    with pytest.raises(Conflict) as err:
        record_visit_outcome(book.app, visit_id=v.visit_id, outcome="not_at_home",
                             at=dt.datetime(2026, 11, 24, 15, 0, tzinfo=dt.UTC),
                             latitude=lat, longitude=lon)
    assert err.value.code == "visit_must_be_planned"


def test_a_visit_without_coordinates_also_waits_for_another_day(book: Book) -> None:
    put_visit_case(book.app, 8)  # notice in time, but no address on file
    plan(book.app)
    assert visit_of(book.app, 8).status is VisitStatus.UNASSIGNED
    with book.app.uow() as uow:
        done = ActionRepository(uow.conn).done_for([8])
    assert done.get(8, []) == []  # proposed again tomorrow, once the address is added
