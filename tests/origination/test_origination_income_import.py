"""``dunwell consumers import FILE --consumer ID``: a consumer's income records, checked
by line and field, stored once, and used by an application that sends no history."""

from __future__ import annotations

import json
from pathlib import Path

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


def apply(db: str, tmp_path: Path, key: str) -> str:
    body = {"idempotency_key": key,
            "applicant": {"kind": "consumer", "reference": "c-liwei", "name": "Li Wei"},
            "currency": "CNY", "requested_amount": "10000.00", "term_months": 6,
            "purpose": "personal", "monthly_income": "12000.00",
            "monthly_expenses": "5000.00"}
    path = tmp_path / f"{key}.json"
    path.write_text(json.dumps(body), encoding="utf-8")
    result = runner.invoke(app, ["apply", "--json", str(path), "--db", db])
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.usefixtures("wide_console")
def test_imported_income_records_stand_for_the_history_an_application_omits(
        db: str, tmp_path: Path) -> None:
    assert "refer (created)" in apply(db, tmp_path, "k1")  # no history: a thin file
    path = tmp_path / "income.csv"
    path.write_text("record_id,month,amount,currency\n" + "".join(
        f"salary-2024-{m:02d},2024-{m:02d},12000.00,CNY\n" for m in range(1, 13)),
        encoding="utf-8")
    first = runner.invoke(app, ["consumers", "import", str(path), "--consumer", "c-liwei",
                                "--db", db])
    assert first.exit_code == 0, first.output
    assert "12 line(s), 12 stored, 0 already stored" in first.output
    assert "144000.00 CNY" in first.output
    again = runner.invoke(app, ["consumers", "import", str(path), "--consumer", "c-liwei",
                                "--db", db])
    assert "12 line(s), 0 stored, 12 already stored" in again.output
    assert "approve (created)" in apply(db, tmp_path, "k2")


def test_a_wrong_income_line_stores_nothing(db: str, tmp_path: Path) -> None:
    path = tmp_path / "income.csv"
    path.write_text("record_id,month,amount,currency\nr1,2024-01,100.00,CNY\n"
                    "r2,2024-14,100.00,CNY\n", encoding="utf-8")
    result = runner.invoke(app, ["consumers", "import", str(path), "--consumer", "c-1",
                                 "--db", db])
    assert result.exit_code == 2
    assert "record_date_must_be_iso_date" in result.output
