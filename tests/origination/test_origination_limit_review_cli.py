"""``dunwell credit-line review`` and the day loop's ``limits`` step: each line
reviewed once a date, every change recorded with its reasons, never below what is
drawn."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dunwell.cli.main import app

runner = CliRunner()


def invoke(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture
def db(db_url: str, tmp_path: Path) -> str:
    invoke("init", "--date", "2025-01-15", "--partitions", "2", "--db", db_url)
    body = {"idempotency_key": "a-1",
            "applicant": {"kind": "merchant", "reference": "m-1", "name": "Noodle House"},
            "currency": "CNY", "requested_amount": "50000.00", "term_months": 12,
            "purpose": "working_capital", "monthly_expenses": "30000.00",
            "transactions": [{"date": f"2024-{m:02d}-10", "amount": "60000.00",
                              "kind": "sale"} for m in range(1, 13)]}
    path = tmp_path / "a.json"
    path.write_text(json.dumps(body), encoding="utf-8")
    assert "approve (created)" in invoke("apply", "--json", str(path), "--db", db_url)
    invoke("credit-line", "draw", "1", "20000.00", "--term", "12", "--accept",
           "--db", db_url)
    return db_url


@pytest.mark.usefixtures("wide_console")
def test_a_missed_instalment_lowers_the_limit_with_its_reason(db: str) -> None:
    fresh = invoke("credit-line", "review", "--lang", "en", "--db", db)
    assert "limit review: 1 line(s)" in fresh and "keep" in fresh
    invoke("cob", "--until", "2025-02-23", "--db", db)  # the 15 Feb instalment unpaid
    out = invoke("credit-line", "review", "--lang", "en", "--db", db)
    assert "lower" in out
    assert "90000.00" in out and "67500.00" in out
    assert "limit review: 0 line(s)" in invoke("credit-line", "review", "--db", db)


def test_a_review_date_after_the_books_is_refused(db: str) -> None:
    result = runner.invoke(app, ["credit-line", "review", "--date", "2025-03-01",
                                 "--db", db])
    assert result.exit_code == 2
    assert "[review_date_must_not_be_future]" in result.output


@pytest.mark.usefixtures("wide_console")
def test_the_day_loop_reviews_the_lines_each_date(db: str, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DUNWELL_EARLY_WARNING_MODEL_DIR", str(tmp_path / "none"))
    invoke("day", "run", "--until", "2025-01-16", "--router", "nearest", "--db", db)
    shown = invoke("day", "status", "--db", db)
    assert "limits" in shown
    assert "limit review: 0 line(s)" in invoke("credit-line", "review", "--db", db)
