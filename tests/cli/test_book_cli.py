"""The ``dunwell`` commands on a book: init, cob, pay, reverse, loan, portfolio,
balances and demo, run as a user would."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dunwell.cli.main import app

runner = CliRunner()


@pytest.fixture
def db(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'cli.sqlite'}"
    result = runner.invoke(app, ["init", "--date", "2025-01-15", "--partitions", "2",
                                 "--db", url])
    assert result.exit_code == 0, result.output
    return url


def booked(db: str) -> None:
    from dunwell.app.lending.book import LoanRequest, disburse
    from dunwell.bootstrap import bootstrap

    app_ = bootstrap(db_url=db)
    with app_.uow() as uow:
        disburse(uow, [LoanRequest(1, "merchant_annuity_12m", 1_200_000, 12)])
        uow.commit()
    app_.engine.dispose()


def test_cob_until_closes_each_day_and_prints_a_table(db: str) -> None:
    booked(db)
    result = runner.invoke(app, ["cob", "--until", "2025-03-01", "--db", db])
    assert result.exit_code == 0, result.output
    assert "close of business" in result.output
    loan = runner.invoke(app, ["loan", "1", "--db", db])
    # days past due as of the open date, as every view counts them: 2025-03-02 - 2025-02-15
    assert "overdue" in loan.output and "DPD 15, M1 on 2025-03-02" in loan.output


def test_a_payment_prints_its_allocation_and_a_replay_says_so(db: str) -> None:
    booked(db)
    runner.invoke(app, ["cob", "--until", "2025-02-15", "--db", db])
    first = runner.invoke(app, ["pay", "1", "1100.16", "--key", "ref-1", "--db", db])
    again = runner.invoke(app, ["pay", "1", "1100.16", "--key", "ref-1", "--db", db])
    assert first.exit_code == 0, first.output
    assert "posted" in first.output and "principal" in first.output
    assert "replayed" in again.output
    balances = runner.invoke(app, ["balances", "--loan", "1", "--db", db])
    assert "principal_receivable" in balances.output
    reverse = runner.invoke(app, ["reverse", "1", "--reason", "bounced", "--db", db])
    assert reverse.exit_code == 0 and "posted" in reverse.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["pay", "1", "10.00", "--key", "k", "--currency", "USD"], "payment_currency_must_match"),
        (["pay", "9", "10.00", "--key", "k"], "loan_must_exist"),
        (["pay", "1", "10.00", "--key", "k", "--kind", "gift"], "payment_kind_must_be_known"),
        (["cob", "--date", "2025-03-01"], "cob_date_must_be_open_date"),
        (["cob"], "cob_needs_one_date"),
        (["cob", "--until", "2025-13-01"], "date_must_be_iso"),
        (["init", "--date", "2025-01-15"], "book_must_open_once"),
    ],
)
def test_bad_input_is_one_clear_line_and_exit_code_two(db: str, args: list[str],
                                                       message: str) -> None:
    booked(db)
    result = runner.invoke(app, [*args, "--db", db])
    assert result.exit_code == 2
    assert message in result.output


def run_demo(workdir: Path, *options: str) -> subprocess.CompletedProcess[str]:
    """``dunwell demo`` in its own process, as a user runs it (no time limit: a busy
    machine makes it slower, never wrong)."""
    url = f"sqlite:///{workdir / 'demo.sqlite'}"
    return subprocess.run([sys.executable, "-m", "dunwell.cli.main", "demo", *options,
                           "--db", url], capture_output=True, text=True, check=False,
                          cwd=workdir)


def test_demo_books_loans_runs_cob_and_prints_the_book_by_bucket(tmp_path: Path) -> None:
    proc = run_demo(tmp_path, "--loans", "40", "--days", "40", "--no-early-warning")
    assert proc.returncode == 0, proc.stderr
    assert "portfolio by bucket" in proc.stdout
    assert "M0" in proc.stdout and "M1" in proc.stdout
    assert "by the guard's decision" in proc.stdout


@pytest.mark.stress
def test_demo_trains_its_early_warning_model_then_scores_the_book(tmp_path: Path) -> None:
    """The demo as shipped: the early-warning model is trained on a separate simulated
    book (300 loans over 120 days) before the demo book's days."""
    proc = run_demo(tmp_path, "--loans", "40", "--days", "40")
    assert proc.returncode == 0, proc.stderr
    assert "early-warning model v1 trained on" in proc.stdout
    assert "portfolio by bucket" in proc.stdout
    assert "M0" in proc.stdout and "M1" in proc.stdout
    assert "by the guard's decision" in proc.stdout
    assert (tmp_path / "var" / "models" / "early_warning" / "v1" / "model.json").exists()


def test_a_second_cob_while_one_runs_exits_75_with_one_line(tmp_path: Path) -> None:
    from dunwell.bootstrap import bootstrap
    from dunwell.store.locks import cob_run_lock

    url = f"sqlite:///{tmp_path / 'two-cobs.sqlite'}"
    runner = CliRunner()
    assert runner.invoke(app, ["init", "--date", "2025-01-15", "--db", url]).exit_code == 0
    engine = bootstrap(db_url=url).engine
    with cob_run_lock(engine):
        second = runner.invoke(app, ["cob", "--date", "2025-01-15", "--db", url])
    assert second.exit_code == 75
    assert "another close of business is running" in second.stderr
    assert "Traceback" not in second.output
    after = runner.invoke(app, ["cob", "--date", "2025-01-15", "--verify", "--db", url])
    assert after.exit_code == 0, after.output
    assert "sound" in after.stdout
