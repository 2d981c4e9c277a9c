"""The channel commands: templates check and render, outbox list and dispatch."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from typer.testing import CliRunner

from dunwell.app.channels.outbox import enqueue_message
from dunwell.bootstrap import bootstrap
from dunwell.channels.model import MessageChannel
from dunwell.cli.main import app as cli
from dunwell.settings import Settings
from dunwell.store.outbox_repo import ChannelFactsRepository

runner = CliRunner()


def test_templates_check_passes_on_the_built_in_templates() -> None:
    result = runner.invoke(cli, ["templates", "check"])
    assert result.exit_code == 0, result.output
    assert "sms_reminder" in result.output and "plan_confirmation" in result.output


def test_templates_check_names_each_broken_file_and_exits_1(tmp_path: Path) -> None:
    (tmp_path / "good.en.j2").write_text("{# requires: borrower_name #}\nHi {{ borrower_name }}")
    (tmp_path / "sloppy.en.j2").write_text("{# requires: borrower_name #}\n{{ amount_minor }}")
    (tmp_path / "sms_reminder.en.j2").write_text("{# requires: #}\nPay now.")
    result = runner.invoke(cli, ["templates", "check", str(tmp_path)])
    assert result.exit_code == 1
    lines = [x for x in result.stderr.splitlines() if x]
    assert f"{tmp_path / 'sloppy.en.j2'}: uses amount_minor without declaring" in lines[0]
    assert lines[1].startswith(f"{tmp_path / 'sms_reminder.en.j2'}: a sms text must tell")
    assert len(lines) == 2


def test_templates_render_fills_variables_given_on_the_command_line() -> None:
    result = runner.invoke(cli, ["templates", "render", "in_app_reminder", "--lang", "zh-CN",
                                 "--var", "borrower_name=王芳", "--var", "amount_minor=88800",
                                 "--var", "currency=CNY", "--var", "due_date=2026-12-01"])
    assert result.exit_code == 0, result.output
    assert "王芳您好" in result.output and "¥888.00" in result.output
    assert "2026年12月1日" in result.output
    missing = runner.invoke(cli, ["templates", "render", "in_app_reminder"])
    assert missing.exit_code == 2
    assert "template_context_must_provide_variables" in missing.stderr


def test_outbox_list_and_dispatch_show_what_was_sent(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'book.sqlite'}"
    app = bootstrap(Settings(db_url=db, log_level="WARNING"))
    with app.uow() as uow:
        enqueue_message(uow, providers=app.providers,
                        settings=app.settings, borrower_id=9, kind="hardship_outreach",
                        channel=MessageChannel.IN_APP, language="en",
                        context={"borrower_name": "Sam"}, key="msg-cli",
                        now=dt.datetime(2026, 11, 24, tzinfo=dt.UTC))
        uow.commit()
    app.engine.dispose()
    listed = runner.invoke(cli, ["outbox", "list", "--json", "--db", db])
    assert listed.exit_code == 0, listed.output
    [row] = json.loads(listed.stdout)
    assert (row["kind"], row["status"], row["channel"]) == ("hardship_outreach", "pending",
                                                            "in_app")
    sent = runner.invoke(cli, ["outbox", "dispatch", "--json", "--db", db,
                               "--now", "2026-11-24T09:00:00+08:00"],
                         env={"DUNWELL_OUTBOX_DIR": str(tmp_path / "out")})
    assert sent.exit_code == 0, sent.output
    assert json.loads(sent.stdout)["sent"] == 1
    assert (tmp_path / "out" / "in_app.jsonl").exists()
    table = runner.invoke(cli, ["outbox", "list", "--status", "sent", "--db", db])
    assert table.exit_code == 0 and "outbox (1 shown)" in table.output
    bad = runner.invoke(cli, ["outbox", "list", "--status", "lost", "--db", db])
    assert bad.exit_code == 2 and "message_status_must_be_known" in bad.stderr


def test_outbox_address_records_where_a_channel_reaches_a_borrower(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'book.sqlite'}"
    ok = runner.invoke(cli, ["outbox", "address", "7", "--channel", "sms",
                             "--address", "+8613800000007", "--db", db])
    assert ok.exit_code == 0, ok.output
    bad = runner.invoke(cli, ["outbox", "address", "7", "--channel", "email",
                              "--address", "not-an-address", "--db", db])
    assert bad.exit_code == 2 and "address_must_be_valid" in bad.stderr
    app = bootstrap(Settings(db_url=db, log_level="WARNING"))
    with app.uow() as uow:
        facts = ChannelFactsRepository(uow.conn)
        assert facts.address(7, MessageChannel.SMS) == "+8613800000007"
        assert facts.address(7, MessageChannel.EMAIL) is None
    app.engine.dispose()
