"""The audit log is append-only in effect: any edit or deletion is found."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from dunwell.app.audit import record, verify
from dunwell.bootstrap import Dunwell
from dunwell.cli.main import app as cli
from dunwell.store import tables as t

AT = dt.datetime(2025, 3, 3, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))


def write_ten(app: Dunwell) -> None:
    for batch in range(2):
        with app.uow() as uow:
            record(uow, at=AT + dt.timedelta(minutes=batch), entries=[
                ("guard_decision", f"borrower:{k}", {"decision": "allow", "rule": None,
                                                    "channel": "sms", "n": k})
                for k in range(5)])
            uow.commit()


def test_an_untouched_log_verifies(app: Dunwell) -> None:
    write_ten(app)
    report = verify(app)
    assert report.intact and report.records == 10 and report.head_seq == 10


def test_a_record_that_is_not_committed_leaves_no_trace(app: Dunwell) -> None:
    write_ten(app)
    with app.uow() as uow:
        record(uow, at=AT, entries=[("guard_decision", "borrower:9", {"x": 1})])
    assert verify(app).records == 10


@pytest.mark.parametrize(
    ("tamper", "problem", "seq"),
    [
        (sa.update(t.audit_log).where(t.audit_log.c.seq == 4)
         .values(payload_json='{"decision":"deny"}'), "edited", 4),
        (sa.delete(t.audit_log).where(t.audit_log.c.seq == 6), "deleted_before", 7),
        (sa.delete(t.audit_log).where(t.audit_log.c.seq == 10), "deleted_after", 10),
        (sa.update(t.audit_log).where(t.audit_log.c.seq == 2)
         .values(recorded_at="2025-03-03T09:00:00+08:00"), "edited", 2),
    ],
)
def test_edits_and_deletions_are_found(app: Dunwell, tamper: sa.Executable, problem: str,
                                       seq: int) -> None:
    write_ten(app)
    with app.engine.begin() as conn:
        conn.execute(tamper)
    report = verify(app)
    assert not report.intact
    assert (seq, problem) in [(p.seq, p.problem) for p in report.problems]


def test_audit_verify_exits_one_and_names_the_record(app: Dunwell, db_url: str) -> None:
    write_ten(app)
    runner = CliRunner()
    ok = runner.invoke(cli, ["audit", "verify", "--db", db_url])
    assert ok.exit_code == 0 and "intact: 10 records" in ok.output
    with app.engine.begin() as conn:
        conn.execute(sa.update(t.audit_log).where(t.audit_log.c.seq == 3)
                     .values(subject="borrower:999"))
    bad = runner.invoke(cli, ["audit", "verify", "--db", db_url])
    assert bad.exit_code == 1
    assert "edited" in bad.output
