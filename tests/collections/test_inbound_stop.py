"""A borrower's reply reaches us through the channel callback, `POST
/v1/channels/inbound`: STOP, 退订 or TD sets the opt-out flag for that channel, which
every pack obeys from then on; the same reply twice changes nothing; anything else is
recorded as the borrower writing to us."""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from contact_book import NOW, at, contact_book

from callback_signing import TEST_CALLBACK_SECRET, signed_post
from dunwell.api.app import create_app
from dunwell.app.channels.outbox import set_channel_address
from dunwell.app.collections.contacts import judge_contact, record_inbound_message
from dunwell.bootstrap import Dunwell
from dunwell.compliance.model import Channel, Decision, Flag
from dunwell.compliance.replies import asks_to_stop
from dunwell.store import collection_tables as c
from dunwell.store.collections_repo import ActionRepository, BorrowerRepository

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

PHONE = "+8613800000026"


@pytest.fixture
def client(app: Dunwell) -> Iterator[TestClient]:
    contact_book(app)
    set_channel_address(app, borrower_id=26, channel="sms", address=PHONE)
    signed = dataclasses.replace(app, settings=app.settings.model_copy(
        update={"callback_secret": TEST_CALLBACK_SECRET}))
    with TestClient(create_app(dunwell=signed)) as test_client:
        yield test_client


def sms_verdict(app: Dunwell) -> tuple[Decision, str | None]:
    with app.uow() as uow:
        profile = BorrowerRepository(uow.conn).get(26)
        history = ActionRepository(uow.conn).contacts_for([26]).get(26, [])
    v = judge_contact(profile, history, at=at(15), channel=Channel.SMS,
                      content_tags=["payment_reminder"])
    return v.decision, v.rule


def inbound_rows(app: Dunwell) -> list[tuple[str, str, str]]:
    with app.engine.connect() as conn:
        return [(r.channel, r.direction, r.outcome) for r in conn.execute(
            sa.select(c.contacts).order_by(c.contacts.c.contact_id))]


@pytest.mark.parametrize("word", ["STOP", "退订", "td", " Stop. "])
def test_a_stop_reply_opts_the_borrower_out_of_sms(app: Dunwell, client: TestClient,
                                                   word: str) -> None:
    assert sms_verdict(app) == (Decision.ALLOW, None)
    body = {"channel": "sms", "from": PHONE, "text": word, "at": "2025-05-01T12:00:00+08:00"}
    first = signed_post(client, "/v1/channels/inbound", body)
    assert first.status_code == 200, first.text
    assert first.json() == {"borrower_id": 26, "outcome": "opt_out_request",
                            "opted_out": True, "changed": True}
    again = signed_post(client, "/v1/channels/inbound", body)
    assert again.json()["changed"] is False
    with app.uow() as uow:
        assert Flag.OPT_OUT_SMS in BorrowerRepository(uow.conn).get(26).borrower.flags
    assert sms_verdict(app) == (Decision.DENY, "UNIVERSAL-OPT-OUT")
    assert inbound_rows(app) == [("sms", "inbound", "opt_out_request")]


def test_any_other_reply_is_recorded_and_opts_out_of_nothing(app: Dunwell,
                                                            client: TestClient) -> None:
    got = signed_post(client, "/v1/channels/inbound", {
        "channel": "sms", "borrower_id": 26, "text": "I will pay on Friday, please stop "
        "calling my office", "at": "2025-05-01T12:00:00+08:00"})
    assert got.json()["outcome"] == "conversation" and got.json()["opted_out"] is False
    assert sms_verdict(app) == (Decision.ALLOW, None)


def test_an_unknown_sender_is_named(client: TestClient) -> None:
    got = signed_post(client, "/v1/channels/inbound", {"channel": "sms", "from": "+8613900000000",
                                                    "text": "STOP"})
    assert got.status_code == 404, got.text
    assert "sender_must_be_known" in got.text


def test_stop_reply_in_the_us_pack_is_a_medium_opt_out(app: Dunwell) -> None:
    contact_book(app)
    got = record_inbound_message(app, channel="sms", text="STOP", at=at(12), now=NOW,
                                 borrower_id=28)
    assert got.opted_out and got.flag_changed
    with app.uow() as uow:
        profile = BorrowerRepository(uow.conn).get(28)
    v = judge_contact(profile, [], at=at(23), channel=Channel.SMS,
                      content_tags=["payment_reminder", "opt_out_notice"])
    assert (v.decision, v.rule) == (Decision.DENY, "US-RegF-MEDIUM")


def test_only_the_keyword_alone_asks_to_stop() -> None:
    assert [asks_to_stop(t) for t in ("STOP", "退订", "TD", "stop。", "please stop", "TDX",
                                      "")] == [True, True, True, True, False, False, False]
