"""Every contact an operator records passes the guard: an outbound one outside the
window or over a cap is refused with its rule and nothing is recorded; the borrower's
own contact is recorded as inbound and counted as the rules say; a supervisor's
override is recorded with the rule it overrode in the audit log. The same contact or
promise sent twice is recorded once."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import sqlalchemy as sa
from contact_book import CASE, NOW, TODAY, at, contact_book

from dunwell.app.audit import verify
from dunwell.app.collections.contacts import ContactRecord, Override, log_contact, log_promise
from dunwell.bootstrap import Dunwell
from dunwell.collections.errors import ContactRefused, PromiseConflict
from dunwell.compliance.model import Direction, Outcome
from dunwell.core.errors import Conflict, InvalidInput
from dunwell.store import collection_tables as c
from dunwell.store import tables as t


def contacts(app: Dunwell, borrower_id: int = 26) -> list[tuple[str, str, str, str]]:
    with app.engine.connect() as conn:
        return [(r.ts, r.channel, r.direction, r.outcome) for r in conn.execute(
            sa.select(c.contacts).where(c.contacts.c.borrower_id == borrower_id)
            .order_by(c.contacts.c.contact_id))]


def audit_kinds(app: Dunwell) -> list[tuple[str, dict[str, object]]]:
    with app.engine.connect() as conn:
        return [(r.kind, json.loads(r.payload_json)) for r in conn.execute(
            sa.select(t.audit_log).order_by(t.audit_log.c.seq))]


def call(app: Dunwell, when: dt.datetime, *, borrower_id: int = 26, channel: str = "call",
         outcome: str = "conversation", direction: str = "outbound",
         content_tags: tuple[str, ...] = (), override: Override | None = None,
         key: str | None = None) -> ContactRecord:
    with app.uow() as uow:
        done = log_contact(uow, borrower_id=borrower_id, at=when, channel=channel,
                           outcome=outcome, direction=direction, content_tags=content_tags,
                           override=override, key=key, now=NOW)
        uow.commit()
    return done


def test_a_call_at_half_past_eleven_at_night_is_refused_with_cn_time(app: Dunwell) -> None:
    contact_book(app)
    with pytest.raises(ContactRefused) as refused:
        call(app, at(23, 30))
    assert refused.value.code == "contact_must_pass_guard"
    assert refused.value.message.startswith("CN-TIME: ")
    assert "--direction inbound" in refused.value.message
    assert contacts(app) == []


def test_the_fourth_call_of_the_day_is_refused_by_the_daily_cap(app: Dunwell) -> None:
    contact_book(app)
    for hour in (9, 10, 11):
        call(app, at(hour), outcome="no_answer")
    with pytest.raises(ContactRefused, match="CN-FREQ: 3 calls already placed"):
        call(app, at(12), outcome="no_answer")
    assert len(contacts(app)) == 3


def test_the_borrower_calling_at_night_is_recorded_as_inbound_and_not_counted_as_a_call(
        app: Dunwell) -> None:
    contact_book(app)
    done = call(app, at(23, 30), direction="inbound")
    assert done.event.direction is Direction.INBOUND and not done.replayed
    for hour in (9, 10, 11):
        call(app, at(hour, day=TODAY + dt.timedelta(days=1)), outcome="no_answer")
    assert len(contacts(app)) == 4  # the inbound call does not use up the day's three


def test_an_inbound_conversation_counts_for_the_seven_day_rule_in_the_us(
        app: Dunwell) -> None:
    contact_book(app)
    chicago = dt.timezone(dt.timedelta(hours=-5))
    talked = dt.datetime(2025, 5, 1, 12, 0, tzinfo=chicago)
    call(app, talked, borrower_id=28, direction="inbound")
    with pytest.raises(ContactRefused, match="US-RegF-CONV7: "):
        call(app, talked + dt.timedelta(days=3), borrower_id=28, outcome="no_answer")
    call(app, talked + dt.timedelta(days=7), borrower_id=28, outcome="no_answer")


def test_a_vulnerable_borrower_is_not_asked_for_payment(app: Dunwell) -> None:
    contact_book(app)
    with pytest.raises(ContactRefused, match="UNIVERSAL-VULNERABLE: "):
        call(app, at(11), borrower_id=27, content_tags=("payment_request",))
    call(app, at(11), borrower_id=27, content_tags=("payment_reminder",))


def test_a_supervisor_override_is_recorded_with_the_rule_it_overrode(app: Dunwell) -> None:
    contact_book(app)
    done = call(app, at(21, 0), override=Override("lead-li", "borrower asked for an evening "
                                                                "call back"))
    assert done.overridden_rule == "CN-TIME"
    overrides = [p for k, p in audit_kinds(app) if k == "guard_override"]
    assert overrides == [{
        "rule": "CN-TIME", "decision": "defer", "guard_reason": overrides[0]["guard_reason"],
        "override_by": "lead-li", "reason": "borrower asked for an evening call back",
        "ts": "2025-05-01T21:00:00+08:00", "channel": "call", "outcome": "conversation",
        "content_tags": []}]
    assert len(contacts(app)) == 1
    assert verify(app).intact


def test_an_override_needs_a_name_and_a_reason() -> None:
    with pytest.raises(InvalidInput, match="reason"):
        Override("lead-li", " ")
    with pytest.raises(InvalidInput, match="name"):
        Override("", "why")


def test_the_same_contact_twice_is_recorded_once(app: Dunwell) -> None:
    contact_book(app)
    first = call(app, at(10))
    again = call(app, at(10).astimezone(dt.UTC))  # the same moment, written in UTC
    assert not first.replayed and again.replayed
    assert len(contacts(app)) == 1


def test_a_key_replays_and_refuses_other_content(app: Dunwell) -> None:
    contact_book(app)
    call(app, at(10), key="k-1")
    assert call(app, at(10), key="k-1").replayed
    with pytest.raises(Conflict) as reused:
        call(app, at(11), key="k-1")
    assert reused.value.code == "idempotency_key_must_match_request"
    assert len(contacts(app)) == 1
    assert verify(app).intact


def promise(app: Dunwell, amount_minor: int, due: dt.date, key: str | None = None) -> bool:
    with app.uow() as uow:
        made = log_promise(uow, case_id=CASE, amount_minor=amount_minor, due_date=due,
                           today=TODAY, key=key, now=NOW)
        uow.commit()
    return made


def promise_rows(app: Dunwell) -> list[tuple[int, dt.date, str]]:
    with app.engine.connect() as conn:
        return [(r.amount_minor, r.due_date, r.status) for r in conn.execute(
            sa.select(c.promises).order_by(c.promises.c.promise_id))]


def test_a_promise_twice_is_one_promise(app: Dunwell) -> None:
    contact_book(app)
    due = TODAY + dt.timedelta(days=5)
    assert promise(app, 50_000, due) is True
    assert promise(app, 50_000, due) is False
    assert promise_rows(app) == [(50_000, due, "pending")]
    assert [k for k, _ in audit_kinds(app)].count("promise") == 1


def test_a_different_promise_while_one_is_pending_is_refused(app: Dunwell) -> None:
    contact_book(app)
    promise(app, 50_000, TODAY + dt.timedelta(days=5))
    with pytest.raises(PromiseConflict):
        promise(app, 20_000, TODAY + dt.timedelta(days=9))
    assert len(promise_rows(app)) == 1


def test_a_promise_key_replays_and_refuses_other_content(app: Dunwell) -> None:
    contact_book(app)
    due = TODAY + dt.timedelta(days=5)
    assert promise(app, 50_000, due, key="p-1") is True
    assert promise(app, 50_000, due, key="p-1") is False
    with pytest.raises(Conflict, match="different promise"):
        promise(app, 60_000, due, key="p-1")
    assert len(promise_rows(app)) == 1


def test_outcomes_keep_their_vocabulary(app: Dunwell) -> None:
    contact_book(app)
    with pytest.raises(InvalidInput) as bad:
        call(app, at(10), content_tags=("begging",))
    assert bad.value.code == "contact_must_use_known_terms"
    assert Outcome("opt_out_request")
