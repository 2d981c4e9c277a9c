"""The manager's dashboard: the analytics figures as worked examples with exact numbers
(no database), and the page, its filters and its CSV exports on a simulated book on
SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import warnings
from collections.abc import Callable, Iterator

import pytest

from access import token_headers
from dunwell.analytics.figures import figures, snapshots
from dunwell.analytics.model import (
    Book,
    CaseRow,
    ContactRow,
    CostRow,
    DecisionRow,
    LoanEventRow,
    LoanRow,
    PaymentRow,
    PromiseRow,
    Scope,
    VisitRow,
)
from dunwell.api.app import create_app
from dunwell.bootstrap import Dunwell
from dunwell.core.errors import InvalidInput

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

D = dt.date


def worked_book() -> Book:
    """Four loans of 1,000.00 disbursed on 2025-01-10 (two products), three of
    borrower-territory "north":

    - loan 1 stays current and repays 200.00 principal on 02-10;
    - loan 2 falls to M1 on 02-11, M2 on 03-13 and pays 150.00 (100.00 principal) on 03-20;
    - loan 3 falls to M1 on 02-11, cures on 02-25 (paying 300.00, all principal);
    - loan 4 (south) falls to M1 on 02-11, M3 on 04-12."""
    loans = tuple(LoanRow(i, 100 + i, "cash" if i < 4 else "shop", "CNY", 100_000,
                          D(2025, 1, 10)) for i in range(1, 5))
    ev = (LoanEventRow(2, D(2025, 2, 11), "bucket_changed", 0, 1),
          LoanEventRow(2, D(2025, 3, 13), "bucket_changed", 1, 2),
          LoanEventRow(3, D(2025, 2, 11), "bucket_changed", 0, 1),
          LoanEventRow(3, D(2025, 2, 25), "bucket_changed", 1, 0),
          LoanEventRow(4, D(2025, 2, 11), "bucket_changed", 0, 1),
          LoanEventRow(4, D(2025, 4, 12), "bucket_changed", 1, 3))
    pays = (PaymentRow(1, D(2025, 2, 10), 20_000, 20_000),
            PaymentRow(2, D(2025, 3, 20), 15_000, 10_000),
            PaymentRow(3, D(2025, 2, 25), 30_000, 30_000))
    cases = (CaseRow("k2", 102, "open", D(2025, 2, 11), None, "humane", "champion"),
             CaseRow("k3", 103, "cured", D(2025, 2, 11), D(2025, 2, 26), "humane", "challenger"),
             CaseRow("k4", 104, "open", D(2025, 2, 11), None, "firm", "champion"))
    contacts = (ContactRow(102, D(2025, 2, 12), "sms", "outbound"),
                ContactRow(102, D(2025, 2, 13), "call", "outbound"),
                ContactRow(103, D(2025, 2, 12), "call", "outbound"),
                ContactRow(104, D(2025, 2, 12), "sms", "outbound"))
    promises = (PromiseRow("k2", D(2025, 3, 20), "kept", 15_000),
                PromiseRow("k4", D(2025, 3, 1), "broken", 5_000))
    visits = (VisitRow(102, D(2025, 3, 18), "f-01", 5_000),)
    costs = (CostRow(104, D(2025, 4, 1), "legal:filed", 2_500),)
    decisions = (DecisionRow(102, D(2025, 2, 12), "deny", "CN-NIGHT"),
                 DecisionRow(104, D(2025, 2, 12), "deny", "CN-NIGHT"),
                 DecisionRow(103, D(2025, 2, 12), "allow", ""))
    return Book("CNY", D(2025, 4, 30), loans, ev, pays, cases, contacts, promises, visits,
                costs, decisions, {101: "north", 102: "north", 103: "north", 104: "south"})


def test_the_figures_of_a_small_book_worked_by_hand() -> None:
    scope = Scope(D(2025, 2, 15), D(2025, 4, 30))
    assert snapshots(scope) == [D(2025, 2, 15), D(2025, 2, 28), D(2025, 3, 31), D(2025, 4, 30)]
    f = figures(worked_book(), scope)
    o = f.overdue  # on 04-30: all four open; 2 in M2, 4 in M3
    assert (o.loans, o.loans_m1, o.loans_m3) == (4, 2, 1)
    # outstanding: 800.00 + 900.00 + 700.00 + 1,000.00
    assert (o.balance_minor, o.balance_m1_minor, o.balance_m3_minor) == (340_000, 190_000,
                                                                         100_000)
    assert str(o.balance_m1.value) == "0.5588" and str(o.count_m3.value) == "0.2500"
    # steps 02-15→02-28, 02-28→03-31, 03-31→04-30: in M1 at their starts 3 + 2 + 1
    # loans; worse: loan 2 (March), loan 4 (April); loan 3 cured in the first step
    m1 = f.rolls[1]
    assert (m1.at_start, m1.worse, m1.same, m1.better) == (6, 2, 3, 1)
    assert str(m1.rate.value) == "0.3333"
    assert (f.cure.numerator, f.cure.denominator) == (1, 7)  # + loan 2 in M2 in April
    # the cohort overdue on 02-15 (loans 2, 3, 4: 3,000.00) paid 150.00 + 300.00
    assert (f.recovery.numerator, f.recovery.denominator) == (45_000, 300_000)
    assert str(f.recovery.value) == "0.1500"
    # collected while overdue (in M1+ the day before paying): 150.00 + 300.00; the
    # costs: a 50.00 visit and a 25.00 legal step
    assert (f.collected_overdue_minor, f.cost_minor) == (45_000, 7_500)
    assert str(f.cost_per_unit.value) == "0.1667"
    assert (f.contacts_per_case.numerator, f.contacts_per_case.denominator) == (0, 3)
    assert (f.promises_kept.numerator, f.promises_kept.denominator) == (1, 2)
    [agent, total] = f.roi
    assert (agent.agent_id, agent.visits, agent.cost_minor, agent.collected_minor) == (
        "f-01", 1, 5_000, 15_000)
    assert str(total.ratio.value) == "3.0000"
    assert f.denials == ()  # the denials were before the period
    champion, challenger = f.variants[1], f.variants[0]
    assert (champion.variant, champion.cases, champion.promises_kept) == ("champion", 2, 1)
    assert (challenger.variant, challenger.cases, challenger.cured) == ("challenger", 1, 1)
    assert f.vintages == ()  # nothing disbursed in the period


def test_filters_narrow_every_figure_and_vintages_follow_months_on_book() -> None:
    book = worked_book()
    whole = Scope(D(2025, 1, 1), D(2025, 4, 30))
    f = figures(book, whole)
    assert f.denials == (("CN-NIGHT", 2),)
    assert (f.contacts_per_case.numerator, f.contacts_per_case.denominator) == (4, 3)
    by_mob = {p.months_on_book: (p.loans, p.ever_m1, p.ever_m3) for p in f.vintages}
    # MOB 1 ends 02-10 (nobody overdue yet), MOB 2 03-10, MOB 3 04-10 (loan 4 not yet M3)
    assert by_mob == {1: (4, 0, 0), 2: (4, 3, 0), 3: (4, 3, 0)}
    north = figures(book, Scope(whole.date_from, whole.date_to, territory="north"))
    assert north.overdue.loans == 3 and north.denials == (("CN-NIGHT", 1),)
    firm = figures(book, Scope(whole.date_from, whole.date_to, strategy="firm"))
    assert firm.overdue.loans == 1 and [v.variant for v in firm.variants] == ["champion"]
    shop = figures(book, Scope(whole.date_from, whole.date_to, product="shop"))
    assert shop.overdue.loans_m3 == 1 and shop.cost_minor == 2_500
    with pytest.raises(InvalidInput) as refused:
        figures(book, Scope(D(2025, 3, 1), D(2025, 2, 1)))
    assert refused.value.code == "period_must_run_forwards"


# --- the page on a simulated book --------------------------------------------------------

START = D(2025, 1, 31)


@pytest.fixture
def book(simulated_book: Callable[..., Dunwell]) -> Dunwell:
    return simulated_book(loans=40, start=START, seed=7, days=70)


@pytest.fixture
def manager(book: Dunwell) -> Iterator[TestClient]:
    with TestClient(create_app(dunwell=book), headers={
            **token_headers(book, "manager"), "Accept-Language": "en"}) as client:
        yield client


def parse(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))


def test_the_dashboard_shows_every_figure_filters_and_exports_what_it_shows(
        manager: TestClient) -> None:
    page = manager.get("/dashboard")
    assert page.status_code == 200
    html = page.text
    assert html.count("<h1>") == 1 and "Dashboard" in html
    for name in ("overdue", "rates", "rolls", "variants", "roi", "denials", "vintage"):
        assert re.search(rf'href="/dashboard/export/{name}\.csv\?from=2025-01-31&amp;'
                         rf'to=2025-04-1\d"', html), name
    assert '<script type="application/json" id="fig-vintage">' in html
    assert '<script src="/static/charts/plotly.min.js" defer>' in html
    assert "https://" not in html and "cdn" not in html.lower()
    # the overdue table on the page and in the CSV agree, money as decimal strings
    rows = parse(manager.get("/dashboard/export/overdue.csv").text)
    assert rows[0] == ["Measure", "All open", "M1+", "M3+", "M1+ rate", "M3+ rate"]
    assert rows[1][0] == "Loans" and rows[2][0] == "Outstanding principal"
    assert "." in rows[2][1] and rows[2][1].replace(".", "").isdigit()
    for cell in rows[2][1:4]:
        assert f'<td class="num">{cell}</td>' in html
    # a product filter narrows the loans
    product = "shortterm_bullet_1m"
    narrowed = manager.get("/dashboard", params={"product": product})
    assert narrowed.status_code == 200 and f'<option value="{product}" selected>' in narrowed.text
    some = parse(manager.get("/dashboard/export/overdue.csv", params={"product": product}).text)
    assert 0 < int(some[1][1]) < int(rows[1][1])
    vintage = parse(manager.get("/dashboard/export/vintage.csv").text)
    assert vintage[1][:3] == ["2025-01", "1", "40"]


def test_bad_filters_answer_422_next_to_the_field_and_bad_exports_400(
        manager: TestClient) -> None:
    page = manager.get("/dashboard", params={"from": "2025-05-01", "to": "2025-02-01",
                                              "product": "nope"})
    assert page.status_code == 422
    assert 'aria-invalid="true" aria-describedby="f-from-error"' in page.text
    assert "The start must not be after the end." in page.text
    assert 'aria-describedby="f-product-error"' in page.text
    assert manager.get("/dashboard/export/overdue.csv", params={"to": "x"}).status_code == 400
    assert manager.get("/dashboard/export/secrets.csv").status_code == 400


def test_plotly_is_served_by_the_app_and_the_page_is_for_managers_not_collectors(
        book: Dunwell) -> None:
    with TestClient(create_app(dunwell=book)) as client:
        js = client.get("/static/charts/plotly.min.js")
        assert js.status_code == 200 and len(js.content) > 1_000_000
        assert "max-age" in js.headers["cache-control"]
        collector = client.get("/dashboard", headers=token_headers(book, "collector"))
        assert collector.status_code == 403
        zh = client.get("/dashboard", headers=token_headers(book, "risk_analyst"))
        assert zh.status_code == 200 and "经营看板" in zh.text
