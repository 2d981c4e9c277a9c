"""The credit review in ``dunwell apply``: debts elsewhere from a bureau file, the
cooling-off after a decline, each decline explained and stored."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from dunwell.cli.main import app

runner = CliRunner()
BUREAU = ("reference,lender,account_id,status,currency,monthly_payment,outstanding,"
          "opened_on,defaulted_on\n"
          "m-busy,Other Bank,A1,open,CNY,12000.00,200000.00,2023-01-01,\n"
          "m-clean,Other Bank,B1,closed,CNY,0.00,0.00,2020-01-01,\n")


@pytest.fixture
def db(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    bureau = tmp_path / "bureau.csv"
    bureau.write_text(BUREAU, encoding="utf-8")
    monkeypatch.setenv("DUNWELL_BUREAU_FILE", str(bureau))
    result = runner.invoke(app, ["init", "--date", "2025-01-15", "--partitions", "2",
                                 "--db", db_url])
    assert result.exit_code == 0, result.output
    return db_url


def application(tmp_path: Path, key: str, reference: str, **changes: Any) -> Path:
    body: dict[str, Any] = {
        "idempotency_key": key,
        "applicant": {"kind": "merchant", "reference": reference, "name": reference},
        "currency": "CNY", "requested_amount": "50000.00", "term_months": 12,
        "purpose": "working_capital", "monthly_expenses": "30000.00",
        "transactions": [{"date": f"2024-{m:02d}-10", "amount": "60000.00", "kind": "sale"}
                         for m in range(1, 13)]}
    body.update(changes)
    path = tmp_path / f"{key}.json"
    path.write_text(json.dumps(body), encoding="utf-8")
    return path


def apply(db: str, path: Path, *more: str) -> str:
    result = runner.invoke(app, ["apply", "--json", str(path), "--db", db, *more])
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.usefixtures("wide_console")
def test_debts_the_bureau_reports_decline_an_approval_with_the_reason(
        db: str, tmp_path: Path) -> None:
    out = apply(db, application(tmp_path, "k1", "m-busy"))
    assert "decline (created)" in out
    assert "debts elsewhere, would take 54.7% of your monthly cash flow" in out
    shown = runner.invoke(app, ["credit-line", "show", "1", "--db", db])
    assert "credit_line_must_exist" in shown.output  # no line was opened


@pytest.mark.usefixtures("wide_console")
def test_a_borrower_the_bureau_knows_well_is_approved(db: str, tmp_path: Path) -> None:
    assert "approve (created)" in apply(db, application(tmp_path, "k1", "m-clean"))


@pytest.mark.usefixtures("wide_console")
def test_after_a_decline_a_new_application_waits_for_the_cooling_off(
        db: str, tmp_path: Path) -> None:
    apply(db, application(tmp_path, "k1", "m-busy"))
    again = apply(db, application(tmp_path, "k2", "m-busy", requested_amount="1000.00",
                                  term_months=3))
    assert "decline (created)" in again
    assert "2025-02-14" in again  # the cooling-off's last day is named
