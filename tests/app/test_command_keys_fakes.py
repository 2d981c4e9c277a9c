"""Operator commands' keys, the audit chain and the day loop's record on the in-memory
book: a key remembers what its command recorded, refuses other content, and lives in
the hash chain, which verifies; the day's steps are kept per date."""

from __future__ import annotations

import datetime as dt

import pytest

from dunwell.app.audit import record, verify
from dunwell.app.command_keys import remember, seen
from dunwell.app.day.loop import status
from dunwell.core.errors import DomainError
from fakes.app import fake_app

NOW = dt.datetime(2025, 3, 1, 9, 30, tzinfo=dt.UTC)
CONTENT = {"borrower_id": 7, "outcome": "promise_to_pay"}


def test_a_new_key_has_seen_nothing_and_no_key_is_never_a_replay() -> None:
    app = fake_app()
    with app.uow() as uow:
        assert seen(uow, command="contact", key="k-1", content=CONTENT) is None
        assert seen(uow, command="contact", key=None, content=CONTENT) is None


def test_a_key_remembers_what_its_command_recorded() -> None:
    app = fake_app()
    with app.uow() as uow:
        remember(uow, command="contact", key="k-1", content=CONTENT, ref={"contact_id": 3},
                 now=NOW)
        uow.commit()
    with app.uow() as uow:
        assert seen(uow, command="contact", key="k-1", content=CONTENT) == {"contact_id": 3}
        assert seen(uow, command="promise", key="k-1", content=CONTENT) is None


def test_a_key_used_for_other_content_is_a_named_rejection() -> None:
    app = fake_app()
    with app.uow() as uow:
        remember(uow, command="contact", key="k-1", content=CONTENT, ref={}, now=NOW)
        with pytest.raises(DomainError) as caught:
            seen(uow, command="contact", key="k-1", content={**CONTENT, "outcome": "refused"})
    assert caught.value.code == "idempotency_key_must_match_request"


def test_keys_and_records_chain_and_the_chain_verifies() -> None:
    app = fake_app()
    with app.uow() as uow:
        record(uow, at=NOW, entries=[("contact", "borrower:7", {"n": 1})])
        remember(uow, command="contact", key="k-1", content=CONTENT, ref={}, now=NOW)
        uow.commit()
    report = verify(app)
    assert (report.records, report.head_seq, report.intact) == (2, 2, True)


def test_an_audit_stamp_without_a_time_zone_is_a_programming_error() -> None:
    app = fake_app()
    with app.uow() as uow, pytest.raises(ValueError, match="time zone"):
        record(uow, at=NOW.replace(tzinfo=None), entries=[("contact", "b:7", {})])


def test_the_days_steps_are_kept_per_date_and_a_failed_step_is_replaced() -> None:
    app = fake_app()
    first, second = dt.date(2025, 3, 1), dt.date(2025, 3, 2)
    with app.uow() as uow:
        for day, step, outcome in ((first, "collect", "done"), (first, "cob", "failed"),
                                   (first, "cob", "done"), (second, "collect", "done")):
            uow.day.record(business_date=day, step=step, status=outcome,
                           detail={"on": day}, finished_at=NOW)
        uow.commit()
    assert [(r.business_date, r.step, r.status) for r in status(app, days=1)] == [
        (second, "collect", "done")]
    assert [(r.step, r.status, r.detail) for r in status(app, days=2)][:2] == [
        ("collect", "done", {"on": "2025-03-01"}), ("cob", "done", {"on": "2025-03-01"})]
