"""The ``dunwell training`` commands as a user runs them: register staff, take a
course, fail and pass the assessment, get certified by the trainer, see the status
table and the warnings, suspend and reinstate, review a call, read the quality
figures; and the field commands on top of it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dunwell.cli.main import app as cli
from dunwell.training.curriculum import builtin_curriculum

runner = CliRunner()


@pytest.fixture
def db(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'training.sqlite'}"


def run(db: str, *args: str) -> tuple[int, str]:
    result = runner.invoke(cli, ["training", *args, "--db", db], catch_exceptions=False)
    return result.exit_code, result.output


def ok(db: str, *args: str) -> str:
    code, out = run(db, *args)
    assert code == 0, out
    return out


def test_a_course_from_enrolment_to_a_signed_certificate(db: str, tmp_path: Path,
                                                         wide_console: None) -> None:
    ok(db, "staff", "add", "t-1", "--name", "刘培训", "--role", "trainer")
    ok(db, "staff", "add", "tl-1", "--name", "钱组长", "--role", "team_lead")
    out = ok(db, "staff", "add", "c-1", "--name", "王芳", "--role", "collector", "--lead", "tl-1")
    assert "c-1 (王芳): collector, lead tl-1" in out
    out = ok(db, "enrol", "c-1", "PRV-101", "--date", "2026-03-02")
    assert "modules to do: prv-1, prv-2" in out
    code, out = run(db, "attempt", "c-1", "PRV-101", "--started", "2026-03-02T09:00:00+08:00",
                    "--answer", "prv-q1=a")
    assert code == 2 and "modules_must_be_completed_before_assessment" in out
    ok(db, "module", "done", "c-1", "PRV-101", "prv-1")
    assert "ready for the assessment" in ok(db, "module", "done", "c-1", "PRV-101", "prv-2")
    out = ok(db, "attempt", "c-1", "PRV-101", "--started", "2026-03-02T09:00:00+08:00",
             "--submitted", "2026-03-02T09:12:00+08:00", "--answer", "prv-q1=a",
             "--answer", "prv-q2=a")
    assert "1/4 = 25% failed" in out
    answers = tmp_path / "answers.json"
    answers.write_text(json.dumps({q.question_id: q.answer for q in
                                   builtin_curriculum().course("PRV-101").questions}))
    out = ok(db, "attempt", "c-1", "PRV-101", "--started", "2026-03-02T10:00:00+08:00",
             "--submitted", "2026-03-02T10:20:00+08:00", "--answers", str(answers))
    assert "4/4 = 100% passed" in out
    code, out = run(db, "certify", "c-1", "PRV-101", "--signer", "c-1")
    assert code == 2 and "certificate_must_be_signed_by_someone_else" in out
    out = ok(db, "certify", "c-1", "PRV-101", "--signer", "t-1", "--issued", "2026-03-02")
    assert "valid 2026-03-02 to 2027-03-01, signed by t-1 (score 100%)" in out
    out = ok(db, "status", "c-1", "--date", "2026-03-02")
    assert "valid 2027-03-01" in out and "call: refused: no valid certificate in " in out
    listed = json.loads(ok(db, "status", "--date", "2027-02-20", "--json"))
    c1 = next(r for r in listed if r["staff_id"] == "c-1")
    assert c1["subjects"]["privacy"] == "expiring 2027-03-01"
    out = ok(db, "warnings", "--days", "30", "--date", "2027-02-20")
    assert "c-1" in out and "tl-1" in out and "PRV-101" in out and "new" in out
    out = ok(db, "records", "c-1")
    assert "c-1-privacy-20260302" in out and "fail" in out and "pass" in out


def test_suspension_review_and_the_quality_table(db: str, wide_console: None) -> None:
    ok(db, "staff", "add", "co-1", "--name", "孙合规", "--role", "compliance_officer")
    ok(db, "staff", "add", "c-1", "--name", "王芳", "--role", "collector")
    ok(db, "import", "c-1", "privacy", "--signer", "co-1", "--score", "92", "--evidence",
       "city college PR-7", "--issued", "2026-01-05")
    ok(db, "complaint", "CMP-3", "--staff", "c-1", "--by", "co-1", "--upheld", "--date",
       "2026-03-01", "--note", "pressed for payment")
    out = ok(db, "suspend", "c-1", "--by", "co-1", "--reason", "upheld complaint",
             "--complaint", "CMP-3", "--date", "2026-03-02")
    assert "suspended (all)" in out
    assert "suspended" in ok(db, "status", "c-1", "--date", "2026-03-03")
    ok(db, "reinstate", "c-1", "--by", "co-1", "--note", "refresher passed", "--date",
       "2026-03-09")
    out = ok(db, "review", "add", "c-1", "--kind", "call", "--reference", "contact-4",
             "--reviewer", "co-1", "--pass", "introduced_self", "--pass", "verified_identity",
             "--pass", "no_pressure", "--pass", "listened_for_hardship", "--fail",
             "offered_options", "--fail", "recorded_accurately", "--date", "2026-03-10")
    assert "66%" in out
    rows = json.loads(ok(db, "quality", "--from", "2026-03-01", "--to", "2026-03-31",
                         "--json"))
    c1 = next(r for r in rows if r["staff_id"] == "c-1")
    assert (c1["reviews"], c1["review_score_pct"], c1["complaints"], c1["refresher"]) == (
        1, 66, 1, True)
    assert "refresher" in ok(db, "quality", "--from", "2026-03-01", "--to", "2026-03-31")


def test_the_courses_table_in_both_languages(wide_console: None) -> None:
    out = runner.invoke(cli, ["training", "courses"]).output
    assert "LAW-101" in out and "visit" in out and "visit_safety" in out
    result = runner.invoke(cli, ["training", "courses", "--lang", "zh-CN"])
    assert "催收法规与行为准则" in result.output
    result = runner.invoke(cli, ["training", "course", "SAF-101", "--lang", "zh-CN",
                                 "--questions"])
    assert "未经借款人同意不得进入住宅" in result.output and "saf-q1" in result.output
