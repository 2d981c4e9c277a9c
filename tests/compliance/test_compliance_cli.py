"""``dunwell compliance evaluate``: the DESIGN.md §4 contract, as a user runs it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dunwell.cli.main import app

SCENARIOS = Path(__file__).parent / "scenarios"

NIGHT_CALL = {
    "id": "night",
    "jurisdiction": "US-RegF",
    "borrower": {"timezone": "America/Chicago", "flags": []},
    "history": [],
    "proposed_action": {
        "ts": "2025-04-08T22:15:00-05:00",
        "channel": "call",
        "recipient": "borrower",
        "content_tags": ["payment_reminder"],
    },
}
NOON_CALL = {
    **NIGHT_CALL,
    "id": "noon",
    "proposed_action": {**NIGHT_CALL["proposed_action"], "ts": "2025-04-08T12:00:00-05:00"},
}


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def write(tmp_path: Path, *lines: str) -> Path:
    path = tmp_path / "scenarios.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_one_json_line_per_scenario_in_input_order_and_blank_lines_skipped(
    runner: CliRunner, tmp_path: Path
) -> None:
    path = write(tmp_path, json.dumps(NIGHT_CALL), "", "   ", json.dumps(NOON_CALL))
    result = runner.invoke(app, ["compliance", "evaluate", str(path)])
    assert result.exit_code == 0, result.stderr
    assert [json.loads(x) for x in result.stdout.splitlines()] == [
        {"id": "night", "decision": "deny", "rule": "US-RegF-TIME"},
        {"id": "noon", "decision": "allow", "rule": None},
    ]
    assert result.stderr == ""


def test_bad_lines_are_reported_with_line_and_field_and_the_rest_still_judged(
    runner: CliRunner, tmp_path: Path
) -> None:
    unknown_tag = json.loads(json.dumps(NOON_CALL))
    unknown_tag["id"] = "tagged"
    unknown_tag["proposed_action"]["content_tags"] = ["payment_reminder", "shaming"]
    naive = json.loads(json.dumps(NIGHT_CALL))
    naive["id"] = "naive"
    naive["proposed_action"]["ts"] = "2025-04-08T12:00:00"
    path = write(
        tmp_path,
        json.dumps(unknown_tag),
        '{"id": "broken", ',
        json.dumps(NOON_CALL),
        json.dumps(naive),
    )
    result = runner.invoke(app, ["compliance", "evaluate", str(path)])
    assert result.exit_code == 2
    rows = [json.loads(x) for x in result.stdout.splitlines()]
    assert [(r["id"], r["decision"], r["rule"]) for r in rows] == [
        ("tagged", "error", None),
        (None, "error", None),
        ("noon", "allow", None),
        ("naive", "error", None),
    ]
    errors = result.stderr.strip().splitlines()
    assert len(errors) == 3
    assert errors[0].startswith("error: line 1: proposed_action.content_tags[1]: 'shaming'")
    assert errors[0].endswith("[content_tag_must_be_known]")
    assert errors[1].startswith("error: line 2: column ")
    assert "malformed JSON" in errors[1]
    assert errors[2].startswith("error: line 4: proposed_action.ts: ")
    assert "no UTC offset" in errors[2]
    assert rows[0]["error"].startswith("line 1: proposed_action.content_tags[1]")


def test_explain_prints_a_table_with_the_reason(runner: CliRunner, tmp_path: Path) -> None:
    path = write(tmp_path, json.dumps(NIGHT_CALL), json.dumps(NOON_CALL))
    result = runner.invoke(app, ["compliance", "evaluate", "--explain", str(path)])
    assert result.exit_code == 0, result.stderr
    text = " ".join(result.stdout.split())
    for words in ("night", "defer", "US-RegF-TIME", "22:15:00", "noon", "allow"):
        assert words in text
    assert not result.stdout.lstrip().startswith("{")


def test_a_missing_file_is_one_error_line_and_exit_2(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(app, ["compliance", "evaluate", str(tmp_path / "nope.jsonl")])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith("error: cannot read ")


@pytest.mark.slow
def test_the_real_command_judges_every_worked_scenario() -> None:
    for path in sorted(SCENARIOS.glob("*.jsonl")):
        done = subprocess.run(
            [sys.executable, "-m", "dunwell.cli.main", "compliance", "evaluate", str(path)],
            capture_output=True,
            text=True,
            encoding="utf-8",
            timeout=600,  # a hang guard only: a busy machine starts Python slowly
            check=False,
        )
        assert done.returncode == 0, done.stderr
        assert done.stderr == ""
        expected = [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x]
        got = [json.loads(x) for x in done.stdout.splitlines()]
        assert got == [
            {"id": e["id"], "decision": e["expected"], "rule": e["rule"]} for e in expected
        ]
