"""The borrower's portal in a real browser (Debian's chromium driven by Playwright): the
served app on 127.0.0.1; the borrower signs in with the code texted to them, sees
their loan, pays through the confirm step, asks for a plan, and (once staff approved
an option) accepts it with their consent. Screenshots go to
var/test-artifacts/screenshots/portal-*.png."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from portal_fixtures import PHONE, build_portal_book, portal_view

from dunwell.app.context import Dunwell
from dunwell.app.negotiation.service import approve_offer
from serving import serve

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

CHROMIUM = Path("/usr/bin/chromium")
SHOTS = Path("var/test-artifacts/screenshots")
sync_api = pytest.importorskip("playwright.sync_api")
pytestmark = [
    pytest.mark.skipif(not CHROMIUM.exists(),
                       reason="needs Debian's chromium (apt install chromium)"),
    pytest.mark.sqlite_only(reason=(
        "a browser drives the pages; the pages' reads and writes are tested on both databases in "
        "test_portal_pages")),
]


@pytest.fixture
def book(prebuilt: Callable[..., Dunwell], db_url: str, tmp_path: Path) -> Dunwell:
    if db_url.startswith("postgresql"):
        pytest.skip("the browser test runs on SQLite")
    return portal_view(prebuilt(build_portal_book), tmp_path / "outbox")


@pytest.fixture
def browser_page(book: Dunwell, chromium: Browser) -> Iterator[tuple[Page, str]]:
    SHOTS.mkdir(parents=True, exist_ok=True)
    with serve(book) as url:
        yield chromium.new_page(viewport={"width": 400, "height": 860}, locale="en-GB"), url


def texted_code(book: Dunwell) -> str:
    lines = (Path(book.settings.outbox_dir) / "sms.jsonl").read_text("utf-8").splitlines()
    found = re.search(r"\d{6}", json.loads(lines[-1])["body"])
    assert found is not None
    return found.group(0)


def shot(page: Page, step: str) -> None:
    page.screenshot(path=str(SHOTS / f"portal-{step}.png"), full_page=True)


def test_a_borrower_signs_in_pays_and_accepts_a_plan(
        browser_page: tuple[Page, str], book: Dunwell) -> None:
    page, url = browser_page
    page.goto(f"{url}/portal/sign-in?next=/portal")
    page.fill("#phone", PHONE)
    page.click("button[type=submit]")
    page.wait_for_selector("#code")
    page.fill("#code", texted_code(book))
    page.click("button[type=submit]")
    page.wait_for_url(f"{url}/portal")
    page.goto(f"{url}/portal?lang=en")
    assert "My loans" in page.inner_text("h1")
    assert "What is overdue" in page.inner_text("main")
    shot(page, "loans")

    page.click("a[href='/portal/loans/1/pay']")
    page.fill("#amount", "200.00")
    page.click("main button[type=submit]")
    page.wait_for_selector("#pay-amount")
    page.fill("#account", "4242 4242 4242 4242")
    shot(page, "confirm")
    page.click("#pay-confirm")
    page.wait_for_url(re.compile(r".*/portal/loans/1\?notice=paid"))
    assert "your payment is in" in page.inner_text("[role=status]")

    page.goto(f"{url}/portal/plan")
    page.select_option("#reason", "illness")
    page.fill("#income", "8000.00")
    page.fill("#expenses", "3000.00")
    page.click("form[action='/portal/plan'] button[type=submit]")
    page.wait_for_url(re.compile(r".*/portal/plan\?notice=offers"))
    assert "Waiting for approval" in page.inner_text("main")

    with book.uow() as uow:
        [case] = [r["case_id"] for r in uow.cases.for_borrower(1)]
        offers = uow.negotiation.offers_for_case(case)
    plain = next(o for o in offers if o.offer.waiver.total_minor == 0)
    approve_offer(book, offer_id=plain.offer_id, approver_id="c-01", role="collector",
                  now=dt.datetime.now(dt.UTC))
    page.goto(f"{url}/portal/plan")
    form = f"form[action='/portal/plan/offers/{plain.offer_id}/accept']"
    page.click(f"{form} button[type=submit]")  # no consent yet: refused by the field
    page.wait_for_selector(f"#consent-{plain.offer_id}-error")
    page.check(f"#consent-{plain.offer_id}")
    page.locator(f"#offer-{plain.offer_id}").scroll_into_view_if_needed()
    shot(page, "plan")
    page.click(f"{form} button[type=submit]")
    page.wait_for_url(re.compile(r".*/portal/plan\?notice=accepted"))
    assert "Your plan" in page.inner_text("main")
    with book.uow() as uow:
        assert [p.offer_id for p in uow.negotiation.plans(case_id=case)] == [plain.offer_id]
