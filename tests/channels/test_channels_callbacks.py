"""Delivery-status callbacks over HTTP: the first report settles the message and
becomes a contact the compliance guard reads; repeats change nothing."""

from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from dunwell.api.app import create_app
from dunwell.app.channels.outbox import dispatch_outbox, enqueue_message
from dunwell.bootstrap import Dunwell, bootstrap
from dunwell.channels.model import MessageChannel, MessageStatus
from dunwell.compliance.model import Jurisdiction
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
                             outbox_dir=tmp_path / "outbox", channels_callback_token="s3cret"))
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


AUTH = {"Authorization": "Bearer s3cret"}


def contacts(app: Dunwell) -> list[tuple[str, str, str]]:
    with app.engine.connect() as conn:
        return [(r.channel, r.direction, r.outcome) for r in conn.execute(
            sa.select(c.contacts).where(c.contacts.c.borrower_id == 5))]


def test_a_delivery_report_settles_the_message_and_becomes_a_contact_once(
        sent: tuple[Dunwell, str], client: TestClient) -> None:
    app, key = sent
    provider_id = f"local-sms-{key}"
    body = {"id": provider_id, "status": "delivered", "at": DELIVERED_AT}
    first = client.post("/v1/channels/local/status", json=body, headers=AUTH)
    assert first.status_code == 200, first.text
    assert first.json()["status"] == "delivered" and first.json()["changed"] is True
    again = client.post("/v1/channels/local/status", json=body, headers=AUTH)
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
    answer = client.post("/v1/channels/local/status", headers=AUTH,
                         json={"client_ref": key, "status": "undelivered",
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
    client.post("/v1/channels/local/status", headers=AUTH,
                json={"client_ref": key, "status": "delivered"})
    answer = client.post("/v1/channels/local/status", headers=AUTH,
                         json={"client_ref": key, "status": "undelivered"})
    assert answer.status_code == 409
    assert answer.json()["error"] == "message_status_transition_must_be_allowed"
    assert contacts(app) == [("sms", "outbound", "delivered")]


def test_unknown_messages_wrong_providers_bad_statuses_and_missing_tokens_are_refused(
        sent: tuple[Dunwell, str], client: TestClient) -> None:
    app, key = sent
    unknown = client.post("/v1/channels/local/status", headers=AUTH,
                          json={"id": "nope", "status": "delivered"})
    assert unknown.status_code == 404 and unknown.json()["error"] == "message_must_exist"
    other = client.post("/v1/channels/sms_http/status", headers=AUTH,
                        json={"client_ref": key, "status": "delivered"})
    assert other.status_code == 404
    bad = client.post("/v1/channels/local/status", headers=AUTH,
                      json={"client_ref": key, "status": "read"})
    assert bad.status_code == 422
    nameless = client.post("/v1/channels/local/status", headers=AUTH,
                           json={"status": "delivered"})
    assert nameless.status_code == 400
    assert nameless.json()["error"] == "delivery_report_must_name_message"
    anonymous = client.post("/v1/channels/local/status",
                            json={"client_ref": key, "status": "delivered"})
    assert anonymous.status_code == 401
    assert contacts(app) == []
