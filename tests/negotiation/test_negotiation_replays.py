"""Hardship assessments and plan decisions sent twice are recorded once: the same
content (or the same --key) says "already recorded" and exits 0; a key reused for
other content is refused."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from dunwell.bootstrap import Dunwell
from dunwell.cli.main import app as cli
from dunwell.store import negotiation_tables as n

runner = CliRunner()
CASE = "case-1-20250216"
HARDSHIP = ["hardship", CASE, "--reason", "job_loss", "--income", "6000.00", "--expenses",
            "3500.00", "--other-debts", "500.00"]
pytestmark = pytest.mark.usefixtures("wide_console")


def rows(app: Dunwell, table: sa.Table) -> int:
    with app.engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())


def test_the_same_assessment_twice_is_one_assessment(
        app: Dunwell, db_url: str, overdue: Callable[..., list[int]]) -> None:
    overdue()
    first = runner.invoke(cli, [*HARDSHIP, "--db", db_url])
    assert first.exit_code == 0 and "already recorded" not in first.output, first.output
    again = runner.invoke(cli, [*HARDSHIP, "--db", db_url])
    assert again.exit_code == 0 and "already recorded: hardship assessment 1" in again.output
    assert rows(app, n.hardship_assessments) == 1


def test_an_assessment_key_replays_and_refuses_other_figures(
        app: Dunwell, db_url: str, overdue: Callable[..., list[int]]) -> None:
    overdue()
    keyed = [*HARDSHIP, "--key", "hs-1", "--db", db_url]
    assert runner.invoke(cli, keyed).exit_code == 0
    assert "already recorded" in runner.invoke(cli, keyed).output
    other = runner.invoke(cli, ["hardship", CASE, "--reason", "job_loss", "--income",
                                "5000.00", "--expenses", "3500.00", "--key", "hs-1",
                                "--db", db_url])
    assert other.exit_code == 2 and "[idempotency_key_must_match_request]" in other.output
    assert rows(app, n.hardship_assessments) == 1


def test_approval_and_acceptance_twice_are_recorded_once(
        app: Dunwell, db_url: str, overdue: Callable[..., list[int]]) -> None:
    overdue()
    runner.invoke(cli, [*HARDSHIP, "--db", db_url])
    listed = json.loads(runner.invoke(cli, ["offers", CASE, "--json", "--db", db_url]).output)
    best = listed["offers"][0]
    oid, role = str(best["offer_id"]), best["approval_needed"]
    approve = ["plan", "approve", oid, "--by", "tl-3", "--role", role, "--key", "ap-1",
               "--db", db_url]
    assert runner.invoke(cli, approve).exit_code == 0
    again = runner.invoke(cli, approve)
    assert again.exit_code == 0 and "already recorded: offer" in again.output
    unkeyed = runner.invoke(cli, ["plan", "approve", oid, "--by", "tl-3", "--role", role,
                                  "--db", db_url])
    assert unkeyed.exit_code == 0 and "already recorded" in unkeyed.output
    accept = ["plan", "accept", oid, "--key", "acc-1", "--db", db_url]
    assert "plan 1 active" in runner.invoke(cli, accept).output
    for args in (accept, ["plan", "accept", oid, "--db", db_url]):
        replay = runner.invoke(cli, args)
        assert replay.exit_code == 0, replay.output
        assert f"already recorded: offer {oid} was accepted as plan 1" in replay.output
    assert rows(app, n.plans) == 1
    audit = runner.invoke(cli, ["audit", "verify", "--db", db_url])
    assert audit.exit_code == 0 and "intact" in audit.output
