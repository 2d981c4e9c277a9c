"""Log lines go to the standard error stream as it is when they are written, so a
progress bar that redirects it keeps them above itself."""

from __future__ import annotations

import io
import json
import sys

import pytest

from dunwell.app import logs


def test_a_log_line_follows_a_redirected_stderr(monkeypatch: pytest.MonkeyPatch) -> None:
    logs.configure(fmt="json", level="INFO")
    captured = io.StringIO()
    monkeypatch.setattr(sys, "stderr", captured)
    logs.get("test").info("cob.day_closed", business_date="2025-03-01")
    line = json.loads(captured.getvalue())
    assert line["event"] == "cob.day_closed" and line["business_date"] == "2025-03-01"
