"""Recording what happened at the door: the contact history the guard reads
(channel ``visit``), the case timeline, promises, the letter register, and where
the outcome was recorded compared with the stored address."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

import pytest
from field_book import DAY, NOW, Book

from dunwell.app.field.visits import plan_visits, record_visit_outcome, visit_roi
from dunwell.bootstrap import router_for
from dunwell.core.errors import Conflict, InvalidInput
from dunwell.field.model import VisitOutcome, VisitRecord, VisitStatus
from dunwell.store.collections_repo import ActionRepository, CaseRepository
from dunwell.store.field_repo import FieldRepository

AT = dt.datetime(2026, 11, 24, 10, 5, tzinfo=dt.timezone(dt.timedelta(hours=8)))


@pytest.fixture
def planned(book: Book) -> dict[int, VisitRecord]:
    plan_visits(book.app, plan_date=DAY, router=router_for("nearest"), now=NOW)
    with book.app.uow() as uow:
        return {v.borrower_id: v for v in FieldRepository(uow.conn).visits_on(DAY)}


def address_of(book: Book, borrower_id: int) -> tuple[float, float]:
    with book.app.uow() as uow:
        loc = FieldRepository(uow.conn).addresses([borrower_id])[borrower_id].location
    assert loc is not None
    return loc.latitude, loc.longitude


def contacts(book: Book, borrower_id: int) -> list[tuple[str, str]]:
    with book.app.uow() as uow:
        events = ActionRepository(uow.conn).contacts_for([borrower_id]).get(borrower_id, [])
    return [(e.channel.value, e.outcome.value) for e in events]


def timeline(book: Book, case_id: str) -> list[tuple[str, str]]:
    with book.app.uow() as uow:
        return [(k, t) for _, k, t in CaseRepository(uow.conn).timeline(case_id)]


def test_meeting_the_borrower_is_a_conversation_on_the_visit_channel(
        book: Book, planned: dict[int, VisitRecord]) -> None:
    lat, lon = address_of(book, 1)
    rec = record_visit_outcome(book.app, visit_id=planned[1].visit_id,
                               outcome="delivered_in_person", at=AT, latitude=lat, longitude=lon,
                               proof="signed receipt photo 0042")
    assert rec.status is VisitStatus.DONE and rec.outcome is VisitOutcome.DELIVERED_IN_PERSON
    assert not rec.place_flagged and rec.distance_from_address_m == 0
    assert contacts(book, 1) == [("visit", "conversation")]
    assert timeline(book, "case-1")[-1] == (
        "field_visit", f"visit by {planned[1].agent_id}: letter delivered in person and explained")


def test_nobody_home_is_no_answer_and_nothing_is_left_with_anyone(
        book: Book, planned: dict[int, VisitRecord]) -> None:
    lat, lon = address_of(book, 2)
    with pytest.raises(InvalidInput) as err:
        record_visit_outcome(book.app, visit_id=planned[2].visit_id, outcome="not_at_home",
                             at=AT, latitude=lat, longitude=lon, letter_no="L-1")
    assert err.value.code == "letter_must_be_handed_to_the_borrower"
    assert contacts(book, 2) == []
    record_visit_outcome(book.app, visit_id=planned[2].visit_id, outcome="not_at_home", at=AT,
                         latitude=lat, longitude=lon)
    assert contacts(book, 2) == [("visit", "no_answer")]


def test_a_promise_at_the_door_becomes_the_cases_promise_to_pay(
        book: Book, planned: dict[int, VisitRecord]) -> None:
    lat, lon = address_of(book, 3)
    record_visit_outcome(book.app, visit_id=planned[3].visit_id, outcome="promise_to_pay",
                         at=AT, latitude=lat, longitude=lon, promise_amount_minor=50_000,
                         promise_due=DAY + dt.timedelta(days=5))
    with book.app.uow() as uow:
        case = CaseRepository(uow.conn).get("case-3")
    assert case.open_promise is not None
    assert (case.open_promise.amount_minor, case.open_promise.due_date) == (
        50_000, DAY + dt.timedelta(days=5))
    assert [k for k, _ in timeline(book, "case-3")][-2:] == ["field_visit", "promise_made"]


def test_a_promise_without_its_amount_is_refused(book: Book,
                                                 planned: dict[int, VisitRecord]) -> None:
    with pytest.raises(InvalidInput) as err:
        record_visit_outcome(book.app, visit_id=planned[3].visit_id, outcome="promise_to_pay",
                             at=AT, latitude=30.0, longitude=104.0)
    assert err.value.code == "promise_must_have_amount_and_date"


@pytest.mark.parametrize("outcome", ["plan_requested", "hardship_reported"])
def test_plan_requests_and_hardship_are_on_the_timeline_for_the_negotiation_flows(
        book: Book, planned: dict[int, VisitRecord], outcome: str) -> None:
    lat, lon = address_of(book, 4)
    record_visit_outcome(book.app, visit_id=planned[4].visit_id, outcome=outcome, at=AT,
                         latitude=lat, longitude=lon, note="lost job in October")
    kind, text = timeline(book, "case-4")[-1]
    assert kind == outcome and text.endswith("- lost job in October")
    assert contacts(book, 4) == [("visit", "conversation")]


def test_an_outcome_recorded_far_from_the_address_is_flagged(
        book: Book, planned: dict[int, VisitRecord]) -> None:
    lat, lon = address_of(book, 5)
    rec = record_visit_outcome(book.app, visit_id=planned[5].visit_id, outcome="moved", at=AT,
                               latitude=lat + 0.01, longitude=lon)
    assert rec.place_flagged and 1_000 < (rec.distance_from_address_m or 0) < 1_200
    assert "m from the stored address" in timeline(book, "case-5")[-1][1]


def test_the_same_outcome_twice_is_a_replay_and_a_different_one_is_refused(
        book: Book, planned: dict[int, VisitRecord]) -> None:
    lat, lon = address_of(book, 6)
    args = {"visit_id": planned[6].visit_id, "at": AT, "latitude": lat, "longitude": lon}
    first = record_visit_outcome(book.app, outcome="refused", **args)  # type: ignore[arg-type]
    assert record_visit_outcome(book.app, outcome="refused", **args) == first  # type: ignore[arg-type]
    assert contacts(book, 6) == [("visit", "conversation")]
    with pytest.raises(Conflict) as err:
        record_visit_outcome(book.app, outcome="moved", **args)  # type: ignore[arg-type]
    assert err.value.code == "visit_outcome_must_be_recorded_once"


def test_an_unknown_outcome_is_refused_with_the_vocabulary(
        book: Book, planned: dict[int, VisitRecord]) -> None:
    with pytest.raises(InvalidInput) as err:
        record_visit_outcome(book.app, visit_id=planned[1].visit_id, outcome="paid", at=AT,
                             latitude=30.0, longitude=104.0)
    assert err.value.code == "visit_outcome_must_be_known" and "not_at_home" in err.value.message


def test_visit_costs_show_in_the_roi_table(book: Book, planned: dict[int, VisitRecord]) -> None:
    for b in (1, 2):
        lat, lon = address_of(book, b)
        record_visit_outcome(book.app, visit_id=planned[b].visit_id, outcome="refused", at=AT,
                             latitude=lat, longitude=lon)
    rows = visit_roi(book.app, date_from=DAY, date_to=DAY)
    total = rows[-1]
    assert total.agent_id == "*" and total.visits == 2
    assert total.cost_minor == planned[1].cost_minor + planned[2].cost_minor
    assert total.collected_minor == 0 and str(total.ratio) == "0.00"
    assert visit_roi(book.app, date_from=DAY + dt.timedelta(days=1)) == []


def test_a_letter_handed_over_is_delivered_in_person_in_the_register(
        book: Book, planned: dict[int, VisitRecord], monkeypatch: pytest.MonkeyPatch) -> None:
    letters = pytest.importorskip("dunwell.app.letters.service")
    from dunwell.app.lending.book import open_book
    from dunwell.channels.document import Document, Paragraph
    from dunwell.store.letters_repo import LetterRepository

    def plain_notice(facts, _book):  # type: ignore[no-untyped-def]
        return Document(title="Notice", language=facts.language,
                        blocks=(Paragraph(f"Dear {facts.borrower_name}"),))

    monkeypatch.setitem(letters.LETTER_KINDS, "field_test_notice", plain_notice)
    with book.app.uow() as uow:
        open_book(uow, business_date=DAY, partitions=1, currency="CNY")
        letter = letters.issue_letter(uow, templates=book.app.providers.templates(),
                                      borrower_id=1, case_id="case-1",
                                      kind="field_test_notice", business_date=DAY, now=NOW,
                                      action_id=planned[1].action_id)
        uow.commit()
    lat, lon = address_of(book, 1)
    rec = record_visit_outcome(book.app, visit_id=planned[1].visit_id,
                               outcome="delivered_in_person", at=AT, latitude=lat, longitude=lon,
                               letter_no=letter.letter_no, proof="signature photo 7")
    assert rec.letter_no == letter.letter_no
    assert contacts(book, 1) == [("visit", "conversation"), ("visit", "visit_notice_delivered")]
    with book.app.uow() as uow:
        stored = LetterRepository(uow.conn).get(letter.letter_no)
        events = LetterRepository(uow.conn).events(letter.letter_no)
    assert stored.status.value == "delivered"
    last = events[-1]
    assert (last.event.value, last.method.value, last.proof) == (
        "delivered", "in_person", "signature photo 7")


def test_roi_counts_what_the_visited_borrower_paid_within_the_days_after(
        book: Book, planned: dict[int, VisitRecord]) -> None:
    from dunwell.app.lending.book import LoanRequest, disburse, open_book, register_product
    from dunwell.app.lending.payments import receive_payment
    from dunwell.lending.products import builtin_product_texts

    with book.app.uow() as uow:
        open_book(uow, business_date=DAY, partitions=1, currency="CNY")
        product = register_product(uow, builtin_product_texts()[0])
        (loan,) = disburse(uow, [LoanRequest(1, product.code, 1_000_000,
                                             product.term_months_min)])
        receive_payment(uow, loan_id=loan.loan_id, amount="300.00", currency="CNY",
                        idempotency_key="field-roi-1", providers=book.app.providers)
        uow.commit()
    lat, lon = address_of(book, 1)
    record_visit_outcome(book.app, visit_id=planned[1].visit_id, outcome="promise_to_pay",
                         at=AT, latitude=lat, longitude=lon, promise_amount_minor=30_000,
                         promise_due=DAY + dt.timedelta(days=3))
    (row, total) = visit_roi(book.app, date_from=DAY, date_to=DAY, days_after=30)
    assert (row.visits, row.cost_minor, row.collected_minor) == (
        1, planned[1].cost_minor, 30_000)
    assert total.collected_minor == 30_000
    assert str(row.ratio) == str((Decimal(30_000) / Decimal(planned[1].cost_minor)).quantize(
        Decimal("0.01"), rounding=ROUND_HALF_UP))


def test_an_outcome_dated_in_the_future_is_refused_and_changes_nothing(
        book: Book, planned: dict[int, VisitRecord]) -> None:
    lat, lon = address_of(book, 2)
    future = dt.datetime.now(dt.UTC) + dt.timedelta(days=30)
    with pytest.raises(InvalidInput) as err:
        record_visit_outcome(book.app, visit_id=planned[2].visit_id, outcome="not_at_home",
                             at=future, latitude=lat, longitude=lon)
    assert err.value.code == "date_must_be_within_limits"
    assert err.value.details["field"] == "at"
    assert contacts(book, 2) == []
