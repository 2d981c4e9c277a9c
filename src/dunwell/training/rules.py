"""Pure training rules: the gate (eligibility for an action on a date), scoring an
attempt, who may sign a certificate and what it says, refresher due dates, expiry
warnings, quality review scores and the refresher recommendation.

Every date and time comes in as an argument."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterable, Mapping, Sequence

from dunwell.training.errors import (
    AssessmentNotPassed,
    CurriculumInvalid,
    ModulesNotCompleted,
    RoleNotAllowed,
    SignerIsTrainee,
    SignerRoleNotAllowed,
    StaffNotQualified,
)
from dunwell.training.model import (
    SIGNER_ROLES,
    Action,
    AttemptScore,
    Certificate,
    CertificateSource,
    Course,
    Curriculum,
    Eligibility,
    Enrolment,
    Expiring,
    Gap,
    GapStatus,
    QualityFigures,
    QualityVerdict,
    Staff,
    Subject,
    Suspension,
)

# --- the gate ------------------------------------------------------------------------


def subject_gaps(subjects: Sequence[Subject], certificates: Iterable[Certificate],
                 suspensions: Iterable[Suspension], day: dt.date) -> tuple[Gap, ...]:
    """The subjects in ``subjects`` without a certificate valid and not suspended on
    ``day``, in the order given. A certificate counts from its issue date through its
    expiry date inclusive; a suspension from its first day until reinstatement."""
    held = list(certificates)
    stops = list(suspensions)
    gaps: list[Gap] = []
    for subject in subjects:
        mine = [c for c in held if c.subject is subject]
        valid = [c for c in mine if c.valid_on(day)]
        if valid:
            suspended = [s for s in stops if s.covers(subject, day)]
            if suspended:
                gaps.append(Gap(subject, GapStatus.SUSPENDED,
                                min(s.suspended_on for s in suspended)))
            continue
        expired = [c.expires_on for c in mine if c.expires_on < day]
        future = [c.issued_on for c in mine if c.issued_on > day]
        if expired:
            gaps.append(Gap(subject, GapStatus.EXPIRED, max(expired)))
        elif future:
            gaps.append(Gap(subject, GapStatus.NOT_YET_VALID, min(future)))
        else:
            gaps.append(Gap(subject, GapStatus.MISSING))
    return tuple(gaps)


def expiring(subjects: Sequence[Subject], certificates: Iterable[Certificate], day: dt.date,
             warn_days: int) -> tuple[Expiring, ...]:
    """The subjects whose latest valid certificate on ``day`` expires within
    ``warn_days`` days (0 = expires that day) with no renewal already issued."""
    held = list(certificates)
    out = []
    for subject in subjects:
        mine = [c for c in held if c.subject is subject and c.expires_on >= day]
        if not any(c.valid_on(day) for c in mine):
            continue
        last = max(c.expires_on for c in mine)
        left = (last - day).days
        if left <= warn_days:
            out.append(Expiring(subject, last, left))
    return tuple(out)


def eligibility(staff: Staff, action: Action, *, certificates: Iterable[Certificate],
                suspensions: Iterable[Suspension], curriculum: Curriculum,
                day: dt.date) -> Eligibility:
    """May ``staff`` take ``action`` on ``day``? Their role must perform the action,
    and each subject the action requires needs a certificate valid that day and not
    suspended. An inactive staff member performs nothing."""
    req = curriculum.requirement(action)
    held = list(certificates)
    refused = staff.role if staff.role not in req.roles or not staff.active else None
    gaps = subject_gaps(req.subjects, held, suspensions, day)
    return Eligibility(staff.staff_id, action, day, gaps,
                       expiring(req.subjects, held, day, curriculum.warn_days), refused)


def require_eligible(verdict: Eligibility) -> None:
    """Refuse a verdict that does not allow the action: ``staff_role_must_perform_action``
    for a role that does not take it, else ``staff_must_hold_valid_certificates``
    naming each subject and why."""
    if verdict.allowed:
        return
    kind = StaffNotQualified if verdict.role_refused is None else RoleNotAllowed
    raise kind(
        f"{verdict.staff_id} may not take a {verdict.action.value} on {verdict.day}: "
        f"{verdict.describe()}; see `dunwell training status {verdict.staff_id}`",
        staff_id=verdict.staff_id, action=verdict.action.value,
        subjects=[g.subject.value for g in verdict.gaps],
        statuses={g.subject.value: g.status.value for g in verdict.gaps},
        role=verdict.role_refused.value if verdict.role_refused else None)


# --- assessment ---------------------------------------------------------------------


def require_modules_done(enrolment: Enrolment, course: Course) -> None:
    """An assessment follows the course's modules (a refresher's modules for a
    refresher enrolment)."""
    needed = course.refresher_modules if enrolment.refresher else course.module_ids
    left = [m for m in needed if m not in enrolment.modules_done]
    if left:
        raise ModulesNotCompleted(
            f"{enrolment.staff_id} has not completed module(s) {', '.join(left)} of "
            f"{course.course_id}; record each with `dunwell training module done`",
            modules=left)


def score_attempt(course: Course, answers: Mapping[str, str], *, started_at: dt.datetime,
                  submitted_at: dt.datetime) -> AttemptScore:
    """Score ``answers`` (question id -> choice key) over the whole question bank.
    The score is the whole percentage of correct answers, rounded down; it passes at
    the course's passing score and within its time limit. An unknown question id is
    not counted; an unanswered question is wrong.

    >>> from dunwell.training.curriculum import builtin_curriculum
    >>> law = builtin_curriculum().course("LAW-101")
    >>> t0 = dt.datetime(2026, 1, 5, 9, tzinfo=dt.UTC)
    >>> s = score_attempt(law, {"law-q1": "c", "law-q2": "a", "law-q3": "b", "law-q4": "b"},
    ...                   started_at=t0, submitted_at=t0 + dt.timedelta(minutes=12))
    >>> (s.correct, s.total, s.score_pct, s.passed, s.wrong)
    (4, 5, 80, True, ('law-q5',))
    """
    correct = [q.question_id for q in course.questions
               if answers.get(q.question_id) == q.answer]
    total = len(course.questions)
    pct = 100 * len(correct) // total
    over = submitted_at - started_at > dt.timedelta(minutes=course.time_limit_min)
    wrong = tuple(q.question_id for q in course.questions if q.question_id not in correct)
    return AttemptScore(len(correct), total, pct, pct >= course.pass_score_pct and not over,
                        wrong, over)


# --- certificates --------------------------------------------------------------------


def require_signer(trainee_id: str, signer: Staff) -> None:
    """A certificate is signed by an active trainer or compliance officer who is not
    the trainee."""
    if signer.staff_id == trainee_id:
        raise SignerIsTrainee(f"{trainee_id} cannot sign their own certificate; a trainer or "
                              "compliance officer signs it (--signer ID)",
                              staff_id=trainee_id)
    if signer.role not in SIGNER_ROLES or not signer.active:
        raise SignerRoleNotAllowed(
            f"{signer.staff_id} is a {signer.role.value}"
            + ("" if signer.active else " no longer active")
            + "; only an active trainer or compliance officer signs certificates",
            signer=signer.staff_id, role=signer.role.value)


def expiry_for(course: Course, issued_on: dt.date) -> dt.date:
    """The last valid day: ``validity_days`` days counting the issue day."""
    return issued_on + dt.timedelta(days=course.validity_days - 1)


def issue_certificate(*, course: Course, staff_id: str, score: AttemptScore | None,
                      signer: Staff, issued_on: dt.date, number: str,
                      source: CertificateSource = CertificateSource.ASSESSMENT,
                      attempt_id: int | None = None,
                      expires_on: dt.date | None = None) -> Certificate:
    """The certificate for a passed assessment, signed by someone else."""
    require_signer(staff_id, signer)
    if score is None or not score.passed:
        why = ("no assessment" if score is None else
               "over the time limit" if score.over_time else
               f"{score.score_pct}% < {course.pass_score_pct}%")
        raise AssessmentNotPassed(
            f"{staff_id} has no passed {course.course_id} assessment ({why}); a certificate "
            "is issued only on a passed assessment", staff_id=staff_id,
            course_id=course.course_id)
    return Certificate(number, staff_id, course.subject, course.course_id, issued_on,
                       expires_on or expiry_for(course, issued_on), signer.staff_id, source,
                       attempt_id, score.score_pct)


def refresher_due(certificate: Certificate, course: Course) -> dt.date:
    """The day a refresher falls due: ``refresher_days_before`` before expiry."""
    return certificate.expires_on - dt.timedelta(days=course.refresher_days_before)


# --- the quality loop ---------------------------------------------------------------


def review_score_pct(items: Sequence[str], passed: Iterable[str]) -> int:
    """A review's score: the whole percentage of checklist items passed.

    >>> review_score_pct(["a", "b", "c", "d"], ["a", "b", "c"])
    75
    """
    if not items:
        raise CurriculumInvalid("a review needs a checklist of at least one item to be "
                                "scored")
    ok = set(passed) & set(items)
    return 100 * len(ok) // len(items)


def quality_verdict(figures: QualityFigures, curriculum: Curriculum) -> QualityVerdict:
    """A refresher is recommended when the mean review score is below the minimum,
    upheld complaints exceed the maximum, or guard denials exceed theirs; each reason
    names its refresher courses (``[quality.refreshers]``), in that order, once."""
    reasons: list[str] = []
    courses: list[str] = []

    def because(reason: str, text: str) -> None:
        reasons.append(text)
        courses.extend(c for c in curriculum.refreshers.get(reason, ()) if c not in courses)

    if (figures.review_score_pct is not None
            and figures.review_score_pct < curriculum.quality_score_min_pct):
        because("review_score", f"review score {figures.review_score_pct}% < "
                                f"{curriculum.quality_score_min_pct}%")
    if figures.complaints > curriculum.complaints_max:
        because("complaints", f"{figures.complaints} upheld complaint(s)")
    if figures.denials > curriculum.denials_max:
        because("denials", f"{figures.denials} guard denials > {curriculum.denials_max}")
    return QualityVerdict(figures.staff_id, bool(reasons), tuple(reasons), tuple(courses))


def review_sample(items: Mapping[str, Sequence[str]], *, per_staff: int,
                  rng: random.Random) -> dict[str, list[str]]:
    """Up to ``per_staff`` references drawn (without repeats) from each person's
    recorded calls and visits, in the order given within the draw; the same generator
    state draws the same sample.

    >>> review_sample({"c-1": ["a", "b", "c"], "c-2": ["d"]}, per_staff=2,
    ...               rng=random.Random(7))
    {'c-1': ['b', 'a'], 'c-2': ['d']}
    """
    out = {}
    for staff_id in sorted(items):
        refs = list(items[staff_id])
        out[staff_id] = rng.sample(refs, min(per_staff, len(refs)))
    return out
