"""The negotiation commands as a collector, a team lead and the borrower use them."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dunwell.bootstrap import Dunwell
from dunwell.cli.main import app as cli

runner = CliRunner()
CASE = "case-1-20250216"


@pytest.mark.usefixtures("wide_console")
def test_hardship_offers_approve_accept_and_show_the_plan(
        app: Dunwell, db_url: str, overdue: Callable[..., list[int]], tmp_path: Path) -> None:
    overdue()
    scan = tmp_path / "hospital.pdf"
    scan.write_bytes(b"admission note")
    out = runner.invoke(cli, ["hardship", CASE, "--reason", "family_emergency", "--income",
                              "6000.00", "--expenses", "3500.00", "--other-debts", "500.00",
                              "--evidence", str(scan), "--db", db_url])
    assert out.exit_code == 0, out.output
    assert "disposable income 2000.00" in out.output
    table = runner.invoke(cli, ["offers", CASE, "--db", db_url])
    assert table.exit_code == 0, table.output
    assert "offers for case-1-20250216" in table.output and "approval needed" in table.output
    listed = json.loads(runner.invoke(cli, ["offers", CASE, "--json", "--db", db_url]).output)
    best = listed["offers"][0]
    assert (best["kind"], best["monthly_payment"], best["approval_needed"]) == (
        "penalty_interest_waiver", "1000.00", "team_lead")
    oid = str(best["offer_id"])
    denied = runner.invoke(cli, ["plan", "approve", oid, "--by", "c-01", "--role", "collector",
                                 "--db", db_url])
    assert denied.exit_code == 2 and "approval_must_be_within_authority" in denied.output
    ok = runner.invoke(cli, ["plan", "approve", oid, "--by", "tl-3", "--role", "team_lead",
                             "--db", db_url])
    assert ok.exit_code == 0, ok.output
    accepted = runner.invoke(cli, ["plan", "accept", oid, "--db", db_url])
    assert accepted.exit_code == 0 and "plan 1 active" in accepted.output
    again = runner.invoke(cli, ["plan", "accept", oid, "--db", db_url])
    assert again.exit_code == 0 and "already recorded" in again.output
    plans = json.loads(runner.invoke(cli, ["plan", "list", "--json", "--db", db_url]).output)
    assert [(p["plan_id"], p["status"]) for p in plans] == [(1, "active")]
    shown = runner.invoke(cli, ["plan", "show", "1", "--db", db_url])
    assert shown.exit_code == 0, shown.output
    assert shown.output.count("1000.00") >= 3 and "2025-04-01" in shown.output
    assert "3000.00" in shown.output  # the total


def test_bad_hardship_input_is_one_clear_line(app: Dunwell, db_url: str,
                                              overdue: Callable[..., list[int]]) -> None:
    overdue()
    bad = runner.invoke(cli, ["hardship", CASE, "--reason", "bad_luck", "--income", "6000",
                              "--expenses", "3500", "--db", db_url])
    assert bad.exit_code == 2 and "reason_must_be_known" in bad.output
    missing = runner.invoke(cli, ["hardship", CASE, "--reason", "illness", "--income", "6000",
                                  "--expenses", "3500", "--evidence", "/nonexistent.pdf",
                                  "--db", db_url])
    assert missing.exit_code == 2 and "evidence_file_must_exist" in missing.output
    no_offers = runner.invoke(cli, ["offers", CASE, "--db", db_url])
    assert no_offers.exit_code == 2 and "hardship_assessment_must_exist" in no_offers.output
