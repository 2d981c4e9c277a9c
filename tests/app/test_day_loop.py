"""The day loop runs the book date by date; each step is recorded once, a second run
changes nothing, an interrupted run resumes, and an unsound book stops it."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from dunwell.app.day.loop import STEPS, BookNotSound, DayOptions, open_date, run_day, run_until
from dunwell.bootstrap import Dunwell, router_for
from dunwell.cli.main import app as cli
from dunwell.simulation.portfolio import seed_book
from dunwell.store import collection_tables as c
from dunwell.store import tables as t
from dunwell.store.day_tables import day_steps

START = dt.date(2025, 1, 31)


def options() -> DayOptions:
    return DayOptions(router=router_for("nearest"))


def counts(app: Dunwell) -> dict[str, int]:
    with app.engine.connect() as conn:
        return {tbl.name: conn.execute(sa.select(sa.func.count()).select_from(tbl)).scalar_one()
                for tbl in (t.journal_entries, t.journal_lines, c.case_actions, c.collect_runs,
                            t.cob_runs, day_steps)}


def statuses(app: Dunwell, day: dt.date) -> dict[str, str]:
    with app.engine.connect() as conn:
        rows = conn.execute(sa.select(day_steps.c.step, day_steps.c.status)
                            .where(day_steps.c.business_date == day)).all()
    return dict(rows)


def test_each_date_runs_every_step_in_order_and_the_book_moves_on(app: Dunwell) -> None:
    seed_book(app, loans=30, start=START, seed=5)
    reports = run_until(app, START + dt.timedelta(days=3), options())
    assert [r.business_date for r in reports] == [START + dt.timedelta(days=k)
                                                  for k in range(4)]
    assert open_date(app) == START + dt.timedelta(days=4)
    for report in reports:
        assert set(report.steps) == {s.value for s in STEPS}
        assert report.steps["verify"].status == "done"
        assert report.steps["score"].status == "skipped"
        assert "no early-warning model" in report.steps["score"].detail["reason"]


def test_a_second_run_of_the_same_dates_changes_nothing(app: Dunwell) -> None:
    seed_book(app, loans=30, start=START, seed=5)
    until = START + dt.timedelta(days=2)
    run_until(app, until, options())
    before = counts(app)
    again = run_until(app, until, options())
    assert again == []  # the book is past ``until``: no date left to run
    assert run_day(app, until, options()).steps == run_day(app, until, options()).steps
    assert counts(app) == before


def test_a_run_interrupted_after_collect_resumes_without_repeating_it(app: Dunwell) -> None:
    seed_book(app, loans=30, start=START, seed=5)

    def crash(_: dt.date) -> None:
        raise RuntimeError("power cut")

    with pytest.raises(RuntimeError):
        run_day(app, START, DayOptions(router=router_for("nearest"), after_collect=crash))
    assert statuses(app, START) == {"collect": "done"}
    report = run_day(app, START, options())
    assert {k: v.status for k, v in report.steps.items()}["cob"] == "done"
    assert counts(app)["collect_runs"] == 1
    assert open_date(app) == START + dt.timedelta(days=1)


def test_an_unsound_book_stops_the_loop_at_verify(app: Dunwell) -> None:
    seed_book(app, loans=30, start=START, seed=5)
    with app.engine.begin() as conn:
        conn.execute(sa.update(t.loans).where(t.loans.c.loan_id == 1)
                     .values(suspense_minor=t.loans.c.suspense_minor + 1))
    with pytest.raises(BookNotSound):
        run_until(app, START + dt.timedelta(days=3), options())
    assert statuses(app, START)["verify"] == "failed"
    assert "score" not in statuses(app, START)
    assert open_date(app) == START + dt.timedelta(days=1)  # COB of that day stands


def test_the_commands_run_the_days_and_show_them(
        app: Dunwell, db_url: str, wide_console: None, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DUNWELL_EARLY_WARNING_MODEL_DIR", str(tmp_path / "no-model"))
    seed_book(app, loans=20, start=START, seed=5)
    runner = CliRunner()
    ran = runner.invoke(cli, ["day", "run", "--until", "2025-02-02", "--router", "nearest",
                              "--db", db_url])
    assert ran.exit_code == 0, ran.output
    shown = runner.invoke(cli, ["day", "status", "--db", db_url])
    assert shown.exit_code == 0, shown.output
    for day in ("2025-01-31", "2025-02-01", "2025-02-02"):
        assert day in shown.stdout
    assert "book open on 2025-02-03" in shown.stdout
    assert "no early-warning model" in shown.stdout


def test_outbox_dispatch_judges_windows_on_the_books_clock(tmp_path: Path) -> None:
    """A message planned for the book's open date, with that day's window, is sent by
    `outbox dispatch` run days later without --now: the wall clock would expire it."""
    from dunwell.app.channels.outbox import enqueue_message
    from dunwell.bootstrap import bootstrap
    from dunwell.channels.model import MessageChannel
    from dunwell.settings import Settings

    db = f"sqlite:///{tmp_path / 'clock.sqlite'}"
    runner = CliRunner()
    assert runner.invoke(cli, ["init", "--date", "2025-03-03", "--db", db]).exit_code == 0
    app = bootstrap(Settings(db_url=db, log_level="WARNING"))
    day = dt.date(2025, 3, 3)
    with app.uow() as uow:
        enqueue_message(uow, providers=app.providers,
                        settings=app.settings, borrower_id=9, kind="hardship_outreach",
                        channel=MessageChannel.IN_APP, language="en",
                        context={"borrower_name": "Sam"}, key="clock-1",
                        now=dt.datetime.combine(day, dt.time(7, 0), tzinfo=dt.UTC),
                        not_before=dt.datetime.combine(day, dt.time(1, 0), tzinfo=dt.UTC),
                        not_after=dt.datetime.combine(day, dt.time(12, 0), tzinfo=dt.UTC))
        uow.commit()
    app.engine.dispose()
    sent = runner.invoke(cli, ["outbox", "dispatch", "--json", "--db", db],
                         env={"DUNWELL_OUTBOX_DIR": str(tmp_path / "out")})
    assert sent.exit_code == 0, sent.output
    assert json.loads(sent.stdout)["sent"] == 1
