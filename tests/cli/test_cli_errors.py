"""Bad input and unavailable databases give one line, never a traceback: exit 2 for
what the caller must fix (``error: ... [code]``), exit 75 for what will pass when the
same command runs again later."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import typer
from sqlalchemy import exc as db_errors
from typer.testing import CliRunner

from dunwell.bootstrap import DbFailure, database_failure
from dunwell.cli.common import (
    EXIT_BAD_INPUT,
    EXIT_RETRY_LATER,
    clear_errors,
    explain,
    invalid_settings,
    with_connect_timeout,
)
from dunwell.cli.main import app
from dunwell.core.errors import InvalidInput, RetryLater

runner = CliRunner()
UNREACHABLE_PG = "postgresql+psycopg://postgres@127.0.0.1:1/none?connect_timeout=2"


def one_line_error(result: object, code: str) -> str:
    """The error line of a run that failed cleanly: one line on stderr, no traceback."""
    stderr: str = getattr(result, "stderr")  # noqa: B009 - CliRunner and CompletedProcess
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert lines[0].startswith("error: ") and lines[0].endswith(f"[{code}]"), lines[0]
    assert "Traceback" not in stderr
    return lines[0]


@pytest.fixture
def book(db_url: str) -> str:
    result = runner.invoke(app, ["init", "--date", "2025-01-15", "--partitions", "2",
                                 "--db", db_url])
    assert result.exit_code == 0, result.output
    return db_url


def test_a_non_utf8_application_file_is_one_line_exit_2(book: str, tmp_path: Path) -> None:
    path = tmp_path / "application.json"
    path.write_bytes(b'\xff\xfe{"applicant": "\xe9"}')
    result = runner.invoke(app, ["apply", "--json", str(path), "--db", book])
    assert result.exit_code == EXIT_BAD_INPUT
    assert "byte 0xff at offset 0" in one_line_error(result, "file_must_be_utf8")


def test_a_missing_application_file_is_one_line_exit_2(tmp_path: Path) -> None:
    result = runner.invoke(app, ["apply", "--json", str(tmp_path / "none.json")])
    assert result.exit_code == EXIT_BAD_INPUT
    one_line_error(result, "application_file_must_be_json")


def test_a_db_that_is_not_a_url_is_one_line_exit_2() -> None:
    result = runner.invoke(app, ["credit-line", "show", "1", "--db", "notaurl"])
    assert result.exit_code == EXIT_BAD_INPUT
    assert "pass --db like" in one_line_error(result, "db_url_must_be_valid")


def test_a_db_of_an_unknown_kind_is_one_line_exit_2() -> None:
    result = runner.invoke(app, ["credit-line", "show", "1", "--db", "nosuchdb://x/y"])
    assert result.exit_code == EXIT_BAD_INPUT
    one_line_error(result, "db_url_must_be_valid")


def test_an_unreachable_database_is_one_line_exit_75() -> None:
    result = runner.invoke(app, ["credit-line", "show", "1", "--db", UNREACHABLE_PG])
    assert result.exit_code == EXIT_RETRY_LATER
    assert "run the command again later" in one_line_error(result,
                                                            "database_must_be_reachable")


def test_an_invalid_setting_is_one_line_exit_2(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DUNWELL_PARTITIONS", "many")
    result = runner.invoke(app, ["credit-line", "show", "1", "--db", "notaurl"])
    assert result.exit_code == EXIT_BAD_INPUT
    assert "partitions" in one_line_error(result, "settings_must_be_valid")


def test_a_postgres_url_gets_a_connect_timeout_unless_it_has_one() -> None:
    assert with_connect_timeout("postgresql+psycopg://u@h/db") == (
        "postgresql+psycopg://u@h/db?connect_timeout=10")
    assert with_connect_timeout("postgresql+psycopg://u@h/db?connect_timeout=3").endswith("=3")
    assert with_connect_timeout("sqlite:///var/book.sqlite") == "sqlite:///var/book.sqlite"


def test_a_loan_id_beyond_int64_is_one_line_exit_2(book: str) -> None:
    result = runner.invoke(app, ["loan", str(2**70), "--db", book])
    assert result.exit_code == EXIT_BAD_INPUT, result.output
    assert "Traceback" not in result.output
    line = [x for x in result.stderr.splitlines() if x.strip()]
    assert len(line) == 1 and line[0].startswith("error: "), result.stderr


@pytest.mark.parametrize("amount", ["92233720368547758.07", "99999999999999999999999999"])
def test_a_payment_beyond_the_amount_limit_is_refused_exit_2(book: str, amount: str) -> None:
    result = runner.invoke(app, ["pay", "1", amount, "--key", "p-1", "--db", book])
    assert result.exit_code == EXIT_BAD_INPUT, result.output
    assert "Traceback" not in result.output
    assert "[amount_must_be_within_limits]" in result.stderr


def test_the_installed_command_prints_one_line_for_a_bad_db_url() -> None:
    """The real entry point, as a shell runs it (83 lines of traceback before)."""
    done = subprocess.run([sys.executable, "-m", "dunwell.cli.main", "credit-line", "show",
                           "1", "--db", "notaurl"], capture_output=True, text=True,
                          timeout=600, check=False)  # a hang guard only
    assert done.returncode == EXIT_BAD_INPUT
    one_line_error(done, "db_url_must_be_valid")


def failing(exc: BaseException) -> Callable[[], None]:
    def run() -> None:
        with clear_errors():
            raise exc
    return run


def orig(message: str) -> Exception:
    return Exception(message)


CASES = [
    (InvalidInput("amount must be positive", code="amount_must_be_positive"),
     EXIT_BAD_INPUT, "amount_must_be_positive"),
    (UnicodeDecodeError("utf-8", b"\x80", 0, 1, "invalid start byte"), EXIT_BAD_INPUT,
     "file_must_be_utf8"),
    (FileNotFoundError(2, "No such file or directory", "/x.jsonl"), EXIT_BAD_INPUT,
     "file_must_be_readable"),
    (PermissionError(13, "Permission denied", "/x.jsonl"), EXIT_BAD_INPUT,
     "file_must_be_readable"),
    (OverflowError("Python int too large to convert to SQLite INTEGER"), EXIT_BAD_INPUT,
     "number_must_be_within_limits"),
    (db_errors.DataError("SELECT", {}, orig("integer out of range")), EXIT_BAD_INPUT,
     "value_must_fit_database"),
    (db_errors.OperationalError("SELECT", {}, orig("database is locked")), EXIT_RETRY_LATER,
     "database_must_be_reachable"),
    (db_errors.OperationalError("connect", {}, orig('password authentication failed for '
                                                    'user "x"')),
     EXIT_BAD_INPUT, "db_url_must_be_valid"),
    (db_errors.OperationalError("SELECT", {}, orig("integer overflow")), EXIT_BAD_INPUT,
     "stored_amounts_must_fit_int64"),
    (ConnectionResetError(104, "Connection reset by peer"), EXIT_RETRY_LATER,
     "system_must_be_available"),
    (db_errors.OperationalError("connect", {}, orig("unable to open database file")),
     EXIT_BAD_INPUT, "db_url_must_be_valid"),
    (db_errors.ArgumentError("Could not parse SQLAlchemy URL from string 'x'"),
     EXIT_BAD_INPUT, "db_url_must_be_valid"),
    (db_errors.InterfaceError("connect", {}, orig("connection already closed")),
     EXIT_RETRY_LATER, "database_must_be_reachable"),
    (db_errors.TimeoutError("QueuePool limit reached"), EXIT_RETRY_LATER,
     "database_must_be_reachable"),
    (ModuleNotFoundError("No module named 'psycopg'"), EXIT_BAD_INPUT,
     "module_must_be_installed"),
]


@pytest.mark.parametrize(("exc", "exit_code", "code"), CASES,
                         ids=[type(c[0]).__name__ + "-" + c[2] for c in CASES])
def test_each_kind_of_failure_is_one_line_with_its_exit_code(
        exc: BaseException, exit_code: int, code: str,
        capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(typer.Exit) as caught:
        failing(exc)()
    assert caught.value.exit_code == exit_code
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: ") and err.endswith(f"[{code}]\n")


def test_a_failure_nobody_expected_is_not_hidden() -> None:
    with pytest.raises(KeyError):
        failing(KeyError("a bug"))()
    assert explain(KeyError("a bug")) is None


@pytest.mark.parametrize(("exc", "failure"), [
    (db_errors.ArgumentError("bad url"), DbFailure.URL_INVALID),
    (db_errors.NoSuchModuleError("no plugin"), DbFailure.URL_INVALID),
    (db_errors.DataError("INSERT", {}, orig("value out of range")), DbFailure.VALUE_REFUSED),
    (db_errors.OperationalError("c", {}, orig("unable to open database file")),
     DbFailure.FILE_UNOPENABLE),
    (db_errors.OperationalError("SELECT", {}, orig("integer overflow")),
     DbFailure.SUM_OVERFLOW),
    (db_errors.OperationalError("c", {}, orig('database "x" does not exist')),
     DbFailure.LOGIN_REFUSED),
    (db_errors.OperationalError("c", {}, orig("connection refused\nis the server up?")),
     DbFailure.UNAVAILABLE),
])
def test_each_database_failure_is_named_with_the_first_line_of_its_cause(
        exc: Exception, failure: DbFailure) -> None:
    named = database_failure(exc)
    assert named is not None and named.failure is failure
    assert "\n" not in named.cause and len(named.cause) <= 300
    assert named.failure.retry_later is (failure is DbFailure.UNAVAILABLE)
    assert database_failure(ValueError("not the database's")) is None


def test_an_invalid_setting_names_where_and_what() -> None:
    from pydantic import BaseModel, ValidationError

    class Limits(BaseModel):
        partitions: int

    with pytest.raises(ValidationError) as caught:
        Limits(partitions="many")  # type: ignore[arg-type]
    failure = invalid_settings(caught.value)
    assert failure.message.startswith("partitions: ")
    assert (failure.code, failure.exit_code) == ("settings_must_be_valid", EXIT_BAD_INPUT)


def test_a_retry_later_rejection_exits_75(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(typer.Exit) as caught:
        failing(RetryLater("the loan is busy; run it again", code="loan_must_be_free"))()
    assert caught.value.exit_code == EXIT_RETRY_LATER
    assert capsys.readouterr().err == "error: the loan is busy; run it again [loan_must_be_free]\n"


def test_a_compliance_file_that_is_not_utf8_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "scenarios.jsonl"
    path.write_bytes(json.dumps({"id": "x"}).encode() + b"\n\xff\n")
    result = runner.invoke(app, ["compliance", "evaluate", str(path)])
    assert result.exit_code == EXIT_BAD_INPUT, result.output
    assert "Traceback" not in result.output
