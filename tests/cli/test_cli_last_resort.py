"""A failure no command expected still ends in one line and exit 70, not a traceback;
DUNWELL_DEBUG=1 shows the traceback."""

from __future__ import annotations

import sys
from collections.abc import Iterator

import pytest

from dunwell.cli import main as cli_main


@pytest.fixture
def failing_command(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    def boom() -> None:
        raise RuntimeError("kaput\nsecond line")

    cli_main.app.command("boom-for-test")(boom)
    added = cli_main.app.registered_commands[-1]
    monkeypatch.setattr(sys, "argv", ["dunwell", "boom-for-test"])
    yield
    cli_main.app.registered_commands.remove(added)


def test_an_unexpected_failure_is_one_line_and_exit_70(
        failing_command: None, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DUNWELL_DEBUG", raising=False)
    with pytest.raises(SystemExit) as ended:
        cli_main.main()
    assert ended.value.code == 70
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "unexpected RuntimeError: kaput;" in err and "[internal_error]" in err


def test_debug_shows_the_traceback(failing_command: None,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DUNWELL_DEBUG", "1")
    with pytest.raises(RuntimeError, match="kaput"):
        cli_main.main()
