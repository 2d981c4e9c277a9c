"""`dunwell demo --serve`: after the run the demo book is served on 127.0.0.1 with the
API and the borrower's pages, until the process is stopped."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


#: Only a hung demo is failed; a busy machine merely makes the wait longer.
HANG_GUARD_SECONDS = 1800


@pytest.mark.slow
def test_the_demo_serves_its_book_after_the_run(tmp_path: Path) -> None:
    port = free_port()
    url = f"sqlite:///{tmp_path / 'demo.sqlite'}"
    proc = subprocess.Popen(
        [sys.executable, "-m", "dunwell.cli.main", "demo", "--loans", "20", "--days", "5",
         "--no-early-warning", "--serve", "--port", str(port), "--db", url],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=tmp_path)
    try:
        page = None
        deadline = time.monotonic() + HANG_GUARD_SECONDS
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                page = httpx.get(f"http://127.0.0.1:{port}/portal/sign-in", timeout=2)
                break
            except httpx.TransportError:
                time.sleep(0.5)
        assert page is not None, "the demo stopped or never served"
        assert page.status_code == 200 and "Mobile number" in page.text
        hardship = httpx.get(f"http://127.0.0.1:{port}/portal/hardship", timeout=5)
        assert hardship.status_code == 401  # a borrower signs in first
        schema = httpx.get(f"http://127.0.0.1:{port}/openapi.json", timeout=5).json()
        assert "/v1/hardship" in schema["paths"]
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=30)
    assert "serving" in out and "/portal/hardship" in out
