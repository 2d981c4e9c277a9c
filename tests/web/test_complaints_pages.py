"""The complaint pages, server-side, on SQLite and PostgreSQL: the compliance
officer's queue overdue first with names masked, its filters, one complaint's forms
(bad input re-rendered next to the field with nothing saved; a move the register
refuses shown with its reason); the object rules (a collector cannot open the queue,
a manager reads but does not act, a borrower sees only their own complaints); the
borrower's portal form and list in both languages."""

from __future__ import annotations

import datetime as dt
import re
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from portal_fixtures import build_portal_book, portal_view

from access import token_headers
from dunwell.api.app import create_app
from dunwell.app.complaints.service import get_complaint, list_complaints, record_complaint
from dunwell.app.context import Dunwell
from dunwell.complaints.rules import deadlines
from dunwell.compliance.model import Jurisdiction
from dunwell.simulation.complaints import seed_demo_complaints
from dunwell.web import i18n

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

HTML = {"Accept": "text/html"}


def _ago(days: int) -> dt.datetime:
    return dt.datetime.now(dt.UTC) - dt.timedelta(days=days)


@pytest.fixture
def book(prebuilt: Callable[..., Dunwell], tmp_path: Path) -> Dunwell:
    """The portal's two borrowers (1: CN, 15 days to answer; 2: UK, 8 weeks) with
    three complaints: 1's overdue, 2's due in weeks, 1's dispute due in two weeks."""
    book = portal_view(prebuilt(build_portal_book), tmp_path / "outbox")
    record_complaint(book, borrower_id=1, channel="call", category="conduct",
                     text="The caller was rude", now=_ago(20), by="c-01")
    record_complaint(book, borrower_id=2, channel="email", category="fees_and_charges",
                     text="A fee I did not expect", now=_ago(3), by="c-01")
    record_complaint(book, borrower_id=1, channel="letter", category="debt_not_mine",
                     text="I never took this loan", now=_ago(1), by="c-01")
    return book


@pytest.fixture
def client(book: Dunwell) -> Iterator[TestClient]:
    with TestClient(create_app(dunwell=book)) as c:
        yield c


def officer(book: Dunwell) -> dict[str, str]:
    return {**HTML, **token_headers(book, "compliance_officer", staff_id="k-01")}


def borrower(book: Dunwell, borrower_id: int) -> dict[str, str]:
    return {**HTML, **token_headers(book, "borrower", borrower_id=borrower_id)}


def ids_in_order(html: str) -> list[int]:
    return [int(x) for x in re.findall(r'<tr data-complaint="(\d+)"', html)]


def count(book: Dunwell) -> int:
    return len(list_complaints(book, today=dt.date.today()))


def status_of(book: Dunwell, complaint_id: int) -> str:
    view, _ = get_complaint(book, complaint_id, today=dt.date.today())
    return view.complaint.status.value


def test_the_queue_is_overdue_first_then_by_deadline_with_names_masked(
        client: TestClient, book: Dunwell) -> None:
    page = client.get("/complaints", params={"lang": "en"}, headers=officer(book))
    assert page.status_code == 200
    assert ids_in_order(page.text) == [1, 3, 2]
    first = page.text.split('<tr data-complaint="1"')[1].split("</tr>")[0]
    assert 'class="overdue"' in first and ">overdue<" in first and ">-5" in first
    assert "张*" in page.text and "O** B**" in page.text
    assert "张伟" not in page.text and "Olivia" not in page.text
    due = deadlines(Jurisdiction.UK_FCA, _ago(3).date()).answer_by
    assert i18n.date(due, "en") in page.text
    assert "collection paused" in page.text  # the written dispute


def test_filters_narrow_the_queue_and_an_unknown_value_is_named_next_to_its_field(
        client: TestClient, book: Dunwell) -> None:
    staff = officer(book)
    only = client.get("/complaints", params={"category": "debt_not_mine"}, headers=staff)
    assert ids_in_order(only.text) == [3]
    assert ids_in_order(client.get("/complaints", params={"status": "closed"},
                                   headers=staff).text) == []
    bad = client.get("/complaints", params={"status": "lost", "lang": "en"}, headers=staff)
    assert bad.status_code == 422
    assert 'aria-describedby="filter-status-error"' in bad.text
    assert 'id="filter-status-error">Choose one from the list.' in bad.text


def test_only_oversight_reads_the_queue_and_only_compliance_acts(
        client: TestClient, book: Dunwell) -> None:
    collector = {**HTML, **token_headers(book, "collector", staff_id="c-01")}
    assert client.get("/complaints", headers=collector).status_code == 403
    assert client.get("/complaints/1", headers=collector).status_code == 403
    assert client.get("/complaints", headers=borrower(book, 1)).status_code == 403
    manager = {**HTML, **token_headers(book, "manager", staff_id="m-01")}
    read = client.get("/complaints/1", params={"lang": "en"}, headers=manager)
    assert read.status_code == 200 and "Only a compliance officer acts" in read.text
    assert "/complaints/1/answer" not in read.text
    sent = client.post("/complaints/1/answer", data={"answer": "Sorry"}, headers=manager)
    assert sent.status_code == 403 and status_of(book, 1) == "received"
    assert client.get("/complaints/99", headers=officer(book)).status_code == 404


def test_the_officer_answers_escalates_and_closes_through_the_register(
        client: TestClient, book: Dunwell) -> None:
    staff = officer(book)
    empty = client.post("/complaints/2/answer", params={"lang": "en"},
                        data={"answer": "  "}, headers=staff)
    assert empty.status_code == 422 and status_of(book, 2) == "received"
    assert 'aria-describedby="answer-answer-error"' in empty.text
    assert 'id="answer-answer-error">This field is required.' in empty.text
    early = client.post("/complaints/2/escalate", data={"to": "ombudsman"}, headers=staff)
    assert early.status_code == 409 and status_of(book, 2) == "received"
    assert "complaint_escalation_must_follow_answer_or_deadline" in early.text
    done = client.post("/complaints/2/answer", data={"answer": "The fee is refunded"},
                       headers=staff, follow_redirects=False)
    assert done.status_code == 303
    assert done.headers["location"] == "/complaints/2?done=answer#notice"
    view, events = get_complaint(book, 2, today=dt.date.today())
    assert view.complaint.status.value == "final_response"
    assert view.answer == "The fee is refunded" and events[-1].actor == "k-01"
    page = client.get("/complaints/2", params={"done": "answer", "lang": "en"}, headers=staff)
    assert "The final response is recorded." in page.text and "The fee is refunded" in page.text
    wrong = client.post("/complaints/2/escalate", data={"to": "pboc"}, headers=staff)
    assert wrong.status_code == 422 and status_of(book, 2) == "final_response"
    assert 'id="escalate-to-error"' in wrong.text and "escalation_route_must_be_known" in wrong.text
    assert client.post("/complaints/2/escalate", data={"to": "ombudsman"},
                       headers=staff, follow_redirects=False).status_code == 303
    assert client.post("/complaints/2/close", data={"note": "FOS has it"}, headers=staff,
                       follow_redirects=False).status_code == 303
    assert status_of(book, 2) == "closed"
    closed = client.get("/complaints/2", params={"lang": "en"}, headers=staff).text
    assert "nothing is left to do" in closed and "Financial Ombudsman Service" in closed


def test_an_overdue_complaint_offers_escalation_and_acknowledging_works(
        client: TestClient, book: Dunwell) -> None:
    staff = officer(book)
    page = client.get("/complaints/1", headers=staff).text
    assert "/complaints/1/escalate" in page and "/complaints/1/acknowledge" in page
    assert "/complaints/3/escalate" not in client.get("/complaints/3", headers=staff).text
    assert client.post("/complaints/1/acknowledge", data={"note": ""}, headers=staff,
                       follow_redirects=False).status_code == 303
    assert status_of(book, 1) == "acknowledged"


def test_a_borrower_sees_only_their_own_complaints(client: TestClient, book: Dunwell) -> None:
    one = client.get("/portal/complaints", params={"lang": "en"}, headers=borrower(book, 1))
    assert one.status_code == 200
    assert "The caller was rude" in one.text and "I never took this loan" in one.text
    assert "A fee I did not expect" not in one.text
    assert "Collection is paused until we answer" in one.text
    two = client.get("/portal/complaints", params={"lang": "en"}, headers=borrower(book, 2))
    assert "A fee I did not expect" in two.text and "rude" not in two.text
    due = deadlines(Jurisdiction.UK_FCA, _ago(3).date()).answer_by
    assert f'class="answer-by">{i18n.date(due, "en")}<' in two.text
    assert client.get("/portal", headers=borrower(book, 1)).text.count(
        'href="/portal/complaints"') == 2  # the portal's menu and its help list


def test_a_borrower_makes_a_complaint_in_the_portal(client: TestClient, book: Dunwell) -> None:
    me = borrower(book, 1)
    form = client.get("/portal/complaints", headers=me).text
    case_id = re.findall(r'<option value="(case-[^"]+)"', form)[0]
    sent = client.post("/portal/complaints", headers=me, follow_redirects=False,
                       data={"category": "contact_frequency", "text": "Five calls a day",
                             "case_id": case_id})
    assert sent.status_code == 303
    assert sent.headers["location"] == "/portal/complaints?notice=complaint"
    mine = [v for v in list_complaints(book, today=dt.date.today())
            if v.complaint.borrower_id == 1 and v.text == "Five calls a day"]
    assert len(mine) == 1
    assert mine[0].complaint.channel.value == "portal" and mine[0].complaint.case_id == case_id
    shown = client.get("/portal/complaints?notice=complaint", headers=me).text
    assert "Five calls a day" in shown and "已收到您的投诉" in shown


def test_bad_input_in_the_portal_form_is_shown_next_to_the_field_and_saves_nothing(
        client: TestClient, book: Dunwell) -> None:
    me = borrower(book, 1)
    before = count(book)
    bad = client.post("/portal/complaints", params={"lang": "en"}, headers=me,
                      data={"category": "weather", "text": " "})
    assert bad.status_code == 422 and count(book) == before
    assert 'aria-describedby="category-error"' in bad.text
    assert 'id="category-error">Please choose one from the list.' in bad.text
    assert 'id="text-error">Please fill this in.' in bad.text
    others = client.get("/portal/complaints", headers=borrower(book, 2)).text
    their_case = re.findall(r'<option value="(case-[^"]+)"', others)[0]
    theirs = client.post("/portal/complaints", params={"lang": "en"}, headers=me,
                         data={"category": "other", "text": "About that case",
                               "case_id": their_case})
    assert theirs.status_code == 422 and count(book) == before
    assert 'id="case_id-error">Choose one of your own cases' in theirs.text
    assert ">About that case</textarea>" in theirs.text  # what was typed is kept
    long = client.post("/portal/complaints", params={"lang": "en"}, headers=me,
                       data={"category": "other", "text": "x" * 4001})
    assert long.status_code == 422 and count(book) == before
    assert "at most 4,000 characters" in long.text


def test_both_languages_render(client: TestClient, book: Dunwell) -> None:
    zh = client.get("/complaints", params={"lang": "zh-CN"}, headers=officer(book)).text
    assert "投诉处理队列" in zh and "已逾期" in zh and "这笔欠款不是我的" in zh
    zh_portal = client.get("/portal/complaints", params={"lang": "zh-CN"},
                           headers=borrower(book, 1)).text
    assert "我的投诉" in zh_portal and "最迟答复日期" in zh_portal


def test_the_case_timeline_shows_the_borrowers_complaints(client: TestClient,
                                                           book: Dunwell) -> None:
    with book.uow() as uow:
        case_id = str(uow.cases.for_borrower(1)[-1]["case_id"])
    lead = {**HTML, **token_headers(book, "team_lead", staff_id="t-01")}
    page = client.get(f"/work/cases/{case_id}", params={"lang": "en"}, headers=lead)
    assert page.status_code == 200
    lines = re.findall(r'<tr class="kind-complaint">(.*?)</tr>', page.text)
    assert len(lines) == 2  # borrower 1's two; borrower 2's is not theirs
    assert any("#3 debt_not_mine by letter: received (collection paused)" in x for x in lines)
    assert "I never took this loan" not in page.text  # the text stays in the register


def test_the_demo_records_complaints_some_answered_one_overdue_one_pausing(
        prebuilt: Callable[..., Dunwell], tmp_path: Path) -> None:
    fresh = portal_view(prebuilt(build_portal_book), tmp_path / "demo-outbox")
    assert seed_demo_complaints(fresh, now=dt.datetime.now(dt.UTC)) == 2  # two open cases
    views = list_complaints(fresh, today=dt.date.today())
    by_category = {v.complaint.category.value: v for v in views}
    assert by_category["fees_and_charges"].complaint.status.value == "acknowledged"
    assert by_category["fees_and_charges"].complaint.channel.value == "portal"
    dispute = by_category["amount_disputed"]
    assert dispute.pauses_collection and not dispute.overdue
    assert {v.complaint.borrower_id for v in views} == {1, 2}
