"""The outbox's rules on the in-memory book: a message is written once per key, sent
once per claim, retried after a back-off when the failure may pass, dead when it
cannot or when its window closed, and a delivery report applies once and becomes a
contact the guard counts — no database, no network."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest

from dunwell.app.channels import notices, outbox
from dunwell.app.channels.templates import check_templates, render_template
from dunwell.app.context import Dunwell
from dunwell.channels.errors import PermanentFailure, TransientFailure
from dunwell.channels.model import (
    MessageChannel,
    MessageStatus,
    OutgoingMessage,
    RetryPolicy,
    SendReceipt,
)
from dunwell.compliance.model import Channel, Direction, Flag, Jurisdiction, Outcome
from dunwell.core.errors import DomainError
from dunwell.lending.payments import PaymentKind
from dunwell.store.repositories import PaymentRecord
from fakes.app import fake_app
from fakes.channels import channels_data
from fakes.collections import collections_data

T0 = dt.datetime(2026, 11, 24, 2, 0, tzinfo=dt.UTC)
NO_JITTER = RetryPolicy(attempts_max=3, base_seconds=30, cap_seconds=600, jitter_ratio=0.0)
CONTEXT = {"borrower_name": "Ann Lee", "amount_minor": 52_000, "currency": "CNY",
           "due_date": dt.date(2026, 11, 20)}


def code_of(fn: Callable[..., object], *args: object, **kwargs: object) -> str:
    with pytest.raises(DomainError) as err:
        fn(*args, **kwargs)
    return err.value.code


@dataclass
class Scripted:
    """A provider that answers from a script: ``"ok"``, ``"transient"``,
    ``"permanent"`` or ``"crash"``; it remembers what it accepted, and a repeated key
    gets the first receipt."""

    script: list[str] = field(default_factory=list)
    name: str = "local"
    channels: frozenset[MessageChannel] = frozenset(MessageChannel)
    accepted: dict[str, str] = field(default_factory=dict)

    def send(self, message: OutgoingMessage) -> SendReceipt:
        answer = self.script.pop(0) if self.script else "ok"
        if answer == "transient":
            raise TransientFailure("provider busy", code="provider_busy")
        if answer == "permanent":
            raise PermanentFailure("no such number", code="address_rejected")
        if answer == "crash":
            raise RuntimeError("bug in the adapter")
        receipt = self.accepted.setdefault(message.idempotency_key,
                                           f"r-{len(self.accepted) + 1}")
        return SendReceipt(receipt)


@pytest.fixture
def app() -> Dunwell:
    app = fake_app()
    with app.uow() as uow:
        uow.borrowers.put(borrower_id=1, name="Ann Lee", jurisdiction=Jurisdiction.UK_FCA,
                          timezone="Europe/London", language="en")
        uow.channel_facts.set_address(1, MessageChannel.SMS, "+447700900001")
        uow.commit()
    return app


def enqueue(app: Dunwell, *, key: str = "k-1", not_after: dt.datetime | None = None,
            context: dict[str, object] | None = None) -> int:
    with app.uow() as uow:
        message = outbox.enqueue_message(
            uow, settings=app.settings, providers=app.providers, borrower_id=1,
            kind="sms_reminder", channel=MessageChannel.SMS, language="en",
            context=context or CONTEXT, key=key, now=T0, not_after=not_after)
        uow.commit()
    return message.message_id


def dispatch(app: Dunwell, provider: Scripted, now: dt.datetime = T0) -> outbox.DispatchReport:
    return outbox.dispatch_outbox(app, now=now, providers={"local": provider},
                                  rng=random.Random(1), policy=NO_JITTER)


def status_of(app: Dunwell, message_id: int) -> MessageStatus:
    with app.uow() as uow:
        return uow.outbox.get(message_id).status


def test_a_message_is_written_once_per_key_and_a_key_reused_for_other_content_is_refused(
        app: Dunwell) -> None:
    first = enqueue(app)
    assert enqueue(app) == first
    assert code_of(enqueue, app, context={**CONTEXT, "borrower_name": "Bo Lee"}) == (
        "message_idempotency_key_must_match_content")
    with app.uow() as uow:
        (message,) = uow.outbox.recent()
    assert (message.to_address, message.provider, message.status) == (
        "+447700900001", "local", MessageStatus.PENDING)
    assert "Ann Lee" in message.body and "520" not in message.body  # no amounts by SMS


def test_a_sent_message_is_claimed_once_and_not_sent_again(app: Dunwell) -> None:
    message_id = enqueue(app)
    provider = Scripted()
    report = dispatch(app, provider)
    assert [r.outcome for r in report.results] == ["sent"]
    assert dispatch(app, provider).claimed == 0
    assert status_of(app, message_id) is MessageStatus.SENT
    with app.uow() as uow:
        (attempt,) = uow.outbox.attempts(message_id)
    assert (attempt.attempt_no, attempt.outcome, attempt.provider_message_id) == (1, "sent",
                                                                                  "r-1")


def test_a_failure_that_may_pass_is_retried_after_the_back_off_until_attempts_run_out(
        app: Dunwell) -> None:
    message_id = enqueue(app)
    provider = Scripted(["transient", "crash", "transient"])
    first = dispatch(app, provider).results[0]
    assert (first.outcome, first.next_attempt_at) == ("retry", T0 + dt.timedelta(seconds=30))
    assert dispatch(app, provider, T0 + dt.timedelta(seconds=29)).claimed == 0  # not yet due
    second = dispatch(app, provider, T0 + dt.timedelta(seconds=30)).results[0]
    assert second.outcome == "retry" and "provider_error" in (second.error or "")
    third = dispatch(app, provider, T0 + dt.timedelta(minutes=5)).results[0]
    assert (third.attempt_no, third.outcome) == (3, "failed")  # attempts_max reached
    assert status_of(app, message_id) is MessageStatus.FAILED


def test_a_failure_that_cannot_pass_kills_the_message_at_once(app: Dunwell) -> None:
    message_id = enqueue(app)
    result = dispatch(app, Scripted(["permanent"])).results[0]
    assert result.outcome == "failed" and "address_rejected" in (result.error or "")
    assert status_of(app, message_id) is MessageStatus.FAILED


def test_a_message_whose_window_closed_is_not_sent(app: Dunwell) -> None:
    message_id = enqueue(app, not_after=T0 + dt.timedelta(hours=1))
    provider = Scripted()
    result = dispatch(app, provider, T0 + dt.timedelta(hours=2)).results[0]
    assert result.outcome == "expired" and provider.accepted == {}
    assert status_of(app, message_id) is MessageStatus.FAILED


def test_a_claim_whose_lease_ran_out_is_taken_over_and_sent_with_the_same_key(
        app: Dunwell) -> None:
    message_id = enqueue(app)
    with app.uow() as uow:  # a dispatcher claimed it and died before recording the send
        (claimed,) = uow.outbox.claim(now=T0, limit=10, lease=dt.timedelta(minutes=5))
        uow.commit()
    provider = Scripted()
    assert dispatch(app, provider, T0 + dt.timedelta(minutes=1)).claimed == 0  # leased
    report = dispatch(app, provider, T0 + dt.timedelta(minutes=6))
    assert [(r.attempt_no, r.outcome) for r in report.results] == [(2, "sent")]
    with app.uow() as uow:  # the first claim is lost: recording it changes nothing
        assert not uow.outbox.finish_attempt(claimed, status=MessageStatus.SENT, now=T0)
    assert status_of(app, message_id) is MessageStatus.SENT


def test_a_delivery_report_applies_once_and_becomes_a_contact(app: Dunwell) -> None:
    message_id = enqueue(app)
    dispatch(app, Scripted())
    first = outbox.record_delivery(app, provider="local", status="delivered", at=T0,
                                   now=T0, provider_message_id="r-1")
    again = outbox.record_delivery(app, provider="local", status="delivered", at=T0,
                                   now=T0, idempotency_key="k-1")
    assert (first.changed, again.changed) == (True, False)
    assert first.message.message_id == message_id
    (contact,) = collections_data(app.db.state).contacts  # type: ignore[attr-defined]
    assert (contact.event.channel, contact.event.direction, contact.event.outcome) == (
        Channel.SMS, Direction.OUTBOUND, Outcome.DELIVERED)
    assert [r.applied for r in channels_data(app.db.state).reports] == [  # type: ignore[attr-defined]
        True, False]
    assert code_of(outbox.record_delivery, app, provider="other", status="delivered", at=T0,
                   now=T0, provider_message_id="r-1") == "message_must_exist"
    assert code_of(outbox.record_delivery, app, provider="local", status="read", at=T0,
                   now=T0, provider_message_id="r-1") == "delivery_status_must_be_known"


def test_an_address_must_suit_its_channel(app: Dunwell) -> None:
    outbox.set_channel_address(app, borrower_id=1, channel="email", address="ann@example.org")
    with app.uow() as uow:
        assert uow.channel_facts.address(1, MessageChannel.EMAIL) == "ann@example.org"
    for channel, address, code in (("sms", "0770", "address_must_be_valid"),
                                   ("email", "ann", "address_must_be_valid"),
                                   ("in_app", "x", "address_channel_must_be_known"),
                                   ("fax", "x", "address_channel_must_be_known")):
        assert code_of(outbox.set_channel_address, app, borrower_id=1, channel=channel,
                       address=address) == code


def test_listing_messages_names_a_known_status(app: Dunwell) -> None:
    enqueue(app)
    assert [m.status for m in outbox.list_messages(app, status="pending")] == [
        MessageStatus.PENDING]
    assert outbox.due_count(app, now=T0) == 1
    assert code_of(outbox.list_messages, app, status="lost") == "message_status_must_be_known"


def payment(payment_id: int = 7) -> PaymentRecord:
    return PaymentRecord(payment_id=payment_id, idempotency_key="p", fingerprint="f", loan_id=3,
                         kind=PaymentKind.REGULAR.value, amount_minor=12_050, currency="CNY",
                         business_date=dt.date(2026, 11, 24), entry_id="e", allocation=(),
                         suspense_minor=0, reversal_entry_id=None)


def test_a_receipt_goes_in_app_and_by_email_with_an_address_once_per_payment(
        app: Dunwell) -> None:
    outbox.set_channel_address(app, borrower_id=1, channel="email", address="ann@example.org")
    with app.uow() as uow:
        written = notices.notify_payment(uow, payment=payment(), borrower_id=1,
                                         providers=app.providers, settings=app.settings, now=T0)
        again = notices.notify_payment(uow, payment=payment(), borrower_id=1,
                                       providers=app.providers, settings=app.settings, now=T0)
        uow.commit()
    assert [m.channel for m in written] == [MessageChannel.IN_APP, MessageChannel.EMAIL]
    assert [m.message_id for m in again] == [m.message_id for m in written]
    with app.uow() as uow:
        assert notices.notify_payment(uow, payment=payment(), borrower_id=9,
                                      providers=app.providers, settings=app.settings,
                                      now=T0) == []


def test_a_borrower_who_asked_us_to_stop_gets_no_receipt(app: Dunwell) -> None:
    with app.uow() as uow:
        uow.borrowers.set_flag(1, Flag.CEASE_CONTACT, on=True)
        assert notices.notify_payment(uow, payment=payment(), borrower_id=1,
                                      providers=app.providers, settings=app.settings,
                                      now=T0) == []


def test_the_built_in_templates_pass_their_check_and_render_with_the_lenders_name(
        app: Dunwell) -> None:
    files = app.providers.templates()
    _, checks = check_templates(files)
    assert checks and all(c.loaded and not c.problems for c in checks)
    text = render_template(files, name="sms_reminder", language="en",
                           variables=["borrower_name=Ann", "amount_minor=100", "currency=CNY",
                                      "due_date=2026-11-24"], settings=app.settings)
    assert app.settings.lender_name in text or "Ann" in text
    assert code_of(render_template, files, name="sms_reminder", language="fr", variables=[],
                   settings=app.settings) == "template_language_must_be_known"
    assert code_of(render_template, files, name="sms_reminder", language="en",
                   variables=["oops"], settings=app.settings) == (
        "template_variable_must_be_key_value")
