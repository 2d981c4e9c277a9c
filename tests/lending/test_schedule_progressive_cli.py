"""``dunwell schedule --emi progressive``: same JSON contract, the progressive numbers."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from dunwell.cli.main import app

TEN_THOUSAND_AT_12_ACT_365 = [
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
    "--day-count",
    "act/365",
]


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def test_emi_progressive_prints_the_contract_document_with_level_totals(
    runner: CliRunner,
) -> None:
    result = runner.invoke(app, [*TEN_THOUSAND_AT_12_ACT_365, "--emi", "progressive", "--json"])
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == {
        "installments": [
            {
                "n": 1,
                "due_date": "2024-02-29",
                "principal": "3303.59",
                "interest": "95.34",
                "total": "3398.93",
                "outstanding": "6696.41",
            },
            {
                "n": 2,
                "due_date": "2024-03-31",
                "principal": "3330.68",
                "interest": "68.25",
                "total": "3398.93",
                "outstanding": "3365.73",
            },
            {
                "n": 3,
                "due_date": "2024-04-30",
                "principal": "3365.73",
                "interest": "33.20",
                "total": "3398.93",
                "outstanding": "0.00",
            },
        ],
        "total_interest": "196.79",
        "total_paid": "10196.79",
    }


def test_without_emi_the_flat_method_is_used(runner: CliRunner) -> None:
    flat = runner.invoke(app, [*TEN_THOUSAND_AT_12_ACT_365, "--json"])
    named = runner.invoke(app, [*TEN_THOUSAND_AT_12_ACT_365, "--emi", "flat-rate-factor", "--json"])
    assert flat.exit_code == named.exit_code == 0
    assert json.loads(flat.stdout) == json.loads(named.stdout)
    assert json.loads(flat.stdout)["total_paid"] == "10196.75"


def test_the_table_title_names_the_progressive_emi(runner: CliRunner) -> None:
    result = runner.invoke(app, [*TEN_THOUSAND_AT_12_ACT_365, "--emi", "progressive"])
    assert result.exit_code == 0, result.stderr
    assert "act/365, progressive EMI" in " ".join(result.stdout.split())  # the title may wrap
    assert "3398.93" in result.stdout


def test_an_unknown_emi_exits_2_with_the_choices(runner: CliRunner) -> None:
    result = runner.invoke(app, [*TEN_THOUSAND_AT_12_ACT_365, "--emi", "fineract", "--json"])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.strip() == (
        "error: --emi 'fineract' is not known; use one of flat_rate_factor, progressive "
        "[emi_must_be_known]"
    )


def test_emi_progressive_with_another_method_exits_2(runner: CliRunner) -> None:
    args = [*TEN_THOUSAND_AT_12_ACT_365, "--emi", "progressive", "--json"]
    args[args.index("equal_installment")] = "bullet"
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert "[progressive_emi_must_use_equal_installment]" in result.stderr
