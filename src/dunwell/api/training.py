"""Training routes under ``/v1/training``: the staff register, courses, enrolment,
modules, attempts (scored), certificates (signed by someone other than the trainee;
409 ``certificate_must_be_signed_by_someone_else``) and imports, suspension and
reinstatement, conduct complaints, quality reviews and their sample, the status of
staff × subject on a date, expiry warnings and the quality figures.
Errors use the API's shape ``{"error", "message"}``.

Who signs a certificate, suspends, reinstates, records a complaint or reviews is the
signed-in user (their staff id), never the body. A member of staff takes their own
modules and assessments only; they read and enrol in their own courses, and so may a
team lead, manager or compliance officer for anyone (403
``training_must_be_your_own`` otherwise)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from pydantic import Field

from dunwell.api.auth import PrincipalDep
from dunwell.api.deps import ServicesDep, utc_now
from dunwell.api.schemas import ERROR_RESPONSES, IsoDate, IsoDateTime, StrictIn
from dunwell.app.training import report
from dunwell.app.training import service as svc
from dunwell.core.errors import Forbidden
from dunwell.identity.authority import person
from dunwell.identity.model import Principal, Role
from dunwell.training.curriculum import builtin_curriculum
from dunwell.training.model import Certificate

router = APIRouter(prefix="/v1/training", tags=["training"], responses=ERROR_RESPONSES)
StaffPath = Annotated[str, Path(min_length=1, max_length=64, description="A staff id.")]
CoursePath = Annotated[str, Path(min_length=1, max_length=32, description="A course id.")]
ERRORS: dict[int | str, dict[str, Any]] = {code: {"description": "error"}
                                           for code in (400, 404, 409, 422)}


class StaffIn(StrictIn):
    staff_id: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=200)
    role: str = Field(description="collector, field_agent, team_lead, manager, risk_analyst, "
                      "compliance_officer, legal_counsel, trainer or admin.")
    lead_id: str | None = Field(default=None, max_length=64)


class EnrolIn(StrictIn):
    course_id: str = Field(max_length=32)
    on: IsoDate
    refresher: bool = False


class ModuleIn(StrictIn):
    module_id: str = Field(max_length=32)


class AttemptIn(StrictIn):
    answers: dict[str, str] = Field(description="Question id -> choice key.")
    started_at: IsoDateTime
    submitted_at: IsoDateTime


class CertifyIn(StrictIn):
    issued_on: IsoDate


class SuspendIn(StrictIn):
    reason: str = Field(min_length=1, max_length=2000)
    on: IsoDate
    subjects: list[str] = Field(default_factory=list)
    complaint_ref: str | None = Field(default=None, max_length=64)


class ReinstateIn(StrictIn):
    note: str = Field(min_length=1, max_length=2000)
    on: IsoDate


class ImportIn(StrictIn):
    subject: str = Field(max_length=32)
    score_pct: int = Field(ge=0, le=100)
    evidence: str = Field(min_length=1, max_length=2000)
    issued_on: IsoDate
    expires_on: IsoDate | None = None


class ComplaintIn(StrictIn):
    reference: str = Field(min_length=1, max_length=64)
    received_on: IsoDate
    upheld: bool
    note: str = Field(default="", max_length=2000)


class ReviewIn(StrictIn):
    staff_id: str = Field(max_length=64)
    kind: str = Field(description="call or visit.")
    reference: str = Field(max_length=64)
    passed: list[str] = Field(default_factory=list)
    failed: list[str] = Field(default_factory=list)
    on: IsoDate
    note: str = Field(default="", max_length=2000)


#: Roles that read and enrol anyone's training, not only their own.
OVERSIGHT = frozenset({Role.TEAM_LEAD, Role.MANAGER, Role.COMPLIANCE_OFFICER})


def _own(principal: Principal, staff_id: str) -> None:
    """Only the person themself (their modules, their assessments)."""
    if principal.staff_id != staff_id:
        raise Forbidden(f"this is {staff_id}'s own training (a team lead, manager or "
                        "compliance officer may read it and enrol them; only they take its "
                        f"modules and assessments); you are "
                        f"{principal.staff_id or 'a user without a staff id'}",
                        code="training_must_be_your_own")


def _own_or_oversight(principal: Principal, staff_id: str) -> None:
    """The person themself, or a team lead, manager or compliance officer."""
    if principal.role not in OVERSIGHT:
        _own(principal, staff_id)


def cert_out(c: Certificate) -> dict[str, Any]:
    return {"number": c.number, "staff_id": c.staff_id, "subject": c.subject.value,
            "course_id": c.course_id, "issued_on": c.issued_on.isoformat(),
            "expires_on": c.expires_on.isoformat(), "signed_by": c.signed_by,
            "source": c.source.value, "score_pct": c.score_pct}


@router.get("/courses")
async def get_courses(lang: str = Query("en", pattern=r"^(en|zh-CN)$")) -> dict[str, Any]:
    """The curriculum: courses and what each action requires."""
    cur = builtin_curriculum()
    return {"courses": [{
        "course_id": c.course_id, "subject": c.subject.value, "title": c.title[lang],
        "modules": [{"module_id": m.module_id, "title": m.title[lang], "minutes": m.minutes}
                    for m in c.modules],
        "questions": len(c.questions), "pass_score_pct": c.pass_score_pct,
        "time_limit_min": c.time_limit_min, "validity_days": c.validity_days,
        "refresher_days_before": c.refresher_days_before} for c in cur.courses],
        "requirements": [{"action": r.action.value, "roles": sorted(x.value for x in r.roles),
                          "subjects": [s.value for s in r.subjects]}
                         for r in cur.requirements]}


@router.post("/staff", responses=ERRORS, status_code=201)
async def post_staff(body: StaffIn, svc_: ServicesDep) -> dict[str, Any]:
    def command() -> dict[str, Any]:
        s = svc.add_staff(svc_.dunwell, staff_id=body.staff_id, name=body.name, role=body.role,
                          lead_id=body.lead_id, now=utc_now())
        return {"staff_id": s.staff_id, "name": s.name, "role": s.role.value,
                "lead_id": s.lead_id}

    return await svc_.run(command)


@router.get("/staff")
async def get_staff(svc_: ServicesDep) -> dict[str, Any]:
    """The staff register."""

    def command() -> dict[str, Any]:
        return {"staff": [{"staff_id": s.staff_id, "name": s.name, "role": s.role.value,
                           "lead_id": s.lead_id, "active": s.active}
                          for s in svc.list_staff(svc_.dunwell)]}

    return await svc_.run(command)


@router.get("/staff/{staff_id}/records", responses=ERRORS)
async def get_records(staff_id: StaffPath, svc_: ServicesDep,
                      principal: PrincipalDep) -> dict[str, Any]:
    """A person's enrolments, attempts and certificates (one's own, or anyone's for
    oversight)."""
    _own_or_oversight(principal, staff_id)

    def command() -> dict[str, Any]:
        app = svc_.dunwell
        return {
            "enrolments": [{"enrolment_id": e.enrolment_id, "course_id": e.course_id,
                            "enrolled_on": e.enrolled_on.isoformat(), "status": e.status.value,
                            "modules_done": list(e.modules_done), "refresher": e.refresher}
                           for e in svc.enrolments(app, staff_id=staff_id)],
            "attempts": [{"attempt_id": a.attempt_id, "course_id": a.course_id,
                          "started_at": a.started_at.isoformat(),
                          "submitted_at": a.submitted_at.isoformat(),
                          "score_pct": a.score.score_pct, "passed": a.score.passed,
                          "over_time": a.score.over_time}
                         for a in svc.attempts(app, staff_id=staff_id)],
            "certificates": [cert_out(c) for c in svc.certificates(app, staff_id=staff_id)]}

    return await svc_.run(command)


@router.post("/staff/{staff_id}/imports", responses=ERRORS, status_code=201)
async def post_import(staff_id: StaffPath, body: ImportIn, svc_: ServicesDep,
                      principal: PrincipalDep) -> dict[str, Any]:
    """A certificate from an outside course's passed assessment, with its evidence,
    signed by the signed-in user (never for themself)."""

    def command() -> dict[str, Any]:
        return cert_out(svc.import_certificate(
            svc_.dunwell, staff_id=staff_id, subject=body.subject, signer_id=person(principal),
            score_pct=body.score_pct, evidence=body.evidence, issued_on=body.issued_on,
            expires_on=body.expires_on, now=utc_now()))

    return await svc_.run(command)


@router.post("/staff/{staff_id}/complaints", responses=ERRORS, status_code=201)
async def post_complaint(staff_id: StaffPath, body: ComplaintIn, svc_: ServicesDep,
                         principal: PrincipalDep) -> dict[str, Any]:
    """A complaint about the person's conduct, upheld or not (idempotent on its
    reference)."""

    def command() -> dict[str, Any]:
        new = svc.record_complaint(svc_.dunwell, reference=body.reference, staff_id=staff_id,
                                   received_on=body.received_on, upheld=body.upheld,
                                   note=body.note, by=person(principal), now=utc_now())
        return {"reference": body.reference, "recorded": new}

    return await svc_.run(command)


@router.post("/reviews", responses=ERRORS, status_code=201)
async def post_review(body: ReviewIn, svc_: ServicesDep,
                      principal: PrincipalDep) -> dict[str, Any]:
    """A quality review of a recorded call or visit against the checklist, by the
    signed-in user (never of their own work)."""

    def command() -> dict[str, Any]:
        score = report.add_review(svc_.dunwell, staff_id=body.staff_id, kind=body.kind,
                                  reference=body.reference, reviewer=person(principal),
                                  passed=body.passed, failed=body.failed, on=body.on,
                                  note=body.note, now=utc_now())
        return {"staff_id": body.staff_id, "reference": body.reference, "score_pct": score}

    return await svc_.run(command)


@router.get("/reviews/sample", responses=ERRORS)
async def get_review_sample(svc_: ServicesDep, date_from: Annotated[IsoDate, Query(alias="from")],
                            date_to: Annotated[IsoDate, Query(alias="to")],
                            per_staff: Annotated[int, Query(ge=1, le=100)] = 2,
                            seed: int = 1) -> dict[str, Any]:
    """Unreviewed calls and visits drawn per person for the reviewers."""

    def command() -> dict[str, Any]:
        return {"sample": report.sample_for_review(svc_.dunwell, start=date_from, end=date_to,
                                                   per_staff=per_staff, seed=seed)}

    return await svc_.run(command)


@router.post("/staff/{staff_id}/enrolments", responses=ERRORS, status_code=201)
async def post_enrol(staff_id: StaffPath, body: EnrolIn, svc_: ServicesDep,
                     principal: PrincipalDep) -> dict[str, Any]:
    _own_or_oversight(principal, staff_id)

    def command() -> dict[str, Any]:
        e = svc.enrol(svc_.dunwell, staff_id=staff_id, course_id=body.course_id, on=body.on,
                      refresher=body.refresher, now=utc_now())
        return {"enrolment_id": e.enrolment_id, "course_id": e.course_id,
                "status": e.status.value, "modules_left": svc.modules_left(e)}

    return await svc_.run(command)


@router.post("/staff/{staff_id}/courses/{course_id}/modules", responses=ERRORS)
async def post_module(staff_id: StaffPath, course_id: CoursePath, body: ModuleIn,
                      svc_: ServicesDep, principal: PrincipalDep) -> dict[str, Any]:
    _own(principal, staff_id)

    def command() -> dict[str, Any]:
        e = svc.complete_module(svc_.dunwell, staff_id=staff_id, course_id=course_id,
                                module_id=body.module_id, now=utc_now())
        return {"enrolment_id": e.enrolment_id, "modules_done": list(e.modules_done),
                "modules_left": svc.modules_left(e)}

    return await svc_.run(command)


@router.post("/staff/{staff_id}/courses/{course_id}/attempts", responses=ERRORS,
             status_code=201)
async def post_attempt(staff_id: StaffPath, course_id: CoursePath, body: AttemptIn,
                       svc_: ServicesDep, principal: PrincipalDep) -> dict[str, Any]:
    _own(principal, staff_id)

    def command() -> dict[str, Any]:
        a = svc.submit_attempt(svc_.dunwell, staff_id=staff_id, course_id=course_id,
                               answers=body.answers, started_at=body.started_at,
                               submitted_at=body.submitted_at, now=utc_now())
        s = a.score
        return {"attempt_id": a.attempt_id, "correct": s.correct, "total": s.total,
                "score_pct": s.score_pct, "passed": s.passed, "over_time": s.over_time,
                "wrong": list(s.wrong)}

    return await svc_.run(command)


@router.post("/staff/{staff_id}/courses/{course_id}/certificate", responses=ERRORS,
             status_code=201)
async def post_certify(staff_id: StaffPath, course_id: CoursePath, body: CertifyIn,
                       svc_: ServicesDep, principal: PrincipalDep) -> dict[str, Any]:
    """Sign the certificate of a passed course, as the signed-in user (409
    ``certificate_must_be_signed_by_someone_else`` for one's own)."""
    def command() -> dict[str, Any]:
        return cert_out(svc.certify(svc_.dunwell, staff_id=staff_id, course_id=course_id,
                                    signer_id=person(principal), issued_on=body.issued_on,
                                    now=utc_now()))

    return await svc_.run(command)


@router.post("/staff/{staff_id}/suspensions", responses=ERRORS, status_code=201)
async def post_suspend(staff_id: StaffPath, body: SuspendIn, svc_: ServicesDep,
                       principal: PrincipalDep) -> dict[str, Any]:
    def command() -> dict[str, Any]:
        sid = svc.suspend(svc_.dunwell, staff_id=staff_id, by=person(principal),
                          reason=body.reason,
                          on=body.on, subjects=body.subjects, complaint_ref=body.complaint_ref,
                          now=utc_now())
        return {"suspension_id": sid}

    return await svc_.run(command)


@router.post("/staff/{staff_id}/reinstatement", responses=ERRORS)
async def post_reinstate(staff_id: StaffPath, body: ReinstateIn, svc_: ServicesDep,
                         principal: PrincipalDep) -> dict[str, Any]:
    def command() -> dict[str, Any]:
        return {"reinstated": svc.reinstate(svc_.dunwell, staff_id=staff_id,
                                            by=person(principal),
                                            note=body.note, on=body.on, now=utc_now())}

    return await svc_.run(command)


@router.get("/status", responses=ERRORS)
async def get_status(svc_: ServicesDep, on: Annotated[IsoDate, Query()],
                     staff_id: str | None = None) -> dict[str, Any]:
    """Staff × subject on a date, and why each action would be refused."""

    def command() -> dict[str, Any]:
        rows = report.status(svc_.dunwell, on=on, staff_id=staff_id)
        return {"on": on.isoformat(), "staff": [{
            "staff_id": r.staff.staff_id, "role": r.staff.role.value,
            "subjects": {s.value: {"status": c.status,
                                   "expires_on": c.expires_on.isoformat()
                                   if c.expires_on else None} for s, c in r.cells.items()},
            "actions": {a.value: {"allowed": v.allowed,
                                  "refused": None if v.allowed else v.describe()}
                        for a, v in r.verdicts.items()}} for r in rows]}

    return await svc_.run(command)


@router.get("/warnings", responses=ERRORS)
async def get_warnings(svc_: ServicesDep, on: Annotated[IsoDate, Query()],
                       days: int = Query(30, ge=0, le=365)) -> dict[str, Any]:
    """Certificates expiring within ``days`` (read only: nothing is recorded)."""

    def command() -> dict[str, Any]:
        rows = report.warnings(svc_.dunwell, on=on, days=days, now=utc_now(), send=False)
        return {"warnings": [{"staff_id": w.staff_id, "lead_id": w.lead_id,
                              "subject": w.subject.value, "expires_on": w.expires_on.isoformat(),
                              "days_left": w.days_left, "refresher_course": w.refresher_course}
                             for w in rows]}

    return await svc_.run(command)


@router.get("/quality", responses=ERRORS)
async def get_quality(svc_: ServicesDep, date_from: Annotated[IsoDate, Query(alias="from")],
                      date_to: Annotated[IsoDate, Query(alias="to")]) -> dict[str, Any]:
    """Per staff member: review score, upheld complaints, guard denials, contacts and
    whether a refresher is recommended."""

    def command() -> dict[str, Any]:
        rows = report.quality(svc_.dunwell, start=date_from, end=date_to)
        return {"staff": [{
            "staff_id": r.figures.staff_id, "role": r.role, "contacts": r.contacts,
            "reviews": r.figures.reviews, "review_score_pct": r.figures.review_score_pct,
            "complaints": r.figures.complaints, "denials": r.figures.denials,
            "refresher": r.verdict.refresher, "reasons": list(r.verdict.reasons),
            "courses": list(r.verdict.courses)}
            for r in rows]}

    return await svc_.run(command)
