"""``dunwell credit-line cancel``: a drawdown cancelled within its cooling-off window
closes its loan and leaves ``dunwell book verify`` clean; outside the window, on
another date or with the wrong amount, it exits with the reason and changes nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dunwell.cli.main import app

runner = CliRunner()


@pytest.fixture
def db(db_url: str, tmp_path: Path) -> str:
    """Line 1 of a merchant and drawdown 1 on it, 20,000.00 over 12 months drawn on
    2025-01-15 with --accept (the window runs to 2025-01-22)."""
    assert runner.invoke(app, ["init", "--date", "2025-01-15", "--partitions", "2",
                               "--db", db_url]).exit_code == 0
    body = {"idempotency_key": "a-1",
            "applicant": {"kind": "merchant", "reference": "m-1", "name": "Noodle House"},
            "currency": "CNY", "requested_amount": "50000.00", "term_months": 12,
            "purpose": "working_capital", "monthly_expenses": "30000.00",
            "transactions": [{"date": f"2024-{m:02d}-10", "amount": "60000.00",
                              "kind": "sale"} for m in range(1, 13)]}
    path = tmp_path / "a.json"
    path.write_text(json.dumps(body), encoding="utf-8")
    assert "approve (created)" in runner.invoke(
        app, ["apply", "--json", str(path), "--db", db_url]).output
    drawn = runner.invoke(app, ["credit-line", "draw", "1", "20000.00", "--term", "12",
                                "--accept", "--db", db_url])
    assert "may cancel until 2025-01-22" in drawn.output, drawn.output
    return db_url


def cancel(db: str, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["credit-line", "cancel", "1", *args, "--db", db])
    return result.exit_code, result.output


def verified(db: str) -> bool:
    result = runner.invoke(app, ["book", "verify", "--db", db])
    return result.exit_code == 0


@pytest.mark.usefixtures("wide_console")
def test_cancel_returns_the_money_closes_the_loan_and_the_book_verifies(db: str) -> None:
    code, out = cancel(db, "--amount", "20000.00", "--key", "c-1")
    assert code == 0, out
    assert "drawdown 1 cancelled (created) on 2025-01-15: loan 1 paid_off" in out
    assert "returned 20000.00 CNY" in out
    code, out = cancel(db, "--amount", "20000.00", "--key", "c-1")
    assert (code, "(replayed)" in out) == (0, True), out
    assert verified(db)


@pytest.mark.usefixtures("wide_console")
def test_the_wrong_amount_or_date_is_refused_and_nothing_changes(db: str) -> None:
    code, out = cancel(db, "--amount", "19000.00", "--key", "c-1")
    assert code != 0 and "cancellation_amount_must_match_due" in out, out
    code, out = cancel(db, "--amount", "20000.00", "--key", "c-1", "--date", "2025-01-16")
    assert code != 0 and "cancellation_date_must_be_business_date" in out, out
    shown = runner.invoke(app, ["credit-line", "show", "1", "--db", db]).output
    assert "20000.00" in shown  # still outstanding
    assert verified(db)


@pytest.mark.usefixtures("wide_console")
def test_after_the_window_it_is_refused(db: str) -> None:
    closed = runner.invoke(app, ["cob", "--until", "2025-01-22", "--db", db])
    assert closed.exit_code == 0, closed.output
    code, out = cancel(db, "--amount", "20000.00", "--key", "c-1")
    assert code != 0 and "cancellation_must_be_within_window" in out, out
    assert verified(db)
