"""The README's tour runs as written.

Every ``dunwell ...`` line of the fenced ``sh`` blocks from "## A short tour" to the
next section is read from README.md, split as a shell splits it, and run against a
demo book (60 loans, 70 days of the lender's day) with only its placeholders filled
in: ``--db ...`` becomes the book's URL, and the README's example ids and dates (loan
17, borrower 117, case-19-20250219, offer 7, visit 12, staff f-11, ...) become real ones
in the state the command needs, looked up or prepared just before the line runs.

Lines another test runs are named in :data:`COVERED_ELSEWHERE`; ``dunwell serve`` is
run here as a server (:data:`SERVERS`). A README line in none of :data:`TOUR`,
:data:`SERVERS` and :data:`COVERED_ELSEWHERE` fails
:func:`test_every_tour_line_is_run_or_covered_elsewhere`.
"""

from __future__ import annotations

import datetime as dt
import importlib.resources
import json
import os
import shlex
import shutil
import socket
import subprocess
import sys
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from dunwell.app.audit import anchor
from dunwell.app.complaints.service import list_complaints
from dunwell.app.lending.payments import quote_payoff
from dunwell.app.training import service as training_svc
from dunwell.bootstrap import Dunwell, bootstrap, router_for
from dunwell.cli.main import app as cli
from dunwell.core.dates import to_day
from dunwell.lending.delinquency import dpd_on
from dunwell.lending.model import RepaymentMethod
from dunwell.settings import Settings
from dunwell.simulation.portfolio import run_days, seed_book
from dunwell.training.curriculum import builtin_curriculum

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
THIS = Path(__file__).resolve().relative_to(ROOT).as_posix()
TOUR_HEADING = "## A short tour"
START = dt.date(2025, 1, 31)
SEED = 7
LOANS = 60
DAYS = 70
runner = CliRunner()

# --- the README's tour ------------------------------------------------------------------


def tour_lines(text: str) -> list[str]:
    """The command lines of the tour: ``dunwell ...`` lines inside ```sh blocks from
    the tour's heading to the next ``## `` heading, continuation lines joined."""
    lines: list[str] = []
    in_tour = in_sh = False
    pending = ""
    for raw in text.splitlines():
        if raw.startswith("## "):
            in_tour = raw.strip() == TOUR_HEADING
            in_sh = False
            continue
        if not in_tour:
            continue
        if raw.lstrip().startswith("```"):
            in_sh = not in_sh and raw.strip() == "```sh"
            continue
        if not in_sh or not (pending or raw.startswith("dunwell ")):
            continue
        if raw.rstrip().endswith("\\"):
            pending += raw.rstrip()[:-1]
            continue
        lines.append(pending + raw)
        pending = ""
    return lines


def readme_tour() -> list[str]:
    found = tour_lines(README.read_text(encoding="utf-8"))
    assert found, f"README.md has no `dunwell` lines after {TOUR_HEADING!r}"
    return found


def as_written(line: str, fill: dict[str, str], db: str) -> list[str]:
    """The line's words after ``dunwell``, as a shell reads them, with every ``--db``
    pointing at ``db`` and the placeholders in ``fill`` filled in: a key ``--opt``
    fills the value after that option, any other key fills the word equal to it."""
    words = shlex.split(line, comments=True)[1:]
    for k in range(1, len(words)):
        previous = words[k - 1]
        if previous == "--db":
            words[k] = db
        elif previous in fill and previous.startswith("--"):
            words[k] = fill[previous]
        elif words[k] in fill and not words[k].startswith("--"):
            words[k] = fill[words[k]]
    return words


# --- what other tests run ---------------------------------------------------------------

#: Tour lines (by prefix) that another test runs, with that test.
COVERED_ELSEWHERE: dict[str, str] = {
    "dunwell demo --loans": "tests/cli/test_book_cli.py::"
                            "test_demo_books_loans_runs_cob_and_prints_the_book_by_bucket",
    "dunwell demo --serve": "tests/cli/test_demo_serve_cli.py::"
                            "test_the_demo_serves_its_book_after_the_run",
    "dunwell letters ": "tests/letters/test_letters_readme.py::"
                        "test_the_readme_letter_commands_run_as_written",
    "dunwell legal ": "tests/letters/test_letters_readme.py::"
                      "test_the_readme_legal_commands_run_as_written_and_the_bundle_proves_"
                      "delivery",
}

#: Tour lines (by prefix) that start a server: run here as a process on 127.0.0.1 by
#: the test named.
SERVERS: dict[str, str] = {
    "dunwell serve": "test_the_readme_serve_line_answers_with_the_api_schema",
}


# --- the book and the placeholders ------------------------------------------------------


@dataclass
class Tour:
    """The demo book the tour runs on, its working directory, and the real ids chosen
    for the README's example ones (each chosen once, when a line first needs it)."""

    app: Dunwell
    db_url: str
    workdir: Path
    chosen: dict[str, Any] = field(default_factory=dict)

    def pick(self, name: str, choose: Callable[[Tour], Any]) -> Any:
        if name not in self.chosen:
            self.chosen[name] = choose(self)
        return self.chosen[name]

    def today(self) -> dt.date:
        with self.app.uow() as uow:
            return uow.book.require().business_date


Fill = Callable[[Tour], dict[str, str]]


def nothing(_: Tour) -> dict[str, str]:
    return {}


#: Loan 17's payoff quote before the README pays it: above the prepayment of 5000 with
#: room for what is due, and low enough that the payoff of 9999 covers what is left.
PAYOFF_QUOTE_MIN_MINOR = 7_000_00
PAYOFF_QUOTE_MAX_MINOR = 14_000_00


def the_loan(tour: Tour) -> int:
    """Loan 17 of the README: paid, prepaid (shorten_term) by 5000 and paid off with
    9999, so an open loan with instalments still to come, on a method that can shorten
    its term, and a payoff quote between the two; an overdue one if there is one."""
    with tour.app.uow() as uow:
        today = uow.book.require().business_date
        products = uow.products.all()
        fits: list[tuple[bool, int]] = []
        for loan_id in range(1, LOANS + 1):
            loan = uow.loans.get(loan_id)
            method = products[loan.product_code].method
            if (not loan.status.is_open
                    or method in (RepaymentMethod.INTEREST_ONLY, RepaymentMethod.BULLET)
                    or not any(i.due_day > to_day(today) for i in loan.installments)):
                continue
            quote = quote_payoff(uow, loan_id=loan_id)
            if PAYOFF_QUOTE_MIN_MINOR <= quote <= PAYOFF_QUOTE_MAX_MINOR:
                fits.append((dpd_on(loan, today) == 0, loan_id))
    assert fits, "the demo book has no loan to pay, prepay and pay off as the README does"
    return min(fits)[1]


def loan_17(tour: Tour) -> dict[str, str]:
    return {"17": str(tour.pick("loan", the_loan)), "--loan": str(tour.pick("loan", the_loan))}


def a_regular_payment(tour: Tour) -> int:
    """Payment 12: a regular payment, not reversed, on another open loan."""
    loan = tour.pick("loan", the_loan)
    with tour.app.uow() as uow:
        for loan_id in range(1, LOANS + 1):
            if loan_id == loan or not uow.loans.get(loan_id).status.is_open:
                continue
            for p in uow.payments.for_loan(loan_id):
                if p.kind == "regular" and p.reversal_entry_id is None:
                    return p.payment_id
    raise AssertionError("the demo book has no regular payment to reverse")


def payment_12(tour: Tour) -> dict[str, str]:
    return {"12": str(a_regular_payment(tour))}


def until_days_ahead(days: int) -> Fill:
    """``--until`` a few days after the open date: the README's dates are far ahead,
    and the day loop routes visits with OR-Tools for each date."""
    def fill(tour: Tour) -> dict[str, str]:
        return {"--until": (tour.today() + dt.timedelta(days=days)).isoformat()}
    return fill


def a_case_of(tour: Tour, *, exclude: set[str]) -> tuple[str, int]:
    """An open case (no promise pending) and its borrower."""
    with tour.app.uow() as uow:
        active = uow.cases.active()
    for borrower_id in sorted(active):
        stored = active[borrower_id]
        if stored.view.status.value == "open" and stored.view.case_id not in exclude:
            return stored.view.case_id, borrower_id
    raise AssertionError(f"the demo book has no open case besides {sorted(exclude)}")


def contact_case(tour: Tour) -> tuple[str, int]:
    return a_case_of(tour, exclude=set())


def borrower_117(tour: Tour) -> dict[str, str]:
    """Borrower 117 and case-117-20250301: a borrower with an open case, called at ten
    on the open date, and promising to pay four days later."""
    case_id, borrower_id = tour.pick("contact_case", contact_case)
    today = tour.today()
    at = dt.datetime.combine(today, dt.time(10, 0), tzinfo=dt.timezone(dt.timedelta(hours=8)))
    return {"117": str(borrower_id), "--at": at.isoformat(),
            "case-117-20250301": case_id,
            "--by": (today + dt.timedelta(days=4)).isoformat()}


def negotiation_case(tour: Tour) -> str:
    contacted, _ = tour.pick("contact_case", contact_case)
    return a_case_of(tour, exclude={contacted})[0]


def case_19(tour: Tour) -> dict[str, str]:
    return {"case-19-20250219": tour.pick("negotiation_case", negotiation_case)}


def an_offer(tour: Tour) -> int:
    """Offer 7: today's best offer on the negotiation case that a team lead may
    approve."""
    case_id = tour.pick("negotiation_case", negotiation_case)
    with tour.app.uow() as uow:
        offers = uow.negotiation.offers_for_case(case_id)
    open_ = [o for o in offers if o.status.value == "open"
             and o.offer.approval_role.value in ("collector", "team_lead")]
    assert open_, f"{case_id} has no open offer a team lead may approve"
    return min(open_, key=lambda o: o.rank).offer_id


def offer_7(tour: Tour) -> dict[str, str]:
    return {"7": str(tour.pick("offer", an_offer))}


def plan_date(tour: Tour) -> dict[str, str]:
    return {"--date": tour.today().isoformat()}


def a_planned_visit(tour: Tour) -> tuple[int, dt.date]:
    """Visit 12: the latest visit planned on an agent's itinerary with no outcome."""
    with tour.app.uow() as uow:
        repo = uow.field
        first, last = START, tour.today()
        for k in range((last - first).days, -1, -1):
            day = first + dt.timedelta(days=k)
            planned = [v for v in repo.visits_on(day)
                       if v.agent_id is not None and v.status.value == "planned"]
            if planned:
                return planned[-1].visit_id, day
    raise AssertionError("the demo book has no planned visit")


def visit_12(tour: Tour) -> dict[str, str]:
    visit_id, day = a_planned_visit(tour)
    at = dt.datetime.combine(day, dt.time(15, 20), tzinfo=dt.timezone(dt.timedelta(hours=8)))
    return {"12": str(visit_id), "--at": at.isoformat()}


def trainee(tour: Tour) -> str:
    """Staff f-11: a field agent of the book, taking SAF-101 again."""
    with tour.app.uow() as uow:
        agents = uow.field.agents()
    return agents[-1].agent_id


def staff_f11(tour: Tour) -> dict[str, str]:
    return {"f-11": tour.pick("trainee", trainee)}


def staff_f11_passed(tour: Tour) -> dict[str, str]:
    """Before ``certify``: what the README leaves to `training module done` and
    `training attempt` — every module done and the assessment passed."""
    staff_id = tour.pick("trainee", trainee)
    course = builtin_curriculum().course("SAF-101")
    now = dt.datetime.combine(tour.today(), dt.time(9, 0), tzinfo=dt.UTC)
    for module_id in course.module_ids:
        training_svc.complete_module(tour.app, staff_id=staff_id, course_id=course.course_id,
                                     module_id=module_id, now=now)
    training_svc.submit_attempt(
        tour.app, staff_id=staff_id, course_id=course.course_id,
        answers={q.question_id: q.answer for q in course.questions}, started_at=now,
        submitted_at=now + dt.timedelta(minutes=15), now=now + dt.timedelta(minutes=15))
    return {"f-11": staff_id}


def credit_line_1(tour: Tour) -> dict[str, str]:
    """Credit line 1: the line opened by the README's application (key app-0001)."""
    with tour.app.uow() as uow:
        application = uow.origination.application_by_key("app-0001")
    assert application is not None and application.credit_line_id is not None, \
        "the README's application opened no credit line"
    return {"1": str(application.credit_line_id)}


def token_1(tour: Tour) -> dict[str, str]:
    """Token 1: the newest token of li.na, the user the tour added."""
    with tour.app.uow() as uow:
        user = uow.identity.named("li.na")
        ids = [t.token_id for t in uow.identity.tokens() if t.user_id == user.user_id]
    assert ids, "the tour's `token create` made no token for li.na"
    return {"1": str(max(ids))}


def complaint_1(tour: Tour) -> dict[str, str]:
    """Complaint 1: the one the tour's `complaints record` line made."""
    found = list_complaints(tour.app, today=tour.today())
    assert found, "the tour's `complaints record` made no complaint"
    return {"1": str(max(c.complaint.complaint_id for c in found))}


def audit_anchor(tour: Tour) -> dict[str, str]:
    """The anchor the tour's `audit anchor` line printed: the log's head now."""
    return {"--anchor": str(anchor(tour.app))}


#: Every tour line this module runs (by prefix; the longest matching prefix applies),
#: with what fills its placeholders just before it runs.
TOUR: dict[str, Fill] = {
    "dunwell schedule": nothing,
    "dunwell init": nothing,  # a new book of its own: var/dunwell.sqlite in the workdir
    "dunwell portfolio": nothing,
    "dunwell loan 17": loan_17,
    "dunwell pay 17": loan_17,
    "dunwell reverse 12": payment_12,
    "dunwell cob --until": until_days_ahead(2),
    "dunwell balances --loan 17": loan_17,
    "dunwell book verify": nothing,
    "dunwell cost-cap": nothing,
    "dunwell day run --until": until_days_ahead(1),
    "dunwell day status": nothing,
    "dunwell collect": nothing,
    "dunwell queue": nothing,
    "dunwell case list": nothing,
    "dunwell case 117": borrower_117,
    "dunwell contact 117": borrower_117,
    "dunwell promise case-117-": borrower_117,
    "dunwell borrower prefs 117": borrower_117,
    "dunwell audit verify": nothing,
    "dunwell strategy check": nothing,  # my-strategy.yaml: the humane strategy's YAML
    "dunwell compliance evaluate": nothing,  # scenarios.jsonl: two DESIGN §4 scenarios
    "dunwell outbox dispatch": nothing,
    "dunwell outbox list": nothing,
    "dunwell templates check": nothing,
    "dunwell field agent list": nothing,
    "dunwell field plan --date": plan_date,
    "dunwell field visit 12": visit_12,
    "dunwell field roi": nothing,
    "dunwell training courses": nothing,
    "dunwell training enrol f-11": staff_f11,
    "dunwell training certify f-11": staff_f11_passed,
    "dunwell training status": nothing,
    "dunwell training warnings": nothing,
    "dunwell training quality": nothing,
    "dunwell hardship case-19-": case_19,
    "dunwell offers case-19-": case_19,
    "dunwell plan approve 7": offer_7,
    "dunwell plan accept 7": offer_7,
    "dunwell merchants import": nothing,  # examples/merchant_records.csv
    "dunwell apply --json": nothing,  # examples/application_merchant.json
    "dunwell credit-line show 1": credit_line_1,
    "dunwell credit-line draw 1": credit_line_1,
    "dunwell credit-line review": nothing,
    "dunwell origination monitor": nothing,
    "dunwell user ": nothing,  # li.na: added by the tour's first user line
    "dunwell token create": nothing,
    "dunwell token list": nothing,
    "dunwell token revoke 1": token_1,
    "dunwell keys": nothing,
    "dunwell audit anchor": nothing,
    "dunwell audit verify --anchor": audit_anchor,
    "dunwell consent ": borrower_117,
    "dunwell complaints record 117": borrower_117,
    "dunwell complaints list": nothing,
    "dunwell complaints answer 1": complaint_1,
    "dunwell retention report": nothing,
    "dunwell retention apply": nothing,
    "dunwell risk train": nothing,  # tests/data/taiwan_sample.csv
    "dunwell risk score": nothing,
    "dunwell risk report": nothing,
    "dunwell risk monitor": nothing,  # new_batch.csv: rows of the Taiwan sample
    "dunwell simulate": nothing,  # its own temporary books, not the tour's
}


def longest_prefix(line: str, prefixes: list[str]) -> str | None:
    found = [p for p in prefixes if line.startswith(p)]
    return max(found, key=len) if found else None


# --- the input files the README names ---------------------------------------------------

SCENARIOS = [
    {"id": "weekday-call", "jurisdiction": "CN-NIFA",
     "borrower": {"timezone": "Asia/Shanghai", "flags": []},
     "history": [{"ts": "2025-03-01T10:00:00+08:00", "channel": "sms",
                  "direction": "outbound", "outcome": "delivered"}],
     "proposed_action": {"ts": "2025-03-03T10:00:00+08:00", "channel": "call",
                         "recipient": "borrower", "content_tags": ["payment_reminder"]}},
    {"id": "call-at-night", "jurisdiction": "US-RegF",
     "borrower": {"timezone": "America/New_York", "flags": []},
     "history": [],
     "proposed_action": {"ts": "2025-03-03T22:30:00-05:00", "channel": "call",
                         "recipient": "borrower", "content_tags": ["payment_request"]}},
]


def write_inputs(workdir: Path, lines: list[str]) -> None:
    """The files the tour names: repository files (test data, examples) at the same
    relative paths, a strategy of one's own, scenarios and a new batch to monitor."""
    for line in lines:
        for word in shlex.split(line, comments=True):
            source = ROOT / word
            if "/" in word and not word.startswith("-") and source.is_file():
                (workdir / word).parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(source, workdir / word)
    humane = importlib.resources.files("dunwell.collections") / "strategies" / "humane.yaml"
    (workdir / "my-strategy.yaml").write_text(humane.read_text(encoding="utf-8"),
                                              encoding="utf-8")
    (workdir / "scenarios.jsonl").write_text(
        "".join(json.dumps(s) + "\n" for s in SCENARIOS), encoding="utf-8")
    sample = (ROOT / "tests" / "data" / "taiwan_sample.csv").read_text(
        encoding="utf-8").splitlines()
    (workdir / "new_batch.csv").write_text("\n".join([sample[0], *sample[-500:]]) + "\n",
                                           encoding="utf-8")


@pytest.fixture(scope="module")
def tour(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Tour]:
    """The demo book in a working directory of its own, where the tour's relative
    paths (var/..., my-strategy.yaml, tests/data/...) land."""
    workdir = tmp_path_factory.mktemp("tour")
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(workdir)
        mp.delenv("DUNWELL_DB_URL", raising=False)
        write_inputs(workdir, readme_tour())
        db_url = f"sqlite:///{workdir / 'book.sqlite'}"
        app = bootstrap(Settings(db_url=db_url, partitions=3, log_level="WARNING"))
        seed_book(app, loans=LOANS, start=START, seed=SEED)
        run_days(app, days=DAYS, seed=SEED, dispatch=True, router=router_for("nearest"))
        yield Tour(app, db_url, workdir)
        app.engine.dispose()


def run_line(line: str, words: list[str]) -> tuple[int, str]:
    result = runner.invoke(cli, words)
    out = result.output
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        out += "".join(traceback.format_exception(result.exception))
    return result.exit_code, out


# --- the tests --------------------------------------------------------------------------


def test_the_tour_is_read_as_a_shell_reads_it() -> None:
    text = "\n".join([
        "## A short tour", "", "```sh", ". .venv/bin/activate",
        "dunwell schedule --principal 10000 \\", "    --periods 3   # a comment",
        "dunwell reverse 12 --reason \"bounced\" --db ...", "```", "",
        "Prose with `dunwell pay` in it.", "```text", "dunwell not-a-command", "```",
        "## What is where", "```sh", "dunwell after-the-tour", "```"])
    lines = tour_lines(text)
    assert lines == ["dunwell schedule --principal 10000     --periods 3   # a comment",
                     'dunwell reverse 12 --reason "bounced" --db ...']
    assert as_written(lines[1], {"12": "40"}, "sqlite:///b.sqlite") == [
        "reverse", "40", "--reason", "bounced", "--db", "sqlite:///b.sqlite"]


def test_every_tour_line_is_run_or_covered_elsewhere() -> None:
    lines = readme_tour()
    known = [*TOUR, *SERVERS, *COVERED_ELSEWHERE]
    untested = [line for line in lines if longest_prefix(line, known) is None]
    assert not untested, ("README tour lines no test runs; add each to TOUR in this module "
                          "(with what it needs) or to COVERED_ELSEWHERE:\n"
                          + "\n".join(untested))
    stale = [p for p in known if not any(line.startswith(p) for line in lines)]
    assert not stale, f"entries that name no README tour line: {stale}"
    tests = [*COVERED_ELSEWHERE.values(), *(f"{THIS}::{name}" for name in SERVERS.values())]
    for where in tests:
        path, name = where.split("::")
        assert f"def {name}(" in (ROOT / path).read_text(encoding="utf-8"), where


@pytest.mark.slow
def test_every_tour_line_runs_as_written_on_a_demo_book(tour: Tour) -> None:
    failed = []
    ran = 0
    for line in readme_tour():
        if longest_prefix(line, [*SERVERS, *COVERED_ELSEWHERE]) is not None:
            continue
        prefix = longest_prefix(line, list(TOUR))
        assert prefix is not None, f"no test for {line!r}"
        words = as_written(line, TOUR[prefix](tour), tour.db_url)
        code, out = run_line(line, words)
        ran += 1
        if code != 0:
            failed.append(f"$ {line}\n  ran as: dunwell {shlex.join(words)}\n  exit {code}\n"
                          f"{out}")
    assert not failed, f"{len(failed)} of {ran} README lines failed:\n\n" + "\n\n".join(failed)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.slow
def test_the_readme_serve_line_answers_with_the_api_schema(tmp_path: Path) -> None:
    [line] = [line for line in readme_tour() if line.startswith("dunwell serve")]
    db_url = f"sqlite:///{tmp_path / 'served.sqlite'}"
    bootstrap(Settings(db_url=db_url, log_level="WARNING")).engine.dispose()
    port = free_port()
    words = [*as_written(line, {}, db_url), "--host", "127.0.0.1", "--port", str(port)]
    env = {k: v for k, v in os.environ.items() if k != "DUNWELL_DB_URL"}
    proc = subprocess.Popen([sys.executable, "-m", "dunwell.cli.main", *words], cwd=tmp_path,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)
    try:
        answer = None
        deadline = time.monotonic() + 900  # a hang guard: a busy machine only waits longer
        while answer is None and time.monotonic() < deadline and proc.poll() is None:
            try:
                answer = httpx.get(f"http://127.0.0.1:{port}/openapi.json", timeout=2)
            except httpx.TransportError:
                time.sleep(0.2)
        assert answer is not None, f"`{line}` stopped or never served"
        assert answer.status_code == 200 and "paths" in answer.json()
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=30)
    assert f"serving on http://127.0.0.1:{port}" in out
