"""The collection views read well: the case list, the champion/challenger split after
`collect`, and call queues whose ids are never cut at 80 columns."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from dunwell.app.collections.collect import Experiment
from dunwell.app.day.loop import DayOptions, run_until
from dunwell.bootstrap import Dunwell
from dunwell.cli.common import console
from dunwell.cli.main import app as cli
from dunwell.simulation.portfolio import seed_book
from dunwell.store import collection_tables as c

START = dt.date(2025, 1, 31)
runner = CliRunner()


@pytest.fixture
def narrow_console(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(console, "width", 80)
    yield


def book_with_calls(app: Dunwell) -> dt.date:
    """Run the loop until a day has calls queued; that day stays open for collect."""
    seed_book(app, loans=40, start=START, seed=5)
    day = START
    exp = Experiment(challenger="aggressive", share_pct=50, seed=1)
    while True:
        run_until(app, day, DayOptions(dispatch=False, experiment=exp))
        with app.engine.connect() as conn:
            calls = conn.execute(sa.select(sa.func.count()).select_from(c.call_tasks)
                                 .where(c.call_tasks.c.collector_id.is_not(None))).scalar_one()
        if calls:
            return day
        day += dt.timedelta(days=1)
        assert day < START + dt.timedelta(days=90), "no calls queued"


def test_case_list_collect_split_and_queue_ids(app: Dunwell, db_url: str,
                                               narrow_console: None) -> None:
    day = book_with_calls(app)
    listed = runner.invoke(cli, ["case", "list", "--db", db_url])
    assert listed.exit_code == 0, listed.output
    with app.engine.connect() as conn:
        case_ids = [r[0] for r in conn.execute(sa.select(c.cases.c.case_id))]
        queued = [r[0] for r in conn.execute(
            sa.select(c.case_actions.c.case_id).join(
                c.call_tasks, c.call_tasks.c.action_id == c.case_actions.c.action_id)
            .where(c.call_tasks.c.business_date == day))]
    assert case_ids and any(cid in listed.stdout for cid in case_ids)
    bad = runner.invoke(cli, ["case", "list", "--status", "lost", "--db", db_url])
    assert bad.exit_code == 2 and "case_status_must_be_known" in bad.stderr
    shown = runner.invoke(cli, ["queue", "--date", day.isoformat(), "--db", db_url])
    assert shown.exit_code == 0, shown.output
    for cid in set(queued):
        assert cid in shown.stdout, f"{cid} cut in:\n{shown.stdout}"
    split = runner.invoke(cli, ["collect", "--db", db_url])
    assert split.exit_code == 0, split.output
    assert "champion and challenger" in split.stdout
    assert "challenger" in split.stdout and "aggressive" in split.stdout
