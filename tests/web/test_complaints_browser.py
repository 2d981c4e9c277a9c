"""Complaints in a real browser (Debian's chromium driven by Playwright), the app
served on 127.0.0.1: a borrower signs in with the texted code, makes a complaint in
the portal (a first try without its text is refused next to the field), the
compliance officer signs in, finds it in the queue and sends the final response, and
the borrower reads the answer. Screenshots go to
var/test-artifacts/screenshots/complaints-*.png."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from portal_fixtures import PHONE, build_portal_book, portal_view

from dunwell.app.complaints.service import answer, get_complaint, record_complaint
from dunwell.app.context import Dunwell
from dunwell.app.identity.accounts import add_user
from serving import serve

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

CHROMIUM = Path("/usr/bin/chromium")
SHOTS = Path("var/test-artifacts/screenshots")
PASSWORD = "correct horse battery staple"
sync_api = pytest.importorskip("playwright.sync_api")
pytestmark = [
    pytest.mark.skipif(not CHROMIUM.exists(),
                       reason="needs Debian's chromium (apt install chromium)"),
    pytest.mark.sqlite_only(reason=(
        "a browser drives the pages; the pages' reads and writes are tested on both databases in "
        "test_complaints_pages")),
]


def _ago(days: int) -> dt.datetime:
    return dt.datetime.now(dt.UTC) - dt.timedelta(days=days)


@pytest.fixture
def book(prebuilt: Callable[..., Dunwell], db_url: str, tmp_path: Path) -> Dunwell:
    """The portal's two borrowers with a few complaints already in the register: one
    overdue, one answered, a dispute by letter."""
    if db_url.startswith("postgresql"):
        pytest.skip("the browser test runs on SQLite")
    book = portal_view(prebuilt(build_portal_book), tmp_path / "outbox")
    record_complaint(book, borrower_id=2, channel="call", category="conduct",
                     text="The caller raised their voice", now=_ago(60), by="c-01")
    record_complaint(book, borrower_id=2, channel="letter", category="amount_disputed",
                     text="I paid the March instalment", now=_ago(2), by="c-01")
    done = record_complaint(book, borrower_id=1, channel="call", category="privacy",
                            text="Who can see my data?", now=_ago(9), by="c-01")
    answer(book, complaint_id=done.complaint_id, text="Only the staff on your case.",
           now=_ago(4), by="k-01")
    add_user(book, name="officer", role="compliance_officer", now=_ago(1), password=PASSWORD,
             staff_id="k-01")
    return book


@pytest.fixture
def browser(chromium: Browser) -> Browser:
    SHOTS.mkdir(parents=True, exist_ok=True)
    return chromium


def texted_code(book: Dunwell) -> str:
    lines = (Path(book.settings.outbox_dir) / "sms.jsonl").read_text("utf-8").splitlines()
    found = re.search(r"\d{6}", json.loads(lines[-1])["body"])
    assert found is not None
    return found.group(0)


def shot(page: Page, step: str) -> None:
    page.screenshot(path=str(SHOTS / f"complaints-{step}.png"), full_page=True)


def borrower_signs_in(page: Page, url: str, book: Dunwell) -> None:
    page.goto(f"{url}/portal/sign-in?next=/portal&lang=en")
    page.fill("#phone", PHONE)
    page.click("button[type=submit]")
    page.wait_for_selector("#code")
    page.fill("#code", texted_code(book))
    page.click("button[type=submit]")
    page.wait_for_url(f"{url}/portal")


def test_a_borrower_complains_and_the_officer_answers(browser: Browser, book: Dunwell) -> None:
    with serve(book) as url:
        phone = browser.new_page(viewport={"width": 400, "height": 860}, locale="en-GB")
        borrower_signs_in(phone, url, book)
        phone.click("nav.portal-nav a[href='/portal/complaints']")
        phone.wait_for_url(f"{url}/portal/complaints")
        phone.select_option("#category", "contact_frequency")
        phone.click("form[action='/portal/complaints'] button[type=submit]")
        phone.wait_for_selector("#text-error")  # no text: refused next to the field
        assert phone.get_attribute("#text", "aria-invalid") == "true"
        phone.fill("#text", "You called me five times yesterday, twice after 9 pm.")
        shot(phone, "portal-form")
        phone.click("form[action='/portal/complaints'] button[type=submit]")
        phone.wait_for_url(re.compile(r".*/portal/complaints\?notice=complaint"))
        assert "We have your complaint" in phone.inner_text("[role=status]")
        mine = phone.locator(".complaint-list li").first
        assert "Contacted too often" in mine.inner_text()
        assert "We will answer by" in mine.inner_text()
        shot(phone, "portal-sent")

        desk = browser.new_page(viewport={"width": 1280, "height": 900}, locale="en-GB")
        desk.goto(f"{url}/sign-in?lang=en")
        desk.fill("#name", "officer")
        desk.fill("#password", PASSWORD)
        desk.click("main button[type=submit]")
        desk.wait_for_url(f"{url}/complaints")
        rows = desk.locator("table.complaints-queue tbody tr")
        assert rows.count() == 4
        assert "overdue" in (rows.first.get_attribute("class") or "")
        shot(desk, "queue")
        new_id = max(int(x) for x in re.findall(
            r'data-complaint="(\d+)"', desk.content()))
        desk.click(f"table.complaints-queue a[href='/complaints/{new_id}']")
        desk.wait_for_selector("#answer-answer")
        assert "twice after 9 pm" in desk.inner_text("blockquote.said")
        desk.fill("#answer-answer", "We are sorry. Calls to you are now limited to one a "
                                    "day between 09:00 and 20:00.")
        shot(desk, "answer")
        desk.click("form[action$='/answer'] button[type=submit]")
        desk.wait_for_url(re.compile(rf".*/complaints/{new_id}\?done=answer"))
        assert "final response is recorded" in desk.inner_text("#notice")
        assert "Final response sent" in desk.inner_text("main")
        view, events = get_complaint(book, new_id, today=dt.date.today())
        assert view.complaint.status.value == "final_response"
        assert view.complaint.channel.value == "portal" and events[-1].actor == "k-01"

        phone.goto(f"{url}/portal/complaints")
        assert "limited to one a day" in phone.inner_text(".complaint-list li >> nth=0")
        shot(phone, "portal-answered")
