"""What the borrower asked — no contact before or after a local time, only some
channels, a language — is stored (`dunwell borrower prefs`) and obeyed by the guard
wherever it is asked: the operator's contact, the daily run, letters, notices."""

from __future__ import annotations

import datetime as dt

import pytest
from contact_book import NOW, at, contact_book
from typer.testing import CliRunner

from dunwell.app.collections.contacts import judge_contact, log_contact, set_contact_preferences
from dunwell.bootstrap import Dunwell
from dunwell.cli.main import app as cli
from dunwell.collections.errors import ContactRefused
from dunwell.compliance.model import Channel, Decision
from dunwell.store.collections_repo import BorrowerRepository

runner = CliRunner()


def verdict_at(app: Dunwell, when: dt.datetime, channel: Channel = Channel.CALL) -> tuple[
        Decision, str | None]:
    with app.uow() as uow:
        profile = BorrowerRepository(uow.conn).get(26)
    v = judge_contact(profile, [], at=when, channel=channel, content_tags=["payment_reminder"])
    return v.decision, v.rule


def test_stored_hours_are_obeyed(app: Dunwell) -> None:
    contact_book(app)
    assert verdict_at(app, at(9, 30)) == (Decision.ALLOW, None)
    set_contact_preferences(app, borrower_id=26, no_contact_before=dt.time(18),
                            no_contact_after=dt.time(19, 30), reason="works days", now=NOW)
    assert verdict_at(app, at(9, 30)) == (Decision.DEFER, "CN-TIME")
    assert verdict_at(app, at(18, 0)) == (Decision.ALLOW, None)
    with pytest.raises(ContactRefused, match="CN-TIME"), app.uow() as uow:
        log_contact(uow, borrower_id=26, at=at(9, 30), channel="call", outcome="no_answer",
                    now=NOW)


def test_stored_channels_refuse_the_others(app: Dunwell) -> None:
    contact_book(app)
    set_contact_preferences(app, borrower_id=26, channels=["sms", "in_app"], now=NOW)
    assert verdict_at(app, at(11), Channel.CALL) == (Decision.DENY, "UNIVERSAL-OPT-OUT")
    assert verdict_at(app, at(11), Channel.SMS) == (Decision.ALLOW, None)
    assert verdict_at(app, at(11), Channel.LETTER) == (Decision.ALLOW, None)
    set_contact_preferences(app, borrower_id=26, channels=[], now=NOW)
    assert verdict_at(app, at(11), Channel.CALL) == (Decision.ALLOW, None)


def test_options_not_given_stay_and_none_clears(app: Dunwell, db_url: str,
                                                wide_console: None) -> None:
    contact_book(app)
    first = runner.invoke(cli, ["borrower", "prefs", "26", "--no-contact-before", "09:00",
                                "--no-contact-after", "18:00", "--channels", "sms,call",
                                "--language", "zh-CN", "--db", db_url])
    assert first.exit_code == 0, first.output
    assert ("borrower 26: contact hours 09:00 to 18:00 (Asia/Shanghai); channels sms, call; "
            "language zh-CN") in first.output
    later = runner.invoke(cli, ["borrower", "prefs", "26", "--no-contact-after", "none",
                                "--db", db_url])
    assert "contact hours 09:00 to - (Asia/Shanghai); channels sms, call" in later.output
    with app.uow() as uow:
        stored = BorrowerRepository(uow.conn).get(26).borrower
    assert stored.contact_preferences.no_contact_before == dt.time(9)
    assert stored.contact_preferences.no_contact_after is None
    assert stored.preferred_channels == (Channel.SMS, Channel.CALL)
    assert stored.language == "zh-CN"


@pytest.mark.parametrize(("args", "code"), [
    (["--no-contact-before", "9am"], "time_must_be_hh_mm"),
    (["--channels", "pigeon"], "channel_must_be_known"),
    (["--language", "Chinese please"], "language_must_be_a_tag"),
])
def test_bad_preferences_are_refused(app: Dunwell, db_url: str, args: list[str],
                                     code: str) -> None:
    contact_book(app)
    bad = runner.invoke(cli, ["borrower", "prefs", "26", *args, "--db", db_url])
    assert bad.exit_code == 2 and f"[{code}]" in bad.output


def test_a_borrower_without_a_profile_is_named(app: Dunwell, db_url: str) -> None:
    contact_book(app)
    missing = runner.invoke(cli, ["borrower", "prefs", "999", "--language", "en", "--db",
                                  db_url])
    assert missing.exit_code == 2 and "[borrower_must_exist]" in missing.output
