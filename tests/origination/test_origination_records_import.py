"""``dunwell merchants import FILE --merchant ID``: a merchant's records from CSV or
Parquet, checked by line and field, stored once, summed up, and used by the decision."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
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


def records_csv(tmp_path: Path, lines: list[str], name: str = "records.csv") -> Path:
    path = tmp_path / name
    path.write_text("transaction_id,date,amount,currency,kind\n" + "\n".join(lines) + "\n",
                    encoding="utf-8")
    return path


def year_of_sales() -> list[str]:
    return [f"t{m},2024-{m:02d}-10,60000.00,CNY,sale" for m in range(1, 13)]


@pytest.mark.usefixtures("wide_console")
def test_an_import_stores_the_records_once_and_sums_them_up(db: str, tmp_path: Path) -> None:
    path = records_csv(tmp_path, year_of_sales())
    first = runner.invoke(app, ["merchants", "import", str(path), "--merchant", "m-noodles",
                                "--name", "Noodle House", "--db", db])
    assert first.exit_code == 0, first.output
    assert "12 line(s), 12 stored, 0 already stored" in first.output
    assert "2024-01 to 2024-12" in first.output
    assert "720000.00 CNY" in first.output
    again = runner.invoke(app, ["merchants", "import", str(path), "--merchant", "m-noodles",
                                "--db", db])
    assert again.exit_code == 0, again.output
    assert "12 line(s), 0 stored, 12 already stored" in again.output


@pytest.mark.usefixtures("wide_console")
def test_a_bad_line_is_named_by_field_and_nothing_is_stored(db: str, tmp_path: Path) -> None:
    lines = [*year_of_sales()[:3], "t4,2024-13-01,abc,USD,gift", "t1,2024-05-10,10.00,CNY,"]
    result = runner.invoke(app, ["merchants", "import", str(records_csv(tmp_path, lines)),
                                 "--merchant", "m-bad", "--db", db])
    assert result.exit_code == 2, result.output
    for text in ("record_date_must_be_iso_date", "record_amount_must_be_decimal",
                 "record_currency_must_match_book", "record_kind_must_be_sale_or_refund",
                 "record_id_must_be_unique_in_file", "2 line(s) rejected; nothing was stored"):
        assert text in result.output
    good = runner.invoke(app, ["merchants", "import",
                               str(records_csv(tmp_path, year_of_sales()[:3], "ok.csv")),
                               "--merchant", "m-bad", "--db", db])
    assert "3 stored, 0 already stored" in good.output  # the bad file stored none of them


@pytest.mark.usefixtures("wide_console")
def test_parquet_records_feed_the_decision(db: str, tmp_path: Path) -> None:
    path = tmp_path / "records.parquet"
    pq.write_table(pa.table({
        "transaction_id": [f"p{m}" for m in range(1, 13)],
        "date": pa.array([dt.date(2024, m, 10) for m in range(1, 13)]),
        "amount": ["60000.00"] * 12, "currency": ["CNY"] * 12, "kind": ["sale"] * 12}), path)
    imported = runner.invoke(app, ["merchants", "import", str(path), "--merchant", "m-pq",
                                   "--db", db])
    assert imported.exit_code == 0, imported.output
    assert "12 stored" in imported.output
    body = {"idempotency_key": "pq-1",
            "applicant": {"kind": "merchant", "reference": "m-pq", "name": "Parquet Teas"},
            "currency": "CNY", "requested_amount": "50000.00", "term_months": 12,
            "purpose": "working_capital", "monthly_expenses": "30000.00"}
    application = tmp_path / "application.json"
    application.write_text(json.dumps(body), encoding="utf-8")
    decided = runner.invoke(app, ["apply", "--json", str(application), "--db", db])
    assert decided.exit_code == 0, decided.output
    assert "approve (created)" in decided.output


def test_a_missing_file_is_one_clear_line(db: str, tmp_path: Path) -> None:
    result = runner.invoke(app, ["merchants", "import", str(tmp_path / "none.csv"),
                                 "--merchant", "m", "--db", db])
    assert result.exit_code == 2
    assert "[record_file_must_exist]" in result.output
