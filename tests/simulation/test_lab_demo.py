"""`dunwell demo --lab`: the strategy lab's runs, the report under var/, and the served
run's book with the demo's sign-ins (here without serving, on a tiny population)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from dunwell.cli.main import app


def test_the_lab_demo_writes_the_report_and_signs_in_on_the_humane_book(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(
        app,
        [
            "demo",
            "--lab",
            "--borrowers",
            "6",
            "--days",
            "2",
            "--strategies",
            "humane",
            "--seed",
            "5",
        ],
    )
    assert result.exit_code == 0, result.output
    doc = json.loads((tmp_path / "var" / "lab.json").read_text(encoding="utf-8"))
    assert list(doc["strategies"]) == ["humane"]
    assert (tmp_path / "var" / "lab.html").read_text(encoding="utf-8").startswith("<!")
    assert "lab.html" in result.output and "demo-collector" in result.output
    book = tmp_path / "var" / "lab" / "lab-humane-5.sqlite"
    engine = sa.create_engine(f"sqlite:///{book}")
    try:
        with engine.connect() as conn:
            users = {str(n) for (n,) in conn.execute(sa.text("SELECT name FROM users"))}
    finally:
        engine.dispose()
    assert {"demo-collector", "demo-manager", "demo-field-agent"} <= users
