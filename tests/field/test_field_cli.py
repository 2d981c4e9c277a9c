"""The ``dunwell field`` commands as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from field_book import DAY, offset, put_visit_case
from typer.testing import CliRunner

from dunwell.bootstrap import bootstrap
from dunwell.cli.main import app as cli
from dunwell.settings import Settings

runner = CliRunner()


def run(*args: str) -> tuple[int, str]:
    result = runner.invoke(cli, ["field", *args], catch_exceptions=False)
    return result.exit_code, result.output


@pytest.fixture
def db(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'field.sqlite'}"
    book = bootstrap(Settings(db_url=url, log_level="WARNING"))
    for k in (1, 2, 3):
        put_visit_case(book, k)
    book.engine.dispose()
    return url


def test_agents_certificates_addresses_and_a_printed_plan(db: str, tmp_path: Path) -> None:
    code, out = run("agent", "add", "f-01", "--name", "张伟", "--lat", "30.6586", "--lon",
                    "104.0647", "--radius-m", "9000", "--shift", "09:00-17:30", "--db", db)
    assert code == 0, out
    code, out = run("agent", "list", "--date", str(DAY), "--json", "--db", db)
    listed = json.loads(out)
    assert [(a["agent_id"], a["certified"]) for a in listed] == [("f-01", False)]
    assert "legal_knowledge (missing)" in listed[0]["gaps"]
    code, out = run("cert", "add", "f-01", "privacy", "--expires", "2026-12-31", "--issued",
                    "2026-01-01", "--signer", "f-01", "--score", "95", "--evidence", "x",
                    "--db", db)
    assert code == 2 and "certificate_must_be_signed_by_someone_else" in out
    result = runner.invoke(cli, ["training", "staff", "add", "t-1", "--name", "Trainer",
                                 "--role", "trainer", "--db", db])
    assert result.exit_code == 0, result.output
    for subject in ("communication_skills", "legal_knowledge", "privacy", "vulnerability",
                    "visit_safety"):
        code, out = run("cert", "add", "f-01", subject, "--expires", "2026-12-31", "--issued",
                        "2026-01-01", "--signer", "t-1", "--score", "90", "--evidence",
                        "city college course 2025-114", "--db", db)
        assert code == 0, out
    for k, (n, e) in {1: (1, 0), 2: (0, 2)}.items():
        lat, lon = offset(n, e)
        code, out = run("address", str(k), "--text", f"成都市 {k} 号", "--lat", str(lat), "--lon",
                        str(lon), "--db", db)
        assert code == 0, out
    run("address", "3", "--text", "no pin yet", "--db", db)
    out_dir = tmp_path / "itineraries"
    code, out = run("plan", "--date", str(DAY), "--solver", "ortools", "--time-limit", "1",
                    "--out", str(out_dir), "--db", db)
    assert code == 0, out
    assert "field plan 2026-11-24 (ortools): 2 of 3 visits planned" in out
    assert "f-01 张伟: itinerary" in out and "借款人00001" in out
    assert "address has no stored coordinates" in out
    text = (out_dir / "itinerary-2026-11-24-f-01.txt").read_text(encoding="utf-8")
    assert "Certificates: f-01-communication_skills-20260101" in text
    assert "Never leave debt details" in text
    assert (out_dir / "itinerary-2026-11-24-f-01.csv").read_text(encoding="utf-8").count(
        "\n") == 3
    assert "<ol>" in (out_dir / "itinerary-2026-11-24-f-01.html").read_text(encoding="utf-8")
    code, out = run("visit", "1", "--outcome", "not_at_home", "--at",
                    "2026-11-24T10:05:00+08:00", "--lat", str(offset(1, 0)[0]), "--lon",
                    str(offset(1, 0)[1]), "--db", db)
    assert code == 0 and "visit 1 (case-1): not_at_home" in out
    code, out = run("roi", "--from", str(DAY), "--to", str(DAY), "--db", db)
    assert code == 0 and "all agents" in out


def test_assigning_to_an_uncertified_agent_exits_2_naming_the_subjects(db: str) -> None:
    run("agent", "add", "f-02", "--name", "Li", "--lat", "30.6586", "--lon", "104.0647",
        "--db", db)
    run("address", "1", "--text", "x", "--lat", "30.66", "--lon", "104.06", "--db", db)
    run("plan", "--date", str(DAY), "--solver", "nearest", "--db", db)
    code, out = run("assign", "1", "f-02", "--db", db)
    assert code == 2
    assert "agent_must_hold_valid_certificates" in out
    assert "communication_skills (missing), legal_knowledge (missing), privacy (missing)" in out


def test_a_bad_outcome_time_is_a_clear_error(db: str) -> None:
    code, out = run("visit", "1", "--outcome", "moved", "--at", "yesterday", "--lat", "30",
                    "--lon", "104", "--db", db)
    assert code == 2 and "timestamp_must_be_iso" in out
