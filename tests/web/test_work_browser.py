"""The workbench and the field day in a real browser (Debian's chromium driven by
Playwright, the app served on 127.0.0.1): a collector signs in, opens a case from the
queue and records a promise; a field agent signs in on a phone-sized screen, opens
the first stop of the day and records the visit's outcome. Screenshots go to
var/test-artifacts/screenshots/."""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "field"))

from field_book import DAY, NOW, agent, offset, put_visit_case
from work_book import queued_book

from dunwell.app.field.visits import plan_visits, set_address
from dunwell.app.identity.accounts import add_user
from dunwell.bootstrap import Dunwell, bootstrap, router_for
from dunwell.settings import Settings
from dunwell.store.collections_repo import CaseRepository
from dunwell.store.field_repo import FieldRepository
from serving import serve

if TYPE_CHECKING:
    from playwright.sync_api import Page

CHROMIUM = Path("/usr/bin/chromium")
sync_api = pytest.importorskip("playwright.sync_api")
pytestmark = [
    pytest.mark.skipif(not CHROMIUM.exists(),
                       reason="needs Debian's chromium (apt install chromium)"),
    pytest.mark.sqlite_only(reason=(
        "a browser drives the pages; the collections services they call are tested on both "
        "databases")),
]
SHOTS = Path("var/test-artifacts/screenshots")
PASSWORD = "correct horse battery staple"


@pytest.fixture
def http_app(tmp_path: Path) -> Iterator[Dunwell]:
    """A SQLite book served over plain http (cookies without Secure)."""
    app = bootstrap(Settings(db_url=f"sqlite:///{tmp_path / 'book.sqlite'}", partitions=2,
                             log_level="WARNING", cookie_secure=False))
    yield app
    app.engine.dispose()


@pytest.fixture
def browser(chromium: object) -> object:
    return chromium


def sign_in(page: Page, url: str, name: str) -> None:
    page.goto(f"{url}/sign-in?lang=en")
    page.fill("#name", name)
    page.fill("#password", PASSWORD)
    page.click("main button[type=submit]")


def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_a_collector_records_a_promise(http_app: Dunwell, browser: object) -> None:
    queued_book(http_app)
    add_user(http_app, name="wang", role="collector", now=NOW, password=PASSWORD,
             staff_id="c-01")
    with serve(http_app) as url:
        page = browser.new_page(viewport={"width": 1280, "height": 900})  # type: ignore[attr-defined]
        sign_in(page, url, "wang")
        page.wait_for_url(f"{url}/work")
        assert page.locator("tbody tr").count() == 3
        shot(page, "workbench-queue")
        page.click("text=case-1-20250216")
        page.wait_for_selector("#may-contact")
        shot(page, "workbench-case")
        page.fill("#promise-amount", "200.00")
        page.fill("#promise-by", "2025-03-01")
        page.click("#promise-form + form button[type=submit]")
        page.wait_for_selector("#notice")
        assert "promise is recorded" in page.inner_text("#notice")
        shot(page, "workbench-promise-saved")
    with http_app.uow() as uow:
        promise = CaseRepository(uow.conn).get("case-1-20250216").open_promise
    assert promise is not None and promise.amount_minor == 20_000
    assert promise.due_date == dt.date(2025, 3, 1)


def test_a_field_agent_records_a_visit(http_app: Dunwell, browser: object) -> None:
    for k, (n, e) in enumerate([(1, 0), (0, 2), (-1, 1), (2, 2)], start=1):
        put_visit_case(http_app, k)
        lat, lon = offset(n, e)
        set_address(http_app, borrower_id=k, text=f"成都市武侯区人民南路{k}号", latitude=lat,
                    longitude=lon, now=NOW)
    agent(http_app, "f-01")
    plan_visits(http_app, plan_date=DAY, router=router_for("nearest"), now=NOW)
    add_user(http_app, name="zhang", role="field_agent", now=NOW, password=PASSWORD,
             staff_id="f-01")
    with serve(http_app) as url:
        page = browser.new_page(viewport={"width": 390, "height": 844})  # type: ignore[attr-defined]
        sign_in(page, url, "zhang")
        page.goto(f"{url}/field?day={DAY}&lang=en")
        assert page.locator("svg.route-map circle").count() == 4
        shot(page, "field-day")
        page.click("ol.stops li:first-child h3 a")
        page.wait_for_selector("#outcome")
        page.check("#check-identity")
        page.check("#check-recording")
        page.select_option("#outcome", "refused")
        page.fill("#note", "spoke at the door; asked us to write instead")
        page.fill("#latitude", f"{offset(1, 0)[0]}")
        page.fill("#longitude", f"{offset(1, 0)[1]}")
        shot(page, "field-visit-form")
        page.click("main form button[type=submit]")
        page.wait_for_selector("[role=status]")
        shot(page, "field-visit-saved")
    with http_app.uow() as uow:
        done = [v for v in FieldRepository(uow.conn).visits_on(DAY) if v.outcome is not None]
    assert len(done) == 1 and done[0].outcome is not None
    assert done[0].outcome.value == "refused" and done[0].agent_id == "f-01"
