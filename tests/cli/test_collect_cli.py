"""The collection commands as a collector or an operations lead would use them."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from dunwell.cli.main import app

runner = CliRunner()


def test_a_demo_book_is_collected_queued_and_explained(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'c.sqlite'}"
    demo = runner.invoke(app, ["demo", "--loans", "20", "--days", "40", "--no-early-warning",
                                 "--db", db])
    assert demo.exit_code == 0, demo.output
    run = runner.invoke(app, ["collect", "--db", db])
    assert run.exit_code == 0, run.output
    assert "collection run" in run.output
    again = runner.invoke(app, ["collect", "--db", db])
    assert "(already run)" in again.output
    queue = runner.invoke(app, ["queue", "--date", "2025-03-10", "--db", db])
    assert queue.exit_code == 0 and "call queues 2025-03-10" in queue.output
    audit = runner.invoke(app, ["audit", "verify", "--db", db])
    assert audit.exit_code == 0 and "intact" in audit.output


def test_contacts_and_promises_are_recorded_and_bad_ones_refused(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'c.sqlite'}"
    runner.invoke(app, ["demo", "--loans", "10", "--days", "35", "--no-early-warning", "--db", db])
    ok = runner.invoke(app, ["contact", "3", "--channel", "call", "--outcome", "conversation",
                             "--at", "2025-03-06T10:00:00+08:00", "--db", db])
    assert ok.exit_code == 0, ok.output
    naive = runner.invoke(app, ["contact", "3", "--channel", "call", "--outcome",
                                "conversation", "--at", "2025-03-06T10:00:00", "--db", db])
    assert naive.exit_code == 2 and "timestamp_must_carry_offset" in naive.output
    unknown = runner.invoke(app, ["contact", "3", "--channel", "pigeon", "--outcome",
                                  "conversation", "--at", "2025-03-06T10:00:00+08:00",
                                  "--db", db])
    assert unknown.exit_code == 2 and "contact_must_use_known_terms" in unknown.output
    missing = runner.invoke(app, ["promise", "case-9999-20250101", "--amount", "10.00",
                                  "--by", "2025-03-10", "--db", db])
    assert missing.exit_code == 2 and "case_must_exist" in missing.output
    nobody = runner.invoke(app, ["case", "99999", "--db", db])
    assert nobody.exit_code == 2


def test_a_strategy_file_is_checked_with_line_and_path(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "name: mine\nversion: 1\nsegments:\n  - id: all\n    dpd: [0, 90]\n    steps:\n"
        "      - {id: s1, day: 1, kind: carrier_pigeon, at: '10:00'}\n", encoding="utf-8")
    result = runner.invoke(app, ["strategy", "check", str(bad)])
    assert result.exit_code == 2
    assert f"{bad}:7: segments[0].steps[0].kind: unknown action kind 'carrier_pigeon'" in (
        result.output)
    good = runner.invoke(app, ["strategy", "check",
                               "src/dunwell/collections/strategies/humane.yaml"])
    assert good.exit_code == 0 and "is valid" in good.output
    shown = runner.invoke(app, ["strategy", "show", "aggressive"])
    assert shown.exit_code == 0 and "D+1" in shown.output
