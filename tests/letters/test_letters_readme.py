"""The README's letter and legal command lines work exactly as written: each line is
read from README.md and run with only its placeholders filled in (the book's URL for
``--db ...``, the real letter number, code and referral id)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import shlex
import zipfile
from pathlib import Path

import pytest
from letters_book import DUE, NOW, open_small_book
from typer.testing import CliRunner

from dunwell.app.cob import close_until
from dunwell.app.collections.collect import collect_day
from dunwell.app.collections.contacts import record_contact
from dunwell.app.collections.offers import offers_for_case
from dunwell.app.negotiation.service import decline_offers
from dunwell.bootstrap import Dunwell
from dunwell.cli.main import app as cli
from dunwell.store.legal_repo import LegalRepository
from dunwell.store.letters_repo import LetterRepository

README = Path(__file__).resolve().parents[2] / "README.md"
runner = CliRunner()


def readme_commands(prefix: str) -> list[str]:
    """The README's command lines starting with ``dunwell <prefix>``."""
    found = []
    for line in README.read_text(encoding="utf-8").splitlines():
        if line.startswith(f"dunwell {prefix}"):
            found.append(line)
    assert found, f"README.md has no `dunwell {prefix}` lines"
    return found


def run_as_written(line: str, fill: dict[str, str], db: str) -> tuple[int, str]:
    words = shlex.split(line, comments=True)[1:]  # as a shell reads it
    words = [db if w == "..." and k and words[k - 1] == "--db" else w
             for k, w in enumerate(words)]
    for placeholder, value in fill.items():
        words = [w.replace(placeholder, value) for w in words]
    result = runner.invoke(cli, words)
    return result.exit_code, result.output


def test_the_readme_letter_commands_run_as_written(
        overdue_book: Dunwell, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # `--out letter.pdf` lands here
    with overdue_book.uow() as uow:
        letter = LetterRepository(uow.conn).listing(borrower_id=1)[0]
    fill = {"DW-20250315-000001": letter.letter_no, "K7PQ-2MXD-9RTW-4HCA":
            letter.verification_code}
    lines = readme_commands("letters ")
    assert any("dispatched --method post" in line for line in lines)
    for line in lines:
        code, out = run_as_written(line, fill, overdue_book.settings.db_url)
        assert code == 0, f"{line}\n{out}"
    assert (tmp_path / "letter.pdf").read_bytes().startswith(b"%PDF")
    with overdue_book.uow() as uow:
        assert LetterRepository(uow.conn).get(letter.letter_no).status.value == "dispatched"


LEGAL_DAY = DUE + dt.timedelta(days=100)


def test_the_readme_legal_commands_run_as_written_and_the_bundle_proves_delivery(
        app: Dunwell, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # `--out var/bundles` lands here
    open_small_book(app)
    close_until(app, LEGAL_DAY - dt.timedelta(days=1))
    collect_day(app, LEGAL_DAY, now=NOW)
    with app.uow() as uow:
        for k in range(6):
            at = dt.datetime.combine(LEGAL_DAY, dt.time(2, k), tzinfo=dt.UTC)
            record_contact(uow, borrower_id=1, at=at, channel="call", outcome="no_answer",
                           now=at)
        at = dt.datetime.combine(LEGAL_DAY, dt.time(6, 0), tzinfo=dt.UTC)
        record_contact(uow, borrower_id=1, at=at, channel="visit", outcome="conversation",
                       now=at)
        uow.commit()
    db = app.settings.db_url
    case_id = f"case-1-{LEGAL_DAY:%Y%m%d}"
    with app.uow() as uow:  # the rules want repayment offers made and refused first
        offers_for_case(uow, case_id=case_id, business_date=LEGAL_DAY, now=NOW)
        uow.commit()
    decline_offers(app, case_id=case_id, now=NOW, note="the borrower refused every plan")
    code, out = run_as_written(f"dunwell legal propose {case_id} --by clerk --note "
                               "unreachable --db ...", {}, db)
    assert code == 0, out
    with app.uow() as uow:
        referral = LegalRepository(uow.conn).open_for_case(case_id)
    assert referral is not None
    rid = str(referral.referral_id)
    lines = readme_commands("legal ")
    assert any(line.startswith("dunwell legal verify-bundle") for line in lines)
    for line in lines:
        if " bundle " in f"{line} ":
            # the demand letter was posted and delivered before the bundle is exported
            with app.uow() as uow:
                [demand] = [x for x in LetterRepository(uow.conn).listing(borrower_id=1)
                            if x.kind == "demand"]
            for event in ("printed", "dispatched --method post",
                          "delivered --proof EA123456789CN"):
                code, out = run_as_written(
                    f"dunwell letters event {demand.letter_no} {event} --db ...", {}, db)
                assert code == 0, out
        code, out = _run_legal(line, rid, db)
        assert code == 0, f"{line}\n{out}"
        if "verify-bundle" in line:
            assert "NOT intact" not in out and "intact" in out, out
    bundle = tmp_path / "var" / "bundles" / f"referral-{rid}-evidence.zip"
    with zipfile.ZipFile(bundle) as zf:
        rows = list(csv.DictReader(io.StringIO(
            zf.read("sections/06_letters.csv").decode("utf-8"))))
    [row] = [r for r in rows if r["Kind"] == "demand"]
    assert row["Proof of dispatch"].startswith("dispatched") and "by post" in row[
        "Proof of dispatch"]
    assert "proof: EA123456789CN" in row["Proof of delivery (or return)"]


def _run_legal(line: str, rid: str, db: str) -> tuple[int, str]:
    """A legal README line with referral 3 read as the real referral."""
    words = shlex.split(line, comments=True)[1:]  # as a shell reads it
    words = [db if w == "..." and k and words[k - 1] == "--db" else w
             for k, w in enumerate(words)]
    words = [rid if w == "3" else w.replace("referral-3-", f"referral-{rid}-") for w in words]
    result = runner.invoke(cli, words)
    return result.exit_code, result.output
