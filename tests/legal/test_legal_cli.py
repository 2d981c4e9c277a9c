"""``dunwell legal`` as a legal counsel would use it, end to end on a small book."""

from __future__ import annotations

import datetime as dt
import json
import zipfile
from collections.abc import Callable
from pathlib import Path

from legal_book import FIRST_DUE, reach_out, set_flags
from typer.testing import CliRunner

from dunwell.bootstrap import Dunwell
from dunwell.cli.main import app as cli

runner = CliRunner()
DAY = FIRST_DUE + dt.timedelta(days=100)
CASE = f"case-1-{DAY:%Y%m%d}"


def run(db: str, *args: str) -> tuple[int, str]:
    result = runner.invoke(cli, ["legal", *args, "--db", db])
    out = result.output
    return result.exit_code, out if "--json" in args else " ".join(out.split())


def test_propose_approve_demand_bundle_verify_and_track_costs(
        app: Dunwell, db_url: str, overdue_book: Callable[[dt.date], dt.date],
        tmp_path: Path) -> None:
    overdue_book(DAY)
    reach_out(app, 1, DAY)
    day = ["--date", DAY.isoformat()]
    code, out = run(db_url, "propose", CASE, "--by", "Li Na", "--note", "refuses", *day,
                    "--json")
    assert code == 0, out
    rid = str(json.loads(out)["referral_id"])
    code, out = run(db_url, "approve", rid, "--by", "Zhao Min", "--role", "intern",
                    "--note", "ok", *day)
    assert code == 2 and "referral_approval_must_name_person_role_and_note" in out
    code, out = run(db_url, "approve", rid, "--by", "Zhao Min", "--role", "legal_counsel",
                    "--note", "contact exhausted", *day)
    assert code == 0 and "is now legal" in out, out
    code, out = run(db_url, "demand", rid, *day, "--json")
    assert code == 0 and json.loads(out)["letter_no"].startswith("DW-"), out
    code, out = run(db_url, "event", rid, "filed", "--by", "Zhao Min", "--cost", "500.00",
                    "--court", "Pudong People's Court", "--reference", "(2025)-1234", *day)
    assert code == 0 and "total costs 500.00 CNY" in out, out
    code, out = run(db_url, "event", rid, "hearing", "--by", "Zhao Min", "--cost", "-1.00",
                    *day)
    assert code == 2 and "legal_cost_must_not_be_negative" in out
    code, out = run(db_url, "event", rid, "enforcement", "--by", "Zhao Min", *day)
    assert code == 2 and "legal_case_transition_must_be_allowed" in out
    code, out = run(db_url, "event", rid, "hearing", "--cost-minor", "12000", "--note",
                    "first hearing", *day, "--json")
    assert code == 0 and json.loads(out)["total_cost_minor"] == 62_000, out
    code, out = run(db_url, "case", rid)
    assert code == 0 and "total costs 620.00 CNY" in out and "status open -> legal" in out
    code, out = run(db_url, "bundle", rid, "--out", str(tmp_path / "out"))
    assert code == 0, out
    bundle = tmp_path / "out" / f"referral-{rid}-evidence.zip"
    code, out = run(db_url, "verify-bundle", str(bundle))
    assert code == 0 and "intact" in out, out
    forged = tmp_path / "forged.zip"
    with zipfile.ZipFile(bundle) as src, zipfile.ZipFile(forged, "w") as dst:
        for name in src.namelist():
            data = src.read(name)
            dst.writestr(name, data.replace(b"Zhao Min", b"Zhao Mun") if name.endswith(
                "09_referral.csv") else data)
    code, out = run(db_url, "verify-bundle", str(forged), "--json")
    assert code == 1 and json.loads(out)["problems"], out
    offline = runner.invoke(cli, ["legal", "verify-bundle", str(bundle), "--no-book", "--json"])
    assert offline.exit_code == 0 and json.loads(offline.output)["registered"] is None
    code, out = run(db_url, "bundle", "999", "--out", str(tmp_path / "none"))
    assert code == 2 and "referral_must_exist" in out
    code, out = run(db_url, "list", "--status", "approved", "--json")
    assert [r["legal_state"] for r in json.loads(out)] == ["hearing"]
    code, out = run(db_url, "list", "--status", "maybe")
    assert code == 2 and "referral_status_must_be_known" in out


def test_a_protected_borrower_is_refused_at_the_command_line(
        app: Dunwell, db_url: str, overdue_book: Callable[[dt.date], dt.date]) -> None:
    overdue_book(DAY)
    reach_out(app, 1, DAY)
    set_flags(app, 1, "time_barred")
    code, out = run(db_url, "propose", CASE, "--by", "Li Na", "--date", DAY.isoformat())
    assert code == 2
    assert "referral_borrower_must_not_be_protected" in out and "time_barred" in out
    code, out = run(db_url, "queue", "--date", DAY.isoformat())
    assert code == 0 and "referrals waiting for a decision" in out
