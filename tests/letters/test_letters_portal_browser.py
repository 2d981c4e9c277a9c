"""The borrower's pages in a real browser (Debian's chromium driven by Playwright):
the served app on 127.0.0.1, a borrower who checks our letter's code and then, signed in, asks
for a repayment plan with it, and a borrower who mistypes the code."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from letters_book import LETTER_DAY

from access import token_headers
from dunwell.bootstrap import Dunwell
from dunwell.store.letters_repo import LetterRepository
from serving import serve

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

CHROMIUM = Path("/usr/bin/chromium")
sync_api = pytest.importorskip("playwright.sync_api")
pytestmark = [
    pytest.mark.skipif(not CHROMIUM.exists(),
                       reason="needs Debian's chromium (apt install chromium)"),
    pytest.mark.sqlite_only(reason=(
        "a browser drives the form; the form's writes are tested on both databases in "
        "test_letters_portal")),
]


@pytest.fixture
def served(overdue_book: Dunwell) -> Iterator[str]:
    """The app served by uvicorn on a free 127.0.0.1 port, for the test's duration."""
    with serve(overdue_book) as url:
        yield url


@pytest.fixture
def page(served: str, chromium: Browser) -> Page:
    return chromium.new_page()


def borrower_code(app: Dunwell) -> str:
    with app.uow() as uow:
        [letter] = LetterRepository(uow.conn).listing(borrower_id=1, business_date=LETTER_DAY)
    return letter.verification_code


def test_a_borrower_checks_the_letter_then_asks_for_a_plan(
        page: Page, served: str, overdue_book: Dunwell) -> None:
    code = borrower_code(overdue_book)
    page.goto(f"{served}/letters/verify/{code}")
    assert "genuine" in page.inner_text("h1").lower()

    page.set_extra_http_headers(token_headers(overdue_book, "borrower", borrower_id=1))
    page.goto(f"{served}/portal/hardship")  # signed in (the page sign-in: tests/identity)
    page.fill("#code", code.lower())
    page.select_option("#reason", "family_emergency")
    page.fill("#income", "8000.00")
    page.fill("#expenses", "3000.00")
    page.fill("#other_debts", "500.00")
    page.click("button[type=submit]")
    page.wait_for_selector("table")
    assert "您的还款方案" in page.inner_text("h1")
    rows = page.locator("tbody tr")
    assert rows.count() >= 1
    first = rows.nth(0).inner_text()
    assert "Instalments" in first or "term" in first or "payments" in first
    assert "4500.00" in page.inner_text("body")


def test_a_mistyped_code_shows_the_form_again_with_what_was_wrong(
        page: Page, served: str, overdue_book: Dunwell) -> None:
    code = borrower_code(overdue_book)
    typo = code[:-1] + ("2" if code[-1] != "2" else "3")
    page.set_extra_http_headers(token_headers(overdue_book, "borrower", borrower_id=1))
    page.goto(f"{served}/portal/hardship")
    page.fill("#code", typo)
    page.fill("#income", "8000.00")
    page.fill("#expenses", "3000.00")
    page.click("button[type=submit]")
    alert = page.wait_for_selector("[role=alert]")
    assert "letter_code_must_be_genuine" in alert.inner_text()
    assert page.input_value("#income") == "8000.00"
