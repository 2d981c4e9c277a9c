"""The training rules on the in-memory book: the qualification gate (calls, visits,
legal steps, the call queues), the signer of a certificate being someone else with
the authority, suspension and the register rule — no database."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from dunwell.app.context import Dunwell
from dunwell.app.training import gate, report
from dunwell.app.training import service as svc
from dunwell.core.errors import DomainError
from dunwell.field.model import Agent, GeoPoint, Shift, Territory
from dunwell.training.model import Action, Subject
from fakes.app import fake_app

NOW = dt.datetime(2026, 3, 2, 1, 0, tzinfo=dt.UTC)
DAY = dt.date(2026, 3, 2)
CALL_SUBJECTS = ("communication_skills", "legal_knowledge", "privacy", "vulnerability")


def code_of(fn: Callable[..., object], *args: object, **kwargs: object) -> str:
    with pytest.raises(DomainError) as err:
        fn(*args, **kwargs)
    return err.value.code


@pytest.fixture
def app() -> Dunwell:
    app = fake_app()
    for staff_id, role, lead in (("m-1", "manager", None), ("t-1", "trainer", "m-1"),
                                 ("co-1", "compliance_officer", "m-1"),
                                 ("c-1", "collector", "m-1"), ("c-2", "collector", "m-1")):
        svc.add_staff(app, staff_id=staff_id, name=staff_id, role=role, lead_id=lead, now=NOW)
    return app


def certified(app: Dunwell, staff_id: str, *subjects: str, on: dt.date = DAY) -> None:
    for subject in subjects:
        svc.import_certificate(app, staff_id=staff_id, subject=subject, signer_id="t-1",
                               score_pct=90, evidence="city college course", issued_on=on,
                               expires_on=None, now=NOW)


def test_the_register_keeps_one_record_per_person(app: Dunwell) -> None:
    again = svc.add_staff(app, staff_id="c-1", name="c-1", role="collector", lead_id="m-1",
                          now=NOW)
    assert again.role.value == "collector"
    assert code_of(svc.add_staff, app, staff_id="c-1", name="other", role="collector",
                   lead_id="m-1", now=NOW) == "staff_id_must_be_unique"
    assert code_of(svc.add_staff, app, staff_id="c-9", name="x", role="collector",
                   lead_id="nobody", now=NOW) == "staff_must_exist"
    assert [s.staff_id for s in svc.list_staff(app)] == ["c-1", "c-2", "co-1", "m-1", "t-1"]


def test_the_call_gate_names_every_missing_subject_then_lets_a_certified_collector_call(
        app: Dunwell) -> None:
    with app.uow() as uow, pytest.raises(DomainError) as err:
        gate.require_qualified(uow, staff_id="c-1", action=Action.CALL, on=DAY)
    assert err.value.code == "staff_must_hold_valid_certificates"
    assert err.value.details["subjects"] == list(CALL_SUBJECTS)
    certified(app, "c-1", *CALL_SUBJECTS)
    with app.uow() as uow:
        verdict = gate.require_qualified(uow, staff_id="c-1", action=Action.CALL, on=DAY)
    assert verdict is not None and verdict.allowed


def test_a_certificate_is_signed_by_a_trainer_or_compliance_officer_other_than_the_trainee(
        app: Dunwell) -> None:
    base: dict[str, Any] = {"staff_id": "c-1", "subject": "privacy", "score_pct": 95,
                            "evidence": "course", "issued_on": DAY, "expires_on": None,
                            "now": NOW}
    assert code_of(svc.import_certificate, app, signer_id="c-1", **base) == (
        "certificate_must_be_signed_by_someone_else")
    assert code_of(svc.import_certificate, app, signer_id="m-1", **base) == (
        "certificate_signer_must_be_trainer_or_compliance_officer")
    assert code_of(svc.import_certificate, app, signer_id="t-1",
                   **{**base, "score_pct": 60}) == "certificate_must_follow_a_passed_assessment"
    cert = svc.import_certificate(app, signer_id="co-1", **base)
    assert cert.number == "c-1-privacy-20260302" and cert.signed_by == "co-1"
    assert svc.import_certificate(app, signer_id="co-1", number=cert.number, **base) == cert
    assert [c.number for c in svc.certificates(app, staff_id="c-1")] == [cert.number]


def test_a_suspension_refuses_calls_from_its_date_until_reinstated(app: Dunwell) -> None:
    certified(app, "c-1", *CALL_SUBJECTS)
    assert code_of(svc.suspend, app, staff_id="c-1", by="c-2", reason="x", on=DAY,
                   now=NOW) == "suspension_must_be_decided_by_someone_else_with_authority"
    later = DAY + dt.timedelta(days=1)
    first = svc.suspend(app, staff_id="c-1", by="co-1", reason="complaint", on=later, now=NOW)
    assert svc.suspend(app, staff_id="c-1", by="co-1", reason="complaint", on=later,
                       now=NOW) == first
    with app.uow() as uow:
        gate.require_qualified(uow, staff_id="c-1", action=Action.CALL, on=DAY)
        with pytest.raises(DomainError) as err:
            gate.require_qualified(uow, staff_id="c-1", action=Action.CALL, on=later)
    assert err.value.code == "staff_must_hold_valid_certificates"
    assert svc.reinstate(app, staff_id="c-1", by="t-1", note="refresher passed",
                         on=later + dt.timedelta(days=7), now=NOW) == [first]
    with app.uow() as uow:
        gate.require_qualified(uow, staff_id="c-1", action=Action.CALL,
                               on=later + dt.timedelta(days=7))


def test_an_unregistered_name_passes_until_a_manager_requires_the_register(
        app: Dunwell) -> None:
    with app.uow() as uow:
        assert gate.require_qualified(uow, staff_id="Zhao", action=Action.LEGAL, on=DAY) is None
    assert code_of(svc.set_register_required, app, required=True, by="t-1", now=NOW) == (
        "register_rule_must_be_set_by_manager")
    svc.set_register_required(app, required=True, by="co-1", now=NOW)
    with app.uow() as uow, pytest.raises(DomainError) as err:
        gate.require_qualified(uow, staff_id="Zhao", action=Action.LEGAL, on=DAY)
    assert err.value.code == "staff_must_exist"


@dataclass(frozen=True)
class Collector:
    collector_id: str


def test_the_call_queues_keep_qualified_collectors_and_unregistered_ones_until_required(
        app: Dunwell) -> None:
    certified(app, "c-1", *CALL_SUBJECTS)
    callers = [Collector("c-1"), Collector("c-2"), Collector("outsider")]
    with app.uow() as uow:
        kept = gate.qualified_callers(uow.training, on=DAY, callers=callers)
    assert [c.collector_id for c in kept] == ["c-1", "outsider"]
    svc.set_register_required(app, required=True, by="m-1", now=NOW)
    with app.uow() as uow:
        kept = gate.qualified_callers(uow.training, on=DAY, callers=callers)
    assert [c.collector_id for c in kept] == ["c-1"]


def agent(agent_id: str) -> Agent:
    return Agent(agent_id, f"agent {agent_id}", "Asia/Shanghai",
                 Territory("Pudong", GeoPoint(31.2, 121.5), 10_000),
                 Shift(dt.time(9), dt.time(18)), 8, 5000, 100)


def test_a_field_agent_outside_the_register_is_gated_as_a_field_agent(app: Dunwell) -> None:
    with app.uow() as uow:
        uow.field.put_agent(agent("a-1"))
        uow.commit()
    with app.uow() as uow, pytest.raises(DomainError) as err:
        gate.require_visit_qualified(uow, agent_id="a-1", on=DAY)
    assert err.value.code == "agent_must_hold_valid_certificates"
    missing = err.value.details["subjects"]
    assert missing and set(missing) <= {s.value for s in Subject}
    certified(app, "a-1", *missing)
    with app.uow() as uow:
        gate.require_visit_qualified(uow, agent_id="a-1", on=DAY)
        assert gate.visit_refusals(uow, agent_ids=["a-1"], on=DAY, beyond={}) == {"a-1": ()}
        held = gate.visit_certificates(uow, on=DAY, certificates=uow.field.certificates())
    assert set(held) == {"a-1"}
    [row] = report.status(app, on=DAY, staff_id="a-1")
    assert row.staff.role.value == "field_agent" and Action.VISIT in row.may


def test_a_contact_by_an_uncertified_collector_is_refused_and_nothing_is_kept(
        app: Dunwell) -> None:
    at = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    with app.uow() as uow:
        assert code_of(gate.record_staff_contact, uow, staff_id="c-1", borrower_id=1, at=at,
                       channel="call", outcome="conversation", now=NOW) == (
            "staff_must_hold_valid_certificates")
        assert code_of(gate.record_staff_contact, uow, staff_id="nobody", borrower_id=1,
                       at=at, channel="call", outcome="conversation", now=NOW) == (
            "staff_must_exist")
        assert uow.training.staff_contacts() == []
    certified(app, "c-1", *CALL_SUBJECTS)
    with app.uow() as uow:
        gate.record_staff_contact(uow, staff_id="c-1", borrower_id=1, at=at, channel="call",
                                  outcome="conversation", now=NOW)
        uow.commit()
    with app.uow() as uow:
        [contact] = uow.training.staff_contacts("c-1")
    assert contact["channel"] == "call"


def test_an_expiry_is_warned_once_to_the_person_and_their_lead(app: Dunwell) -> None:
    svc.import_certificate(app, staff_id="c-1", subject="privacy", signer_id="t-1",
                           score_pct=88, evidence="onboarding", issued_on=dt.date(2025, 3, 20),
                           expires_on=dt.date(2026, 3, 19), now=NOW)
    first = report.warnings(app, on=DAY, days=30, now=NOW)
    assert [(w.staff_id, w.lead_id, w.subject.value, w.days_left, w.new) for w in first] == [
        ("c-1", "m-1", "privacy", 17, True)]
    assert [w.new for w in report.warnings(app, on=DAY + dt.timedelta(days=1), days=30,
                                           now=NOW)] == [False]
    with app.uow() as uow:
        sent = [r for r in uow.audit.records() if r.kind == "training_expiry_warning"]
    assert len(sent) == 1


ITEMS = ["introduced_self", "verified_identity", "no_pressure", "listened_for_hardship",
         "offered_options", "recorded_accurately"]


def test_a_low_review_score_and_an_upheld_complaint_recommend_a_refresher(
        app: Dunwell) -> None:
    assert report.add_review(app, staff_id="c-1", kind="call", reference="contact-17",
                             reviewer="m-1", passed=ITEMS[:3], failed=ITEMS[3:], on=DAY,
                             note="", now=NOW) == 50
    assert code_of(report.add_review, app, staff_id="c-1", kind="call", reference="c-18",
                   reviewer="c-1", passed=ITEMS, failed=[], on=DAY, note="", now=NOW) == (
        "review_must_be_by_someone_else")
    svc.record_complaint(app, reference="CMP-9", staff_id="c-1", received_on=DAY, upheld=True,
                         note="rude", by="co-1", now=NOW)
    rows = {r.figures.staff_id: r for r in report.quality(app, start=DAY, end=DAY)}
    c1 = rows["c-1"]
    assert (c1.figures.reviews, c1.figures.review_score_pct, c1.figures.complaints,
            c1.verdict.refresher) == (1, 50, 1, True)
    assert rows["c-2"].verdict.refresher is False
    enrolled = report.enrol_refreshers(app, start=DAY, end=DAY, on=DAY, now=NOW)
    assert {sid for sid, _, _ in enrolled} == {"c-1"} and enrolled


def test_the_review_sample_draws_unreviewed_contacts_with_its_seed(app: Dunwell) -> None:
    certified(app, "c-1", *CALL_SUBJECTS)
    with app.uow() as uow:
        for hour in range(9, 14):
            at = dt.datetime(2026, 3, 2, hour, tzinfo=dt.timezone(dt.timedelta(hours=8)))
            gate.record_staff_contact(uow, staff_id="c-1", borrower_id=1, at=at,
                                      channel="call", outcome="conversation", now=NOW)
        uow.commit()
    drawn = report.sample_for_review(app, start=DAY, end=DAY, per_staff=2, seed=7)
    assert len(drawn) == 2 and drawn == report.sample_for_review(app, start=DAY, end=DAY,
                                                                 per_staff=2, seed=7)
    report.add_review(app, staff_id="c-1", kind="call", reference=str(drawn[0]["reference"]),
                      reviewer="m-1", passed=ITEMS, failed=[], on=DAY, note="", now=NOW)
    left = report.sample_for_review(app, start=DAY, end=DAY, per_staff=10, seed=7)
    assert len(left) == 4 and drawn[0] not in left
