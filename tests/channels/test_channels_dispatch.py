"""The outbox worker end to end against a fake provider on 127.0.0.1: a message
written in one transaction is sent once, retried with back-off on a 5xx or a timeout,
dead after a 4xx or too many tries — and a dispatcher that dies half-way neither loses
a message nor sends it twice."""

from __future__ import annotations

import datetime as dt
import json
import random
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from channels_fake_provider import HANG, TOKEN, FakeProvider

from dunwell.app.channels.outbox import dispatch_outbox, enqueue_message
from dunwell.bootstrap import Dunwell, bootstrap
from dunwell.channels.model import (
    MessageChannel,
    MessageStatus,
    OutgoingMessage,
    RetryPolicy,
    SendReceipt,
)
from dunwell.channels.ports import ChannelProvider
from dunwell.core.errors import Conflict, InvalidInput
from dunwell.providers.registry import build_providers
from dunwell.settings import Settings
from dunwell.store import channel_tables as ch
from dunwell.store.outbox_repo import ChannelFactsRepository, OutboxRepository

T0 = dt.datetime(2026, 11, 24, 2, 0, tzinfo=dt.UTC)
NO_JITTER = RetryPolicy(attempts_max=3, base_seconds=30, cap_seconds=600, jitter_ratio=0.0)
CONTEXT = {"borrower_name": "Ann Lee", "amount_minor": 52_000, "currency": "CNY",
           "due_date": dt.date(2026, 11, 20)}


class ProcessDied(BaseException):
    """Stands in for the process being killed: nothing after it runs."""


@pytest.fixture
def book(db_url: str, fake_provider: FakeProvider, tmp_path: Path) -> Iterator[Dunwell]:
    settings = Settings(db_url=db_url, log_level="WARNING", outbox_dir=tmp_path / "outbox",
                        sms_provider="sms_http", email_provider="email_http",
                        sms_http_base_url=fake_provider.base_url, sms_http_token=TOKEN,
                        email_http_base_url=fake_provider.base_url, email_http_token=TOKEN,
                        sms_http_timeout_seconds=0.3, outbox_lease_seconds=300)
    app = bootstrap(settings)
    with app.uow() as uow:
        facts = ChannelFactsRepository(uow.conn)
        facts.set_address(1, MessageChannel.SMS, "+8613800000001")
        facts.set_address(1, MessageChannel.EMAIL, "ann@example.org")
        uow.commit()
    yield app
    app.engine.dispose()


def write(app: Dunwell, kind: str = "sms_reminder", channel: MessageChannel =
          MessageChannel.SMS, key: str = "msg-test-1", language: str = "en") -> int:
    with app.uow() as uow:
        message = enqueue_message(uow, providers=app.providers,
                                  settings=app.settings, borrower_id=1, kind=kind,
                                  channel=channel, language=language, context=CONTEXT,
                                  key=key, now=T0)
        uow.commit()
    return message.message_id


def stored(app: Dunwell, message_id: int) -> tuple[MessageStatus, int, str | None, list[str]]:
    with app.uow() as uow:
        repo = OutboxRepository(uow.conn)
        m = repo.get(message_id)
        return m.status, m.attempts, m.last_error, [a.outcome for a in repo.attempts(message_id)]


def dispatch(app: Dunwell, at: dt.datetime, **kw: object) -> list[str]:
    report = dispatch_outbox(app, now=at, policy=NO_JITTER, rng=random.Random(1), **kw)  # type: ignore[arg-type]
    return [r.outcome for r in report.results]


def test_a_written_message_is_sent_once_with_its_key_and_the_attempt_is_recorded(
        book: Dunwell, fake_provider: FakeProvider) -> None:
    mid = write(book)
    assert dispatch(book, T0) == ["sent"]
    assert dispatch(book, T0 + dt.timedelta(hours=1)) == []
    assert stored(book, mid) == (MessageStatus.SENT, 1, None, ["sent"])
    [sent] = fake_provider.sent
    assert sent["client_ref"] == "msg-test-1" and sent["to"] == "+8613800000001"
    assert "Reply STOP" in sent["body"]
    with book.uow() as uow:
        assert OutboxRepository(uow.conn).get(mid).provider_message_id == "fake-1"


def test_an_e_mail_goes_out_with_its_rendered_subject(book: Dunwell,
                                                      fake_provider: FakeProvider) -> None:
    write(book, "email_reminder", MessageChannel.EMAIL, key="msg-mail", language="zh")
    assert dispatch(book, T0) == ["sent"]
    [sent] = fake_provider.sent
    assert sent["subject"] == "【敦维小额贷款有限公司】还款提醒"  # the Chinese legal name
    assert "¥520.00" in sent["text"] and "2026年11月20日" in sent["text"]


def test_a_5xx_is_retried_after_the_back_off_and_then_sent(
        book: Dunwell, fake_provider: FakeProvider) -> None:
    mid = write(book)
    fake_provider.fail_next(503)
    assert dispatch(book, T0) == ["retry"]
    status, attempts, error, outcomes = stored(book, mid)
    assert (status, attempts, outcomes) == (MessageStatus.PENDING, 1, ["retry"])
    assert error is not None and "503" in error
    assert dispatch(book, T0 + dt.timedelta(seconds=29)) == []  # still backing off
    assert dispatch(book, T0 + dt.timedelta(seconds=30)) == ["sent"]
    assert stored(book, mid) == (MessageStatus.SENT, 2, None, ["retry", "sent"])
    assert len(fake_provider.sent) == 1


def test_a_4xx_kills_the_message_at_once_with_the_error_kept(
        book: Dunwell, fake_provider: FakeProvider) -> None:
    mid = write(book)
    fake_provider.fail_next(422)
    assert dispatch(book, T0) == ["failed"]
    status, attempts, error, outcomes = stored(book, mid)
    assert (status, attempts, outcomes) == (MessageStatus.FAILED, 1, ["failed"])
    assert error is not None and "provider_http_422" in error
    assert dispatch(book, T0 + dt.timedelta(days=1)) == []


def test_after_the_last_attempt_the_message_is_dead_with_the_last_error(
        book: Dunwell, fake_provider: FakeProvider) -> None:
    mid = write(book)
    fake_provider.fail_next(500, 502, 503)
    at = T0
    for expected in ("retry", "retry", "failed"):
        assert dispatch(book, at) == [expected]
        at += dt.timedelta(minutes=10)
    status, attempts, error, outcomes = stored(book, mid)
    assert (status, attempts, outcomes) == (MessageStatus.FAILED, 3, ["retry", "retry",
                                                                       "failed"])
    assert error is not None and "503" in error
    assert fake_provider.sent == []


def test_a_timeout_is_retried_and_the_message_is_neither_lost_nor_sent_twice(
        book: Dunwell, fake_provider: FakeProvider) -> None:
    mid = write(book)
    fake_provider.fail_next(HANG)
    assert dispatch(book, T0) == ["retry"]
    assert stored(book, mid)[2] is not None and "provider_timeout" in str(stored(book, mid)[2])
    # the provider was slow, not dead: it sends the message after we stopped waiting
    fake_provider.release.set()
    assert fake_provider.answered.wait(timeout=10)
    assert len(fake_provider.sent) == 1
    assert dispatch(book, T0 + dt.timedelta(minutes=1)) == ["sent"]
    assert len(fake_provider.sent) == 1  # the retry was recognised by its key
    assert stored(book, mid)[0] is MessageStatus.SENT


class DiesAfterSending:
    """The real provider sends; then the process dies before recording it."""

    def __init__(self, inner: ChannelProvider) -> None:
        self.inner, self.name, self.channels = inner, inner.name, inner.channels

    def send(self, message: OutgoingMessage) -> SendReceipt:
        self.inner.send(message)
        raise ProcessDied


class DiesBeforeSending:
    name, channels = "sms_http", frozenset({MessageChannel.SMS})

    def send(self, message: OutgoingMessage) -> SendReceipt:
        raise ProcessDied


def test_a_crash_after_the_provider_sent_but_before_we_recorded_it_sends_nothing_twice(
        book: Dunwell, fake_provider: FakeProvider) -> None:
    mid = write(book)
    real = build_providers(book.settings)
    with pytest.raises(ProcessDied):
        dispatch(book, T0, providers={**real, "sms_http": DiesAfterSending(real["sms_http"])})
    assert len(fake_provider.sent) == 1
    assert stored(book, mid) == (MessageStatus.SENDING, 1, None, ["started"])
    # another dispatcher does not touch it while the dead one's lease lasts
    assert dispatch(book, T0 + dt.timedelta(minutes=4)) == []
    # after the lease the message is claimed again and re-sent with the same key
    assert dispatch(book, T0 + dt.timedelta(minutes=5, seconds=1)) == ["sent"]
    assert len(fake_provider.sent) == 1 and len(fake_provider.requests) == 2
    assert stored(book, mid) == (MessageStatus.SENT, 2, None, ["started", "sent"])
    with book.uow() as uow:
        assert OutboxRepository(uow.conn).get(mid).provider_message_id == "fake-1"


def test_a_crash_after_the_claim_but_before_sending_loses_nothing(
        book: Dunwell, fake_provider: FakeProvider) -> None:
    mid = write(book)
    with pytest.raises(ProcessDied):
        dispatch(book, T0, providers={"sms_http": DiesBeforeSending()})
    assert fake_provider.sent == []
    assert dispatch(book, T0 + dt.timedelta(minutes=6)) == ["sent"]
    assert len(fake_provider.sent) == 1
    assert stored(book, mid)[0] is MessageStatus.SENT


def test_a_message_past_its_contact_window_dies_unsent(
        book: Dunwell, fake_provider: FakeProvider) -> None:
    with book.uow() as uow:
        m = enqueue_message(uow, providers=book.providers,
                            settings=book.settings, borrower_id=1, kind="sms_reminder",
                            channel=MessageChannel.SMS, language="en", context=CONTEXT,
                            key="msg-window", now=T0, not_before=T0 + dt.timedelta(hours=1),
                            not_after=T0 + dt.timedelta(hours=12))
        uow.commit()
    assert dispatch(book, T0) == []  # not before the window opens
    assert dispatch(book, T0 + dt.timedelta(hours=13)) == ["expired"]
    status, _, error, outcomes = stored(book, m.message_id)
    assert status is MessageStatus.FAILED and outcomes == ["expired"]
    assert error is not None and error.startswith("window_closed")
    assert fake_provider.sent == []


def test_writing_the_same_key_again_returns_the_first_message_and_other_content_conflicts(
        book: Dunwell) -> None:
    first = write(book)
    assert write(book) == first
    with pytest.raises(Conflict) as err:
        write(book, language="zh-CN")
    assert err.value.code == "message_idempotency_key_must_match_content"
    with book.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(ch.outbox)).scalar() == 1


def test_a_text_with_amounts_is_refused_for_sms(book: Dunwell) -> None:
    with pytest.raises(InvalidInput) as err:
        write(book, "in_app_reminder", MessageChannel.SMS, key="msg-amount")
    assert err.value.code == "message_content_must_suit_channel"


def test_the_offline_provider_writes_json_lines_once_per_key(db_url: str,
                                                             tmp_path: Path) -> None:
    app = bootstrap(Settings(db_url=db_url, log_level="WARNING",
                             outbox_dir=tmp_path / "outbox"))
    write(app, "in_app_reminder", MessageChannel.IN_APP, key="msg-inapp")
    write(app, "sms_reminder", MessageChannel.SMS, key="msg-sms", language="zh-CN")
    assert sorted(dispatch(app, T0)) == ["sent", "sent"]
    lines = (tmp_path / "outbox" / "in_app.jsonl").read_text(encoding="utf-8").splitlines()
    [row] = [json.loads(x) for x in lines]
    assert row["client_ref"] == "msg-inapp" and row["to"] == "borrower:1"
    assert "CN¥520.00" in row["body"]
    sms_rows = (tmp_path / "outbox" / "sms.jsonl").read_text(encoding="utf-8").splitlines()
    assert "回复TD退订" in json.loads(sms_rows[0])["body"]
    # a fresh provider (a restarted process) recognises a key it already wrote
    fresh = build_providers(app.settings)["local"]
    with app.uow() as uow:
        message = OutboxRepository(uow.conn).find_by_key("msg-inapp")
    assert message is not None
    assert fresh.send(message.outgoing()).status == "duplicate"
    assert len((tmp_path / "outbox" / "in_app.jsonl").read_text().splitlines()) == 1
    app.engine.dispose()


def test_two_dispatchers_at_once_never_claim_the_same_message(book: Dunwell) -> None:
    if book.engine.dialect.name != "postgresql":
        pytest.skip("concurrent claims need row locks (FOR UPDATE SKIP LOCKED): PostgreSQL")
    both = {write(book, key="msg-a"), write(book, key="msg-b")}
    lease = dt.timedelta(minutes=5)
    with book.uow() as one, book.uow() as two:
        mine = OutboxRepository(one.conn).claim(now=T0, limit=1, lease=lease)
        # one's transaction is still open and holds its row; two must not wait for it
        two.conn.exec_driver_sql("SET LOCAL lock_timeout = '2s'")
        theirs = OutboxRepository(two.conn).claim(now=T0, limit=2, lease=lease)
        two.commit()
        one.commit()
    assert len(mine) == 1 and len(theirs) == 1
    assert {mine[0].message_id, theirs[0].message_id} == both


def test_a_voice_message_becomes_a_call_task_for_a_collector_or_an_ivr(
        db_url: str, tmp_path: Path) -> None:
    app = bootstrap(Settings(db_url=db_url, log_level="WARNING",
                             outbox_dir=tmp_path / "outbox"))
    write(app, "hardship_outreach", MessageChannel.VOICE, key="msg-voice", language="zh")
    assert dispatch(app, T0) == ["sent"]
    [task] = [json.loads(x) for x in
              (tmp_path / "outbox" / "voice.jsonl").read_text(encoding="utf-8").splitlines()]
    assert task["channel"] == "voice" and task["kind"] == "hardship_outreach"
    assert task["language"] == "zh-CN" and "我们愿意协助" in task["body"]
    app.engine.dispose()
