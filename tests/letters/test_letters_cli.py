"""`dunwell letters` as an operations clerk uses it: issue, list, render, record what
happened, print a day's letters, and check a code."""

from __future__ import annotations

import json
import re
from pathlib import Path

import sqlalchemy as sa
from letters_book import LETTER_DAY, NOW
from typer.testing import CliRunner

from dunwell.app.letters.service import issue_letters_for_day
from dunwell.bootstrap import Dunwell
from dunwell.cli.main import app as cli
from dunwell.store import collection_tables as c

runner = CliRunner()


def test_a_letter_is_issued_tracked_and_verified_from_the_command_line(
        overdue_book: Dunwell, tmp_path: Path) -> None:
    db = overdue_book.settings.db_url
    with overdue_book.engine.connect() as conn:
        case_id = conn.execute(sa.select(c.cases.c.case_id)
                               .where(c.cases.c.borrower_id == 1)).scalar_one()
    issued = runner.invoke(cli, ["letters", "issue", "--case", case_id, "--kind", "reminder",
                                 "--date", LETTER_DAY.isoformat(), "--db", db])
    assert issued.exit_code == 0, issued.output
    found = re.search(r"DW-20250302-\d{6}", issued.output)
    assert found is not None, issued.output
    no = found.group(0)  # the day's collection run has issued its own letters already

    listed = runner.invoke(cli, ["letters", "list", "--json", "--db", db])
    assert listed.exit_code == 0, listed.output
    [row] = [r for r in json.loads(listed.output) if r["letter_no"] == no]
    assert row["status"] == "generated"
    code = row["verification_code"]
    table = runner.invoke(cli, ["letters", "list", "--status", "generated", "--db", db])
    assert table.exit_code == 0 and no in table.output
    bad = runner.invoke(cli, ["letters", "list", "--status", "lost", "--db", db])
    assert bad.exit_code == 2 and "letter_status_must_be_known" in bad.output

    out = tmp_path / "letter.pdf"
    rendered = runner.invoke(cli, ["letters", "render", no, "--out",
                                   str(out), "--db", db])
    assert rendered.exit_code == 0, rendered.output
    assert out.read_bytes().startswith(b"%PDF")
    missing = runner.invoke(cli, ["letters", "render", "DW-20250302-000099", "--out",
                                  str(out), "--db", db])
    assert missing.exit_code == 2 and "letter_must_exist" in missing.output

    def event(*args: str) -> tuple[int, str]:
        done = runner.invoke(cli, ["letters", "event", no, *args,
                                   "--db", db])
        return done.exit_code, done.output

    assert event("printed") == (0, f"letter {no} is printed\n")
    code_, said = event("returned")
    assert code_ == 2 and "letter_transition_must_be_allowed" in said
    assert event("dispatched", "--method", "post")[0] == 0
    code_, said = event("delivered")
    assert code_ == 2 and "delivery_proof_must_be_given" in said
    assert event("delivered", "--proof", "EMS 1234 signed")[0] == 0

    genuine = runner.invoke(cli, ["letters", "verify", code, "--db", db])
    assert genuine.exit_code == 0 and "genuine" in genuine.output
    assert "delivered" in genuine.output
    typo = code[:-1] + ("2" if code[-1] != "2" else "3")
    wrong = runner.invoke(cli, ["letters", "verify", typo, "--json", "--db", db])
    assert wrong.exit_code == 1
    assert json.loads(wrong.output)["problem"] == "check_failed"


def test_printing_a_day_writes_the_pdfs_and_marks_them_printed(
        overdue_book: Dunwell, tmp_path: Path) -> None:
    db = overdue_book.settings.db_url
    with overdue_book.uow() as uow:
        issue_letters_for_day(uow, templates=overdue_book.providers.templates(),
                              business_date=LETTER_DAY, now=NOW)
        uow.commit()
    printed = runner.invoke(cli, ["letters", "print", "--date", LETTER_DAY.isoformat(),
                                  "--out", str(tmp_path / "out"), "--db", db])
    assert printed.exit_code == 0, printed.output
    assert "printed 3 letter(s)" in printed.output
    assert len(list((tmp_path / "out").glob("DW-20250302-*.pdf"))) == 3
    listed = json.loads(runner.invoke(cli, ["letters", "list", "--json", "--db", db]).output)
    assert {r["status"] for r in listed} == {"printed"}
