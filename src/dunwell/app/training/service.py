"""Training workflows: the staff register, enrolment, modules, assessment attempts,
certificates signed by a trainer or compliance officer (never the trainee),
imports of an outside course's passed assessment, suspension and reinstatement,
conduct complaints. Each command is one transaction with its audit entries. The
status table, expiry warnings and the quality loop are in
:mod:`dunwell.app.training.report`; the gate in :mod:`dunwell.app.training.gate`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from dunwell.app.audit import record
from dunwell.app.context import Dunwell
from dunwell.app.training.gate import REGISTER_REQUIRED
from dunwell.app.uow import UnitOfWork
from dunwell.core.errors import Conflict, InvalidInput
from dunwell.training.curriculum import builtin_curriculum
from dunwell.training.errors import EnrolmentClosed, ModulesNotCompleted, SignerIsTrainee
from dunwell.training.model import (
    SUSPENDER_ROLES,
    Attempt,
    AttemptScore,
    Certificate,
    CertificateSource,
    Enrolment,
    EnrolmentStatus,
    Role,
    Staff,
    Subject,
)
from dunwell.training.rules import (
    expiry_for,
    issue_certificate,
    require_modules_done,
    require_signer,
    score_attempt,
)

if TYPE_CHECKING:  # the repository's interface, for the type checker
    from dunwell.store.training_repo import TrainingRepository

NOTE_MAX = 2000


def _aware(at: dt.datetime, name: str) -> None:
    if at.tzinfo is None:
        raise InvalidInput(f"{name} must carry an offset, like +08:00",
                           code="timestamp_must_carry_offset")


def _role(text: str) -> Role:
    try:
        return Role(text)
    except ValueError:
        raise InvalidInput(f"unknown role {text!r}; use one of {', '.join(r.value for r in Role)}",
                           code="staff_role_must_be_known") from None


def _subject(text: str) -> Subject:
    try:
        return Subject(text)
    except ValueError:
        raise InvalidInput(f"unknown subject {text!r}; use one of "
                           f"{', '.join(s.value for s in Subject)}",
                           code="certificate_subject_must_be_known") from None


def _note(text: str, what: str) -> str:
    if not text.strip() or len(text) > NOTE_MAX:
        raise InvalidInput(f"{what} must be 1 to {NOTE_MAX} characters",
                           code="training_note_must_be_given")
    return text.strip()


# --- the register ------------------------------------------------------------------


def add_staff(app: Dunwell, *, staff_id: str, name: str, role: str, lead_id: str | None,
              now: dt.datetime) -> Staff:
    """Register a staff member. The same record again changes nothing; the same id
    with other details is refused. A field agent is registered under their agent id."""
    staff = Staff(staff_id.strip(), name.strip() or staff_id, _role(role), lead_id or None)
    with app.uow() as uow:
        repo = uow.training
        if staff.lead_id is not None:
            repo.staff(staff.lead_id)
        found = repo.find_staff(staff.staff_id)
        if found is not None:
            if found == staff:
                return found
            raise Conflict(f"staff member {staff.staff_id} is already registered with other "
                           "details", code="staff_id_must_be_unique")
        repo.put_staff(staff, at=now)
        record(uow, at=now, entries=[("staff_added", f"staff:{staff.staff_id}", {
            "role": staff.role.value, "lead_id": staff.lead_id})])
        uow.commit()
    return staff


def list_staff(app: Dunwell) -> list[Staff]:
    with app.uow() as uow:
        return uow.training.all_staff()


def set_register_required(app: Dunwell, *, required: bool, by: str, now: dt.datetime) -> None:
    """Require every person named on a call, plan approval or legal step to be in the
    staff register (and so gated), or stop requiring it."""
    with app.uow() as uow:
        repo = uow.training
        who = repo.staff(by)
        if who.role not in (Role.COMPLIANCE_OFFICER, Role.ADMIN, Role.MANAGER):
            raise Conflict(f"{by} is a {who.role.value}; a compliance officer, manager or admin "
                           "sets the register rule", code="register_rule_must_be_set_by_manager")
        repo.set_setting(REGISTER_REQUIRED, "on" if required else "off")
        record(uow, at=now, entries=[("training_register_required", "training:register", {
            "required": required, "by": by})])
        uow.commit()


# --- enrolment, modules, attempts ---------------------------------------------------------


def _trainee(repo: TrainingRepository, staff_id: str) -> Staff:
    """A trainee is a registered staff member; a field agent not yet registered is
    registered as a field agent on first enrolment."""
    found = repo.find_staff(staff_id)
    if found is not None:
        return found
    name = repo.field_agent_name(staff_id)
    if name is not None:
        return Staff(staff_id, name, Role.FIELD_AGENT)
    return repo.staff(staff_id)


def enrol(app: Dunwell, *, staff_id: str, course_id: str, on: dt.date, now: dt.datetime,
          refresher: bool = False) -> Enrolment:
    """Enrol in a course (or its refresher: only the refresher modules). An open
    enrolment in the course is returned as it is."""
    course = builtin_curriculum().course(course_id)
    with app.uow() as uow:
        repo = uow.training
        trainee = _trainee(repo, staff_id)
        if repo.find_staff(staff_id) is None:
            repo.put_staff(trainee, at=now)
        found = repo.open_enrolment(staff_id, course_id)
        if found is not None:
            return found
        eid = repo.add_enrolment(staff_id=staff_id, course_id=course_id,
                                 course_version=course.version, enrolled_on=on,
                                 refresher=refresher, at=now)
        record(uow, at=now, entries=[("training_enrolled", f"staff:{staff_id}", {
            "enrolment_id": eid, "course_id": course_id, "version": course.version,
            "refresher": refresher, "on": on.isoformat()})])
        out = repo.enrolment(eid)
        uow.commit()
    return out


def _open(repo: TrainingRepository, staff_id: str, course_id: str) -> Enrolment:
    found = repo.open_enrolment(staff_id, course_id)
    if found is None:
        raise EnrolmentClosed(f"{staff_id} has no open enrolment in {course_id}; enrol with "
                              f"`dunwell training enrol {staff_id} {course_id}`")
    return found


def complete_module(app: Dunwell, *, staff_id: str, course_id: str, module_id: str,
                    now: dt.datetime) -> Enrolment:
    """Record a module of the course as completed (once)."""
    course = builtin_curriculum().course(course_id)
    if module_id not in course.module_ids:
        raise InvalidInput(f"{course_id} has no module {module_id!r}; its modules are "
                           f"{', '.join(course.module_ids)}", code="module_must_exist")
    with app.uow() as uow:
        repo = uow.training
        enrolment = _open(repo, staff_id, course_id)
        if repo.module_done(enrolment.enrolment_id, module_id, at=now):
            record(uow, at=now, entries=[("training_module_done", f"staff:{staff_id}", {
                "enrolment_id": enrolment.enrolment_id, "course_id": course_id,
                "module_id": module_id})])
        out = repo.enrolment(enrolment.enrolment_id)
        uow.commit()
    return out


def submit_attempt(app: Dunwell, *, staff_id: str, course_id: str, answers: Mapping[str, str],
                   started_at: dt.datetime, submitted_at: dt.datetime,
                   now: dt.datetime) -> Attempt:
    """Score an assessment attempt over the course's question bank and record it,
    pass or fail, with its time; a pass lets a trainer sign the certificate. The same
    attempt (same start, same answers) sent again is returned as recorded."""
    _aware(started_at, "the start time")
    _aware(submitted_at, "the submission time")
    if submitted_at < started_at:
        raise InvalidInput("an attempt is submitted after it starts",
                           code="attempt_must_end_after_it_starts")
    course = builtin_curriculum().course(course_id)
    with app.uow() as uow:
        repo = uow.training
        enrolment = _open(repo, staff_id, course_id)
        seen = repo.attempt_started(enrolment.enrolment_id, started_at)
        if seen is not None:
            if seen[1] != dict(answers):
                raise Conflict(f"an attempt of {staff_id} at {course_id} that started at "
                               f"{started_at.isoformat()} is already recorded with other "
                               "answers; a new attempt starts at a new time",
                               code="attempt_must_be_submitted_once")
            [again] = [a for a in repo.attempts(enrolment_id=enrolment.enrolment_id)
                       if a.attempt_id == seen[0]]
            return again
        require_modules_done(enrolment, course)
        score = score_attempt(course, answers, started_at=started_at, submitted_at=submitted_at)
        aid = repo.add_attempt(enrolment=enrolment, started_at=started_at,
                               submitted_at=submitted_at, answers=dict(answers), score=score)
        if score.passed:
            repo.set_enrolment_status(enrolment.enrolment_id, EnrolmentStatus.PASSED)
        record(uow, at=now, entries=[("training_attempt", f"staff:{staff_id}", {
            "attempt_id": aid, "course_id": course_id, "score_pct": score.score_pct,
            "correct": score.correct, "total": score.total, "passed": score.passed,
            "over_time": score.over_time,
            "minutes": int((submitted_at - started_at).total_seconds() // 60)})])
        uow.commit()
    return Attempt(aid, enrolment.enrolment_id, staff_id, course_id, started_at, submitted_at,
                   score)


# --- certificates ----------------------------------------------------------------------


def _signer(repo: TrainingRepository, signer_id: str, trainee_id: str) -> Staff:
    """The signer: a registered trainer or compliance officer who is not the trainee."""
    if signer_id == trainee_id:
        raise SignerIsTrainee(f"{trainee_id} cannot sign their own certificate; a trainer or "
                              "compliance officer signs it (--signer ID)", staff_id=trainee_id)
    signer = repo.staff(signer_id)
    require_signer(trainee_id, signer)
    return signer


def _number(repo: TrainingRepository, staff_id: str, subject: Subject, on: dt.date) -> str:
    n = repo.certificates_count(staff_id, subject, on)
    return f"{staff_id}-{subject.value}-{on:%Y%m%d}" + (f"-{n + 1}" if n else "")


def certify(app: Dunwell, *, staff_id: str, course_id: str, signer_id: str, issued_on: dt.date,
            now: dt.datetime, number: str | None = None) -> Certificate:
    """Issue the course's certificate on the trainee's passed attempt, signed by a
    trainer or compliance officer who is not the trainee; valid for the course's
    validity period counting the issue day."""
    course = builtin_curriculum().course(course_id)
    with app.uow() as uow:
        repo = uow.training
        signer = _signer(repo, signer_id, staff_id)
        enrolment = _open(repo, staff_id, course_id)
        passed = [a for a in repo.attempts(enrolment_id=enrolment.enrolment_id)
                  if a.score.passed]
        best = max(passed, key=lambda a: a.score.score_pct) if passed else None
        cert = issue_certificate(course=course, staff_id=staff_id,
                                 score=best.score if best else _last_score(repo, enrolment),
                                 signer=signer, issued_on=issued_on,
                                 number=number or _number(repo, staff_id, course.subject,
                                                          issued_on),
                                 attempt_id=best.attempt_id if best else None)
        repo.add_certificate(cert, evidence=f"attempt {cert.attempt_id}", at=now)
        repo.set_enrolment_status(enrolment.enrolment_id, EnrolmentStatus.CERTIFIED)
        _audit_certificate(uow, cert, now)
        uow.commit()
    return cert


def _last_score(repo: TrainingRepository, enrolment: Enrolment) -> AttemptScore | None:
    attempts = repo.attempts(enrolment_id=enrolment.enrolment_id)
    return attempts[-1].score if attempts else None


def import_certificate(app: Dunwell, *, staff_id: str, subject: str, signer_id: str,
                       score_pct: int, evidence: str, issued_on: dt.date,
                       expires_on: dt.date | None, now: dt.datetime,
                       number: str | None = None) -> Certificate:
    """Record a certificate earned on an outside course: the assessment's score (at
    least the course's passing score) and its evidence, signed by a trainer or
    compliance officer who is not the trainee. Its validity is at most the course's."""
    subj = _subject(subject)
    course = builtin_curriculum().course_for(subj)
    if not 0 <= score_pct <= 100:
        raise InvalidInput("the score is a percentage from 0 to 100",
                           code="score_must_be_a_percentage")
    evidence = _note(evidence, "the evidence (course, provider, reference)")
    longest = expiry_for(course, issued_on)
    if expires_on is not None and expires_on > longest:
        raise InvalidInput(f"{course.course_id} certificates are valid {course.validity_days} "
                           f"days: from {issued_on} at most through {longest}",
                           code="certificate_validity_must_not_exceed_course")
    score = AttemptScore(score_pct, 100, score_pct, score_pct >= course.pass_score_pct, ())
    with app.uow() as uow:
        repo = uow.training
        trainee = _trainee(repo, staff_id)
        signer = _signer(repo, signer_id, staff_id)
        cert = issue_certificate(course=course, staff_id=staff_id, score=score, signer=signer,
                                 issued_on=issued_on,
                                 number=number or _number(repo, staff_id, subj, issued_on),
                                 source=CertificateSource.IMPORT,
                                 expires_on=expires_on or longest)
        if repo.find_staff(staff_id) is None:
            repo.put_staff(trainee, at=now)
        if repo.add_certificate(cert, evidence=evidence, at=now):
            _audit_certificate(uow, cert, now, evidence=evidence)
        uow.commit()
    return cert


def _audit_certificate(uow: UnitOfWork, cert: Certificate, now: dt.datetime,
                       evidence: str | None = None) -> None:
    record(uow, at=now, entries=[("training_certificate", f"staff:{cert.staff_id}", {
        "number": cert.number, "subject": cert.subject.value, "course_id": cert.course_id,
        "issued_on": cert.issued_on.isoformat(), "expires_on": cert.expires_on.isoformat(),
        "signed_by": cert.signed_by, "source": cert.source.value,
        "attempt_id": cert.attempt_id, "score_pct": cert.score_pct, "evidence": evidence})])


def certificates(app: Dunwell, *, staff_id: str | None = None) -> list[Certificate]:
    with app.uow() as uow:
        held = uow.training.certificates(
            None if staff_id is None else [staff_id])
    return [c for sid in sorted(held) for c in held[sid]]


def enrolments(app: Dunwell, *, staff_id: str | None = None) -> list[Enrolment]:
    with app.uow() as uow:
        return uow.training.enrolments(staff_id)


def attempts(app: Dunwell, *, staff_id: str | None = None) -> list[Attempt]:
    with app.uow() as uow:
        return uow.training.attempts(staff_id=staff_id)


# --- suspension, reinstatement, complaints ------------------------------------------


def _suspender(repo: TrainingRepository, by: str, staff_id: str) -> Staff:
    who = repo.staff(by)
    if who.role not in SUSPENDER_ROLES or who.staff_id == staff_id:
        raise Conflict(f"{by} ({who.role.value}) may not suspend or reinstate {staff_id}; a "
                       "trainer, compliance officer or manager other than them does",
                       code="suspension_must_be_decided_by_someone_else_with_authority")
    return who


def suspend(app: Dunwell, *, staff_id: str, by: str, reason: str, on: dt.date,
            now: dt.datetime, subjects: Sequence[str] = (),
            complaint_ref: str | None = None) -> int:
    """Suspend a staff member's certificates (all subjects, or those named) from
    ``on``: the gate refuses them until reinstated."""
    reason = _note(reason, "the reason")
    chosen = [_subject(s) for s in subjects] or list(Subject)
    with app.uow() as uow:
        repo = uow.training
        _trainee(repo, staff_id)
        _suspender(repo, by, staff_id)
        if complaint_ref is not None and repo.complaint_staff(complaint_ref) != staff_id:
            raise InvalidInput(f"complaint {complaint_ref} is not recorded against {staff_id}",
                               code="complaint_must_concern_the_staff_member")
        for prior in repo.suspensions([staff_id]).get(staff_id, []):
            if (prior.reinstated_on is None and prior.suspended_on == on
                    and prior.subjects == frozenset(chosen) and prior.reason == reason):
                return prior.suspension_id  # the same suspension again
        sid = repo.add_suspension(staff_id=staff_id, subjects=chosen, on=on, reason=reason,
                                  complaint_ref=complaint_ref, by=by)
        record(uow, at=now, entries=[("training_suspended", f"staff:{staff_id}", {
            "suspension_id": sid, "subjects": [s.value for s in chosen], "on": on.isoformat(),
            "reason": reason, "complaint_ref": complaint_ref, "by": by})])
        uow.commit()
    return sid


def reinstate(app: Dunwell, *, staff_id: str, by: str, note: str, on: dt.date,
              now: dt.datetime) -> list[int]:
    """Lift every open suspension of ``staff_id`` from ``on``."""
    note = _note(note, "the note")
    with app.uow() as uow:
        repo = uow.training
        _suspender(repo, by, staff_id)
        open_ = [s for s in repo.suspensions([staff_id]).get(staff_id, [])
                 if s.reinstated_on is None]
        if not open_:
            raise Conflict(f"{staff_id} has no open suspension",
                           code="reinstatement_must_follow_a_suspension")
        for s in open_:
            if on < s.suspended_on:
                raise InvalidInput(f"suspension {s.suspension_id} starts on {s.suspended_on}; "
                                   "reinstate on or after it",
                                   code="reinstatement_must_follow_the_suspension")
            repo.reinstate(s.suspension_id, on=on, by=by, note=note)
        record(uow, at=now, entries=[("training_reinstated", f"staff:{staff_id}", {
            "suspensions": [s.suspension_id for s in open_], "on": on.isoformat(),
            "by": by, "note": note})])
        uow.commit()
    return [s.suspension_id for s in open_]


def record_complaint(app: Dunwell, *, reference: str, staff_id: str, received_on: dt.date,
                     upheld: bool, note: str, by: str, now: dt.datetime) -> bool:
    """A complaint about a staff member's conduct, upheld or not (idempotent on its
    reference); upheld complaints feed the quality loop."""
    if not reference.strip() or len(reference) > 64:
        raise InvalidInput("the complaint reference must be 1 to 64 characters",
                           code="complaint_reference_must_be_given")
    with app.uow() as uow:
        repo = uow.training
        _trainee(repo, staff_id)
        repo.staff(by)
        new = repo.add_complaint(reference=reference, staff_id=staff_id,
                                 received_on=received_on, upheld=upheld, note=note, by=by)
        if new:
            record(uow, at=now, entries=[("staff_complaint", f"staff:{staff_id}", {
                "reference": reference, "received_on": received_on.isoformat(),
                "upheld": upheld, "by": by})])
        uow.commit()
    return new


def modules_left(enrolment: Enrolment) -> list[str]:
    course = builtin_curriculum().course(enrolment.course_id)
    try:
        require_modules_done(enrolment, course)
    except ModulesNotCompleted as exc:
        return list(exc.details["modules"])
    return []


__all__ = [
    "add_staff",
    "attempts",
    "certificates",
    "certify",
    "complete_module",
    "enrol",
    "enrolments",
    "import_certificate",
    "list_staff",
    "modules_left",
    "record_complaint",
    "reinstate",
    "set_register_required",
    "submit_attempt",
    "suspend",
]
