"""In-memory repository of training (``uow.training``): the staff register,
enrolments and modules done, attempts, certificates, suspensions, complaints,
reviews, staff contacts, expiry warnings and settings, on dictionaries.

It keeps its data in ``state["training"]`` (a :class:`TrainingData`), looked up on
every call; the field agents and visits it reads are the field fake's, the actions
and case owners behind the guard's denials the collections fake's. It returns the
store's records and raises the store's rejections (same codes, same words).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from dunwell.core.errors import Conflict, NotFound
from dunwell.training.model import (
    Attempt,
    AttemptScore,
    Certificate,
    Enrolment,
    EnrolmentStatus,
    Staff,
    Subject,
    Suspension,
)
from fakes import registry
from fakes.collections import collections_data
from fakes.field import field_data


@dataclass
class Complaint:
    reference: str
    staff_id: str
    received_on: dt.date
    upheld: bool
    note: str
    by: str


@dataclass
class Review:
    staff_id: str
    kind: str
    reference: str
    on: dt.date
    reviewer: str
    score_pct: int


@dataclass
class TrainingData:
    staff: dict[str, Staff] = field(default_factory=dict)
    enrolments: dict[int, Enrolment] = field(default_factory=dict)
    #: attempt id -> (attempt, answers)
    attempts: dict[int, tuple[Attempt, dict[str, str]]] = field(default_factory=dict)
    #: (certificate, evidence) in the order issued
    certificates: list[tuple[Certificate, str]] = field(default_factory=list)
    suspensions: dict[int, Suspension] = field(default_factory=dict)
    complaints: dict[str, Complaint] = field(default_factory=dict)
    reviews: list[Review] = field(default_factory=list)
    contacts: list[dict[str, Any]] = field(default_factory=list)
    warnings: set[tuple[str, Subject, dt.date]] = field(default_factory=set)
    settings: dict[str, str] = field(default_factory=dict)


def training_data(state: dict[str, Any]) -> TrainingData:
    """The training records kept in ``state`` (made on first use)."""
    data = state.setdefault("training", TrainingData())
    assert isinstance(data, TrainingData)
    return data


def _next(keys: Any) -> int:
    return max(keys, default=0) + 1


class FakeTrainingRepository:
    def __init__(self, state: dict[str, Any]) -> None:
        self._state = state

    @property
    def data(self) -> TrainingData:
        return training_data(self._state)

    # --- staff --------------------------------------------------------------------
    def put_staff(self, staff: Staff, *, at: dt.datetime) -> None:
        if staff.staff_id in self.data.staff:
            raise AssertionError(f"staff {staff.staff_id} stored twice (a primary key)")
        self.data.staff[staff.staff_id] = staff

    def find_staff(self, staff_id: str) -> Staff | None:
        return self.data.staff.get(staff_id)

    def find_staff_many(self, staff_ids: Sequence[str]) -> dict[str, Staff]:
        return {sid: self.data.staff[sid] for sid in staff_ids if sid in self.data.staff}

    def staff(self, staff_id: str) -> Staff:
        found = self.find_staff(staff_id)
        if found is None:
            raise NotFound(f"staff member {staff_id} is not in the staff register; add them with "
                           "`dunwell training staff add`", code="staff_must_exist")
        return found

    def all_staff(self) -> list[Staff]:
        return [self.data.staff[k] for k in sorted(self.data.staff)]

    def set_active(self, staff_id: str, active: bool) -> None:
        if staff_id in self.data.staff:
            self.data.staff[staff_id] = replace(self.data.staff[staff_id], active=active)

    def field_agent_ids(self) -> list[str]:
        return sorted(k for k, (_, active) in field_data(self._state).agents.items() if active)

    def is_field_agent(self, agent_id: str) -> bool:
        return agent_id in field_data(self._state).agents

    def field_agent_names(self, agent_ids: Sequence[str]) -> dict[str, str | None]:
        return {a: self.field_agent_name(a) for a in agent_ids if self.is_field_agent(a)}

    def field_agent_name(self, agent_id: str) -> str | None:
        found = field_data(self._state).agents.get(agent_id)
        return None if found is None else found[0].name

    # --- enrolments ---------------------------------------------------------------
    def add_enrolment(self, *, staff_id: str, course_id: str, course_version: int,
                      enrolled_on: dt.date, refresher: bool, at: dt.datetime) -> int:
        eid = _next(self.data.enrolments)
        self.data.enrolments[eid] = Enrolment(eid, staff_id, course_id, course_version,
                                              enrolled_on, EnrolmentStatus.OPEN, (), refresher)
        return eid

    def open_enrolment(self, staff_id: str, course_id: str) -> Enrolment | None:
        found = [e for e in self.data.enrolments.values()
                 if e.staff_id == staff_id and e.course_id == course_id
                 and e.status is not EnrolmentStatus.CERTIFIED]
        return max(found, key=lambda e: e.enrolment_id) if found else None

    def enrolment(self, enrolment_id: int) -> Enrolment:
        if enrolment_id not in self.data.enrolments:
            raise NotFound(f"enrolment {enrolment_id} does not exist; see `dunwell training "
                           "records`", code="enrolment_must_exist")
        return self.data.enrolments[enrolment_id]

    def enrolments(self, staff_id: str | None = None) -> list[Enrolment]:
        return [e for _, e in sorted(self.data.enrolments.items())
                if staff_id is None or e.staff_id == staff_id]

    def module_done(self, enrolment_id: int, module_id: str, *, at: dt.datetime) -> bool:
        e = self.data.enrolments[enrolment_id]
        if module_id in e.modules_done:
            return False
        self.data.enrolments[enrolment_id] = replace(e, modules_done=(*e.modules_done,
                                                                      module_id))
        return True

    def set_enrolment_status(self, enrolment_id: int, status: EnrolmentStatus) -> None:
        if enrolment_id in self.data.enrolments:
            self.data.enrolments[enrolment_id] = replace(self.data.enrolments[enrolment_id],
                                                         status=status)

    # --- attempts -----------------------------------------------------------------
    def add_attempt(self, *, enrolment: Enrolment, started_at: dt.datetime,
                    submitted_at: dt.datetime, answers: dict[str, str],
                    score: AttemptScore) -> int:
        aid = _next(self.data.attempts)
        # the store keeps the figures, not the wrong answers
        kept = AttemptScore(score.correct, score.total, score.score_pct, score.passed, (),
                            score.over_time)
        self.data.attempts[aid] = (Attempt(aid, enrolment.enrolment_id, enrolment.staff_id,
                                           enrolment.course_id, started_at, submitted_at, kept),
                                   dict(answers))
        return aid

    def attempt_started(self, enrolment_id: int, started_at: dt.datetime,
                        ) -> tuple[int, dict[str, str]] | None:
        for aid, (a, answers) in sorted(self.data.attempts.items()):
            if a.enrolment_id == enrolment_id and a.started_at == started_at:
                return aid, dict(answers)
        return None

    def attempts(self, *, enrolment_id: int | None = None,
                 staff_id: str | None = None) -> list[Attempt]:
        return [a for _, (a, _answers) in sorted(self.data.attempts.items())
                if (enrolment_id is None or a.enrolment_id == enrolment_id)
                and (staff_id is None or a.staff_id == staff_id)]

    # --- certificates -------------------------------------------------------------
    def add_certificate(self, cert: Certificate, *, evidence: str, at: dt.datetime) -> bool:
        for held, _ in self.data.certificates:
            if held.number != cert.number:
                continue
            if (held.staff_id, held.subject, held.issued_on, held.expires_on) == (
                    cert.staff_id, cert.subject, cert.issued_on, cert.expires_on):
                return False
            raise Conflict(f"certificate number {cert.number} is already on record with other "
                           "details; use a new number", code="certificate_number_must_be_unique")
        self.data.certificates.append((cert, evidence))
        return True

    def certificates(self, staff_ids: Sequence[str] | None = None,
                     ) -> dict[str, list[Certificate]]:
        out: dict[str, list[Certificate]] = {}
        for cert, _ in self.data.certificates:
            if staff_ids is None or cert.staff_id in staff_ids:
                out.setdefault(cert.staff_id, []).append(cert)
        return out

    def certificates_count(self, staff_id: str, subject: Subject, issued_on: dt.date) -> int:
        return sum(1 for c, _ in self.data.certificates
                   if (c.staff_id, c.subject, c.issued_on) == (staff_id, subject, issued_on))

    # --- suspensions --------------------------------------------------------------
    def add_suspension(self, *, staff_id: str, subjects: Sequence[Subject], on: dt.date,
                       reason: str, complaint_ref: str | None, by: str) -> int:
        sid = _next(self.data.suspensions)
        self.data.suspensions[sid] = Suspension(sid, staff_id, frozenset(subjects), on, reason,
                                                None)
        return sid

    def reinstate(self, suspension_id: int, *, on: dt.date, by: str, note: str) -> None:
        if suspension_id in self.data.suspensions:
            self.data.suspensions[suspension_id] = replace(
                self.data.suspensions[suspension_id], reinstated_on=on)

    def suspensions(self, staff_ids: Sequence[str] | None = None,
                    ) -> dict[str, list[Suspension]]:
        out: dict[str, list[Suspension]] = {}
        for _, s in sorted(self.data.suspensions.items()):
            if staff_ids is None or s.staff_id in staff_ids:
                out.setdefault(s.staff_id, []).append(s)
        return out

    # --- complaints, reviews, contacts ----------------------------------------------
    def add_complaint(self, *, reference: str, staff_id: str, received_on: dt.date,
                      upheld: bool, note: str, by: str) -> bool:
        found = self.data.complaints.get(reference)
        if found is not None:
            if (found.staff_id, found.received_on, found.upheld) == (staff_id, received_on,
                                                                     upheld):
                return False
            raise Conflict(f"complaint {reference} is already recorded with other details",
                           code="complaint_reference_must_be_unique")
        self.data.complaints[reference] = Complaint(reference, staff_id, received_on, upheld,
                                                    note, by)
        return True

    def complaint_staff(self, reference: str) -> str | None:
        found = self.data.complaints.get(reference)
        return None if found is None else found.staff_id

    def add_review(self, *, staff_id: str, kind: str, reference: str, on: dt.date,
                   reviewer: str, passed: Sequence[str], failed: Sequence[str], score_pct: int,
                   note: str) -> bool:
        if any((r.kind, r.reference, r.reviewer) == (kind, reference, reviewer)
               for r in self.data.reviews):
            return False
        self.data.reviews.append(Review(staff_id, kind, reference, on, reviewer, score_pct))
        return True

    def add_staff_contact(self, *, staff_id: str, borrower_id: int, at: dt.datetime,
                          channel: str, outcome: str) -> None:
        self.data.contacts.append({"staff_contact_id": len(self.data.contacts) + 1,
                                   "staff_id": staff_id, "borrower_id": borrower_id,
                                   "ts": at.isoformat(), "channel": channel,
                                   "outcome": outcome})

    def staff_contacts(self, staff_id: str | None = None,
                       limit: int = 1000) -> list[dict[str, Any]]:
        rows = [dict(r) for r in reversed(self.data.contacts)
                if staff_id is None or r["staff_id"] == staff_id]
        return rows[:limit]

    # --- what the quality loop counts ----------------------------------------------
    def review_scores(self, start: dt.date, end: dt.date) -> dict[str, list[int]]:
        out: dict[str, list[int]] = {}
        for r in self.data.reviews:
            if start <= r.on <= end:
                out.setdefault(r.staff_id, []).append(r.score_pct)
        return out

    def upheld_complaints(self, start: dt.date, end: dt.date) -> dict[str, int]:
        out: dict[str, int] = {}
        for c in self.data.complaints.values():
            if c.upheld and start <= c.received_on <= end:
                out[c.staff_id] = out.get(c.staff_id, 0) + 1
        return out

    def guard_denials(self, start: dt.date, end: dt.date) -> dict[str, int]:
        """Guard denials on the actions of the cases each person owns."""
        book = collections_data(self._state)
        out: dict[str, int] = {}
        for a in book.actions.values():
            owner = book.cases.get(a["case_id"], {}).get("owner")
            if a["decision"] == "deny" and start <= a["business_date"] <= end and owner:
                out[owner] = out.get(owner, 0) + 1
        return out

    def _contacts_in(self, start: dt.date, end: dt.date) -> list[dict[str, Any]]:
        low, high = start.isoformat(), (end + dt.timedelta(days=1)).isoformat()
        return [r for r in self.data.contacts if low <= r["ts"] < high]

    def contacts_by_staff(self, start: dt.date, end: dt.date) -> dict[str, int]:
        out: dict[str, int] = {}
        for r in self._contacts_in(start, end):
            out[r["staff_id"]] = out.get(r["staff_id"], 0) + 1
        return out

    def _done_visits(self, start: dt.date, end: dt.date) -> list[dict[str, Any]]:
        return [r for _, r in sorted(field_data(self._state).visits.items())
                if r["status"] == "done" and start <= r["plan_date"] <= end
                and r.get("agent_id") is not None]

    def visits_by_agent(self, start: dt.date, end: dt.date) -> dict[str, int]:
        out: dict[str, int] = {}
        for r in self._done_visits(start, end):
            out[r["agent_id"]] = out.get(r["agent_id"], 0) + 1
        return out

    def review_candidates(self, start: dt.date, end: dt.date, *, limit: int = 100_000,
                          ) -> list[dict[str, Any]]:
        done = {(r.kind, r.reference) for r in self.data.reviews}
        out: list[dict[str, Any]] = []
        for m in self._contacts_in(start, end)[:limit]:
            kind = "visit" if m["channel"] == "visit" else "call"
            ref = f"contact-{m['staff_contact_id']}"
            if (kind, ref) not in done:
                out.append({"staff_id": m["staff_id"], "kind": kind, "reference": ref,
                            "when": m["ts"], "borrower_id": int(m["borrower_id"]),
                            "outcome": m["outcome"]})
        for m in self._done_visits(start, end)[:limit]:
            ref = f"visit-{m['visit_id']}"
            if ("visit", ref) not in done:
                out.append({"staff_id": m["agent_id"], "kind": "visit", "reference": ref,
                            "when": m.get("outcome_at") or str(m["plan_date"]),
                            "borrower_id": int(m["borrower_id"]), "outcome": m.get("outcome")})
        return out

    # --- warnings and settings ----------------------------------------------------
    def add_warning(self, *, staff_id: str, lead_id: str | None, subject: Subject,
                    expires_on: dt.date, warned_on: dt.date) -> bool:
        key = (staff_id, subject, expires_on)
        if key in self.data.warnings:
            return False
        self.data.warnings.add(key)
        return True

    def setting(self, name: str) -> str | None:
        return self.data.settings.get(name)

    def set_setting(self, name: str, value: str) -> None:
        self.data.settings[name] = value


registry.register("training", FakeTrainingRepository)
