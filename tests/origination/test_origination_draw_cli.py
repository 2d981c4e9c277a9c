"""``dunwell credit-line draw``: the cost is shown before anything is lent, and a
drawdown is made only with --accept, on the terms shown, the acceptance kept."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dunwell.cli.main import app

runner = CliRunner()


@pytest.fixture
def db(db_url: str, tmp_path: Path) -> str:
    assert runner.invoke(app, ["init", "--date", "2025-01-15", "--partitions", "2",
                               "--db", db_url]).exit_code == 0
    body = {"idempotency_key": "a-1",
            "applicant": {"kind": "merchant", "reference": "m-1", "name": "Noodle House",
                          "language": "zh-CN"},
            "currency": "CNY", "requested_amount": "50000.00", "term_months": 12,
            "purpose": "working_capital", "monthly_expenses": "30000.00",
            "transactions": [{"date": f"2024-{m:02d}-10", "amount": "60000.00",
                              "kind": "sale"} for m in range(1, 13)]}
    path = tmp_path / "a.json"
    path.write_text(json.dumps(body), encoding="utf-8")
    result = runner.invoke(app, ["apply", "--json", str(path), "--db", db_url])
    assert "approve (created)" in result.output, result.output
    return db_url


def draw(db: str, *args: str) -> str:
    result = runner.invoke(app, ["credit-line", "draw", "1", *args, "--db", db])
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.usefixtures("wide_console")
def test_without_accept_the_cost_is_shown_and_nothing_is_lent(db: str) -> None:
    out = draw(db, "20000.00", "--term", "12", "--lang", "en")
    for label in ("Before you accept", "Total to repay", "Repayment schedule"):
        assert label in out, out
    assert "run again with --accept" in out
    assert "drawdowns" not in runner.invoke(app, ["credit-line", "show", "1",
                                                  "--db", db]).output


@pytest.mark.usefixtures("wide_console")
def test_the_borrowers_language_is_the_default(db: str) -> None:
    out = draw(db, "20000.00", "--term", "12")
    assert "还款计划" in out
    assert "应还总额" in out


@pytest.mark.usefixtures("wide_console")
def test_accepting_lends_on_the_terms_shown_once(db: str) -> None:
    out = draw(db, "20000.00", "--term", "12", "--accept")
    assert "drawdown 1 (created)" in out
    assert "may cancel until 2025-01-22" in out  # the lender's 7-day window in CN
    again = draw(db, "20000.00", "--term", "12", "--accept")
    assert "drawdown 1 (replayed)" in again
    shown = runner.invoke(app, ["credit-line", "show", "1", "--db", db]).output
    assert "70000.00" in shown


@pytest.mark.usefixtures("wide_console")
def test_one_sum_is_offered_only_on_a_term_repaid_that_way(db: str) -> None:
    result = runner.invoke(app, ["credit-line", "draw", "1", "5000.00", "--term", "12",
                                 "--method", "one_sum", "--db", db])
    assert result.exit_code == 2
    assert "repayment_method_must_be_offered_for_term" in result.output
