"""The training rules as worked examples: the gate's verdict for an action on a
date, scoring an attempt, who may sign, validity and refresher dates, and when the
quality loop recommends a refresher."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dunwell.training.curriculum import builtin, builtin_curriculum, parse_course
from dunwell.training.errors import (
    AssessmentNotPassed,
    CurriculumInvalid,
    ModulesNotCompleted,
    SignerIsTrainee,
    SignerRoleNotAllowed,
    StaffNotQualified,
)
from dunwell.training.model import (
    LANGUAGES,
    Action,
    AttemptScore,
    Certificate,
    CertificateSource,
    Enrolment,
    EnrolmentStatus,
    GapStatus,
    QualityFigures,
    Role,
    Staff,
    Subject,
    Suspension,
)
from dunwell.training.rules import (
    eligibility,
    expiry_for,
    issue_certificate,
    quality_verdict,
    refresher_due,
    require_eligible,
    require_modules_done,
    require_signer,
    review_score_pct,
    score_attempt,
)

CUR = builtin_curriculum()
DAY = dt.date(2026, 6, 1)
AGENT = Staff("f-01", "张伟", Role.FIELD_AGENT, "tl-01")
TRAINER = Staff("t-01", "刘培训", Role.TRAINER)
T0 = dt.datetime(2026, 6, 1, 9, 0, tzinfo=dt.UTC)


def cert(subject: Subject, issued: dt.date = dt.date(2026, 1, 1),
         expires: dt.date = dt.date(2026, 12, 31), staff_id: str = "f-01") -> Certificate:
    return Certificate(f"{staff_id}-{subject.value}", staff_id, subject,
                       CUR.course_for(subject).course_id, issued, expires, "t-01",
                       CertificateSource.ASSESSMENT, 1, 90)


VISIT = [Subject.COMMUNICATION_SKILLS, Subject.LEGAL_KNOWLEDGE, Subject.PRIVACY,
         Subject.VULNERABILITY, Subject.VISIT_SAFETY]


def full(expires: dt.date = dt.date(2026, 12, 31)) -> list[Certificate]:
    return [cert(s, expires=expires) for s in VISIT]


# --- the curriculum --------------------------------------------------------------------


def test_every_subject_has_one_course_with_material_and_questions_in_both_languages() -> None:
    assert [c.subject for c in CUR.courses] == list(Subject)
    for course in CUR.courses:
        assert course.modules and course.questions
        for m in course.modules:
            assert all(m.material[lang] and m.title[lang] for lang in LANGUAGES)
        for q in course.questions:
            assert q.answer in q.choices
            assert all(q.prompt[lang] for lang in LANGUAGES)


def test_the_visit_needs_the_three_field_subjects_plus_vulnerability_and_safety() -> None:
    req = CUR.requirement(Action.VISIT)
    assert req.subjects == tuple(VISIT)
    assert Role.FIELD_AGENT in req.roles and Role.COLLECTOR not in req.roles


def test_the_quality_checklist_ships_with_the_requirements() -> None:
    assert [i.item_id for i in builtin()[1]][:2] == ["introduced_self", "verified_identity"]


def test_a_course_without_an_answer_among_its_choices_is_refused() -> None:
    text = '''
course_id = "X-1"
subject = "privacy"
version = 1
title = { "zh-CN" = "甲", en = "A" }
pass_score_pct = 80
time_limit_min = 10
validity_days = 365
refresher_days_before = 30
[[modules]]
id = "m1"
minutes = 5
title = { "zh-CN" = "甲", en = "A" }
material = { "zh-CN" = "甲", en = "A" }
[[questions]]
id = "q1"
answer = "z"
prompt = { "zh-CN" = "甲", en = "A" }
choices.a = { "zh-CN" = "甲", en = "A" }
choices.b = { "zh-CN" = "乙", en = "B" }
'''
    with pytest.raises(CurriculumInvalid) as err:
        parse_course(text)
    assert err.value.code == "curriculum_must_be_valid"
    assert "answer must be one of its choices" in err.value.message


def test_material_missing_its_chinese_text_is_refused() -> None:
    text = 'course_id = "X-1"\nsubject = "privacy"\nversion = 1\ntitle = { en = "A" }\n'
    with pytest.raises(CurriculumInvalid, match="zh-CN"):
        parse_course(text + 'pass_score_pct = 80\n[[modules]]\nid = "m"\nminutes = 1\n'
                     'title = { en = "A" }\nmaterial = { en = "A" }\n')


# --- the gate ----------------------------------------------------------------------------


def test_an_agent_with_every_visit_subject_may_visit() -> None:
    v = eligibility(AGENT, Action.VISIT, certificates=full(), suspensions=(), curriculum=CUR,
                    day=DAY)
    assert v.allowed and v.gaps == () and v.expiring == ()


def test_the_verdict_names_each_missing_and_expired_subject_in_curriculum_order() -> None:
    certs = [cert(Subject.PRIVACY, expires=dt.date(2026, 5, 31)),
             cert(Subject.VULNERABILITY), cert(Subject.VISIT_SAFETY)]
    v = eligibility(AGENT, Action.VISIT, certificates=certs, suspensions=(), curriculum=CUR,
                    day=DAY)
    assert not v.allowed
    assert v.describe() == ("no valid certificate in communication_skills (missing), "
                            "legal_knowledge (missing), privacy (expired on 2026-05-31)")


def test_a_certificate_expiring_on_the_day_still_counts_and_warns() -> None:
    v = eligibility(AGENT, Action.VISIT, certificates=full(expires=DAY), suspensions=(),
                    curriculum=CUR, day=DAY)
    assert v.allowed
    assert [(e.subject, e.days_left) for e in v.expiring][:1] == [
        (Subject.COMMUNICATION_SKILLS, 0)]


def test_a_renewal_already_issued_silences_the_warning() -> None:
    certs = [*full(expires=DAY + dt.timedelta(days=10)),
             cert(Subject.PRIVACY, issued=DAY + dt.timedelta(days=11),
                  expires=dt.date(2027, 6, 11))]
    v = eligibility(AGENT, Action.VISIT, certificates=certs, suspensions=(), curriculum=CUR,
                    day=DAY)
    assert Subject.PRIVACY not in {e.subject for e in v.expiring}
    assert len(v.expiring) == 4


def test_a_suspension_refuses_from_its_first_day_until_reinstatement() -> None:
    stop = Suspension(1, "f-01", frozenset(Subject), dt.date(2026, 6, 1), "complaint",
                      reinstated_on=dt.date(2026, 6, 10))

    def allowed(day: dt.date) -> bool:
        return eligibility(AGENT, Action.VISIT, certificates=full(), suspensions=[stop],
                           curriculum=CUR, day=day).allowed

    assert allowed(dt.date(2026, 5, 31))
    assert not allowed(dt.date(2026, 6, 1)) and not allowed(dt.date(2026, 6, 9))
    assert allowed(dt.date(2026, 6, 10))
    v = eligibility(AGENT, Action.VISIT, certificates=full(), suspensions=[stop],
                    curriculum=CUR, day=DAY)
    assert {g.status for g in v.gaps} == {GapStatus.SUSPENDED}
    assert v.describe().endswith("visit_safety (suspended since 2026-06-01)")


def test_a_collector_does_not_visit_whatever_certificates_they_hold() -> None:
    collector = Staff("c-01", "王芳", Role.COLLECTOR)
    v = eligibility(collector, Action.VISIT, certificates=full(), suspensions=(),
                    curriculum=CUR, day=DAY)
    assert v.role_refused is Role.COLLECTOR
    with pytest.raises(StaffNotQualified) as err:
        require_eligible(v)
    assert err.value.code == "staff_role_must_perform_action"
    assert "role collector does not perform visits" in err.value.message


def test_the_refusal_carries_the_subjects_and_their_statuses() -> None:
    v = eligibility(AGENT, Action.CALL, certificates=[cert(Subject.PRIVACY)], suspensions=(),
                    curriculum=CUR, day=DAY)
    with pytest.raises(StaffNotQualified) as err:
        require_eligible(v)
    assert err.value.details["subjects"] == ["communication_skills", "legal_knowledge",
                                             "vulnerability"]
    assert err.value.details["statuses"]["vulnerability"] == "missing"


@given(expiries=st.lists(st.dates(dt.date(2026, 1, 1), dt.date(2027, 12, 31)), min_size=5,
                         max_size=5),
       day=st.dates(dt.date(2025, 6, 1), dt.date(2028, 6, 1)))
def test_allowed_exactly_when_every_required_subject_is_valid_that_day(
        expiries: list[dt.date], day: dt.date) -> None:
    certs = [cert(s, expires=e) for s, e in zip(VISIT, expiries, strict=True)]
    expected = all(dt.date(2026, 1, 1) <= day <= e for e in expiries)
    assert eligibility(AGENT, Action.VISIT, certificates=certs, suspensions=(),
                       curriculum=CUR, day=day).allowed is expected


# --- assessment -------------------------------------------------------------------------


def test_four_of_five_right_passes_law_at_eighty_percent() -> None:
    law = CUR.course("LAW-101")
    s = score_attempt(law, {"law-q1": "c", "law-q2": "a", "law-q3": "b", "law-q4": "b",
                            "law-q5": "a"}, started_at=T0,
                      submitted_at=T0 + dt.timedelta(minutes=20))
    assert (s.correct, s.total, s.score_pct, s.passed, s.wrong) == (4, 5, 80, True,
                                                                     ("law-q5",))


def test_three_of_five_fails_and_unknown_question_ids_do_not_count() -> None:
    law = CUR.course("LAW-101")
    s = score_attempt(law, {"law-q1": "c", "law-q2": "a", "law-q3": "b", "law-q99": "a"},
                      started_at=T0, submitted_at=T0 + dt.timedelta(minutes=5))
    assert (s.correct, s.score_pct, s.passed) == (3, 60, False)


def test_a_perfect_attempt_over_the_time_limit_fails() -> None:
    safety = CUR.course("SAF-101")
    answers = {q.question_id: q.answer for q in safety.questions}
    s = score_attempt(safety, answers, started_at=T0,
                      submitted_at=T0 + dt.timedelta(minutes=safety.time_limit_min, seconds=1))
    assert s.score_pct == 100 and s.over_time and not s.passed


def test_the_assessment_follows_every_module() -> None:
    law = CUR.course("LAW-101")
    e = Enrolment(1, "f-01", "LAW-101", 1, DAY, EnrolmentStatus.OPEN, ("law-1",))
    with pytest.raises(ModulesNotCompleted) as err:
        require_modules_done(e, law)
    assert err.value.details["modules"] == ["law-2", "law-3"]
    refresher = Enrolment(2, "f-01", "LAW-101", 1, DAY, EnrolmentStatus.OPEN,
                          ("law-2", "law-3"), refresher=True)
    require_modules_done(refresher, law)


# --- certificates ---------------------------------------------------------------------


PASS = AttemptScore(4, 5, 80, True, ("law-q5",))


def test_a_passed_assessment_signed_by_a_trainer_gives_a_year_counting_the_issue_day() -> None:
    law = CUR.course("LAW-101")
    c = issue_certificate(course=law, staff_id="f-01", score=PASS, signer=TRAINER,
                          issued_on=dt.date(2026, 3, 1), number="N-1", attempt_id=7)
    assert (c.issued_on, c.expires_on, c.signed_by, c.score_pct) == (
        dt.date(2026, 3, 1), dt.date(2027, 2, 28), "t-01", 80)
    assert refresher_due(c, law) == dt.date(2027, 1, 29)
    assert expiry_for(CUR.course("PRC-101"), dt.date(2026, 3, 1)) == dt.date(2028, 2, 28)


def test_nobody_signs_their_own_certificate() -> None:
    self_trained = Staff("t-02", "Trainer Two", Role.TRAINER)
    with pytest.raises(SignerIsTrainee) as err:
        require_signer("t-02", self_trained)
    assert err.value.code == "certificate_must_be_signed_by_someone_else"


@pytest.mark.parametrize("role", [Role.TEAM_LEAD, Role.MANAGER, Role.ADMIN, Role.COLLECTOR])
def test_only_a_trainer_or_compliance_officer_signs(role: Role) -> None:
    with pytest.raises(SignerRoleNotAllowed) as err:
        require_signer("f-01", Staff("x-1", "X", role))
    assert err.value.code == "certificate_signer_must_be_trainer_or_compliance_officer"
    require_signer("f-01", Staff("co-1", "Y", Role.COMPLIANCE_OFFICER))


def test_no_certificate_without_a_passed_assessment() -> None:
    law = CUR.course("LAW-101")
    for score in (None, AttemptScore(3, 5, 60, False, ())):
        with pytest.raises(AssessmentNotPassed) as err:
            issue_certificate(course=law, staff_id="f-01", score=score, signer=TRAINER,
                              issued_on=DAY, number="N")
        assert err.value.code == "certificate_must_follow_a_passed_assessment"


# --- the quality loop ------------------------------------------------------------------


def test_a_review_scores_the_share_of_checklist_items_passed() -> None:
    assert review_score_pct(["a", "b", "c"], ["a", "b"]) == 66
    assert review_score_pct(["a", "b"], []) == 0


def test_each_reason_names_its_refresher_courses_once() -> None:
    v = quality_verdict(QualityFigures("c-01", 4, 60, 2, 9), CUR)
    assert v.courses == ("COM-101", "VUL-101", "LAW-101", "PRC-101")


@pytest.mark.parametrize(("figures", "refresher", "reason"), [
    (QualityFigures("c-01", 3, 92, 0, 2), False, None),
    (QualityFigures("c-01", 3, 70, 0, 2), True, "review score 70% < 80%"),
    (QualityFigures("c-01", 0, None, 1, 0), True, "1 upheld complaint(s)"),
    (QualityFigures("c-01", 0, None, 0, 6), True, "6 guard denials > 5"),
])
def test_a_refresher_is_recommended_by_low_scores_complaints_or_denials(
        figures: QualityFigures, refresher: bool, reason: str | None) -> None:
    v = quality_verdict(figures, CUR)
    assert v.refresher is refresher
    assert (v.reasons[0] if v.reasons else None) == reason


def test_the_worked_examples_in_the_rules_docstrings_hold() -> None:
    import doctest

    from dunwell.training import rules

    assert doctest.testmod(rules).failed == 0
