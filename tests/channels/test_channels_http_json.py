"""The one JSON-over-HTTP provider both HTTP channels share, step by step, against an
in-process transport: the status mapping, reading the receipt, refusing what it cannot
send, and a provider that supplies only what differs."""

from __future__ import annotations

import json
from collections.abc import Mapping

import httpx
import pytest

from dunwell.channels.errors import PermanentFailure, TransientFailure
from dunwell.channels.model import MessageChannel, OutgoingMessage, ProviderConfig
from dunwell.core.errors import InvalidInput
from dunwell.providers.email_http import EMAIL_API, HttpEmailProvider
from dunwell.providers.http_json import HttpApi, HttpJsonProvider, raise_for_status, receipt_of
from dunwell.providers.sms_http import SMS_API

URL = "https://provider.test/v1/messages"
SMS = OutgoingMessage("msg-abc", MessageChannel.SMS, "+8613800000001", "", "Hi", 7,
                      "sms_reminder", "en")


def answer(status: int, body: object = None, text: str = "") -> httpx.Response:
    if body is not None:
        return httpx.Response(status, json=body)
    return httpx.Response(status, text=text)


@pytest.mark.parametrize(("status", "failure"), [
    (408, TransientFailure), (425, TransientFailure), (429, TransientFailure),
    (500, TransientFailure), (503, TransientFailure), (302, TransientFailure),
    (400, PermanentFailure), (401, PermanentFailure), (422, PermanentFailure),
])
def test_each_status_outside_2xx_is_a_failure_of_its_kind(
        status: int, failure: type[Exception]) -> None:
    with pytest.raises(failure) as caught:
        raise_for_status(URL, answer(status, text="x" * 400))
    assert caught.value.code == f"provider_http_{status}"  # type: ignore[attr-defined]
    assert "x" * 301 not in str(caught.value)  # the answer is cut at 300 characters


def test_a_2xx_answer_passes() -> None:
    raise_for_status(URL, answer(202, {"id": "p-1"}))


def test_the_receipt_is_the_answers_id_and_status_accepted_when_it_names_none() -> None:
    queued = receipt_of(URL, answer(200, {"id": "p-1", "status": "queued"}))
    assert (queued.provider_message_id, queued.status) == ("p-1", "queued")
    numbered = receipt_of(URL, answer(200, {"id": 42}))
    assert (numbered.provider_message_id, numbered.status) == ("42", "accepted")


@pytest.mark.parametrize("body", [None, [], {}, {"id": None}, {"id": ""}, {"id": True},
                                  {"id": {"nested": 1}}])
def test_an_answer_without_a_usable_id_is_refused_not_recorded_as_one(body: object) -> None:
    response = answer(200, body, text="not json") if body is not None else answer(200)
    with pytest.raises(TransientFailure) as caught:
        receipt_of(URL, response)
    assert caught.value.code == "provider_answer_must_have_id"


class Recorder:
    """An in-process provider: records each request and answers with an id."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return httpx.Response(200, json={"id": f"p-{len(self.requests)}"})

    def client(self) -> httpx.Client:
        return httpx.Client(transport=httpx.MockTransport(self))


def config(base_url: str = "https://provider.test/", sender: str = "Dunwell") -> ProviderConfig:
    return ProviderConfig("http", frozenset(MessageChannel), base_url, "t0k", 5.0, sender)


def voice_payload(message: OutgoingMessage, sender: str) -> Mapping[str, object]:
    return {"call": message.to_address, "say": message.body, "ref": message.idempotency_key}


VOICE_API = HttpApi(channel=MessageChannel.VOICE, label="voice",
                    settings_prefix="DUNWELL_VOICE_HTTP", path="/v2/calls",
                    address="phone number", act="calling",
                    address_ok=lambda address: address.startswith("+"), payload=voice_payload)


def test_a_provider_supplies_only_its_api_and_the_shared_class_does_the_rest() -> None:
    recorder = Recorder()
    voice = HttpJsonProvider(VOICE_API, config(), client=recorder.client())
    assert (voice.channels, voice.url) == (frozenset({MessageChannel.VOICE}),
                                           "https://provider.test/v2/calls")
    call = OutgoingMessage("msg-v", MessageChannel.VOICE, "+441", "", "Please call us", 9,
                           "voice_reminder", "en")
    assert voice.send(call).provider_message_id == "p-1"
    request = recorder.requests[0]
    assert (request.headers["authorization"], request.headers["idempotency-key"]) == (
        "Bearer t0k", "msg-v")
    assert json.loads(request.content) == {"call": "+441", "say": "Please call us",
                                           "ref": "msg-v"}


def test_a_message_on_another_channel_or_without_a_usable_address_is_never_posted() -> None:
    recorder = Recorder()
    email = HttpEmailProvider(config(), client=recorder.client())
    with pytest.raises(PermanentFailure) as caught:
        email.check(SMS)
    assert caught.value.code == "provider_channel_must_match"
    assert str(caught.value).endswith("http sends e-mail, not sms")
    no_at = OutgoingMessage("msg-e", MessageChannel.EMAIL, "ann.example.org", "S", "B", 8,
                            "email_reminder", "en")
    with pytest.raises(PermanentFailure) as caught:
        email.send(no_at)
    assert caught.value.code == "address_must_be_known"
    assert "has no e-mail address on file; add one before e-mailing" in str(caught.value)
    assert recorder.requests == []


def test_the_two_channels_differ_only_in_their_api() -> None:
    assert (SMS_API.path, EMAIL_API.path) == ("/v1/messages", "/v1/emails")
    assert SMS_API.address_ok("+86") and not EMAIL_API.address_ok("+86")
    assert SMS_API.payload(SMS, "Dunwell") == {"to": "+8613800000001", "from": "Dunwell",
                                               "body": "Hi", "client_ref": "msg-abc"}


def test_a_provider_without_a_base_url_names_the_setting_to_set() -> None:
    with pytest.raises(InvalidInput) as caught:
        HttpJsonProvider(SMS_API, config(base_url=""))
    assert caught.value.code == "provider_base_url_must_be_set"
    assert "DUNWELL_SMS_HTTP_BASE_URL" in caught.value.message
