"""The collector's workbench pages: the queue in priority order (a collector's own,
a lead's every collector's), a case's timeline, the guard's live answers, the forms
(bad input re-rendered with 422 and nothing saved; a call the guard refuses is
refused with its rule) and the object rules (a collector only their own cases)."""

from __future__ import annotations

import datetime as dt
import re
import warnings
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import pytest
from work_book import QUEUE_DAY, queued_book

from access import token_headers
from dunwell.api.app import create_app
from dunwell.app.collections.workbench import contact_now
from dunwell.bootstrap import Dunwell
from dunwell.compliance.model import Channel
from dunwell.store.collections_repo import ActionRepository, CaseRepository

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

pytestmark = pytest.mark.sqlite_only(reason=(
    "the pages render what the collections services read; those reads are tested on both "
    "databases in tests/collections and tests/app"))

CASE = "case-1-20250216"
CEASED = "case-4-20250216"  # borrower 4 asked for contact to cease; nobody owns it
SHANGHAI = ZoneInfo("Asia/Shanghai")
HTML = {"Accept": "text/html"}


@pytest.fixture
def book(app: Dunwell) -> Dunwell:
    return queued_book(app)


@pytest.fixture
def client(book: Dunwell) -> Iterator[TestClient]:
    with TestClient(create_app(dunwell=book)) as c:
        yield c


def collector(book: Dunwell, staff_id: str = "c-01") -> dict[str, str]:
    return {**HTML, **token_headers(book, "collector", staff_id=staff_id)}


def lead(book: Dunwell) -> dict[str, str]:
    return {**HTML, **token_headers(book, "team_lead", staff_id="t-01")}


def contacts(book: Dunwell, borrower_id: int) -> int:
    with book.uow() as uow:
        return len(ActionRepository(uow.conn).contacts_for([borrower_id]).get(borrower_id, []))


def case_ids_in_order(html: str) -> list[str]:
    return re.findall(r'<a href="/work/cases/([^"]+)">', html)


def morning() -> dt.datetime:
    """Yesterday 10:30 in Shanghai: in every pack's calling hours, and past."""
    today = dt.datetime.now(SHANGHAI).date()
    return dt.datetime.combine(today - dt.timedelta(days=1), dt.time(10, 30), tzinfo=SHANGHAI)


def test_a_collector_sees_their_queue_in_priority_order_with_masked_names(
        book: Dunwell, client: TestClient) -> None:
    r = client.get("/work?lang=en", headers=collector(book))
    assert r.status_code == 200
    with book.uow() as uow:
        tasks = [t for t in ActionRepository(uow.conn).call_tasks(QUEUE_DAY)
                 if t["collector_id"] == "c-01"]
    expected = [t["case_id"] for t in sorted(tasks, key=lambda t: t["position"])]
    assert case_ids_in_order(r.text) == expected == [
        "case-3-20250216", "case-2-20250216", "case-1-20250216"]
    assert "张伟" not in r.text and "张*" in r.text  # masked per identity/masking.py
    assert "Olivia Brown" not in r.text and "O** B**" in r.text
    assert r.text.count("<h1>") == 1 and "Expected recovery" in r.text


def test_a_collector_without_calls_sees_an_empty_queue_and_a_lead_filters(
        book: Dunwell, client: TestClient) -> None:
    assert case_ids_in_order(client.get("/work", headers=collector(book, "c-09")).text) == []
    every = client.get("/work", headers=lead(book))
    assert len(case_ids_in_order(every.text)) == 3 and 'value="c-01"' in every.text
    assert case_ids_in_order(client.get("/work?collector=c-77", headers=lead(book)).text) == []


def test_a_collector_reaches_only_their_assigned_cases(book: Dunwell,
                                                       client: TestClient) -> None:
    assert client.get(f"/work/cases/{CASE}", headers=collector(book)).status_code == 200
    other = client.get(f"/work/cases/{CASE}", headers=collector(book, "c-09"))
    assert other.status_code == 403 and "case_must_be_assigned_to_you" in other.text
    assert client.get("/work/cases/case-404", headers=collector(book)).status_code == 404
    posted = client.post(f"/work/cases/{CASE}/promises", headers=collector(book, "c-09"),
                         data={"amount": "100.00", "by": "2025-03-01"})
    assert posted.status_code == 403
    with book.uow() as uow:
        assert CaseRepository(uow.conn).get(CASE).open_promise is None
    assert client.get(f"/work/cases/{CASE}", headers=lead(book)).status_code == 200
    assert client.get("/work", headers={**HTML, **token_headers(
        book, "field_agent", staff_id="f-01")}).status_code == 403


def test_the_timeline_shows_the_case_newest_first_with_guard_rules(
        book: Dunwell, client: TestClient) -> None:
    r = client.get(f"/work/cases/{CASE}?lang=en", headers=collector(book))
    body = r.text
    assert "case_opened" in body and "guard decision" in body
    days = re.findall(r'<tr class="kind-[a-z]+"><td>([^<]+)</td>', body)
    parsed = [dt.datetime.strptime(d, "%d %b %Y").date() for d in days]
    assert parsed and parsed == sorted(parsed, reverse=True)
    ceased = client.get(f"/work/cases/{CEASED}?lang=en", headers=lead(book)).text
    decision = re.search(r'<tr class="kind-decision">.*?<code>([A-Z0-9_.\-]+)</code>', ceased)
    assert decision is not None  # the refusing rule is named on the timeline


def test_may_i_contact_now_matches_the_guard(book: Dunwell, client: TestClient) -> None:
    at = morning()
    for case_id, headers in ((CASE, collector(book)), (CEASED, lead(book))):
        r = client.get(f"/work/cases/{case_id}?lang=en&at={at:%Y-%m-%dT%H:%M}", headers=headers)
        assert r.status_code == 200
        for answer in contact_now(book, case_id, at):
            row = re.search(rf'<tr class="decision-([a-z]+)" data-channel="{answer.channel}">'
                            r"(.*?)</tr>", r.text, re.S)
            assert row is not None, answer.channel
            assert row.group(1) == answer.decision
            if answer.rule:
                assert f"<code>{answer.rule}</code>" in row.group(2)
    ceased = contact_now(book, CEASED, at)
    assert not any(a.allowed for a in ceased)


def test_a_call_is_recorded_when_the_guard_allows_and_refused_with_its_rule_when_not(
        book: Dunwell, client: TestClient) -> None:
    at = morning()
    [call] = contact_now(book, CASE, at, channels=[Channel.CALL])
    assert call.allowed, call
    before = contacts(book, 1)
    r = client.post(f"/work/cases/{CASE}/calls", headers=collector(book),
                    data={"outcome": "no_answer", "at": f"{at:%Y-%m-%dT%H:%M}"},
                    follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith(f"/work/cases/{CASE}")
    assert contacts(book, 1) == before + 1
    before4 = contacts(book, 4)
    refused = client.post(f"/work/cases/{CEASED}/calls?lang=en", headers=lead(book),
                          data={"outcome": "conversation", "at": f"{at:%Y-%m-%dT%H:%M}"})
    assert refused.status_code == 409
    [rule] = {a.rule for a in contact_now(book, CEASED, at) if a.channel == "call"}
    assert rule and rule in refused.text and 'role="alert"' in refused.text
    assert contacts(book, 4) == before4


@pytest.mark.parametrize("form,field", [
    ({"outcome": "shouted", "at": "2025-02-21T10:00"}, "call-outcome"),
    ({"outcome": "no_answer", "at": "yesterday"}, "call-at"),
])
def test_a_bad_call_form_is_shown_again_with_422_and_nothing_saved(
        book: Dunwell, client: TestClient, form: dict[str, str], field: str) -> None:
    before = contacts(book, 1)
    r = client.post(f"/work/cases/{CASE}/calls", headers=collector(book), data=form)
    assert r.status_code == 422
    assert f'aria-describedby="{field}-error"' in r.text and f'id="{field}-error"' in r.text
    assert contacts(book, 1) == before


def test_a_promise_is_saved_and_a_bad_one_is_not(book: Dunwell, client: TestClient) -> None:
    bad = client.post(f"/work/cases/{CASE}/promises?lang=en", headers=collector(book),
                      data={"amount": "12,5", "by": "2025-03-01"})
    assert bad.status_code == 422 and "Enter an amount such as 500.00." in bad.text
    assert 'value="12,5"' in bad.text
    past = client.post(f"/work/cases/{CASE}/promises", headers=collector(book),
                       data={"amount": "100.00", "by": "2025-01-01"})
    assert past.status_code == 422
    with book.uow() as uow:
        assert CaseRepository(uow.conn).get(CASE).open_promise is None
    ok = client.post(f"/work/cases/{CASE}/promises", headers=collector(book),
                     data={"amount": "150.00", "by": "2025-03-01"}, follow_redirects=False)
    assert ok.status_code == 303
    with book.uow() as uow:
        promise = CaseRepository(uow.conn).get(CASE).open_promise
    assert promise is not None and promise.amount_minor == 15_000
    shown = client.get(ok.headers["location"].split("#")[0] + "&lang=en",
                       headers=collector(book))
    assert "The promise is recorded." in shown.text and "Pending promise" in shown.text


def test_a_hardship_assessment_is_saved_and_a_bad_one_is_not(
        book: Dunwell, client: TestClient) -> None:
    bad = client.post(f"/work/cases/{CASE}/hardship", headers=collector(book),
                      data={"reason": "illness", "income": "", "expenses": "3000.00"})
    assert bad.status_code == 422 and 'id="hardship-income-error"' in bad.text
    with book.uow() as uow:
        assert uow.negotiation.latest_assessment(CASE) is None
    ok = client.post(f"/work/cases/{CASE}/hardship", headers=collector(book),
                     data={"reason": "job_loss", "income": "5000.00", "expenses": "3000.00",
                           "other_debts": "0"}, follow_redirects=False)
    assert ok.status_code == 303
    with book.uow() as uow:
        rec = uow.negotiation.latest_assessment(CASE)
    assert rec is not None and rec.assessment.reason.value == "job_loss"


def test_the_script_is_in_the_borrowers_language(book: Dunwell, client: TestClient) -> None:
    zh = client.get(f"/work/cases/{CASE}?lang=en", headers=collector(book)).text
    assert "Identity check" in zh and "核实" in zh
    en = client.get("/work/cases/case-2-20250216?lang=zh-CN", headers=collector(book)).text
    assert "身份核实" in en and "confirm who I am speaking" in en
