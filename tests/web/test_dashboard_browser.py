"""The manager's dashboard in a real browser (Debian's chromium driven by Playwright,
the app served on 127.0.0.1) on a simulated book: a manager signs in, the charts are
drawn by the Plotly bundle the app serves (no console error, no request to another
host), a product filter changes the figures and the charts, and a table exported as
CSV holds the rows the page shows. Screenshots go to
var/test-artifacts/screenshots/dashboard-*.png."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import test_dashboard_pages as pages

from dunwell.app.identity.accounts import add_user
from dunwell.bootstrap import Dunwell, bootstrap
from dunwell.settings import Settings
from serving import serve

if TYPE_CHECKING:
    from playwright.sync_api import Page

CHROMIUM = Path("/usr/bin/chromium")
SHOTS = Path("var/test-artifacts/screenshots")
sync_api = pytest.importorskip("playwright.sync_api")
pytestmark = [
    pytest.mark.skipif(not CHROMIUM.exists(),
                       reason="needs Debian's chromium (apt install chromium)"),
    pytest.mark.sqlite_only(reason=(
        "a browser draws the charts; the dashboard's figures are tested on both databases in "
        "test_dashboard_pages")),
]
PASSWORD = "correct horse battery staple"
#: A product of the simulated book with overdue loans, cases and guard denials.
PRODUCT = "inventory_interest_only_3m"
#: The charts the page draws on this book: every table but the rates has one, drawn
#: when the table has rows (the simulated book records no field visits, so no visit
#: return).
CHARTS = ("overdue", "rolls", "variants", "denials", "vintage")

#: The simulated book of the page tests (40 loans run for 70 days), here on SQLite.
book = pages.book


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Dunwell]:
    """A SQLite book served over plain http (cookies without Secure)."""
    dunwell = bootstrap(Settings(db_url=f"sqlite:///{tmp_path / 'book.sqlite'}",
                                 partitions=3, log_level="WARNING", cookie_secure=False))
    yield dunwell
    dunwell.engine.dispose()


@pytest.fixture
def browser(chromium: Any) -> Any:
    return chromium


def shot(page: Page, step: str, until: str | None = None) -> None:
    """The whole page, or (``until``) the page's top down to that element's bottom."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = str(SHOTS / f"dashboard-{step}.png")
    if until is None:
        page.screenshot(path=path, full_page=True)
        return
    page.evaluate("window.scrollTo(0, 0)")
    box = page.locator(until).bounding_box()
    assert box is not None
    width = page.viewport_size["width"] if page.viewport_size else 1200
    page.screenshot(path=path, full_page=True,
                    clip={"x": 0, "y": 0, "width": width, "height": box["y"] + box["height"] + 12})


def drawn(page: Page) -> None:
    """Every chart box holds Plotly's SVG with marks; a table without rows has no chart."""
    page.wait_for_function(
        "names => names.every(n => document.querySelector(`#chart-${n} svg.main-svg`))",
        arg=list(CHARTS))
    boxes = page.eval_on_selector_all("[data-figure]", "bs => bs.map(b => b.id)")
    assert boxes == [f"chart-{name}" for name in CHARTS]
    for name in CHARTS:
        assert page.locator(f"#chart-{name}.js-plotly-plot svg.main-svg").count() >= 1, name
        assert page.locator(f"#chart-{name} g.trace path").count() > 0, name
    assert page.locator("#h-roi ~ .chart").count() == 0
    assert "Nothing in this scope." in page.inner_text("section[aria-labelledby=h-roi]")


def table_rows(page: Page, name: str) -> list[list[str]]:
    """The table as the reader sees it: the header row, then each row's cells."""
    got: list[list[str]] = page.evaluate(
        """name => Array.from(document.querySelectorAll(`#table-${name} tr`),
                 tr => Array.from(tr.cells, c => c.textContent.trim()))""", name)
    return got


def chart_y(page: Page, name: str) -> list[list[float | None]]:
    """The y values of each trace Plotly drew in a chart."""
    got: list[list[float | None]] = page.evaluate(
        "name => document.getElementById(`chart-${name}`).data.map(t => t.y)", name)
    return got


def plotted(overdue: list[list[str]]) -> list[list[float | None]]:
    """What the overdue chart should plot: the table's M1+ and M3+ rates in percent, by
    count and by balance."""
    def pct(cell: str) -> float | None:
        return None if cell == "—" else round(float(cell) * 100, 6)
    return [[pct(row[4]), pct(row[5])] for row in overdue[1:3]]


def test_a_manager_reads_filters_and_exports_the_dashboard(book: Dunwell, browser: Any,
                                                             tmp_path: Path) -> None:
    add_user(book, name="zhou", role="manager", now=dt.datetime.now(dt.UTC),
             password=PASSWORD, staff_id="m-01")
    with serve(book) as url:
        context = browser.new_context(viewport={"width": 1200, "height": 900},
                                      locale="en-GB", accept_downloads=True)
        page: Page = context.new_page()
        requests: list[str] = []
        errors: list[str] = []
        page.on("request", lambda r: requests.append(r.url))
        # the browser's own request for /favicon.ico (the app has no icon) is not the page's
        page.on("console", lambda m: errors.append(f"{m.text} ({m.location.get('url')})")
                if m.type == "error" and not m.location.get("url", "").endswith("/favicon.ico")
                else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        failed: list[str] = []
        page.on("response", lambda r: failed.append(f"{r.status} {r.url}")
                if r.status >= 400 else None)

        page.goto(f"{url}/sign-in?lang=en")
        page.fill("#name", "zhou")
        page.fill("#password", PASSWORD)
        page.click("main button[type=submit]")
        page.wait_for_url(lambda u: "/sign-in" not in u)
        page.goto(f"{url}/dashboard?lang=en")
        assert page.inner_text("h1") == "Dashboard"
        drawn(page)
        assert f"{url}/static/charts/plotly.min.js" in requests
        whole = table_rows(page, "overdue")
        whole_y = chart_y(page, "overdue")
        assert whole_y == plotted(whole)
        assert whole[0] == ["Measure", "All open", "M1+", "M3+", "M1+ rate", "M3+ rate"]
        assert whole[1][0] == "Loans" and int(whole[1][1]) == 40
        shot(page, "all")
        # the manager narrows the book to one product: the figures and the chart follow
        page.select_option("#f-product", PRODUCT)
        page.click("form.filters button[type=submit]")
        page.wait_for_url(lambda u: f"product={PRODUCT}" in u)
        drawn(page)
        assert page.locator("#f-product").input_value() == PRODUCT
        some = table_rows(page, "overdue")
        assert some[0] == whole[0]
        assert 0 < int(some[1][1]) < int(whole[1][1])
        assert some[2][1] != whole[2][1]  # the outstanding principal
        assert chart_y(page, "overdue") == plotted(some) != whole_y
        shot(page, "product")
        shot(page, "filtered", until="section[aria-labelledby=h-overdue] a.export")
        page.locator("section[aria-labelledby=h-vintage]").screenshot(
            path=str(SHOTS / "dashboard-vintage.png"))

        # each table on the page exports as CSV with the filter, row for row
        for name in ("overdue", "variants"):
            link = page.locator(f"a.export[href^='/dashboard/export/{name}.csv']")
            assert f"product={PRODUCT}" in (link.get_attribute("href") or "")
            with page.expect_download() as info:
                link.click()
            download = info.value
            assert download.suggested_filename.startswith(f"dunwell-{name}-")
            saved = tmp_path / download.suggested_filename
            download.save_as(saved)
            text = saved.read_text("utf-8-sig")
            rows = [[cell or "—" for cell in row] for row in csv.reader(io.StringIO(text))]
            assert rows == table_rows(page, name), name
            assert len(rows) > 1
        context.close()
    assert failed == []
    assert errors == []
    assert requests and all(r.startswith(f"{url}/") for r in requests), [
        r for r in requests if not r.startswith(f"{url}/")]
