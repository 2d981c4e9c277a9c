"""What training looks like on a date: staff × subject (valid, expiring, expired,
missing, suspended) with the actions each may take, the expiry warnings to the
person and their lead, quality reviews and the per-staff quality figures that feed
refresher training."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from dunwell.app.audit import record
from dunwell.app.context import Dunwell
from dunwell.core.errors import InvalidInput
from dunwell.training.curriculum import builtin_checklist, builtin_curriculum
from dunwell.training.model import (
    Action,
    Eligibility,
    GapStatus,
    QualityFigures,
    QualityVerdict,
    Role,
    Staff,
    Subject,
)
from dunwell.training.rules import (
    eligibility,
    expiring,
    quality_verdict,
    review_sample,
    review_score_pct,
    subject_gaps,
)

if TYPE_CHECKING:  # the repository's interface, for the type checker
    from dunwell.store.training_repo import TrainingRepository

#: Rows a status or quality table shows at most.
STAFF_MAX = 5_000


@dataclass(frozen=True, slots=True)
class Cell:
    status: str  # valid | expiring | expired | missing | suspended | not_yet_valid
    expires_on: dt.date | None = None

    def describe(self) -> str:
        if self.status in ("valid", "expiring", "expired") and self.expires_on is not None:
            return f"{self.status} {self.expires_on}"
        return self.status


@dataclass(frozen=True, slots=True)
class StaffStatus:
    staff: Staff
    cells: dict[Subject, Cell]
    verdicts: dict[Action, Eligibility]

    @property
    def may(self) -> list[Action]:
        return [a for a, v in self.verdicts.items() if v.allowed]


def _people(repo: TrainingRepository, staff_id: str | None) -> list[Staff]:
    people = {s.staff_id: s for s in repo.all_staff()}
    for agent_id in repo.field_agent_ids():
        if agent_id not in people:
            people[agent_id] = Staff(agent_id, repo.field_agent_name(agent_id) or agent_id,
                                     Role.FIELD_AGENT)
    if staff_id is not None:
        if staff_id not in people:
            repo.staff(staff_id)
        return [people[staff_id]]
    return [people[k] for k in sorted(people)][:STAFF_MAX]


def status(app: Dunwell, *, on: dt.date, staff_id: str | None = None,
           warn_days: int | None = None) -> list[StaffStatus]:
    """Each person's certificates by subject on ``on`` and the actions they may take
    (field agents not in the register are shown as field agents)."""
    curriculum = builtin_curriculum()
    days = curriculum.warn_days if warn_days is None else warn_days
    out = []
    with app.uow() as uow:
        repo = uow.training
        people = _people(repo, staff_id)
        ids = [p.staff_id for p in people]
        certs = repo.certificates(ids)
        stops = repo.suspensions(ids)
        for person in people:
            mine = certs.get(person.staff_id, [])
            gaps = {g.subject: g for g in subject_gaps(list(Subject), mine,
                                                       stops.get(person.staff_id, []), on)}
            soon = {e.subject: e for e in expiring(list(Subject), mine, on, days)}
            cells = {}
            for subject in Subject:
                if subject in gaps:
                    g = gaps[subject]
                    cells[subject] = Cell(g.status.value,
                                          g.date if g.status is GapStatus.EXPIRED else None)
                else:
                    last = max(c.expires_on for c in mine
                               if c.subject is subject and c.valid_on(on))
                    cells[subject] = Cell("expiring" if subject in soon else "valid", last)
            verdicts = {a: eligibility(person, a, certificates=mine,
                                       suspensions=stops.get(person.staff_id, []),
                                       curriculum=curriculum, day=on) for a in Action}
            out.append(StaffStatus(person, cells, verdicts))
    return out


@dataclass(frozen=True, slots=True)
class Warning:
    staff_id: str
    name: str
    lead_id: str | None
    subject: Subject
    expires_on: dt.date
    days_left: int
    refresher_course: str
    new: bool  # first time this expiry is warned about


def warnings(app: Dunwell, *, on: dt.date, days: int, now: dt.datetime,
             send: bool = True) -> list[Warning]:
    """Certificates expiring within ``days`` days of ``on`` with no renewal issued,
    for the person and their lead; ``send`` records each warning once (audit entry
    ``training_expiry_warning`` addressed to both)."""
    if not 0 <= days <= 365:
        raise InvalidInput("--days must be from 0 to 365", code="warning_days_must_be_in_range")
    curriculum = builtin_curriculum()
    out: list[Warning] = []
    with app.uow() as uow:
        repo = uow.training
        people = _people(repo, None)
        certs = repo.certificates([p.staff_id for p in people])
        for person in people:
            for e in expiring(list(Subject), certs.get(person.staff_id, []), on, days):
                new = False
                if send:
                    new = repo.add_warning(staff_id=person.staff_id, lead_id=person.lead_id,
                                           subject=e.subject, expires_on=e.expires_on,
                                           warned_on=on)
                    if new:
                        record(uow, at=now, entries=[(
                            "training_expiry_warning", f"staff:{person.staff_id}", {
                                "subject": e.subject.value,
                                "expires_on": e.expires_on.isoformat(),
                                "to": [x for x in (person.staff_id, person.lead_id) if x]})])
                out.append(Warning(person.staff_id, person.name, person.lead_id, e.subject,
                                   e.expires_on, e.days_left,
                                   curriculum.course_for(e.subject).course_id, new))
        uow.commit()
    return sorted(out, key=lambda w: (w.days_left, w.staff_id, w.subject.value))


# --- the quality loop -------------------------------------------------------------------


def add_review(app: Dunwell, *, staff_id: str, kind: str, reference: str, reviewer: str,
               passed: Sequence[str], failed: Sequence[str], on: dt.date, note: str,
               now: dt.datetime) -> int:
    """Review one recorded call or visit against the checklist: every item is either
    passed or failed; the score is the share passed. Returns the score."""
    items = [i.item_id for i in builtin_checklist()]
    if kind not in ("call", "visit"):
        raise InvalidInput("a review is of a call or a visit", code="review_kind_must_be_known")
    unknown = (set(passed) | set(failed)) - set(items)
    if unknown:
        raise InvalidInput(f"unknown checklist item(s) {', '.join(sorted(unknown))}; the items "
                           f"are {', '.join(items)}", code="review_items_must_be_known")
    if set(passed) & set(failed) or set(passed) | set(failed) != set(items):
        raise InvalidInput(f"mark every checklist item once as passed or failed: "
                           f"{', '.join(items)}", code="review_must_cover_the_checklist")
    score = review_score_pct(items, passed)
    with app.uow() as uow:
        repo = uow.training
        repo.staff(reviewer)
        if reviewer == staff_id:
            raise InvalidInput("nobody reviews their own contacts",
                               code="review_must_be_by_someone_else")
        if repo.find_staff(staff_id) is None and not repo.is_field_agent(staff_id):
            repo.staff(staff_id)
        if repo.add_review(staff_id=staff_id, kind=kind, reference=reference, on=on,
                           reviewer=reviewer, passed=passed, failed=failed, score_pct=score,
                           note=note):
            record(uow, at=now, entries=[("quality_review", f"staff:{staff_id}", {
                "kind": kind, "reference": reference, "reviewer": reviewer,
                "score_pct": score, "failed": sorted(failed)})])
        uow.commit()
    return score


@dataclass(frozen=True, slots=True)
class QualityRow:
    figures: QualityFigures
    verdict: QualityVerdict
    contacts: int  # calls and visits recorded in the period
    role: str


def quality(app: Dunwell, *, start: dt.date, end: dt.date) -> list[QualityRow]:
    """Per staff member over [start, end]: reviews and their mean score, upheld
    complaints, guard denials on the cases they own, contacts recorded, and whether
    a refresher is recommended."""
    if end < start:
        raise InvalidInput("--to must not be before --from", code="period_must_be_ordered")
    curriculum = builtin_curriculum()
    with app.uow() as uow:
        repo = uow.training
        people = {p.staff_id: p for p in _people(repo, None)}
        scores = repo.review_scores(start, end)
        complaints = repo.upheld_complaints(start, end)
        denials = repo.guard_denials(start, end)
        contacts = repo.contacts_by_staff(start, end)
        visits = repo.visits_by_agent(start, end)
    ids = sorted(set(people) | set(scores) | set(complaints) | set(denials) | set(contacts))
    rows = []
    for sid in ids[:STAFF_MAX]:
        mine = scores.get(sid, [])
        figures = QualityFigures(sid, len(mine), sum(mine) // len(mine) if mine else None,
                                 complaints.get(sid, 0), denials.get(sid, 0))
        role = people[sid].role.value if sid in people else "unregistered"
        rows.append(QualityRow(figures, quality_verdict(figures, curriculum),
                               contacts.get(sid, 0) + visits.get(sid, 0), role))
    return rows


def enrol_refreshers(app: Dunwell, *, start: dt.date, end: dt.date, on: dt.date,
                     now: dt.datetime) -> list[tuple[str, str, int]]:
    """Enrol everyone the quality figures for [start, end] recommend a refresher for
    in each recommended course's refresher (an open enrolment in it is kept);
    returns (staff id, course id, enrolment id)."""
    from dunwell.app.training.service import enrol

    out = []
    for row in quality(app, start=start, end=end):
        if not row.verdict.refresher or row.role == "unregistered":
            continue
        for course_id in row.verdict.courses:
            e = enrol(app, staff_id=row.figures.staff_id, course_id=course_id, on=on,
                      refresher=True, now=now)
            out.append((row.figures.staff_id, course_id, e.enrolment_id))
    return out


def sample_for_review(app: Dunwell, *, start: dt.date, end: dt.date, per_staff: int,
                      seed: int) -> list[dict[str, object]]:
    """Up to ``per_staff`` unreviewed calls and visits per person in [start, end],
    drawn with ``seed`` (the same seed draws the same sample), for reviewers to score
    with :func:`add_review`."""
    if not 1 <= per_staff <= 100:
        raise InvalidInput("--per-staff must be from 1 to 100",
                           code="sample_size_must_be_in_range")
    with app.uow() as uow:
        rows = uow.training.review_candidates(start, end)
    by_ref = {str(r["reference"]): r for r in rows}
    refs: dict[str, list[str]] = {}
    for r in rows:
        refs.setdefault(str(r["staff_id"]), []).append(str(r["reference"]))
    drawn = review_sample(refs, per_staff=per_staff, rng=random.Random(seed))
    return [by_ref[ref] for staff_id in sorted(drawn) for ref in drawn[staff_id]]


def busiest_plan_day(app: Dunwell) -> dt.date | None:
    """The plan date with the most visits given to agents (None before any plan)."""
    with app.uow() as uow:
        return uow.field.busiest_plan_day()


def planned_visits(app: Dunwell, *, on: dt.date) -> dict[str, int]:
    """Visits on ``on``'s field plan per agent (planned, assigned or done)."""
    out: dict[str, int] = {}
    with app.uow() as uow:
        for v in uow.field.visits_on(on):
            if v.agent_id is not None:
                out[v.agent_id] = out.get(v.agent_id, 0) + 1
    return out


__all__ = [
    "Cell",
    "QualityRow",
    "StaffStatus",
    "Warning",
    "add_review",
    "planned_visits",
    "quality",
    "status",
    "warnings",
]
