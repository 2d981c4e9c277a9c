"""Consents on a real book: granted, withdrawn and listed through the services, each
change audited; the daily collection run reads them once for the whole batch and the
guard stops a withdrawn channel (CONSENT-WITHDRAWN) while the others go on."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from dunwell.app.audit import verify
from dunwell.app.cob import close_until
from dunwell.app.collections.collect import collect_day
from dunwell.app.consent import grant, list_consents, withdraw
from dunwell.app.lending.book import LoanRequest, disburse, open_book, register_product
from dunwell.bootstrap import Dunwell
from dunwell.compliance.consent import ConsentSource, Purpose
from dunwell.compliance.model import Jurisdiction, Party
from dunwell.core.errors import InvalidInput, NotFound
from dunwell.lending.products import builtin_product_texts
from dunwell.store import collection_tables as c
from dunwell.store import tables as t

START = dt.date(2025, 1, 15)
DUE = dt.date(2025, 2, 15)
NOW = dt.datetime(2025, 2, 1, 6, 0, tzinfo=dt.UTC)
EARLY = dt.datetime(2025, 1, 20, 2, 0, tzinfo=dt.UTC)
BORROWERS = (1, 2, 3)


def book(app: Dunwell) -> None:
    with app.uow() as uow:
        open_book(uow, business_date=START, partitions=2, currency="CNY")
        for text in builtin_product_texts():
            register_product(uow, text)
        disburse(uow, [LoanRequest(b, "merchant_annuity_12m", 600_000, 12) for b in BORROWERS])
        for b in BORROWERS:
            uow.borrowers.put(borrower_id=b, name=f"b{b}", jurisdiction=Jurisdiction.CN_NIFA,
                              timezone="Asia/Shanghai", language="zh-CN")
        uow.commit()


@pytest.fixture
def consent_reads(app: Dunwell) -> Iterator[list[str]]:
    """Every statement that reads the consents table, as the database sees it."""
    seen: list[str] = []

    def note(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if "FROM consents" in statement:
            seen.append(statement)

    sa.event.listen(app.engine, "before_cursor_execute", note)
    yield seen
    sa.event.remove(app.engine, "before_cursor_execute", note)


def decisions(app: Dunwell, borrower: int) -> list[tuple[str, str, str | None]]:
    with app.engine.connect() as conn:
        rows = conn.execute(sa.select(c.case_actions.c.channel, c.case_actions.c.decision,
                                      c.case_actions.c.rule)
                            .where(c.case_actions.c.borrower_id == borrower)
                            .order_by(c.case_actions.c.action_id))
        return [(str(ch), str(d), r) for ch, d, r in rows]


def test_a_withdrawn_sms_consent_stops_the_runs_texts_and_nothing_else(
        app: Dunwell, consent_reads: list[str]) -> None:
    book(app)
    withdraw(app, borrower_id=1, channel="sms", source="call", at=EARLY, now=NOW)
    for day in (DUE - dt.timedelta(days=3), DUE):
        close_until(app, day - dt.timedelta(days=1))
        consent_reads.clear()
        collect_day(app, day, now=NOW)
        assert len(consent_reads) == 1  # one read for the day's batch, not one per action
    mine = decisions(app, 1)
    assert ("sms", "deny", "CONSENT-WITHDRAWN") in mine
    assert all(rule == "CONSENT-WITHDRAWN" for ch, _, rule in mine if ch == "sms")
    assert any(ch != "sms" and d == "allow" for ch, d, _ in mine)
    others = decisions(app, 2)
    assert ("sms", "allow", None) in others
    assert verify(app).intact


def test_grant_withdraw_and_list_are_audited_and_replays_change_nothing(app: Dunwell) -> None:
    book(app)
    first = grant(app, borrower_id=2, channel="call", party="spouse", source="visit",
                  evidence="form 12", at=EARLY, now=NOW)
    again = grant(app, borrower_id=2, channel="call", party="spouse", source="visit", now=NOW)
    assert first.changed and not again.changed
    assert again.records[0].consent_id == first.records[0].consent_id
    gone = withdraw(app, borrower_id=2, channel="call", party="spouse", source="portal",
                    now=NOW)
    twice = withdraw(app, borrower_id=2, channel="call", party="spouse", source="portal",
                     now=NOW)
    assert gone.changed and not twice.changed
    (only,) = list_consents(app, borrower_id=2)
    assert only.consent.party is Party.SPOUSE and only.consent.purpose is Purpose.COLLECTIONS
    assert only.consent.withdrawn_at == NOW and only.withdrawn_source is ConsentSource.PORTAL
    assert only.consent.evidence == "form 12"
    with app.engine.connect() as conn:
        kinds = [k for (k,) in conn.execute(sa.select(t.audit_log.c.kind)
                                            .order_by(t.audit_log.c.seq))]
    assert kinds == ["consent_granted", "consent_withdrawn"]
    assert verify(app).intact


def test_a_withdrawal_with_nothing_on_record_is_kept_as_a_withdrawn_consent(
        app: Dunwell) -> None:
    book(app)
    change = withdraw(app, borrower_id=3, channel="email", source="letter", at=EARLY, now=NOW)
    (record,) = change.records
    assert record.consent.granted_at == record.consent.withdrawn_at == EARLY
    assert record.consent.purpose is Purpose.COLLECTIONS


@pytest.mark.parametrize(("kw", "code"), [
    ({"channel": "pigeon"}, "channel_must_be_known"),
    ({"channel": "sms", "party": "cousin"}, "party_must_be_known"),
    ({"channel": "sms", "purpose": "marketing"}, "purpose_must_be_known"),
    ({"channel": "sms", "source": "rumour"}, "consent_source_must_be_known"),
    ({"channel": "sms", "evidence": "x" * 201}, "consent_evidence_must_be_short"),
    ({"channel": "sms", "at": dt.datetime(2025, 1, 1)}, "timestamp_must_carry_offset"),
])
def test_bad_consents_are_refused_with_their_code(app: Dunwell, kw: dict[str, Any],
                                                  code: str) -> None:
    book(app)
    with pytest.raises(InvalidInput) as caught:
        grant(app, borrower_id=1, **{"source": "call", **kw}, now=NOW)
    assert caught.value.code == code
    assert list_consents(app, borrower_id=1) == []


def test_a_consent_for_an_unknown_borrower_is_refused(app: Dunwell) -> None:
    book(app)
    with pytest.raises(NotFound) as caught:
        grant(app, borrower_id=99, channel="sms", source="call", now=NOW)
    assert caught.value.code == "borrower_must_exist"
