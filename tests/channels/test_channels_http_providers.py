"""The SMS and e-mail HTTP adapters against a fake provider on 127.0.0.1: what they
send, how a repeat is recognised, and which failures are worth retrying."""

from __future__ import annotations

import pytest
from channels_fake_provider import HANG, TOKEN, FakeProvider

from dunwell.channels.errors import PermanentFailure, TransientFailure
from dunwell.channels.model import MessageChannel, OutgoingMessage, ProviderConfig
from dunwell.providers.email_http import HttpEmailProvider
from dunwell.providers.sms_http import HttpSmsProvider

SMS = OutgoingMessage("msg-abc", MessageChannel.SMS, "+8613800000001", "",
                      "Hi Li Wei, please check the app. Reply STOP to opt out of texts.",
                      7, "sms_reminder", "en")
EMAIL = OutgoingMessage("msg-def", MessageChannel.EMAIL, "ann@example.org", "A reminder",
                        "Dear Ann, ... reply \"unsubscribe\" to stop.", 8, "email_reminder",
                        "en")


def sms(fake: FakeProvider, *, timeout: float = 5.0, token: str = TOKEN) -> HttpSmsProvider:
    return HttpSmsProvider(ProviderConfig("sms_http", frozenset({MessageChannel.SMS}),
                                          fake.base_url, token, timeout, "Dunwell"))


def email(fake: FakeProvider) -> HttpEmailProvider:
    return HttpEmailProvider(ProviderConfig("email_http", frozenset({MessageChannel.EMAIL}),
                                            fake.base_url, TOKEN, 5.0,
                                            "Dunwell <no-reply@dunwell.invalid>"))


def test_an_sms_is_posted_with_bearer_token_and_idempotency_key(
        fake_provider: FakeProvider) -> None:
    receipt = sms(fake_provider).send(SMS)
    assert receipt.provider_message_id == "fake-1" and receipt.status == "queued"
    request = fake_provider.requests[0]
    assert request["path"] == "/v1/messages"
    assert request["headers"]["authorization"] == f"Bearer {TOKEN}"
    assert request["headers"]["idempotency-key"] == "msg-abc"
    assert request["body"] == {"to": "+8613800000001", "from": "Dunwell",
                               "body": SMS.body, "client_ref": "msg-abc"}


def test_sending_the_same_key_twice_sends_once_and_returns_the_first_id(
        fake_provider: FakeProvider) -> None:
    provider = sms(fake_provider)
    first, second = provider.send(SMS), provider.send(SMS)
    assert first.provider_message_id == second.provider_message_id == "fake-1"
    assert len(fake_provider.sent) == 1 and len(fake_provider.requests) == 2


def test_an_e_mail_is_posted_with_subject_text_and_client_ref(
        fake_provider: FakeProvider) -> None:
    receipt = email(fake_provider).send(EMAIL)
    assert receipt.provider_message_id == "fake-1"
    assert fake_provider.sent == [{
        "id": "fake-1", "path": "/v1/emails", "from": "Dunwell <no-reply@dunwell.invalid>",
        "to": "ann@example.org", "subject": "A reminder", "text": EMAIL.body,
        "client_ref": "msg-def"}]


@pytest.mark.parametrize("status", [400, 401, 403, 404, 422])
def test_a_4xx_answer_is_a_permanent_failure(fake_provider: FakeProvider,
                                             status: int) -> None:
    fake_provider.fail_next(status)
    with pytest.raises(PermanentFailure) as err:
        sms(fake_provider).send(SMS)
    assert err.value.code == f"provider_http_{status}" and not err.value.retryable
    assert fake_provider.sent == []


def test_a_wrong_token_is_refused_for_good(fake_provider: FakeProvider) -> None:
    with pytest.raises(PermanentFailure, match="401"):
        sms(fake_provider, token="stale").send(SMS)


@pytest.mark.parametrize("status", [429, 500, 502, 503])
def test_a_5xx_or_429_answer_is_worth_retrying(fake_provider: FakeProvider,
                                               status: int) -> None:
    fake_provider.fail_next(status)
    with pytest.raises(TransientFailure) as err:
        email(fake_provider).send(EMAIL)
    assert err.value.retryable
    assert email(fake_provider).send(EMAIL).provider_message_id == "fake-1"


def test_a_provider_that_does_not_answer_in_time_is_a_transient_failure(
        fake_provider: FakeProvider) -> None:
    fake_provider.fail_next(HANG)
    with pytest.raises(TransientFailure) as err:
        sms(fake_provider, timeout=0.2).send(SMS)
    assert err.value.code == "provider_timeout"


def test_an_unreachable_provider_is_a_transient_failure() -> None:
    config = ProviderConfig("sms_http", frozenset({MessageChannel.SMS}),
                            "http://127.0.0.1:9", TOKEN, 2.0)
    with pytest.raises(TransientFailure) as err:
        HttpSmsProvider(config).send(SMS)
    assert err.value.code == "provider_unreachable"


def test_a_message_without_an_address_is_not_sent(fake_provider: FakeProvider) -> None:
    from dataclasses import replace

    with pytest.raises(PermanentFailure) as err:
        sms(fake_provider).send(replace(SMS, to_address=None))
    assert err.value.code == "address_must_be_known"
    assert fake_provider.requests == []
