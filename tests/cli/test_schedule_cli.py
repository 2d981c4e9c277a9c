"""``dunwell schedule``: the JSON contract of DESIGN.md §4, the table, and bad input."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from dunwell.cli.main import app

TEN_THOUSAND_AT_12 = [
    "schedule",
    "--principal",
    "10000.00",
    "--annual-rate",
    "12%",
    "--periods",
    "3",
    "--method",
    "equal_installment",
    "--start",
    "2024-01-31",
]

EXPECTED_JSON = {
    "installments": [
        {
            "n": 1,
            "due_date": "2024-02-29",
            "principal": "3300.22",
            "interest": "100.00",
            "total": "3400.22",
            "outstanding": "6699.78",
        },
        {
            "n": 2,
            "due_date": "2024-03-31",
            "principal": "3333.22",
            "interest": "67.00",
            "total": "3400.22",
            "outstanding": "3366.56",
        },
        {
            "n": 3,
            "due_date": "2024-04-30",
            "principal": "3366.56",
            "interest": "33.67",
            "total": "3400.23",
            "outstanding": "0.00",
        },
    ],
    "total_interest": "200.67",
    "total_paid": "10200.67",
}


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def run_dunwell(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dunwell.cli.main", *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=600,  # a hang guard only: a busy machine starts Python slowly
        check=False,
    )


@pytest.mark.slow
def test_the_real_command_prints_only_the_contract_json() -> None:
    done = run_dunwell(*TEN_THOUSAND_AT_12, "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == EXPECTED_JSON
    assert done.stderr == ""


@pytest.mark.slow
def test_the_real_command_rejects_bad_input_with_exit_2_and_one_line_on_stderr() -> None:
    done = run_dunwell(*TEN_THOUSAND_AT_12[:-1], "2024-02-30", "--json")
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.strip().splitlines() == [
        "error: --start must be an ISO date like 2025-01-31, got '2024-02-30' [date_must_be_iso]"
    ]


def test_json_output_has_exactly_the_contract_keys_and_string_amounts(runner: CliRunner) -> None:
    result = runner.invoke(app, [*TEN_THOUSAND_AT_12, "--json"])
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc == EXPECTED_JSON
    assert list(doc) == ["installments", "total_interest", "total_paid"]
    assert list(doc["installments"][0]) == [
        "n",
        "due_date",
        "principal",
        "interest",
        "total",
        "outstanding",
    ]


@pytest.mark.parametrize("rate", ["0.12", "12%", " 12 % "])
def test_each_rate_form_gives_the_same_schedule(runner: CliRunner, rate: str) -> None:
    args = [*TEN_THOUSAND_AT_12, "--json"]
    args[args.index("12%")] = rate
    result = runner.invoke(app, args)
    assert json.loads(result.stdout) == EXPECTED_JSON


def test_day_count_currency_and_rounding_options_are_applied(runner: CliRunner) -> None:
    args = [*TEN_THOUSAND_AT_12, "--day-count", "act/365", "--currency", "CNY"]
    result = runner.invoke(app, [*args, "--rounding", "half_even", "--json"])
    doc = json.loads(result.stdout)
    assert [row["interest"] for row in doc["installments"]] == ["95.34", "68.24", "33.17"]
    assert doc["total_paid"] == "10196.75"


def test_the_default_output_is_a_table_with_a_totals_row(runner: CliRunner) -> None:
    result = runner.invoke(app, TEN_THOUSAND_AT_12)
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    for heading in ("n", "due date", "principal", "interest", "total", "outstanding"):
        assert heading in result.stdout
    first = next(line for line in lines if "2024-02-29" in line)
    assert [cell for cell in first.split() if cell[0].isdigit()] == [
        "1",
        "2024-02-29",
        "3300.22",
        "100.00",
        "3400.22",
        "6699.78",
    ]
    totals = next(line for line in lines if " total " in line and "10200.67" in line)
    assert "10000.00" in totals
    assert "200.67" in totals


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--principal", "0", "principal must be greater than zero"),
        ("--principal", "10000.001", "more than 2 decimals for CNY"),
        ("--annual-rate", "-12%", "annual rate must not be negative"),
        ("--annual-rate", "twelve", "annual rate must be a number like 0.18 or 18%"),
        ("--annual-rate", "12", "annual rate '12' does not say its unit"),
        ("--periods", "0", "periods must be between 1 and 600 months"),
        ("--periods", "three", "--periods must be a whole number of months"),
        ("--method", "annuity", "use one of equal_installment, equal_principal"),
        ("--start", "31/01/2024", "--start must be an ISO date like 2025-01-31"),
        ("--day-count", "30/365", "use one of 30/360, act/365, act/360"),
        ("--currency", "RMB", "unknown currency 'RMB'"),
        ("--rounding", "bankers", "use one of half_up, half_even, down, up"),
    ],
)
def test_bad_input_exits_2_with_one_line_on_stderr_and_nothing_on_stdout(
    runner: CliRunner, option: str, value: str, message: str
) -> None:
    args = [*TEN_THOUSAND_AT_12, "--json"]
    if option in args:
        args[args.index(option) + 1] = value
    else:
        args += [option, value]
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("error: ")
    assert message in lines[0]


def test_a_missing_option_is_a_usage_error(runner: CliRunner) -> None:
    result = runner.invoke(app, TEN_THOUSAND_AT_12[:-2])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "--start" in result.stderr
