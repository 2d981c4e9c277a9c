"""The operator commands as a collector types them: `dunwell contact` refuses what the
guard refuses (exit 2, rule and reason on one line, nothing recorded), records the
borrower's own contact as inbound, takes a supervisor's override; `dunwell contact`
and `dunwell promise` sent twice say "already recorded" and exit 0."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from contact_book import CASE, contact_book
from typer.testing import CliRunner

from dunwell.bootstrap import Dunwell
from dunwell.cli.main import app as cli
from dunwell.store import collection_tables as c

runner = CliRunner()
pytestmark = pytest.mark.usefixtures("wide_console")
NIGHT = ["contact", "26", "--channel", "call", "--outcome", "conversation",
         "--at", "2025-05-01T23:30:00+08:00"]


def count(app: Dunwell, table: sa.Table) -> int:
    with app.engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())


def test_the_testers_night_call_is_refused_with_its_rule(app: Dunwell, db_url: str) -> None:
    contact_book(app)
    night = runner.invoke(cli, [*NIGHT, "--db", db_url])
    assert night.exit_code == 2
    line = night.output.strip()
    assert line.startswith("error: CN-TIME: 23:30:00 local time (Asia/Shanghai) is outside")
    assert line.endswith("[contact_must_pass_guard]") and "\n" not in line
    assert count(app, c.contacts) == 0


def test_the_same_call_from_the_borrower_is_recorded_as_inbound(app: Dunwell,
                                                                db_url: str) -> None:
    contact_book(app)
    inbound = runner.invoke(cli, [*NIGHT, "--direction", "inbound", "--db", db_url])
    assert inbound.exit_code == 0, inbound.output
    assert "recorded inbound call for borrower 26: conversation" in inbound.output
    again = runner.invoke(cli, [*NIGHT, "--direction", "inbound", "--db", db_url])
    assert again.exit_code == 0 and "already recorded" in again.output
    assert count(app, c.contacts) == 1


def test_a_supervisor_overrides_with_a_name_and_a_reason(app: Dunwell, db_url: str) -> None:
    contact_book(app)
    half = runner.invoke(cli, [*NIGHT, "--override-by", "lead-li", "--db", db_url])
    assert half.exit_code == 2 and "[override_must_name_supervisor_and_reason]" in half.output
    done = runner.invoke(cli, [*NIGHT, "--override-by", "lead-li", "--reason",
                               "the borrower asked to be called back tonight", "--db", db_url])
    assert done.exit_code == 0, done.output
    assert "guard rule CN-TIME overridden by lead-li" in done.output
    assert count(app, c.contacts) == 1


def test_a_vulnerable_borrower_is_not_asked_to_pay_by_call(app: Dunwell, db_url: str) -> None:
    contact_book(app)
    asked = runner.invoke(cli, ["contact", "27", "--channel", "call", "--outcome",
                                "conversation", "--at", "2025-05-01T11:00:00+08:00",
                                "--tags", "payment_request", "--db", db_url])
    assert asked.exit_code == 2 and "UNIVERSAL-VULNERABLE" in asked.output


def test_a_promise_twice_is_recorded_once(app: Dunwell, db_url: str) -> None:
    contact_book(app)
    args = ["promise", CASE, "--amount", "500.00", "--by", "2025-05-06", "--db", db_url]
    first = runner.invoke(cli, args)
    assert first.exit_code == 0 and "promise recorded" in first.output
    again = runner.invoke(cli, args)
    assert again.exit_code == 0 and "already recorded" in again.output
    other = runner.invoke(cli, ["promise", CASE, "--amount", "300.00", "--by", "2025-05-09",
                                "--db", db_url])
    assert other.exit_code == 2 and "[case_must_not_have_pending_promise]" in other.output
    assert count(app, c.promises) == 1


def test_a_contact_key_reused_for_another_contact_is_refused(app: Dunwell,
                                                            db_url: str) -> None:
    contact_book(app)
    base = ["contact", "26", "--channel", "sms", "--outcome", "delivered", "--key", "op-7",
            "--db", db_url]
    assert runner.invoke(cli, [*base, "--at", "2025-05-01T10:00:00+08:00"]).exit_code == 0
    same = runner.invoke(cli, [*base, "--at", "2025-05-01T10:00:00+08:00"])
    assert same.exit_code == 0 and "already recorded" in same.output
    other = runner.invoke(cli, [*base, "--at", "2025-05-01T11:00:00+08:00"])
    assert other.exit_code == 2 and "[idempotency_key_must_match_request]" in other.output
    assert count(app, c.contacts) == 1
