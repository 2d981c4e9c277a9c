"""A borrower signs in in a real browser (Debian's chromium driven by Playwright): the
served app on 127.0.0.1, the phone number typed, the code read from the text message
the local provider wrote, then the hardship page opens signed in. The cookies keep
their Secure flag: browsers treat the loopback address as a secure origin."""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from dunwell.app.channels.outbox import set_channel_address
from dunwell.app.context import Dunwell
from dunwell.compliance.model import Jurisdiction
from serving import serve

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

CHROMIUM = Path("/usr/bin/chromium")
sync_api = pytest.importorskip("playwright.sync_api")
pytestmark = [
    pytest.mark.skipif(not CHROMIUM.exists(),
                       reason="needs Debian's chromium (apt install chromium)"),
    pytest.mark.sqlite_only(reason=(
        "a browser drives the sign-in; sessions and codes are tested on both databases in the "
        "identity service tests")),
]
PHONE = "+8613800000001"


@pytest.fixture
def book(app: Dunwell, tmp_path: Path) -> Dunwell:
    settings = app.settings.model_copy(update={"outbox_dir": tmp_path / "outbox"})
    texted = dataclasses.replace(app, settings=settings)
    with texted.uow() as uow:
        uow.borrowers.put(borrower_id=3, name="Borrower 3", jurisdiction=Jurisdiction.CN_NIFA,
                          timezone="Asia/Shanghai", language="zh-CN")
        uow.commit()
    set_channel_address(texted, borrower_id=3, channel="sms", address=PHONE)
    return texted


@pytest.fixture
def page(book: Dunwell, chromium: Browser) -> Iterator[tuple[Page, str]]:
    with serve(book) as url:
        yield chromium.new_page(), url


def texted_code(book: Dunwell) -> str:
    lines = (Path(book.settings.outbox_dir) / "sms.jsonl").read_text("utf-8").splitlines()
    found = re.search(r"\d{6}", json.loads(lines[-1])["body"])
    assert found is not None
    return found.group(0)


def test_a_borrower_signs_in_with_a_texted_code_and_reaches_the_hardship_page(
        page: tuple[Page, str], book: Dunwell) -> None:
    browser, url = page
    first = browser.goto(f"{url}/portal/hardship")
    assert first is not None and first.status == 401
    browser.click("a[href^='/portal/sign-in']")
    browser.fill("#phone", "+86 138 0000 0001")
    browser.click("button[type=submit]")
    browser.wait_for_selector("#code")
    browser.fill("#code", texted_code(book))
    browser.click("button[type=submit]")
    browser.wait_for_url(f"{url}/portal/hardship")
    assert "Ask for a repayment plan" in browser.inner_text("h1")
    cookies = {c["name"]: c for c in browser.context.cookies()}
    assert cookies["dunwell_session"]["httpOnly"] and cookies["dunwell_session"]["secure"]
    assert cookies["dunwell_session"]["sameSite"] == "Lax"
    assert browser.input_value("input[name=csrf_token]") == cookies["dunwell_csrf"]["value"]
