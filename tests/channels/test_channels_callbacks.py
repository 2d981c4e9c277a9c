"""Delivery-status callbacks over HTTP: the first report settles the message and
becomes a contact the compliance guard reads; repeats change nothing. Only a
callback the provider signed is heard: the signature covers the exact body and a
time within the window, and is compared in constant time."""

from __future__ import annotations

import datetime as dt
import json
import time
import warnings
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from callback_signing import TEST_CALLBACK_SECRET, signed_post
from dunwell.api.app import create_app
from dunwell.app.channels.outbox import dispatch_outbox, enqueue_message
from dunwell.bootstrap import Dunwell, bootstrap
from dunwell.channels.callbacks import SIGNATURE_HEADER, sign, verify_callback
from dunwell.channels.model import MessageChannel, MessageStatus
from dunwell.compliance.model import Jurisdiction
from dunwell.core.errors import Unauthenticated
from dunwell.settings import Settings
from dunwell.store import collection_tables as c
from dunwell.store.collections_repo import ActionRepository, BorrowerRepository
from dunwell.store.outbox_repo import OutboxRepository

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

T0 = dt.datetime(2026, 11, 24, 2, 0, tzinfo=dt.UTC)
DELIVERED_AT = "2026-11-24T10:01:00+08:00"


@pytest.fixture
def sent(db_url: str, tmp_path: Path) -> Iterator[tuple[Dunwell, str]]:
    """A book with one SMS sent through the offline provider; yields its key."""
    app = bootstrap(Settings(db_url=db_url, log_level="WARNING",
                             outbox_dir=tmp_path / "outbox", callback_secret=TEST_CALLBACK_SECRET))
    with app.uow() as uow:
        BorrowerRepository(uow.conn).put(borrower_id=5, name="Ann", timezone="Europe/London",
                                         jurisdiction=Jurisdiction.UK_FCA, language="en-GB")
        enqueue_message(uow, providers=app.providers,
                        settings=app.settings, borrower_id=5, kind="sms_reminder",
                        channel=MessageChannel.SMS, language="en",
                        context={"borrower_name": "Ann"}, key="msg-cb", now=T0,
                        action_id=None)
        uow.commit()
    assert [r.outcome for r in dispatch_outbox(app, now=T0).results] == ["sent"]
    yield app, "msg-cb"
    app.engine.dispose()


@pytest.fixture
def client(sent: tuple[Dunwell, str]) -> Iterator[TestClient]:
    with TestClient(create_app(dunwell=sent[0])) as test_client:
        yield test_client


STATUS = "/v1/channels/local/status"


def contacts(app: Dunwell) -> list[tuple[str, str, str]]:
    with app.engine.connect() as conn:
        return [(r.channel, r.direction, r.outcome) for r in conn.execute(
            sa.select(c.contacts).where(c.contacts.c.borrower_id == 5))]


def test_a_delivery_report_settles_the_message_and_becomes_a_contact_once(
        sent: tuple[Dunwell, str], client: TestClient) -> None:
    app, key = sent
    provider_id = f"local-sms-{key}"
    body = {"id": provider_id, "status": "delivered", "at": DELIVERED_AT}
    first = signed_post(client, STATUS, body)
    assert first.status_code == 200, first.text
    assert first.json()["status"] == "delivered" and first.json()["changed"] is True
    again = signed_post(client, STATUS, body)
    assert again.status_code == 200 and again.json()["changed"] is False
    assert contacts(app) == [("sms", "outbound", "delivered")]
    with app.uow() as uow:
        history = ActionRepository(uow.conn).contacts_for([5])[5]
        reports = OutboxRepository(uow.conn).reports(again.json()["message_id"])
    assert history[0].ts == dt.datetime.fromisoformat(DELIVERED_AT)
    assert [r["applied"] for r in reports] == [True, False]


def test_a_report_may_name_the_message_by_our_key_and_undelivered_is_recorded(
        sent: tuple[Dunwell, str], client: TestClient) -> None:
    app, key = sent
    answer = signed_post(client, STATUS, {"client_ref": key, "status": "undelivered",
                                          "error": "handset unreachable"})
    assert answer.status_code == 200 and answer.json()["status"] == "undelivered"
    assert contacts(app) == [("sms", "outbound", "undelivered")]
    with app.uow() as uow:
        message = OutboxRepository(uow.conn).find_by_key(key)
    assert message is not None and message.status is MessageStatus.UNDELIVERED
    assert message.last_error == "handset unreachable"


def test_a_report_contradicting_a_settled_one_is_a_conflict_and_changes_nothing(
        sent: tuple[Dunwell, str], client: TestClient) -> None:
    app, key = sent
    signed_post(client, STATUS, {"client_ref": key, "status": "delivered"})
    answer = signed_post(client, STATUS, {"client_ref": key, "status": "undelivered"})
    assert answer.status_code == 409
    assert answer.json()["error"] == "message_status_transition_must_be_allowed"
    assert contacts(app) == [("sms", "outbound", "delivered")]


def test_unknown_messages_wrong_providers_and_bad_statuses_are_refused(
        sent: tuple[Dunwell, str], client: TestClient) -> None:
    app, key = sent
    unknown = signed_post(client, STATUS, {"id": "nope", "status": "delivered"})
    assert unknown.status_code == 404 and unknown.json()["error"] == "message_must_exist"
    other = signed_post(client, "/v1/channels/sms_http/status",
                        {"client_ref": key, "status": "delivered"})
    assert other.status_code == 404
    bad = signed_post(client, STATUS, {"client_ref": key, "status": "read"})
    assert bad.status_code == 422
    nameless = signed_post(client, STATUS, {"status": "delivered"})
    assert nameless.status_code == 400
    assert nameless.json()["error"] == "delivery_report_must_name_message"
    future = signed_post(client, STATUS, {"id": "m-1", "status": "delivered",
                                          "at": f"{dt.date.today().year + 1}-01-01T10:00:00+00:00"})
    assert future.status_code == 400 and future.json()["field"] == "at"
    assert future.json()["error"] == "date_must_be_within_limits"
    assert contacts(app) == []


def _refused(response: httpx.Response, code: str) -> str:
    assert response.status_code == 401, response.text
    body = response.json()
    assert body["error"] == code and body["field"] == SIGNATURE_HEADER, body
    return str(body["message"])


def test_a_callback_without_a_valid_signature_is_refused_and_changes_nothing(
        sent: tuple[Dunwell, str], client: TestClient) -> None:
    app, key = sent
    body = {"client_ref": key, "status": "delivered"}
    raw = json.dumps(body).encode()
    now = int(time.time())
    good = sign(secret=TEST_CALLBACK_SECRET, timestamp=now, body=raw)

    def post(header: str | None, content: bytes = raw) -> httpx.Response:
        headers = {"Content-Type": "application/json"}
        if header is not None:
            headers[SIGNATURE_HEADER] = header
        return client.post(STATUS, content=content, headers=headers)

    assert "must be signed" in _refused(post(None), "callback_signature_must_be_present")
    for malformed in ("v1=abc", f"t={now}", f"t=soon,{good.split(',')[1]}",
                      f"t={now},v1=xyz", f"t={now},t={now},{good.split(',')[1]}",
                      "Bearer s3cret", "t=1," + "x" * 2_000):
        _refused(post(malformed), "callback_signature_must_be_well_formed")
    other_secret = sign(secret="someone-else", timestamp=now, body=raw)
    assert "does not match" in _refused(post(other_secret), "callback_signature_must_match")
    tampered = raw.replace(b"delivered", b"undelivered")
    _refused(post(good, tampered), "callback_signature_must_match")
    window = app.settings.callback_window_seconds
    for skew in (-window - 60, window + 60):  # well outside, however slow the machine
        stale = sign(secret=TEST_CALLBACK_SECRET, timestamp=now - skew, body=raw)
        _refused(post(stale), "callback_timestamp_must_be_recent")
    assert contacts(app) == []
    assert post(good).status_code == 200  # the same body, signed: heard
    assert contacts(app) == [("sms", "outbound", "delivered")]


def test_the_inbound_callback_needs_the_signature_too(client: TestClient) -> None:
    reply = {"channel": "sms", "borrower_id": 5, "text": "STOP"}
    _refused(client.post("/v1/channels/inbound", json=reply),
             "callback_signature_must_be_present")
    assert signed_post(client, "/v1/channels/inbound", reply).json()["opted_out"] is True


def test_several_signatures_may_be_sent_while_the_secret_is_rotated(
        sent: tuple[Dunwell, str], client: TestClient) -> None:
    raw = json.dumps({"client_ref": sent[1], "status": "delivered"}).encode()
    now = int(time.time())
    old = sign(secret="the-previous-secret", timestamp=now, body=raw).split(",")[1]
    new = sign(secret=TEST_CALLBACK_SECRET, timestamp=now, body=raw).split(",")[1]
    answer = client.post(STATUS, content=raw, headers={
        "Content-Type": "application/json", SIGNATURE_HEADER: f"t={now},{old},{new}"})
    assert answer.status_code == 200, answer.text


def test_without_a_secret_callbacks_are_refused_until_one_is_set(db_url: str,
                                                                 tmp_path: Path) -> None:
    app = bootstrap(Settings(db_url=db_url, log_level="WARNING", outbox_dir=tmp_path))
    try:
        with TestClient(create_app(dunwell=app)) as http:
            answer = signed_post(http, STATUS, {"id": "m-1", "status": "delivered"})
        assert answer.status_code == 401
        assert answer.json()["error"] == "callback_secret_must_be_set"
        assert "DUNWELL_CALLBACK_SECRET" in answer.json()["message"]
    finally:
        app.engine.dispose()


def test_the_signature_is_checked_at_the_time_given() -> None:
    """The check is pure: the provider's example from docs/security/secrets.md."""
    body = b'{"client_ref":"msg-1","status":"delivered"}'
    header = "t=1732413600,v1=3831e276daed61fc654b4ad78528a264612f786a742e44e621dd6be5ce5e8350"
    assert sign(secret="example-secret", timestamp=1732413600, body=body) == header
    checked = verify_callback(header=header, body=body, secret="example-secret",
                              now_seconds=1732413600 + 300, window_seconds=300)
    assert checked.timestamp == 1732413600
    with pytest.raises(Unauthenticated) as late:
        verify_callback(header=header, body=body, secret="example-secret",
                        now_seconds=1732413600 + 301, window_seconds=300)
    assert late.value.code == "callback_timestamp_must_be_recent"
