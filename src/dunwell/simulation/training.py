"""Staff for the sample book and the demo: a trainer, a compliance officer, a manager
and two team leads; the sample collectors and field agents certified by the trainer
on an onboarding course (imported: score and evidence recorded). The demo adds a few
people whose certificates are expiring, missing or suspended, so the gate and the
warnings show on its days."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from dunwell.app.audit import record
from dunwell.app.context import Dunwell
from dunwell.app.uow import UnitOfWork
from dunwell.field.model import Agent, Shift, Territory
from dunwell.simulation.field import CITY, sample_agents
from dunwell.training.curriculum import builtin_curriculum
from dunwell.training.model import Action, AttemptScore, CertificateSource, Role, Staff, Subject
from dunwell.training.rules import issue_certificate

if TYPE_CHECKING:
    from dunwell.store.training_repo import TrainingRepository

TRAINER = "t-01"
COMPLIANCE = "co-01"
MANAGER = "m-01"
FIELD_LEAD = "tl-01"
DESK_LEAD = "tl-02"
ONBOARDING = "onboarding course, sample book"

LEADERSHIP = (
    Staff(MANAGER, "周敏", Role.MANAGER),
    Staff(TRAINER, "刘培训", Role.TRAINER, MANAGER),
    Staff(COMPLIANCE, "孙合规", Role.COMPLIANCE_OFFICER, MANAGER),
    Staff(FIELD_LEAD, "赵组长", Role.TEAM_LEAD, MANAGER),
    Staff(DESK_LEAD, "钱组长", Role.TEAM_LEAD, MANAGER),
)


def certify_seeded(uow: UnitOfWork, *, staff_id: str, subjects: Sequence[Subject],
                   issued_on: dt.date, expires_on: dt.date | None, at: dt.datetime,
                   score_pct: int = 90) -> None:
    """Certificates signed by the sample trainer on the onboarding course's passed
    assessment (``expires_on`` None: the course's full validity)."""
    repo = uow.training
    curriculum = builtin_curriculum()
    signer = repo.staff(TRAINER)
    for subject in subjects:
        course = curriculum.course_for(subject)
        cert = issue_certificate(
            course=course, staff_id=staff_id, signer=signer, issued_on=issued_on,
            score=AttemptScore(score_pct, 100, score_pct, True, ()),
            number=f"{staff_id}-{subject.value}-{issued_on:%Y%m%d}",
            source=CertificateSource.IMPORT, expires_on=expires_on)
        if repo.add_certificate(cert, evidence=ONBOARDING, at=at):
            record(uow, at=at, entries=[("training_certificate", f"staff:{staff_id}", {
                "number": cert.number, "subject": subject.value, "course_id": course.course_id,
                "issued_on": cert.issued_on.isoformat(),
                "expires_on": cert.expires_on.isoformat(), "signed_by": cert.signed_by,
                "source": cert.source.value, "score_pct": score_pct, "evidence": ONBOARDING})])


def _put(repo: TrainingRepository, staff: Staff, at: dt.datetime) -> None:
    if repo.find_staff(staff.staff_id) is None:
        repo.put_staff(staff, at=at)


def seed_staff(uow: UnitOfWork, *, collectors: Sequence[tuple[str, str]],
               agents: Sequence[tuple[str, str]], start: dt.date) -> None:
    """Inside the seeding transaction: the leadership, the collectors (certified for
    calls and negotiation) and the field agents (certified for visits and
    negotiation), each certificate issued a month before ``start`` and valid for its
    course's full period."""
    repo = uow.training
    at = dt.datetime.combine(start, dt.time(0), tzinfo=dt.UTC)
    for person in LEADERSHIP:
        _put(repo, person, at)
    curriculum = builtin_curriculum()
    issued, expires = start - dt.timedelta(days=30), None
    call = set(curriculum.requirement(Action.CALL).subjects)
    talk = set(curriculum.requirement(Action.NEGOTIATE).subjects)
    visit = set(curriculum.requirement(Action.VISIT).subjects)
    legal = set(curriculum.requirement(Action.LEGAL).subjects)
    certify_seeded(uow, staff_id=MANAGER, subjects=sorted(call | talk | legal),
                   issued_on=issued, expires_on=expires, at=at)
    for lead in (FIELD_LEAD, DESK_LEAD):
        certify_seeded(uow, staff_id=lead, subjects=sorted(call | talk | visit),
                       issued_on=issued, expires_on=expires, at=at)
    for cid, name in collectors:
        _put(repo, Staff(cid, name, Role.COLLECTOR, DESK_LEAD), at)
        certify_seeded(uow, staff_id=cid, subjects=sorted(call | talk), issued_on=issued,
                       expires_on=expires, at=at)
    for aid, name in agents:
        _put(repo, Staff(aid, name, Role.FIELD_AGENT, FIELD_LEAD), at)
        certify_seeded(uow, staff_id=aid, subjects=sorted(visit | talk), issued_on=issued,
                       expires_on=expires, at=at)


@dataclass(frozen=True, slots=True)
class DemoPerson:
    staff_id: str
    name: str
    story: str


def seed_demo_mix(uow: UnitOfWork, *, agents: Sequence[tuple[str, str]], collector: str,
                  start: dt.date, days: int) -> list[DemoPerson]:
    """The demo's mixed staff: ``agents`` are extra field agents (already in the field
    register) and ``collector`` an extra desk collector; one agent's safety
    certificate expires half-way through the run (warned a month ahead, then
    refused), one never took the safety course, one is suspended after an upheld
    complaint a third of the way in, one's law certificate expires five days before the
    run ends (warned a month ahead), and the collector's vulnerability certificate
    expires before the run starts."""
    repo = uow.training
    at = dt.datetime.combine(start, dt.time(0), tzinfo=dt.UTC)
    visit = sorted(set(builtin_curriculum().requirement(Action.VISIT).subjects))
    issued = start - dt.timedelta(days=30)
    (exp_id, exp_name), (miss_id, miss_name), (sus_id, sus_name), (warn_id, warn_name) = (
        agents[:4])
    half = start + dt.timedelta(days=max(1, days // 2))
    third = start + dt.timedelta(days=max(1, days // 3))
    last = start + dt.timedelta(days=max(1, days - 5))
    for sid, name in agents[:4]:
        _put(repo, Staff(sid, name, Role.FIELD_AGENT, FIELD_LEAD), at)
    _certified_but(uow, warn_id, visit, Subject.LEGAL_KNOWLEDGE, issued=issued, at=at)
    certify_seeded(uow, staff_id=warn_id, subjects=[Subject.LEGAL_KNOWLEDGE],
                   issued_on=last - dt.timedelta(days=364), expires_on=last, at=at)
    _certified_but(uow, exp_id, visit, Subject.VISIT_SAFETY, issued=issued, at=at)
    certify_seeded(uow, staff_id=exp_id, subjects=[Subject.VISIT_SAFETY],
                   issued_on=half - dt.timedelta(days=360), expires_on=half, at=at, score_pct=82)
    _certified_but(uow, miss_id, visit, Subject.VISIT_SAFETY, issued=issued, at=at)
    certify_seeded(uow, staff_id=sus_id, subjects=visit, issued_on=issued, expires_on=None,
                   at=at)
    _suspended_after_complaint(uow, sus_id, on=third, at=at)
    _collector_lapsed(uow, collector, start=start, issued=issued, at=at)
    return [DemoPerson(exp_id, exp_name, f"visit_safety expires {half}"),
            DemoPerson(miss_id, miss_name, "never took visit_safety"),
            DemoPerson(sus_id, sus_name, f"suspended from {third} (upheld complaint)"),
            DemoPerson(warn_id, warn_name, f"legal_knowledge expires {last}"),
            DemoPerson(collector, "吴新人",
                       f"vulnerability expired {start - dt.timedelta(days=1)}")]


def _certified_but(uow: UnitOfWork, staff_id: str, subjects: Sequence[Subject],
                   missing: Subject, *, issued: dt.date, at: dt.datetime) -> None:
    """Certificates in ``subjects`` but ``missing``, for the courses' full validity."""
    certify_seeded(uow, staff_id=staff_id, subjects=[s for s in subjects if s is not missing],
                   issued_on=issued, expires_on=None, at=at)


def _suspended_after_complaint(uow: UnitOfWork, staff_id: str, *, on: dt.date,
                               at: dt.datetime) -> None:
    """An upheld complaint about conduct on a visit, and the agent suspended from every
    subject on ``on``, both on record."""
    repo = uow.training
    reference, reason = f"CMP-{staff_id}-1", "upheld complaint about conduct on a visit"
    repo.add_complaint(reference=reference, staff_id=staff_id, received_on=on, upheld=True,
                       note="raised voice and pressed for same-day payment at the door",
                       by=COMPLIANCE)
    repo.add_suspension(staff_id=staff_id, subjects=list(Subject), on=on, reason=reason,
                        complaint_ref=reference, by=COMPLIANCE)
    record(uow, at=at, entries=[("training_suspended", f"staff:{staff_id}", {
        "subjects": [s.value for s in Subject], "on": on.isoformat(), "reason": reason,
        "complaint_ref": reference, "by": COMPLIANCE})])


def _collector_lapsed(uow: UnitOfWork, collector: str, *, start: dt.date, issued: dt.date,
                      at: dt.datetime) -> None:
    """A desk collector certified for calls whose vulnerability certificate expired the
    day before ``start``."""
    call = sorted(set(builtin_curriculum().requirement(Action.CALL).subjects))
    _put(uow.training, Staff(collector, "吴新人", Role.COLLECTOR, DESK_LEAD), at)
    uow.actions.put_collector(collector, "吴新人", 20, "09:00", "18:00")
    _certified_but(uow, collector, call, Subject.VULNERABILITY, issued=issued, at=at)
    certify_seeded(uow, staff_id=collector, subjects=[Subject.VULNERABILITY],
                   issued_on=start - dt.timedelta(days=365),
                   expires_on=start - dt.timedelta(days=1), at=at)


def seed_demo_staff(app: Dunwell, *, start: dt.date, days: int) -> list[DemoPerson]:
    """Add the demo's mixed staff to a seeded book: four more field agents around the
    city centre and one more collector (see :func:`seed_demo_mix`)."""
    agents = [("f-11", "外勤11"), ("f-12", "外勤12"), ("f-13", "外勤13"), ("f-14", "外勤14")]
    with app.uow() as uow:
        repo = uow.field
        for k, (aid, name) in enumerate(agents):
            if not repo.has_agent(aid):
                centre = sample_agents()[1 + 2 * k].territory.centre
                repo.put_agent(Agent(aid, name, "Asia/Shanghai",
                                     Territory(f"{CITY} sector {1 + 2 * k}", centre, 9_000),
                                     Shift(dt.time(9), dt.time(17, 30)), 12, 6_000, 150))
        people = seed_demo_mix(uow, agents=agents, collector="c-04", start=start, days=days)
        uow.commit()
    return people
