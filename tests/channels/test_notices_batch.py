"""Receipts queued together (``notify_payments``: the borrowers' facts read once, the
outbox rows written with one statement) are the rows queuing them one by one writes:
the same messages, keys, addresses, due times and ids, on every backend."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from dunwell.app.channels.notices import NOTICE_CHANNELS, NOTICE_TAGS, notify_payments
from dunwell.app.channels.outbox import CONTACT_CHANNEL, enqueue_message
from dunwell.app.collections.contacts import judge_contact, record_contact
from dunwell.app.lending.book import LoanRequest, disburse, open_book, register_product
from dunwell.app.lending.payments import PaymentRecord, receive_payment
from dunwell.app.uow import UnitOfWork
from dunwell.bootstrap import Dunwell, bootstrap
from dunwell.channels.errors import KEY_REUSED
from dunwell.channels.model import Message, MessageChannel
from dunwell.channels.rules import message_key
from dunwell.complaints.model import Category, ReceivedVia
from dunwell.compliance.consent import Consent, ConsentSource, Purpose
from dunwell.compliance.model import Channel, Decision, Flag, Jurisdiction, Party
from dunwell.core.errors import Conflict
from dunwell.lending.products import builtin_product_texts
from dunwell.settings import Settings
from dunwell.store import channel_tables as ch
from dunwell.store.outbox_repo import Draft

START = dt.date(2025, 1, 15)
UTC = dt.UTC
#: borrower id -> (name, jurisdiction, time zone, language, flags); 8 has a loan and
#: no profile, so no receipt
PEOPLE = {
    1: ("王芳", Jurisdiction.CN_NIFA, "Asia/Shanghai", "zh-CN", []),
    2: ("Olivia Brown", Jurisdiction.UK_FCA, "Europe/London", "en-GB", [Flag.VULNERABLE]),
    3: ("赵磊", Jurisdiction.CN_NIFA, "Asia/Shanghai", "zh-CN", [Flag.OPT_OUT_EMAIL]),
    4: ("李娜", Jurisdiction.CN_NIFA, "Asia/Shanghai", "zh-CN", [Flag.CEASE_CONTACT]),
    5: ("James Reid", Jurisdiction.US_REGF, "America/New_York", "en", []),
    6: ("陈静", Jurisdiction.CN_NIFA, "Asia/Shanghai", "zh", []),
    7: ("Amelia Hughes", Jurisdiction.UK_FCA, "Europe/London", "en-GB", []),
}
LOANS = [*PEOPLE, 8]


@pytest.fixture
def book(db_url: str, tmp_path: Path) -> Iterator[tuple[Dunwell, list[tuple[PaymentRecord, int]]]]:
    """A book whose borrowers differ in everything a receipt reads (addresses,
    opt-outs, a request to cease contact, consents, a dispute, contact history, no
    profile), and payments on every loan, two on loan 1, with no receipts yet."""
    app = bootstrap(Settings(db_url=db_url, log_level="WARNING", partitions=2,
                             outbox_dir=tmp_path / "outbox"))
    paid: list[tuple[PaymentRecord, int]] = []
    with app.uow() as uow:
        open_book(uow, business_date=START, partitions=2, currency="CNY")
        for text in builtin_product_texts():
            register_product(uow, text)
        disburse(uow, [LoanRequest(b, "merchant_annuity_12m", 600_000, 12) for b in LOANS])
        for b, (name, jurisdiction, tz, language, flags) in PEOPLE.items():
            uow.borrowers.put(borrower_id=b, name=name, jurisdiction=jurisdiction,
                              timezone=tz, language=language, flags=flags)
        for b in (1, 2, 3, 4, 5, 7):
            uow.channel_facts.set_address(b, MessageChannel.EMAIL, f"borrower{b}@example.org")
        uow.channel_facts.set_address(1, MessageChannel.SMS, "+8613800000001")
        granted = dt.datetime(2025, 1, 2, 9, 0, tzinfo=UTC)
        uow.consents.add(2, Consent(Channel.EMAIL, Party.BORROWER, Purpose.SERVICING, granted,
                                    source=ConsentSource.PORTAL, evidence="form 7"))
        uow.consents.add(7, Consent(Channel.EMAIL, Party.BORROWER, Purpose.COLLECTIONS, granted,
                                    withdrawn_at=granted + dt.timedelta(days=3),
                                    source=ConsentSource.PORTAL))
        uow.complaints.add(borrower_id=5, jurisdiction=Jurisdiction.US_REGF,
                           channel=ReceivedVia.PORTAL, category=Category.AMOUNT_DISPUTED,
                           received_at=dt.datetime(2025, 1, 10, 15, 0, tzinfo=UTC),
                           text="the fee is wrong")
        for hours in (30, 6):
            record_contact(uow, borrower_id=6, at=dt.datetime(2025, 1, 16, 12, 0, tzinfo=UTC)
                           - dt.timedelta(hours=hours), channel="in_app", outcome="delivered",
                           now=dt.datetime(2025, 1, 16, 12, 0, tzinfo=UTC))
        for k, loan in enumerate([*LOANS, 1]):
            receipt = receive_payment(uow, providers=app.providers, loan_id=loan,
                                      amount=f"{50 + k}.25", currency="CNY",
                                      idempotency_key=f"batch-{k}", notify=False)
            paid.append((receipt.payment, loan))
        uow.commit()
    yield app, paid
    app.engine.dispose()


def one_by_one(uow: UnitOfWork, app: Dunwell, payments: Sequence[tuple[PaymentRecord, int]],
               now: dt.datetime) -> list[list[Message]]:
    """The receipts as queuing them one by one wrote them: for each payment, the
    borrower's profile and history read, each channel judged, the message rendered,
    its key looked up, written and read back."""
    from zoneinfo import ZoneInfo

    from dunwell.app.channels.notices import _due

    out = []
    for payment, borrower_id in payments:
        profile = uow.borrowers.many([borrower_id]).get(borrower_id)
        if profile is None:
            out.append([])
            continue
        history = uow.actions.contacts_for([borrower_id]).get(borrower_id, [])
        at = now.astimezone(ZoneInfo(profile.borrower.timezone))
        written = []
        for channel in NOTICE_CHANNELS:
            if (channel is MessageChannel.EMAIL
                    and uow.channel_facts.address(borrower_id, channel) is None):
                continue
            verdict = judge_contact(profile, history, at=at,
                                    channel=Channel(CONTACT_CHANNEL[channel]),
                                    content_tags=NOTICE_TAGS["payment_received"])
            if verdict.decision is Decision.DENY:
                continue
            not_before, not_after = _due(verdict, now)
            written.append(enqueue_message(
                uow, settings=app.settings, providers=app.providers, borrower_id=borrower_id,
                kind="payment_received", channel=channel,
                language=profile.borrower.language or "en",
                context={"borrower_name": profile.name, "amount_minor": payment.amount_minor,
                         "currency": payment.currency, "paid_on": payment.business_date},
                key=message_key("payment", payment.payment_id, channel.value), now=now,
                not_before=not_before, not_after=not_after))
        out.append(written)
    return out


def rows(uow: UnitOfWork) -> list[dict[str, Any]]:
    """Every outbox row, sealed columns opened, the id as its rank (PostgreSQL does not
    give back the ids of a rolled-back transaction)."""
    found = [dict(r._mapping) for r in uow.conn.execute(
        sa.select(ch.outbox).order_by(ch.outbox.c.message_id))]
    return [r | {"message_id": k} for k, r in enumerate(found)]


def ranked(messages: list[list[Message]], first_id: int) -> list[list[tuple[Any, ...]]]:
    return [[(m.message_id - first_id, m.idempotency_key, m.channel, m.to_address,
              m.subject, m.body, m.next_attempt_at, m.not_after) for m in ms]
            for ms in messages]


# times that differ in what the guard says: inside Shanghai's hours and London's night,
# and the other way round
NOWS = [dt.datetime(2025, 1, 16, 3, 0, tzinfo=UTC), dt.datetime(2025, 1, 16, 16, 30, tzinfo=UTC)]


@pytest.mark.parametrize("now", NOWS, ids=["shanghai-day", "shanghai-night"])
def test_receipts_queued_together_are_the_rows_one_by_one_writes(
        book: tuple[Dunwell, list[tuple[PaymentRecord, int]]], now: dt.datetime) -> None:
    app, paid = book
    with app.uow() as uow:  # one receipt queued before: both see it and add nothing for it
        one_by_one(uow, app, paid[:1], now)
        uow.commit()
    with app.uow() as uow:
        before = rows(uow)
        first = len(before)
        expected = one_by_one(uow, app, paid, now)
        expected_rows = rows(uow)
        base = min((m.message_id for ms in expected[1:] for m in ms), default=0) - first
        uow.rollback()
    with app.uow() as uow:
        assert rows(uow) == before
        got = notify_payments(uow, payments=paid, providers=app.providers,
                              settings=app.settings, now=now)
        got_rows = rows(uow)
        # the messages returned are the rows as stored, without reading them back
        assert [m for ms in got for m in ms] == [uow.outbox.get(m.message_id)
                                                 for ms in got for m in ms]
        got_base = min((m.message_id for ms in got[1:] for m in ms), default=0) - first
        uow.commit()
    assert got_rows == expected_rows
    assert len(got_rows) > first + 6  # the case is not empty: several borrowers, both channels
    assert ranked(got[1:], got_base) == ranked(expected[1:], base)
    assert got[0] == expected[0]  # the replayed receipt: the first message again
    by_borrower = {(r["borrower_id"], r["channel"]) for r in got_rows}
    assert (8, "in_app") not in by_borrower  # no profile, no receipt
    assert (3, "email") not in by_borrower and (3, "in_app") in by_borrower  # opted out
    assert (6, "email") not in by_borrower  # no address on file
    assert {r["fingerprint"] for r in got_rows} == {r["fingerprint"] for r in expected_rows}


def test_a_key_used_for_other_content_is_refused_and_the_same_content_is_the_message(
        book: tuple[Dunwell, list[tuple[PaymentRecord, int]]]) -> None:
    app, paid = book
    now = NOWS[0]
    with app.uow() as uow:
        first = notify_payments(uow, payments=paid[:2], providers=app.providers,
                                settings=app.settings, now=now)
        uow.commit()
    stored = first[0][0]
    draft = Draft(idempotency_key=stored.idempotency_key, channel=stored.channel,
                  provider=stored.provider, borrower_id=stored.borrower_id,
                  to_address=stored.to_address, kind=stored.kind, language=stored.language,
                  subject=stored.subject, body=stored.body)
    fresh = Draft(idempotency_key="other-key", channel=stored.channel,
                  provider=stored.provider, borrower_id=stored.borrower_id,
                  to_address=stored.to_address, kind=stored.kind, language=stored.language,
                  subject=stored.subject, body="a new message")
    with app.uow() as uow:
        again = uow.outbox.add_many([fresh, draft, fresh], now=now + dt.timedelta(hours=1))
        assert again[1] == stored  # written before: the stored message, unchanged
        assert again[0] == again[2] and again[0].body == "a new message"
        with pytest.raises(Conflict) as refused:
            uow.outbox.add_many([_changed(draft)], now=now)
        assert refused.value.code == KEY_REUSED
    with app.uow() as uow, pytest.raises(Conflict):
        uow.outbox.add_many([fresh, _changed(fresh)], now=now)


def _changed(draft: Draft) -> Draft:
    from dataclasses import replace

    return replace(draft, body=draft.body + " (changed)")


def test_the_facts_read_in_one_round_trip_are_the_repositories_facts(
        book: tuple[Dunwell, list[tuple[PaymentRecord, int]]]) -> None:
    app, _ = book
    ids = [*LOANS, 99]
    with app.uow() as uow:
        pipelined = uow.channel_facts.notice_facts(ids)
        if uow.conn.dialect.name != "postgresql":
            assert pipelined is None  # read through the repositories instead
            return
        assert pipelined is not None
        profiles = uow.borrowers.many(ids)
        histories = uow.actions.contacts_for(list(profiles))
        addresses = uow.channel_facts.addresses(list(profiles))
    assert set(pipelined) == set(PEOPLE) == set(profiles)
    for bid, facts in pipelined.items():
        assert facts.profile == profiles[bid]
        assert list(facts.history) == histories.get(bid, [])
        assert dict(facts.addresses) == {c: a for (b, c), a in addresses.items() if b == bid}
    # the case is not empty: consents, a dispute, a history and addresses were read
    assert pipelined[2].profile.borrower.consents and pipelined[5].profile.borrower.disputes
    assert len(pipelined[6].history) == 2 and len(pipelined[1].addresses) == 2


def test_drafts_written_together_are_the_rows_written_one_by_one_whatever_they_hold(
        book: tuple[Dunwell, list[tuple[PaymentRecord, int]]]) -> None:
    """Every written column, filled and empty (a case, an action, no address, a window
    and a deferral, sealed text with quotes and non-Latin letters), through the batch's
    one statement as through one insert per draft; the statement's text is the same
    for any number of drafts, so a second batch of another size runs it again."""
    app, _ = book
    now = NOWS[0]
    drafts = [Draft(idempotency_key=f"all-{k}", channel=channel, provider="local",
                    borrower_id=b, to_address=address, kind="payment_received",
                    language="zh-CN" if b % 2 else "en", subject=f"主题 '{k}'",
                    body=f"body {k}\n\"quoted\" 还款 {b}", case_id=case, action_id=action,
                    not_before=later, not_after=until)
              for k, (channel, b, address, case, action, later, until) in enumerate([
                  (MessageChannel.IN_APP, 1, None, None, None, None, None),
                  (MessageChannel.EMAIL, 2, "b2@example.org", "case-7", 41, None,
                   now + dt.timedelta(hours=5)),
                  (MessageChannel.SMS, 3, "+8613800000003", None, 2**40,
                   now + dt.timedelta(hours=2), now + dt.timedelta(hours=9)),
                  (MessageChannel.EMAIL, 5, "", "case-8", None,
                   now - dt.timedelta(hours=1), None),
              ])]
    with app.uow() as uow:
        before = rows(uow)
        singly = [uow.outbox.add(d, now=now)[0] for d in drafts]
        expected = rows(uow)
        uow.rollback()
    with app.uow() as uow:
        together = uow.outbox.add_many(drafts[:1], now=now)
        together += uow.outbox.add_many(drafts[1:], now=now)
        got = rows(uow)
        assert together == [uow.outbox.get(m.message_id) for m in together]
        uow.commit()
    assert got == expected and len(got) == len(before) + len(drafts)
    first = together[0].message_id
    assert ([m.message_id - first for m in together]
            == [m.message_id - singly[0].message_id for m in singly] == [0, 1, 2, 3])
    assert [(m.to_address, m.case_id, m.action_id, m.next_attempt_at, m.not_after)
            for m in together] == [(m.to_address, m.case_id, m.action_id, m.next_attempt_at,
                                    m.not_after) for m in singly]
