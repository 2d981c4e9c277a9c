"""Training on the book (SQLite, and PostgreSQL when configured): a collector
enrols, completes the modules, fails then passes the assessment and is certified by
the trainer (never by themselves); the gate refuses calls without the certificates,
and while suspended; warnings go to the person and their lead once; the quality
figures recommend a refresher; every step is in the audit log."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from alembic import command

from dunwell.app.audit import verify
from dunwell.app.training import report
from dunwell.app.training import service as svc
from dunwell.app.training.gate import record_staff_contact, require_qualified
from dunwell.bootstrap import Dunwell
from dunwell.compliance.model import Jurisdiction
from dunwell.core.errors import DomainError
from dunwell.store.collections_repo import BorrowerRepository
from dunwell.store.db import alembic_config, make_engine
from dunwell.store.field_repo import FieldRepository
from dunwell.store.training_tables import staff_contacts, training_certificates
from dunwell.training.curriculum import builtin_checklist
from dunwell.training.model import Action, CertificateSource

NOW = dt.datetime(2026, 3, 2, 1, 0, tzinfo=dt.UTC)
DAY = dt.date(2026, 3, 2)
LAW_RIGHT = {"law-q1": "c", "law-q2": "a", "law-q3": "b", "law-q4": "b", "law-q5": "c"}


def people(app: Dunwell) -> None:
    svc.add_staff(app, staff_id="m-1", name="周敏", role="manager", lead_id=None, now=NOW)
    svc.add_staff(app, staff_id="t-1", name="刘培训", role="trainer", lead_id="m-1", now=NOW)
    svc.add_staff(app, staff_id="co-1", name="孙合规", role="compliance_officer", lead_id="m-1",
                  now=NOW)
    svc.add_staff(app, staff_id="tl-1", name="钱组长", role="team_lead", lead_id="m-1", now=NOW)
    svc.add_staff(app, staff_id="c-1", name="王芳", role="collector", lead_id="tl-1", now=NOW)


def pass_course(app: Dunwell, staff_id: str, course_id: str, *, signer: str = "t-1",
                on: dt.date = DAY) -> None:
    from dunwell.training.curriculum import builtin_curriculum

    course = builtin_curriculum().course(course_id)
    svc.enrol(app, staff_id=staff_id, course_id=course_id, on=on, now=NOW)
    for m in course.module_ids:
        svc.complete_module(app, staff_id=staff_id, course_id=course_id, module_id=m, now=NOW)
    svc.submit_attempt(app, staff_id=staff_id, course_id=course_id,
                       answers={q.question_id: q.answer for q in course.questions},
                       started_at=NOW, submitted_at=NOW + dt.timedelta(minutes=10), now=NOW)
    svc.certify(app, staff_id=staff_id, course_id=course_id, signer_id=signer, issued_on=on,
                now=NOW)


def code_of(fn: object, *args: object, **kwargs: object) -> str:
    with pytest.raises(DomainError) as err:
        fn(*args, **kwargs)  # type: ignore[operator]
    return err.value.code


def test_a_certificate_follows_modules_a_passed_attempt_and_another_persons_signature(
        app: Dunwell) -> None:
    people(app)
    e = svc.enrol(app, staff_id="c-1", course_id="LAW-101", on=DAY, now=NOW)
    assert svc.modules_left(e) == ["law-1", "law-2", "law-3"]
    attempt = {"staff_id": "c-1", "course_id": "LAW-101", "started_at": NOW,
               "submitted_at": NOW + dt.timedelta(minutes=25), "now": NOW}
    assert code_of(svc.submit_attempt, app, answers=LAW_RIGHT, **attempt) == (
        "modules_must_be_completed_before_assessment")
    for m in ("law-1", "law-2", "law-3"):
        svc.complete_module(app, staff_id="c-1", course_id="LAW-101", module_id=m, now=NOW)
    failed = svc.submit_attempt(app, answers={**LAW_RIGHT, "law-q4": "a", "law-q5": "a"},
                                **attempt)
    assert (failed.score.score_pct, failed.score.passed) == (60, False)
    certify = {"staff_id": "c-1", "course_id": "LAW-101", "issued_on": DAY, "now": NOW}
    assert code_of(svc.certify, app, signer_id="t-1", **certify) == (
        "certificate_must_follow_a_passed_assessment")
    assert code_of(svc.submit_attempt, app, answers=LAW_RIGHT, **attempt) == (
        "attempt_must_be_submitted_once")  # the failed attempt started at that time
    attempt["started_at"] = NOW + dt.timedelta(hours=1)
    attempt["submitted_at"] = NOW + dt.timedelta(hours=1, minutes=20)
    passed = svc.submit_attempt(app, answers=LAW_RIGHT, **attempt)
    assert svc.submit_attempt(app, answers=LAW_RIGHT, **attempt) == passed
    assert (passed.score.correct, passed.score.score_pct, passed.score.passed) == (5, 100, True)
    assert code_of(svc.certify, app, signer_id="c-1", **certify) == (
        "certificate_must_be_signed_by_someone_else")
    assert code_of(svc.certify, app, signer_id="tl-1", **certify) == (
        "certificate_signer_must_be_trainer_or_compliance_officer")
    cert = svc.certify(app, signer_id="t-1", **certify)
    assert (cert.number, cert.subject.value, cert.expires_on, cert.signed_by, cert.source,
            cert.attempt_id, cert.score_pct) == (
        "c-1-legal_knowledge-20260302", "legal_knowledge", dt.date(2027, 3, 1), "t-1",
        CertificateSource.ASSESSMENT, passed.attempt_id, 100)
    [row] = svc.attempts(app, staff_id="c-1")[1:]
    assert row.score.score_pct == 100
    with app.uow() as uow:
        kinds = [r.kind for r in uow.audit.records()]
    for kind in ("staff_added", "training_enrolled", "training_module_done",
                 "training_attempt", "training_certificate"):
        assert kind in kinds
    assert verify(app).intact


def test_an_import_needs_a_passing_score_evidence_and_another_signer(app: Dunwell) -> None:
    people(app)
    base = {"staff_id": "c-1", "subject": "privacy", "evidence": "city college PR-2025-7",
            "issued_on": DAY, "expires_on": None, "now": NOW}
    assert code_of(svc.import_certificate, app, signer_id="c-1", score_pct=95, **base) == (
        "certificate_must_be_signed_by_someone_else")
    assert code_of(svc.import_certificate, app, signer_id="t-1", score_pct=70, **base) == (
        "certificate_must_follow_a_passed_assessment")
    assert code_of(svc.import_certificate, app, signer_id="t-1", score_pct=90,
                   **{**base, "expires_on": DAY + dt.timedelta(days=400)}) == (
        "certificate_validity_must_not_exceed_course")
    cert = svc.import_certificate(app, signer_id="co-1", score_pct=90, **base)
    assert (cert.source, cert.expires_on, cert.signed_by) == (
        CertificateSource.IMPORT, dt.date(2027, 3, 1), "co-1")


def test_the_call_gate_names_what_is_missing_then_suspension_then_reinstatement(
        app: Dunwell) -> None:
    people(app)
    with app.uow() as uow, pytest.raises(DomainError) as err:
        require_qualified(uow, staff_id="c-1", action=Action.CALL, on=DAY)
    assert err.value.code == "staff_must_hold_valid_certificates"
    assert err.value.details["subjects"] == ["communication_skills", "legal_knowledge",
                                             "privacy", "vulnerability"]
    for course in ("COM-101", "LAW-101", "PRV-101", "VUL-101"):
        pass_course(app, "c-1", course)
    with app.uow() as uow:
        assert require_qualified(uow, staff_id="c-1", action=Action.CALL, on=DAY) is not None
    svc.record_complaint(app, reference="CMP-1", staff_id="c-1", received_on=DAY, upheld=True,
                         note="threatened to call the employer", by="co-1", now=NOW)
    assert code_of(svc.suspend, app, staff_id="c-1", by="c-1", reason="x", on=DAY, now=NOW) == (
        "suspension_must_be_decided_by_someone_else_with_authority")
    first = svc.suspend(app, staff_id="c-1", by="co-1", reason="upheld complaint CMP-1",
                        on=DAY + dt.timedelta(days=1), complaint_ref="CMP-1", now=NOW)
    assert svc.suspend(app, staff_id="c-1", by="co-1", reason="upheld complaint CMP-1",
                       on=DAY + dt.timedelta(days=1), complaint_ref="CMP-1", now=NOW) == first
    with app.uow() as uow:
        require_qualified(uow, staff_id="c-1", action=Action.CALL, on=DAY)  # the day before
        with pytest.raises(DomainError) as err:
            require_qualified(uow, staff_id="c-1", action=Action.CALL,
                              on=DAY + dt.timedelta(days=1))
    assert "suspended since 2026-03-03" in err.value.message
    svc.reinstate(app, staff_id="c-1", by="t-1", note="refresher passed",
                  on=DAY + dt.timedelta(days=8), now=NOW)
    with app.uow() as uow:
        require_qualified(uow, staff_id="c-1", action=Action.CALL,
                          on=DAY + dt.timedelta(days=8))
    [row] = report.status(app, on=DAY + dt.timedelta(days=8), staff_id="c-1")
    assert [a.value for a in row.may] == ["call"]
    assert row.cells[next(iter(row.cells))].status == "valid"


def test_a_call_recorded_by_staff_without_certificates_is_refused_and_nothing_is_kept(
        app: Dunwell) -> None:
    people(app)
    with app.uow() as uow:
        BorrowerRepository(uow.conn).put(borrower_id=1, name="借款人00001",
                                         jurisdiction=Jurisdiction.CN_NIFA,
                                         timezone="Asia/Shanghai", language="zh-CN", flags=[])
        uow.commit()
    at = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    with app.uow() as uow:
        with pytest.raises(DomainError) as err:
            record_staff_contact(uow, staff_id="c-1", borrower_id=1, at=at, channel="call",
                                 outcome="conversation", now=NOW)
        with pytest.raises(DomainError) as unknown:
            record_staff_contact(uow, staff_id="nobody", borrower_id=1, at=at, channel="call",
                                 outcome="conversation", now=NOW)
    assert err.value.code == "staff_must_hold_valid_certificates"
    assert unknown.value.code == "staff_must_exist"
    for course in ("COM-101", "LAW-101", "PRV-101", "VUL-101"):
        pass_course(app, "c-1", course)
    with app.uow() as uow:
        record_staff_contact(uow, staff_id="c-1", borrower_id=1, at=at, channel="call",
                             outcome="conversation", now=NOW)
        uow.commit()
    with app.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(staff_contacts)
                            ).scalar_one() == 1


def test_an_unregistered_name_passes_until_the_register_is_required(app: Dunwell) -> None:
    people(app)
    with app.uow() as uow:
        assert require_qualified(uow, staff_id="Zhao Min", action=Action.LEGAL, on=DAY) is None
    assert code_of(svc.set_register_required, app, required=True, by="t-1", now=NOW) == (
        "register_rule_must_be_set_by_manager")
    svc.set_register_required(app, required=True, by="co-1", now=NOW)
    with app.uow() as uow, pytest.raises(DomainError) as err:
        require_qualified(uow, staff_id="Zhao Min", action=Action.LEGAL, on=DAY)
    assert err.value.code == "staff_must_exist"


def test_an_expiry_is_warned_to_the_person_and_their_lead_once(app: Dunwell) -> None:
    people(app)
    svc.import_certificate(app, staff_id="c-1", subject="privacy", signer_id="t-1",
                           score_pct=88, evidence="onboarding", issued_on=dt.date(2025, 3, 20),
                           expires_on=dt.date(2026, 3, 19), now=NOW)
    first = report.warnings(app, on=DAY, days=30, now=NOW)
    assert [(w.staff_id, w.lead_id, w.subject.value, w.days_left, w.refresher_course, w.new)
            for w in first] == [("c-1", "tl-1", "privacy", 17, "PRV-101", True)]
    again = report.warnings(app, on=DAY + dt.timedelta(days=1), days=30, now=NOW)
    assert [w.new for w in again] == [False]
    assert report.warnings(app, on=DAY, days=10, now=NOW) == []
    with app.uow() as uow:
        sent = [r for r in uow.audit.records() if r.kind == "training_expiry_warning"]
    assert len(sent) == 1 and '"tl-1"' in sent[0].payload_json


def test_reviews_and_an_upheld_complaint_recommend_a_refresher(app: Dunwell) -> None:
    people(app)
    items = ["introduced_self", "verified_identity", "no_pressure", "listened_for_hardship",
             "offered_options", "recorded_accurately"]
    score = report.add_review(app, staff_id="c-1", kind="call", reference="contact-17",
                              reviewer="tl-1", passed=items[:3], failed=items[3:], on=DAY,
                              note="", now=NOW)
    assert score == 50
    assert code_of(report.add_review, app, staff_id="c-1", kind="call", reference="c-18",
                   reviewer="c-1", passed=items, failed=[], on=DAY, note="", now=NOW) == (
        "review_must_be_by_someone_else")
    assert code_of(report.add_review, app, staff_id="c-1", kind="call", reference="c-18",
                   reviewer="tl-1", passed=items[:2], failed=[], on=DAY, note="", now=NOW) == (
        "review_must_cover_the_checklist")
    svc.record_complaint(app, reference="CMP-9", staff_id="c-1", received_on=DAY, upheld=True,
                         note="rude", by="co-1", now=NOW)
    rows = {r.figures.staff_id: r for r in report.quality(app, start=DAY, end=DAY)}
    c1 = rows["c-1"]
    assert (c1.figures.reviews, c1.figures.review_score_pct, c1.figures.complaints,
            c1.verdict.refresher) == (1, 50, 1, True)
    assert c1.verdict.reasons == ("review score 50% < 80%", "1 upheld complaint(s)")
    assert rows["t-1"].verdict.refresher is False
    enrolled = report.enrol_refreshers(app, start=DAY, end=DAY, on=DAY, now=NOW)
    assert [(sid, course) for sid, course, _ in enrolled] == [
        ("c-1", "COM-101"), ("c-1", "VUL-101"), ("c-1", "LAW-101")]
    [com] = [e for e in svc.enrolments(app, staff_id="c-1") if e.course_id == "COM-101"]
    assert com.refresher and svc.modules_left(com) == ["com-2"]


def test_the_field_register_certificates_carry_over_as_legacy(empty_db_url: str) -> None:
    engine = make_engine(empty_db_url)
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0010")
        conn.exec_driver_sql(
            "INSERT INTO field_agents (agent_id, name, timezone, territory_name, "
            "centre_latitude, centre_longitude, radius_m, shift_start, shift_end, "
            "visits_per_day_max, hourly_cost_minor, cost_per_km_minor) VALUES ('f-01', 'Zhang', "
            "'Asia/Shanghai', 'centre', 30.6, 104.0, 9000, '09:00', '17:30', 12, 6000, 150)")
        conn.exec_driver_sql(
            "INSERT INTO agent_certificates (agent_id, subject, certificate_no, issued_on, "
            "expires_on) VALUES ('f-01', 'privacy', 'P-1', '2026-01-01', '2026-12-31')")
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
    with engine.connect() as conn:
        [row] = conn.execute(sa.select(training_certificates)).all()
        assert (row.staff_id, row.subject, row.course_id, row.source, row.signed_by) == (
            "f-01", "privacy", "PRV-101", "legacy", "legacy")
        [cert] = FieldRepository(conn).certificates()["f-01"]
        assert (cert.number, cert.expires_on) == ("P-1", dt.date(2026, 12, 31))
        assert not sa.inspect(conn).has_table("agent_certificates")
    engine.dispose()


def test_the_review_sample_draws_unreviewed_calls_per_person(app: Dunwell) -> None:
    people(app)
    with app.uow() as uow:
        BorrowerRepository(uow.conn).put(borrower_id=1, name="借款人00001",
                                         jurisdiction=Jurisdiction.CN_NIFA,
                                         timezone="Asia/Shanghai", language="zh-CN", flags=[])
        uow.commit()
    for course in ("COM-101", "LAW-101", "PRV-101", "VUL-101"):
        pass_course(app, "c-1", course)
    with app.uow() as uow:
        for hour in (10, 11, 14):
            at = dt.datetime(2026, 3, 2, hour, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
            record_staff_contact(uow, staff_id="c-1", borrower_id=1, at=at, channel="call",
                                 outcome="no_answer", now=NOW)
        uow.commit()
    first = report.sample_for_review(app, start=DAY, end=DAY, per_staff=2, seed=5)
    assert len(first) == 2 and {r["staff_id"] for r in first} == {"c-1"}
    assert report.sample_for_review(app, start=DAY, end=DAY, per_staff=2, seed=5) == first
    items = [i.item_id for i in builtin_checklist()]
    report.add_review(app, staff_id="c-1", kind="call", reference=str(first[0]["reference"]),
                      reviewer="tl-1", passed=items, failed=[], on=DAY, note="", now=NOW)
    left = report.sample_for_review(app, start=DAY, end=DAY, per_staff=5, seed=5)
    assert len(left) == 2 and first[0]["reference"] not in {r["reference"] for r in left}
