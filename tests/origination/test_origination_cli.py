"""``dunwell apply --json FILE`` and ``dunwell credit-line show``, run as a user would."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from dunwell.cli.main import app

runner = CliRunner()


@pytest.fixture
def db(db_url: str) -> str:
    result = runner.invoke(app, ["init", "--date", "2025-01-15", "--partitions", "2",
                                 "--db", db_url])
    assert result.exit_code == 0, result.output
    return db_url


def application_file(tmp_path: Path, **changes: Any) -> Path:
    body: dict[str, Any] = {
        "idempotency_key": "cli-1",
        "applicant": {"kind": "merchant", "reference": "m-noodles", "name": "Noodle House"},
        "currency": "CNY", "requested_amount": "50000.00", "term_months": 12,
        "purpose": "working_capital", "monthly_expenses": "30000.00",
        "transactions": [{"date": f"2024-{m:02d}-10", "amount": "60000.00", "kind": "sale"}
                         for m in range(1, 13)]}
    body.update(changes)
    path = tmp_path / "application.json"
    path.write_text(json.dumps(body), encoding="utf-8")
    return path


@pytest.mark.usefixtures("wide_console")
def test_apply_prints_the_decision_with_its_reasons(db: str, tmp_path: Path) -> None:
    result = runner.invoke(app, ["apply", "--json", str(application_file(tmp_path)),
                                 "--db", db])
    assert result.exit_code == 0, result.output
    assert "application 1: approve (created)" in result.output
    assert "90000.00 CNY" in result.output
    assert "Your risk grade is A." in result.output
    again = runner.invoke(app, ["apply", "--json", str(application_file(tmp_path)),
                                "--lang", "zh-CN", "--db", db])
    assert "application 1: approve (replayed)" in again.output
    assert "您的风险等级为 A。" in again.output


@pytest.mark.usefixtures("wide_console")
def test_credit_line_show_prints_the_limit_and_what_is_available(db: str,
                                                                 tmp_path: Path) -> None:
    runner.invoke(app, ["apply", "--json", str(application_file(tmp_path)), "--db", db])
    result = runner.invoke(app, ["credit-line", "show", "1", "--db", db])
    assert result.exit_code == 0, result.output
    assert "credit line 1 (active), grade A at 0.108" in result.output
    assert result.output.count("90000.00") == 2  # the limit, and all of it available


def test_a_bad_application_file_is_one_clear_line_naming_the_field(
        db: str, tmp_path: Path) -> None:
    result = runner.invoke(app, ["apply", "--json", str(application_file(
        tmp_path, requested_amount=50000)), "--db", db])
    assert result.exit_code == 2
    assert "requested_amount" in result.output
    assert "[request_must_be_valid]" in result.output


def test_an_unknown_credit_line_is_one_clear_line(db: str) -> None:
    result = runner.invoke(app, ["credit-line", "show", "9", "--db", db])
    assert result.exit_code == 2
    assert "credit line 9 does not exist [credit_line_must_exist]" in result.output
