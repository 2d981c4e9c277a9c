"""The field rules on the in-memory book: agents registered once, a hand assignment
refused for a visit that is done or an agent the training gate stops, an outcome
recorded once and only for a visit on an itinerary, and each step of recording an
outcome on its own — no database."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from dunwell.app.collections import collect
from dunwell.app.context import Dunwell
from dunwell.app.field import visits as svc
from dunwell.app.lending.book import LoanRequest, disburse, open_book, register_product
from dunwell.app.letters.service import issue_letter
from dunwell.app.training import service as training
from dunwell.compliance.model import Jurisdiction
from dunwell.core.dates import from_day
from dunwell.core.errors import DomainError
from dunwell.field.model import Address, GeoPoint, VisitOutcome, VisitStatus
from dunwell.field.rules import outcome_effects
from dunwell.lending.products import builtin_product_texts
from dunwell.training.model import Subject as TrainingSubject
from fakes.app import fake_app

NOW = dt.datetime(2026, 3, 2, 1, 0, tzinfo=dt.UTC)
START = dt.date(2025, 1, 1)
DAY = dt.date(2026, 3, 2)
AT = dt.datetime(2026, 3, 2, 10, 30, tzinfo=dt.timezone(dt.timedelta(hours=8)))
HOME = GeoPoint(31.2304, 121.4737)
ZERO = Decimal("0.00")


def code_of(fn: Callable[..., object], *args: object, **kwargs: object) -> str:
    with pytest.raises(DomainError) as err:
        fn(*args, **kwargs)
    return err.value.code


def add_agent(app: Dunwell, agent_id: str, *, name: str = "Li") -> None:
    svc.add_agent(app, agent_id=agent_id, name=name, timezone="Asia/Shanghai",
                  territory_name="Huangpu", latitude=31.23, longitude=121.47, radius_m=8000,
                  shift_start=dt.time(9), shift_end=dt.time(18), visits_per_day_max=6,
                  hourly_cost_minor=6000, cost_per_km_minor=150, now=NOW)


def add_visit(app: Dunwell, *, action_id: int = 7, agent_id: str | None = "a-1",
              status: VisitStatus = VisitStatus.PLANNED, **more: Any) -> int:
    with app.uow() as uow:
        vid = uow.field.save_visit({
            "plan_date": DAY, "case_id": "case-1", "borrower_id": 1, "action_id": action_id,
            "agent_id": agent_id, "status": status.value, **more})
        uow.commit()
    return vid


@pytest.fixture
def app() -> Dunwell:
    app = fake_app()
    training.add_staff(app, staff_id="t-1", name="trainer", role="trainer", lead_id=None,
                       now=NOW)
    add_agent(app, "a-1")
    return app


def test_an_agent_is_registered_once(app: Dunwell) -> None:
    add_agent(app, "a-1")  # the same details again change nothing
    assert code_of(add_agent, app, "a-1", name="Wang") == "field_agent_id_must_be_unique"
    [status] = svc.list_agents(app, on=DAY)
    assert status.agent.agent_id == "a-1" and not status.certified
    assert status.describe_gaps()


def test_a_hand_assignment_is_refused_for_a_done_visit_an_unknown_agent_or_an_uncertified_one(
        app: Dunwell) -> None:
    done = add_visit(app, action_id=1, status=VisitStatus.DONE, outcome="not_at_home")
    open_ = add_visit(app, action_id=2, agent_id=None, status=VisitStatus.UNASSIGNED)
    assert code_of(svc.assign_visit, app, visit_id=99, agent_id="a-1", now=NOW) == (
        "visit_must_exist")
    assert code_of(svc.assign_visit, app, visit_id=open_, agent_id="a-9", now=NOW) == (
        "field_agent_must_exist")
    assert code_of(svc.assign_visit, app, visit_id=done, agent_id="a-1", now=NOW) == (
        "visit_must_be_open_to_assign")
    assert code_of(svc.assign_visit, app, visit_id=open_, agent_id="a-1", now=NOW) == (
        "agent_must_hold_valid_certificates")
    with app.uow() as uow:
        assert uow.field.visit(open_).agent_id is None


def outcome(app: Dunwell, visit_id: int, **more: Any) -> Any:
    args: dict[str, Any] = {"visit_id": visit_id, "outcome": "not_at_home", "at": AT,
                            "latitude": HOME.latitude, "longitude": HOME.longitude}
    return svc.record_visit_outcome(app, **{**args, **more})


def test_an_outcome_is_refused_before_anything_is_read_when_it_is_malformed(
        app: Dunwell) -> None:
    vid = add_visit(app)
    assert code_of(outcome, app, vid, outcome="gone") == "visit_outcome_must_be_known"
    assert code_of(outcome, app, vid, at=AT.replace(tzinfo=None)) == (
        "timestamp_must_carry_offset")
    assert code_of(outcome, app, vid, letter_no="L-1") == (
        "letter_must_be_handed_to_the_borrower")
    assert code_of(outcome, app, vid, outcome="promise_to_pay") == (
        "promise_must_have_amount_and_date")


def test_an_outcome_needs_a_visit_on_an_itinerary_and_is_recorded_once(
        app: Dunwell) -> None:
    unplanned = add_visit(app, action_id=1, agent_id=None, status=VisitStatus.UNASSIGNED)
    assert code_of(outcome, app, unplanned) == "visit_must_be_planned"
    done = add_visit(app, action_id=2, status=VisitStatus.DONE, outcome="not_at_home",
                     outcome_at=AT.isoformat())
    assert outcome(app, done).outcome is VisitOutcome.NOT_AT_HOME  # the same again
    assert code_of(outcome, app, done, outcome="moved") == (
        "visit_outcome_must_be_recorded_once")


def test_a_report_is_parsed_and_checked_step_by_step() -> None:
    assert svc.parse_outcome("moved") is VisitOutcome.MOVED
    assert code_of(svc.parse_outcome, "elsewhere") == "visit_outcome_must_be_known"
    svc.check_outcome_time(AT, today=DAY, business_date=None)
    assert code_of(svc.check_outcome_time, AT.replace(tzinfo=None), today=DAY,
                   business_date=None) == "timestamp_must_carry_offset"
    assert code_of(svc.check_outcome_time, AT + dt.timedelta(days=30), today=DAY,
                   business_date=DAY) == "date_must_be_within_limits"
    promise = svc.OutcomeReport(1, VisitOutcome.PROMISE_TO_PAY, AT, HOME,
                                promise_amount_minor=10_000, promise_due=DAY)
    svc.check_outcome_details(promise)
    handed = svc.OutcomeReport(1, VisitOutcome.DELIVERED_IN_PERSON, AT, HOME, letter_no="L-1")
    svc.check_outcome_details(handed)
    left = svc.OutcomeReport(1, VisitOutcome.NOT_AT_HOME, AT, HOME, letter_no="L-1")
    assert code_of(svc.check_outcome_details, left) == "letter_must_be_handed_to_the_borrower"


def test_a_repeat_is_the_same_outcome_at_the_same_time_with_the_same_letter(
        app: Dunwell) -> None:
    open_ = add_visit(app, action_id=1)
    done = add_visit(app, action_id=2, status=VisitStatus.DONE, outcome="not_at_home",
                     outcome_at=AT.isoformat())
    with app.uow() as uow:
        planned, recorded = uow.field.visit(open_), uow.field.visit(done)
    same = svc.OutcomeReport(done, VisitOutcome.NOT_AT_HOME, AT, HOME)
    assert svc.is_repeat(planned, same) is False
    assert svc.is_repeat(recorded, same) is True
    later = svc.OutcomeReport(done, VisitOutcome.NOT_AT_HOME, AT + dt.timedelta(hours=1), HOME)
    assert code_of(svc.is_repeat, recorded, later) == "visit_outcome_must_be_recorded_once"
    svc.require_on_itinerary(planned)


def test_the_place_is_flagged_far_from_the_address_or_without_coordinates() -> None:
    near = Address(1, "Nanjing Road 1", HOME)
    assert svc.place_check(near, HOME) == (False, 0)
    flagged, metres = svc.place_check(near, GeoPoint(31.30, 121.47))
    assert flagged and metres is not None and metres > 7000
    assert svc.place_check(Address(1, "Nanjing Road 1", None), HOME) == (True, None)
    assert svc.place_check(None, HOME) == (True, None)
    assert svc.place_note(False, 5000) == ""
    assert svc.place_note(True, 7800) == "; recorded 7800 m from the stored address"
    assert svc.place_note(True, None) == "; no stored coordinates to compare"


def test_saving_an_outcome_marks_the_visit_done_and_audits_it(app: Dunwell) -> None:
    vid = add_visit(app)
    report = svc.OutcomeReport(vid, VisitOutcome.MOVED, AT, HOME, note="neighbours say so")
    effects = outcome_effects(VisitOutcome.MOVED, agent_id="a-1", letter_no=None)
    with app.uow() as uow:
        visit = uow.field.visit(vid)
        svc.save_outcome(uow, visit, report, effects, flagged=True, distance=None)
        uow.commit()
    with app.uow() as uow:
        saved = uow.field.visit(vid)
        kinds = [r.kind for r in uow.audit.records()]
    assert (saved.status, saved.outcome, saved.outcome_at, saved.place_flagged, saved.note) == (
        VisitStatus.DONE, VisitOutcome.MOVED, AT, True, "neighbours say so")
    assert "field_visit_outcome" in kinds


def test_the_return_on_visits_counts_cost_per_agent_and_in_total(app: Dunwell) -> None:
    add_agent(app, "a-2", name="Wang")
    add_visit(app, action_id=1, status=VisitStatus.DONE, outcome="not_at_home",
              outcome_at=AT.isoformat(), cost_minor=1500)
    add_visit(app, action_id=2, agent_id="a-2", status=VisitStatus.DONE, outcome="moved",
              outcome_at=AT.isoformat(), cost_minor=2500)
    add_visit(app, action_id=3)  # no outcome yet: not counted
    rows = svc.visit_roi(app, date_from=DAY, date_to=DAY)
    assert [(r.agent_id, r.visits, r.cost_minor, r.collected_minor, r.ratio) for r in rows] == [
        ("a-1", 1, 1500, 0, ZERO), ("a-2", 1, 2500, 0, ZERO), ("*", 2, 4000, 0, ZERO)]
    assert code_of(svc.visit_roi, app, days_after=-1) == "roi_days_must_not_be_negative"


def overdue_borrower(app: Dunwell) -> tuple[dt.date, str]:
    """An overdue borrower with the case the day's run opened; the open date."""
    with app.uow() as uow:
        open_book(uow, business_date=START, partitions=1, currency="CNY")
        product = register_product(uow, builtin_product_texts()[0])
        [loan] = disburse(uow, [LoanRequest(1, product.code, 1_000_000,
                                            product.term_months_min)])
        uow.borrowers.put(borrower_id=1, name="Borrower 1", jurisdiction=Jurisdiction.CN_NIFA,
                          timezone="Asia/Shanghai", language="zh-CN", flags=())
        uow.commit()
    day = from_day(loan.installments[0].due_day) + dt.timedelta(days=20)
    with app.uow() as uow:
        uow.book.advance(day)
        facts = collect.read_day(uow, day, currency="CNY", last_run=None)
        collect.plan_case(uow, facts, arms=collect.choose_arms(collect.Experiment(), None),
                          bid=1, profile=facts.profiles[1], report=collect.CollectReport(day))
        [stored] = uow.cases.active().values()
        uow.commit()
    return day, stored.view.case_id


def test_an_outcome_at_the_door_feeds_the_contacts_the_case_and_a_promise(
        app: Dunwell) -> None:
    day, case_id = overdue_borrower(app)
    with app.uow() as uow:
        uow.field.put_address(Address(1, "Nanjing Road 1", HOME), at=NOW)
        vid = uow.field.save_visit({"plan_date": day, "case_id": case_id,
                                    "borrower_id": 1, "action_id": 5, "agent_id": "a-1",
                                    "status": VisitStatus.PLANNED.value})
        uow.commit()
    at = dt.datetime.combine(day, dt.time(10, 30), tzinfo=AT.tzinfo)
    visit = outcome(app, vid, outcome="promise_to_pay", at=at, promise_amount_minor=200_000,
                    promise_due=day + dt.timedelta(days=7))
    assert (visit.status, visit.place_flagged, visit.distance_from_address_m) == (
        VisitStatus.DONE, False, 0)
    with app.uow() as uow:
        case = uow.cases.get(case_id)
        contacts = uow.actions.contacts_for([1])[1]
        timeline = uow.cases.timeline(case_id)
    assert case.open_promise is not None and case.open_promise.amount_minor == 200_000
    assert [(c.channel.value, c.outcome.value) for c in contacts] == [("visit", "conversation")]
    assert [(kind, text) for _, kind, text in timeline][1:] == [
        ("field_visit", "visit by a-1: borrower met and promised to pay"),
        ("promise_made", f"promise to pay 2000.00 CNY by {day + dt.timedelta(days=7)}")]


def test_a_hand_assignment_needs_the_visit_notice_period_to_have_run(app: Dunwell) -> None:
    day, case_id = overdue_borrower(app)
    for subject in TrainingSubject:
        training.import_certificate(app, staff_id="a-1", subject=subject.value,
                                    signer_id="t-1", score_pct=90, evidence="course",
                                    issued_on=day, expires_on=None, now=NOW)
    visit_day = day + dt.timedelta(days=10)
    with app.uow() as uow:
        vid = uow.field.save_visit({"plan_date": visit_day, "case_id": case_id,
                                    "borrower_id": 1, "action_id": 5,
                                    "status": VisitStatus.UNASSIGNED.value})
        uow.commit()
    assert code_of(svc.assign_visit, app, visit_id=vid, agent_id="a-1", now=NOW) == (
        "visit_must_have_prior_notice")
    with app.uow() as uow:
        issue_letter(uow, templates=app.providers.templates(), borrower_id=1, case_id=case_id,
                     kind="visit_notice", business_date=day,
                     now=dt.datetime.combine(day, dt.time(2), tzinfo=dt.UTC))
        uow.commit()
    assigned = svc.assign_visit(app, visit_id=vid, agent_id="a-1", now=NOW)
    assert (assigned.agent_id, assigned.pinned, assigned.status) == (
        "a-1", True, VisitStatus.ASSIGNED)
