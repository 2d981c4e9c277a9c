"""`dunwell serve` refuses to start outside development mode while a secret is
missing or a development value (one line each, exit 2, nothing served); in
development mode it warns and serves; a host beyond loopback is named as reachable
from the network."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from dunwell.cli.main import app as cli

READY = {
    "DUNWELL_LETTER_SECRET": "l" * 20 + "0123456789abcdef0123456789",
    "DUNWELL_CALLBACK_SECRET": "c" * 20 + "0123456789abcdef0123456789",
    "DUNWELL_DATA_KEYS": "k1:LpIfko9wUXlPsLUfUEfmGSb0oGFidh1BfZ+Rzj+KWFo=",
    "DUNWELL_LOOKUP_KEY": "q0bCVOvZ3d1ZfM1jG9L4T5mUq2m8S7XyF0bK2hWcE3A=",
}
#: Only a hung server is failed; a busy machine merely makes the wait longer.
SERVE_SECONDS_MAX = 900


@pytest.fixture(autouse=True)
def _no_secrets_in_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (*READY, "DUNWELL_DEV_MODE"):
        monkeypatch.delenv(name, raising=False)


def test_without_secrets_serve_refuses_to_start_naming_each(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["serve", "--host", "0.0.0.0", "--port", "9",
                                      "--db", f"sqlite:///{tmp_path / 'book.sqlite'}"])
    assert result.exit_code == 2, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("warning: listening on 0.0.0.0: the API is reachable from "
                               "the network")
    errors = [line for line in lines if line.startswith("error: ")]
    for name in ("LETTER_SECRET", "CALLBACK_SECRET", "DATA_KEYS", "LOOKUP_KEY"):
        assert sum(f"DUNWELL_{name} " in line for line in errors) == 1, (name, lines)
    assert errors[-1].endswith("[secrets_must_be_set]") and "--dev" in errors[-1]
    assert "serving" not in result.output
    assert not (tmp_path / "book.sqlite").exists()  # nothing was opened


def test_one_weak_secret_is_enough_to_refuse(tmp_path: Path) -> None:
    env = {**READY, "DUNWELL_LETTER_SECRET": "letters"}
    result = CliRunner().invoke(cli, ["serve", "--db", f"sqlite:///{tmp_path / 'b.sqlite'}"],
                                env=env)
    assert result.exit_code == 2, result.output
    [problem, refusal] = result.output.splitlines()
    assert problem.startswith("error: DUNWELL_LETTER_SECRET has 7 characters")
    assert "refuses to start" in refusal


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _serve(tmp_path: Path, env: dict[str, str], *options: str) -> str:
    """Start ``dunwell serve`` in its own process, wait until it answers, stop it;
    everything it printed."""
    port = _free_port()
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DUNWELL_")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "dunwell.cli.main", "serve", "--port", str(port),
         "--db", f"sqlite:///{tmp_path / 'book.sqlite'}", *options],
        env={**clean, **env}, cwd=tmp_path, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + SERVE_SECONDS_MAX
        answered = False
        while not answered and time.monotonic() < deadline and proc.poll() is None:
            try:
                answered = httpx.get(f"http://127.0.0.1:{port}/openapi.json",
                                     timeout=2).status_code == 200
            except httpx.TransportError:
                time.sleep(0.2)
        assert answered, "the server stopped or never answered"
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=30)
    return out


@pytest.mark.parametrize("how", [["--dev"], ["DUNWELL_DEV_MODE=1"]])
def test_in_development_mode_it_warns_and_serves(tmp_path: Path, how: list[str]) -> None:
    env = dict(h.split("=", 1) for h in how if "=" in h)
    out = _serve(tmp_path, env, *[h for h in how if "=" not in h])
    warnings = [line for line in out.splitlines() if line.startswith("warning: DUNWELL_")]
    assert len(warnings) == 4, out
    assert "error:" not in out and "in development mode" in out


def test_with_every_secret_set_it_serves_without_a_word(tmp_path: Path) -> None:
    out = _serve(tmp_path, READY)
    assert "warning:" not in out and "error:" not in out, out
    assert "serving on http://127.0.0.1:" in out and "development" not in out
