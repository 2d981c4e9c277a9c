"""The legal rules on the in-memory book: a referral is decided by a named person
with an approver role and a note, once, only while it is proposed, and only by
someone the training gate lets take a legal step; the legal case moves only along
its allowed steps, each kept under its key — no database."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import pytest

from dunwell.app.audit import AuditReport
from dunwell.app.context import Dunwell
from dunwell.app.legal import cases, referrals
from dunwell.app.legal import evidence as evidence_files
from dunwell.app.legal.evidence import bundle_registered
from dunwell.app.training import service as training
from dunwell.core.errors import DomainError
from dunwell.legal.evidence import Evidence, Section, rows_of
from dunwell.legal.model import (
    Eligibility,
    LegalEvent,
    LegalState,
    ReferralSource,
    ReferralStatus,
)
from fakes.app import fake_app

DAY = dt.date(2026, 3, 2)
NOW = dt.datetime(2026, 3, 2, 2, 0, tzinfo=dt.UTC)


def code_of(fn: Callable[..., object], *args: object, **kwargs: object) -> str:
    with pytest.raises(DomainError) as err:
        fn(*args, **kwargs)
    return err.value.code


@pytest.fixture
def app() -> Dunwell:
    app = fake_app()
    with app.uow() as uow:
        uow.book.open(DAY, 4, "CNY")
        uow.commit()
    return app


def referral(app: Dunwell, status: ReferralStatus = ReferralStatus.PROPOSED, *,
             case_id: str = "case-1", **decision: Any) -> int:
    with app.uow() as uow:
        rid = uow.legal.add_referral(
            case_id=case_id, borrower_id=1, source=ReferralSource.MANUAL, action_id=None,
            status=status, proposed_on=DAY, proposed_by="Li", proposed_at=NOW.isoformat(),
            proposal_note="", days_past_due=120, outstanding_minor=1_200_000, currency="CNY",
            eligibility=Eligibility(()))
        if decision:
            uow.legal.decide(rid, status=status, note="ok", on=DAY, at=NOW.isoformat(),
                             eligibility=Eligibility(()), **decision)
        uow.commit()
    return rid


def decide(app: Dunwell, rid: int, *, approve: bool = True, person: str = "Zhao",
           role: str = "legal_counsel", note: str = "checked the file") -> object:
    fn = referrals.approve_referral if approve else referrals.reject_referral
    with app.uow() as uow:
        out = fn(uow, referral_id=rid, approver=person, role=role, note=note,
                 business_date=DAY, now=NOW)
        uow.commit()
    return out


def test_a_decision_names_a_person_an_approver_role_and_a_note(app: Dunwell) -> None:
    rid = referral(app)
    code = "referral_approval_must_name_person_role_and_note"
    assert code_of(decide, app, rid, person=" ") == code
    assert code_of(decide, app, rid, note="") == code
    assert code_of(decide, app, rid, role="collector") == code
    assert code_of(decide, app, 99) == "referral_must_exist"


def test_the_same_decision_again_by_the_same_person_changes_nothing(app: Dunwell) -> None:
    rid = referral(app, ReferralStatus.APPROVED, by="Zhao", role="legal_counsel",
                   legal_state=LegalState.APPROVED)
    with app.uow() as uow:
        before = referrals.referral_record(uow, referral_id=rid)
    assert decide(app, rid) == before


def test_only_a_proposed_referral_is_decided(app: Dunwell) -> None:
    rid = referral(app, ReferralStatus.REJECTED, by="Qian", role="legal_counsel",
                   legal_state=None)
    assert code_of(decide, app, rid) == "referral_status_must_allow_operation"
    assert code_of(decide, app, rid, approve=False) == "referral_status_must_allow_operation"


def test_a_registered_approver_needs_the_certificates_for_a_legal_step(app: Dunwell) -> None:
    training.add_staff(app, staff_id="Zhao", name="Zhao", role="compliance_officer",
                       lead_id=None, now=NOW)
    rid = referral(app)
    assert code_of(decide, app, rid, role="compliance_officer") == (
        "staff_must_hold_valid_certificates")
    with app.uow() as uow:
        assert uow.legal.get(rid).status is ReferralStatus.PROPOSED


def test_the_review_queue_shows_what_waits_for_a_person(app: Dunwell) -> None:
    waiting = referral(app, case_id="case-1")
    decided = referral(app, ReferralStatus.REJECTED, case_id="case-2", by="Qian",
                       role="legal_counsel", legal_state=None)
    with app.uow() as uow:
        assert [r.referral_id for r in referrals.review_queue(uow)] == [waiting]
        assert [r.referral_id for r in referrals.review_queue(uow, include_closed=True)] == [
            waiting, decided]
        assert [r.referral_id for r in referrals.review_queue(
            uow, statuses=[ReferralStatus.REJECTED])] == [decided]


def event(app: Dunwell, rid: int, name: str = "filed", **more: Any) -> cases.LegalCaseView:
    args: dict[str, Any] = {"referral_id": rid, "event": name, "on": DAY, "cost_minor": 50_000,
                            "recorded_by": "Zhao", "now": NOW, "court": "Pudong court"}
    with app.uow() as uow:
        return cases.record_legal_event(uow, **{**args, **more})


def test_a_legal_step_needs_an_approved_referral_a_known_event_and_a_whole_cost(
        app: Dunwell) -> None:
    proposed = referral(app)
    assert code_of(event, app, proposed) == "referral_must_be_approved"
    rid = referral(app, ReferralStatus.APPROVED, case_id="case-2", by="Zhao",
                   role="legal_counsel", legal_state=LegalState.APPROVED)
    assert code_of(event, app, rid, "appealed") == "legal_event_must_be_known"
    assert code_of(event, app, rid, cost_minor=True) == "legal_cost_must_be_minor_units"
    assert code_of(event, app, rid, "judgment") == "legal_case_transition_must_be_allowed"
    with app.uow() as uow:
        view = cases.legal_case(uow, referral_id=rid)
    assert view.case.state is LegalState.APPROVED and "filed" in view.allowed_next


def test_a_legal_step_is_kept_under_its_key(app: Dunwell) -> None:
    rid = referral(app, ReferralStatus.APPROVED, by="Zhao", role="legal_counsel",
                   legal_state=LegalState.APPROVED)
    filed = LegalEvent(LegalState.FILED, DAY, 50_000, "Pudong court", "", "")
    with app.uow() as uow:
        uow.legal.add_event(rid, filed, currency="CNY", recorded_by="Zhao",
                            recorded_at=NOW.isoformat(), key="k-1")
        uow.legal.set_state(rid, LegalState.FILED)
        uow.commit()
    view = event(app, rid, idempotency_key="k-1")  # the same step again: acknowledged
    assert [s.event for s in view.events] == [filed] and view.total_cost_minor == 50_000
    assert code_of(event, app, rid, cost_minor=60_000, idempotency_key="k-1") == (
        "legal_event_key_must_match_its_event")


def test_a_bundle_is_known_by_its_manifest(app: Dunwell) -> None:
    rid = referral(app)
    with app.uow() as uow:
        uow.legal.add_bundle(referral_id=rid, created_at=NOW.isoformat(),
                             manifest_sha256="ab" * 32, zip_sha256="cd" * 32, files=12,
                             size_bytes=40_000)
        uow.commit()
    assert bundle_registered(app, manifest_sha256="ab" * 32)
    assert not bundle_registered(app, manifest_sha256="ef" * 32)


def test_a_bundle_holds_the_pdf_each_section_the_referral_and_each_letter(
        app: Dunwell) -> None:
    rid = referral(app, ReferralStatus.APPROVED, by="Zhao", role="legal_counsel",
                   legal_state=LegalState.APPROVED)
    with app.uow() as uow:
        ref = uow.legal.get(rid)
    sections = (Section("payments", ("Payment",), rows_of([(1,), (2,)]), "Payments"),
                Section("letters", ("Letter",), rows_of([]), "Letters"))
    evidence = Evidence(rid, "case-1", "en", (("Case", "case-1"),), sections)
    files = evidence_files.section_files(evidence, lambda doc: b"%PDF " + doc.title.encode())
    assert [f.name for f in files] == ["evidence.pdf", "sections/01_payments.csv",
                                       "sections/02_letters.csv"]
    audit = AuditReport(records=12, head_seq=12, problems=[])
    data = evidence_files.referral_json(ref, audit)
    assert (data["status"], data["decided_by"], data["legal_state"], data["audit_chain"]) == (
        "approved", "Zhao", "approved",
        {"records": 12, "head_seq": 12, "intact": True, "problems": []})
    assert json.loads(evidence_files.referral_file(ref, audit).data) == data
    letter = evidence_files.letter_file("DW-2026-000001", b"%PDF")
    assert (letter.name, letter.data) == ("letters/DW-2026-000001.pdf", b"%PDF")


def test_the_timeline_states_where_the_reference_the_cost_and_the_note() -> None:
    full = LegalEvent(LegalState.FILED, DAY, 50_000, "Pudong court", "(2026)沪0115民初1号",
                      "filed with the demand letter")
    assert cases.legal_event_text(full, "CNY") == (
        "legal filed at Pudong court ref (2026)沪0115民初1号, cost 500.00 CNY: "
        "filed with the demand letter")
    assert cases.legal_event_text(LegalEvent(LegalState.SETTLED, DAY), "CNY") == "legal settled"
