"""The borrower's portal pages, server-side, on SQLite and PostgreSQL: a borrower sees
only their own loans; the overdue breakdown and the schedule are the loan's figures
to the cent; a payment posts once however often its form is sent; bad amounts and a
declined card change nothing; the preferences saved are what the guard obeys; a plan
is accepted only once approved and consented to; both languages render."""

from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from portal_fixtures import build_portal_book, portal_view

from access import token_headers
from dunwell.api.app import create_app
from dunwell.app.collections.contacts import judge_contact
from dunwell.app.context import Dunwell
from dunwell.app.negotiation.service import approve_offer
from dunwell.compliance.model import Channel
from dunwell.core.dates import to_day
from dunwell.web import i18n

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient


@pytest.fixture
def book(prebuilt: Callable[..., Dunwell], tmp_path: Path) -> Dunwell:
    return portal_view(prebuilt(build_portal_book), tmp_path / "outbox")


@pytest.fixture
def client(book: Dunwell) -> Iterator[TestClient]:
    with TestClient(create_app(dunwell=book),
                    headers=token_headers(book, "borrower", borrower_id=1)) as c:
        yield c


def paid_total(book: Dunwell, loan_id: int) -> int:
    with book.uow() as uow:
        loan = uow.loans.get(loan_id)
    return sum(i.paid_principal_minor + i.paid_interest_minor + i.paid_fee_minor
               + i.paid_penalty_minor for i in loan.installments) + loan.suspense_minor


def test_a_borrower_sees_only_their_own_loans(client: TestClient, book: Dunwell) -> None:
    home = client.get("/portal", params={"lang": "en"})
    assert home.status_code == 200 and "Loan 1" in home.text and "Loan 2" not in home.text
    assert client.get("/portal/loans/2").status_code == 404
    assert client.get("/portal/loans/2/pay").status_code == 404
    before = paid_total(book, 2)
    sent = client.post("/portal/loans/2/pay", data={"amount": "10.00", "form_key": "k2",
                                                    "step": "pay", "account": "4242424242424242"})
    assert sent.status_code == 404 and paid_total(book, 2) == before


def test_the_breakdown_and_schedule_are_the_loans_figures_to_the_cent(
        client: TestClient, book: Dunwell) -> None:
    with book.uow() as uow:
        loan = uow.loans.get(1)
        day = to_day(uow.book.require().business_date)
    late = [i for i in loan.installments if i.due_day < day and i.unpaid_total_minor > 0]
    parts = {"principal": sum(i.unpaid_principal_minor for i in late),
             "interest": sum(i.unpaid_interest_minor for i in late),
             "penalty": sum(i.unpaid_penalty_minor for i in late),
             "fees": sum(i.unpaid_fee_minor for i in late)}
    parts["total"] = sum(parts.values())
    assert parts["total"] > 0
    home = client.get("/portal", params={"lang": "en"}).text
    for name, minor in parts.items():
        assert f'data-part="{name}">{i18n.money(minor, "CNY", "en")}<' in home
    detail = client.get("/portal/loans/1", params={"lang": "en"}).text
    assert f'id="outstanding">{i18n.money(loan.unpaid_total_minor, "CNY", "en")}<' in detail
    assert detail.count("<tr") == len(loan.installments) + 1


def test_a_payment_posts_once_when_its_form_is_sent_twice(
        client: TestClient, book: Dunwell) -> None:
    before = paid_total(book, 1)
    review = client.post("/portal/loans/1/pay", data={"amount": "120.00", "form_key": "f1",
                                                      "step": "review"})
    assert review.status_code == 200 and 'id="pay-amount"' in review.text
    form = {"amount": "120.00", "form_key": "f1", "step": "pay", "account": "4242 4242 4242 4242"}
    first = client.post("/portal/loans/1/pay", data=form, follow_redirects=False)
    second = client.post("/portal/loans/1/pay", data=form, follow_redirects=False)
    assert first.status_code == 303 and first.headers["location"].endswith("notice=paid")
    assert second.status_code == 303 and second.headers["location"].endswith("notice=replayed")
    assert paid_total(book, 1) == before + 12_000
    with book.uow() as uow:
        assert uow.payments.by_key("portal:1:f1") is not None


@pytest.mark.parametrize("amount", ["", "abc", "0", "-5.00", "1.234", "99999.00"])
def test_a_bad_amount_shows_the_reason_by_the_field_and_changes_nothing(
        client: TestClient, book: Dunwell, amount: str) -> None:
    before = paid_total(book, 1)
    for step in ("review", "pay"):
        r = client.post("/portal/loans/1/pay", data={"amount": amount, "form_key": "bad",
                                                     "step": step, "account": "4242424242424242"})
        assert r.status_code == 422
        assert 'aria-invalid="true" aria-describedby="amount-error"' in r.text
    assert paid_total(book, 1) == before


def test_a_declined_card_takes_and_posts_nothing(client: TestClient, book: Dunwell) -> None:
    before = paid_total(book, 1)
    r = client.post("/portal/loans/1/pay", data={"amount": "50.00", "form_key": "d1",
                                                 "step": "pay", "account": "4000000000000002"},
                    params={"lang": "en"})
    assert r.status_code == 422 and "declined" in r.text and 'id="account-error"' in r.text
    assert paid_total(book, 1) == before


def test_the_preferences_saved_are_what_the_guard_obeys(client: TestClient,
                                                        book: Dunwell) -> None:
    saved = client.post("/portal/preferences", data={
        "channel_call": "yes", "channel_letter": "yes", "no_contact_before": "09:00",
        "no_contact_after": "20:00", "language": "en"}, follow_redirects=False)
    assert saved.status_code == 303
    page = client.get("/portal/preferences", params={"lang": "en"}).text
    assert 'id="channel_call" name="channel_call" value="yes" checked' in page
    assert 'id="channel_sms" name="channel_sms" value="yes">' in page
    with book.uow() as uow:
        profile = uow.borrowers.get(1)
        history = uow.actions.contacts_for([1]).get(1, [])
    zone = ZoneInfo(profile.borrower.timezone)
    day = dt.date(2025, 3, 10)  # a Monday

    def verdict(channel: Channel, hour: int) -> bool:
        return judge_contact(profile, history, at=dt.datetime(
            day.year, day.month, day.day, hour, tzinfo=zone), channel=channel,
            content_tags=("payment_reminder",)).allowed

    assert profile.borrower.language == "en"
    assert not verdict(Channel.SMS, 11)  # turned off
    assert verdict(Channel.CALL, 11)
    assert not verdict(Channel.CALL, 8)  # before 09:00


def test_bad_preferences_save_nothing(client: TestClient, book: Dunwell) -> None:
    r = client.post("/portal/preferences", data={"no_contact_before": "9am", "language": "en",
                                                 "channel_call": "yes"})
    assert r.status_code == 422 and 'aria-describedby="no_contact_before-error"' in r.text
    with book.uow() as uow:
        b = uow.borrowers.get(1).borrower
        assert b.contact_preferences.no_contact_before is None and b.language == "zh-CN"
        assert not uow.consents.for_borrower(1)


def test_a_plan_is_accepted_only_once_approved_and_consented_to(
        client: TestClient, book: Dunwell) -> None:
    asked = client.post("/portal/plan", data={"reason": "illness", "income": "8000.00",
                                              "expenses": "3000.00", "other_debts": ""},
                        follow_redirects=False)
    assert asked.status_code == 303
    page = client.get("/portal/plan", params={"lang": "en"}).text
    assert "Waiting for approval" in page
    with book.uow() as uow:
        [case] = [r["case_id"] for r in uow.cases.for_borrower(1)]
        offers = uow.negotiation.offers_for_case(case)
    plain = next(o for o in offers if o.offer.waiver.total_minor == 0)
    early = client.post(f"/portal/plan/offers/{plain.offer_id}/accept", data={"consent": "yes"})
    assert early.status_code == 409
    approve_offer(book, offer_id=plain.offer_id, approver_id="c-01", role="collector",
                  now=dt.datetime.now(dt.UTC))
    no_consent = client.post(f"/portal/plan/offers/{plain.offer_id}/accept", data={})
    assert no_consent.status_code == 422 and "field-error" in no_consent.text
    with book.uow() as uow:
        assert not uow.negotiation.plans(case_id=case)
    done = client.post(f"/portal/plan/offers/{plain.offer_id}/accept",
                       data={"consent": "yes"}, follow_redirects=False)
    assert done.status_code == 303
    with book.uow() as uow:
        [plan] = uow.negotiation.plans(case_id=case)
    assert plan.offer_id == plain.offer_id


def test_bad_plan_figures_show_by_the_field(client: TestClient) -> None:
    r = client.post("/portal/plan", data={"reason": "illness", "income": "lots",
                                          "expenses": ""}, params={"lang": "en"})
    assert r.status_code == 422 and 'aria-describedby="income-error"' in r.text


@pytest.mark.parametrize("lang,words", [("zh-CN", ("我的借款", "还款方案", "联系偏好", "还款")),
                                        ("en", ("My loans", "Repayment plan",
                                                "Contact preferences", "Make a payment"))])
def test_every_page_renders_in_both_languages(client: TestClient, lang: str,
                                              words: tuple[str, ...]) -> None:
    for path, word in zip(("/portal", "/portal/plan", "/portal/preferences",
                           "/portal/loans/1/pay"), words, strict=True):
        r = client.get(path, params={"lang": lang})
        assert r.status_code == 200 and f'<html lang="{lang}">' in r.text
        assert word in r.text.split("<h1>")[1].split("</h1>")[0]
    assert client.get("/portal/loans/1", params={"lang": lang}).status_code == 200


def test_the_portal_asks_an_anonymous_reader_to_sign_in(book: Dunwell) -> None:
    with TestClient(create_app(dunwell=book)) as anonymous:
        r = anonymous.get("/portal", headers={"Accept": "text/html"})
    assert r.status_code == 401 and "/portal/sign-in" in r.text
