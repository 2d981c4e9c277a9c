"""Repository for training: the staff register, enrolments and modules done,
attempts, certificates, suspensions, conduct complaints, quality reviews, staff
contacts, expiry warnings and settings; and what the quality loop counts."""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, func, insert, select, update

from dunwell.core.errors import Conflict, NotFound
from dunwell.store import collection_tables as c
from dunwell.store import field_tables as f
from dunwell.store import training_tables as tr
from dunwell.training.model import (
    Attempt,
    AttemptScore,
    Certificate,
    CertificateSource,
    Enrolment,
    EnrolmentStatus,
    Role,
    Staff,
    Subject,
    Suspension,
)

#: Ids per IN (...) query.
CHUNK = 500


def _ts(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


class TrainingRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    # --- staff --------------------------------------------------------------------

    def put_staff(self, staff: Staff, *, at: dt.datetime) -> None:
        self.conn.execute(insert(tr.staff).values(
            staff_id=staff.staff_id, name=staff.name, role=staff.role.value,
            lead_id=staff.lead_id, active=staff.active, added_at=at.isoformat()))

    def find_staff(self, staff_id: str) -> Staff | None:
        row = self.conn.execute(select(tr.staff).where(tr.staff.c.staff_id == staff_id)).first()
        return None if row is None else _staff(row._mapping)

    def find_staff_many(self, staff_ids: Sequence[str]) -> dict[str, Staff]:
        """The register's records of those of ``staff_ids`` it holds."""
        ids = list(dict.fromkeys(staff_ids))
        out: dict[str, Staff] = {}
        for k in range(0, len(ids), CHUNK):
            q = select(tr.staff).where(tr.staff.c.staff_id.in_(ids[k:k + CHUNK]))
            for row in self.conn.execute(q):
                found = _staff(row._mapping)
                out[found.staff_id] = found
        return out

    def staff(self, staff_id: str) -> Staff:
        found = self.find_staff(staff_id)
        if found is None:
            raise NotFound(f"staff member {staff_id} is not in the staff register; add them with "
                           "`dunwell training staff add`", code="staff_must_exist")
        return found

    def all_staff(self) -> list[Staff]:
        q = select(tr.staff).order_by(tr.staff.c.staff_id)
        return [_staff(r._mapping) for r in self.conn.execute(q)]

    def set_active(self, staff_id: str, active: bool) -> None:
        self.conn.execute(update(tr.staff).where(tr.staff.c.staff_id == staff_id)
                          .values(active=active))

    def field_agent_ids(self) -> list[str]:
        q = select(f.field_agents.c.agent_id).where(f.field_agents.c.active.is_(True))
        return [str(a) for (a,) in self.conn.execute(q.order_by(f.field_agents.c.agent_id))]

    def is_field_agent(self, agent_id: str) -> bool:
        q = select(f.field_agents.c.agent_id).where(f.field_agents.c.agent_id == agent_id)
        return self.conn.execute(q).first() is not None

    def field_agent_names(self, agent_ids: Sequence[str]) -> dict[str, str | None]:
        """agent id -> name for those of ``agent_ids`` that are field agents."""
        ids = list(dict.fromkeys(agent_ids))
        out: dict[str, str | None] = {}
        for k in range(0, len(ids), CHUNK):
            q = select(f.field_agents.c.agent_id, f.field_agents.c.name).where(
                f.field_agents.c.agent_id.in_(ids[k:k + CHUNK]))
            out.update({str(a): None if n is None else str(n)
                        for a, n in self.conn.execute(q)})
        return out

    def field_agent_name(self, agent_id: str) -> str | None:
        q = select(f.field_agents.c.name).where(f.field_agents.c.agent_id == agent_id)
        row = self.conn.execute(q).first()
        return None if row is None else str(row[0])

    # --- enrolments ---------------------------------------------------------------

    def add_enrolment(self, *, staff_id: str, course_id: str, course_version: int,
                      enrolled_on: dt.date, refresher: bool, at: dt.datetime) -> int:
        res = self.conn.execute(insert(tr.training_enrolments).values(
            staff_id=staff_id, course_id=course_id, course_version=course_version,
            enrolled_on=enrolled_on, refresher=refresher, status=EnrolmentStatus.OPEN.value,
            enrolled_at=at.isoformat()))
        pk = res.inserted_primary_key
        assert pk is not None
        return int(pk[0])

    def open_enrolment(self, staff_id: str, course_id: str) -> Enrolment | None:
        t = tr.training_enrolments
        row = self.conn.execute(
            select(t).where(t.c.staff_id == staff_id, t.c.course_id == course_id,
                            t.c.status != EnrolmentStatus.CERTIFIED.value)
            .order_by(t.c.enrolment_id.desc())).first()
        return None if row is None else self._enrolment(row._mapping)

    def enrolment(self, enrolment_id: int) -> Enrolment:
        t = tr.training_enrolments
        row = self.conn.execute(select(t).where(t.c.enrolment_id == enrolment_id)).first()
        if row is None:
            raise NotFound(f"enrolment {enrolment_id} does not exist; see `dunwell training "
                           "records`", code="enrolment_must_exist")
        return self._enrolment(row._mapping)

    def enrolments(self, staff_id: str | None = None) -> list[Enrolment]:
        t = tr.training_enrolments
        q = select(t).order_by(t.c.enrolment_id)
        if staff_id is not None:
            q = q.where(t.c.staff_id == staff_id)
        return [self._enrolment(r._mapping) for r in self.conn.execute(q)]

    def _enrolment(self, m: Any) -> Enrolment:
        done = tr.training_modules_done
        mods = tuple(str(x) for (x,) in self.conn.execute(
            select(done.c.module_id).where(done.c.enrolment_id == m["enrolment_id"])
            .order_by(done.c.completed_at, done.c.module_id)))
        return Enrolment(int(m["enrolment_id"]), m["staff_id"], m["course_id"],
                         int(m["course_version"]), m["enrolled_on"],
                         EnrolmentStatus(m["status"]), mods, bool(m["refresher"]))

    def module_done(self, enrolment_id: int, module_id: str, *, at: dt.datetime) -> bool:
        done = tr.training_modules_done
        if self.conn.execute(select(done.c.module_id).where(
                done.c.enrolment_id == enrolment_id, done.c.module_id == module_id)).first():
            return False
        self.conn.execute(insert(done).values(enrolment_id=enrolment_id, module_id=module_id,
                                              completed_at=at.isoformat()))
        return True

    def set_enrolment_status(self, enrolment_id: int, status: EnrolmentStatus) -> None:
        t = tr.training_enrolments
        self.conn.execute(update(t).where(t.c.enrolment_id == enrolment_id)
                          .values(status=status.value))

    # --- attempts -----------------------------------------------------------------

    def add_attempt(self, *, enrolment: Enrolment, started_at: dt.datetime,
                    submitted_at: dt.datetime, answers: dict[str, str],
                    score: AttemptScore) -> int:
        res = self.conn.execute(insert(tr.training_attempts).values(
            enrolment_id=enrolment.enrolment_id, staff_id=enrolment.staff_id,
            course_id=enrolment.course_id, started_at=started_at.isoformat(),
            submitted_at=submitted_at.isoformat(),
            answers_json=json.dumps(answers, sort_keys=True), correct=score.correct,
            total=score.total, score_pct=score.score_pct, passed=score.passed,
            over_time=score.over_time))
        pk = res.inserted_primary_key
        assert pk is not None
        return int(pk[0])

    def attempt_started(self, enrolment_id: int, started_at: dt.datetime,
                        ) -> tuple[int, dict[str, str]] | None:
        """The attempt of the enrolment that started at ``started_at`` and its answers."""
        t = tr.training_attempts
        row = self.conn.execute(select(t.c.attempt_id, t.c.answers_json).where(
            t.c.enrolment_id == enrolment_id, t.c.started_at == started_at.isoformat())).first()
        return None if row is None else (int(row[0]), dict(json.loads(row[1])))

    def attempts(self, *, enrolment_id: int | None = None,
                 staff_id: str | None = None) -> list[Attempt]:
        t = tr.training_attempts
        q = select(t).order_by(t.c.attempt_id)
        if enrolment_id is not None:
            q = q.where(t.c.enrolment_id == enrolment_id)
        if staff_id is not None:
            q = q.where(t.c.staff_id == staff_id)
        out = []
        for r in self.conn.execute(q):
            m = r._mapping
            out.append(Attempt(int(m["attempt_id"]), int(m["enrolment_id"]), m["staff_id"],
                               m["course_id"], _ts(m["started_at"]), _ts(m["submitted_at"]),
                               AttemptScore(int(m["correct"]), int(m["total"]),
                                            int(m["score_pct"]), bool(m["passed"]), (),
                                            bool(m["over_time"]))))
        return out

    # --- certificates -------------------------------------------------------------

    def add_certificate(self, cert: Certificate, *, evidence: str, at: dt.datetime) -> bool:
        """Store ``cert``; False for a replay of the same certificate; another
        certificate under the same number is a conflict."""
        t = tr.training_certificates
        row = self.conn.execute(select(t).where(t.c.certificate_no == cert.number)).first()
        if row is not None:
            m = row._mapping
            if (m["staff_id"], m["subject"], m["issued_on"], m["expires_on"]) == (
                    cert.staff_id, cert.subject.value, cert.issued_on, cert.expires_on):
                return False
            raise Conflict(f"certificate number {cert.number} is already on record with other "
                           "details; use a new number", code="certificate_number_must_be_unique")
        self.conn.execute(insert(t).values(
            certificate_no=cert.number, staff_id=cert.staff_id, subject=cert.subject.value,
            course_id=cert.course_id, issued_on=cert.issued_on, expires_on=cert.expires_on,
            signed_by=cert.signed_by, source=cert.source.value, attempt_id=cert.attempt_id,
            score_pct=cert.score_pct, evidence=evidence, issued_at=at.isoformat()))
        return True

    def certificates(self, staff_ids: Sequence[str] | None = None) -> dict[str, list[Certificate]]:
        t = tr.training_certificates
        q = select(t).order_by(t.c.certificate_id)
        out: dict[str, list[Certificate]] = defaultdict(list)
        ids = None if staff_ids is None else list(staff_ids)
        groups: list[list[str] | None] = ([None] if ids is None else
                                          [ids[k:k + CHUNK] for k in range(0, len(ids), CHUNK)])
        for chunk in groups:
            part = q if chunk is None else q.where(t.c.staff_id.in_(chunk))
            for r in self.conn.execute(part):
                m = r._mapping
                out[m["staff_id"]].append(Certificate(
                    m["certificate_no"], m["staff_id"], Subject(m["subject"]), m["course_id"],
                    m["issued_on"], m["expires_on"], m["signed_by"],
                    CertificateSource(m["source"]), m["attempt_id"], m["score_pct"]))
        return dict(out)

    def certificates_count(self, staff_id: str, subject: Subject, issued_on: dt.date) -> int:
        t = tr.training_certificates
        q = select(func.count()).select_from(t).where(
            t.c.staff_id == staff_id, t.c.subject == subject.value, t.c.issued_on == issued_on)
        return int(self.conn.execute(q).scalar_one())

    # --- suspensions --------------------------------------------------------------

    def add_suspension(self, *, staff_id: str, subjects: Sequence[Subject], on: dt.date,
                       reason: str, complaint_ref: str | None, by: str) -> int:
        res = self.conn.execute(insert(tr.training_suspensions).values(
            staff_id=staff_id, subjects_json=json.dumps(sorted(s.value for s in subjects)),
            suspended_on=on, reason=reason, complaint_ref=complaint_ref, suspended_by=by))
        pk = res.inserted_primary_key
        assert pk is not None
        return int(pk[0])

    def reinstate(self, suspension_id: int, *, on: dt.date, by: str, note: str) -> None:
        t = tr.training_suspensions
        self.conn.execute(update(t).where(t.c.suspension_id == suspension_id).values(
            reinstated_on=on, reinstated_by=by, reinstate_note=note))

    def suspensions(self, staff_ids: Sequence[str] | None = None,
                    ) -> dict[str, list[Suspension]]:
        t = tr.training_suspensions
        q = select(t).order_by(t.c.suspension_id)
        ids = None if staff_ids is None else list(staff_ids)
        groups: list[list[str] | None] = ([None] if ids is None else
                                          [ids[k:k + CHUNK] for k in range(0, len(ids), CHUNK)])
        out: dict[str, list[Suspension]] = defaultdict(list)
        for chunk in groups:
            part = q if chunk is None else q.where(t.c.staff_id.in_(chunk))
            for r in self.conn.execute(part):
                m = r._mapping
                out[m["staff_id"]].append(Suspension(
                    int(m["suspension_id"]), m["staff_id"],
                    frozenset(Subject(s) for s in json.loads(m["subjects_json"])),
                    m["suspended_on"], m["reason"], m["reinstated_on"]))
        return dict(out)

    # --- complaints, reviews, contacts ----------------------------------------------

    def add_complaint(self, *, reference: str, staff_id: str, received_on: dt.date,
                      upheld: bool, note: str, by: str) -> bool:
        t = tr.staff_complaints
        row = self.conn.execute(select(t).where(t.c.reference == reference)).first()
        if row is not None:
            m = row._mapping
            if (m["staff_id"], m["received_on"], bool(m["upheld"])) == (staff_id, received_on,
                                                                         upheld):
                return False
            raise Conflict(f"complaint {reference} is already recorded with other details",
                           code="complaint_reference_must_be_unique")
        self.conn.execute(insert(t).values(reference=reference, staff_id=staff_id,
                                           received_on=received_on, upheld=upheld, note=note,
                                           recorded_by=by))
        return True

    def complaint_staff(self, reference: str) -> str | None:
        t = tr.staff_complaints
        row = self.conn.execute(select(t.c.staff_id).where(t.c.reference == reference)).first()
        return None if row is None else str(row[0])

    def add_review(self, *, staff_id: str, kind: str, reference: str, on: dt.date,
                   reviewer: str, passed: Sequence[str], failed: Sequence[str], score_pct: int,
                   note: str) -> bool:
        t = tr.quality_reviews
        if self.conn.execute(select(t.c.review_id).where(
                t.c.kind == kind, t.c.reference == reference, t.c.reviewer == reviewer)).first():
            return False
        self.conn.execute(insert(t).values(
            staff_id=staff_id, kind=kind, reference=reference, reviewed_on=on,
            reviewer=reviewer, passed_json=json.dumps(sorted(passed)),
            failed_json=json.dumps(sorted(failed)), score_pct=score_pct, note=note))
        return True

    def add_staff_contact(self, *, staff_id: str, borrower_id: int, at: dt.datetime,
                          channel: str, outcome: str) -> None:
        self.conn.execute(insert(tr.staff_contacts).values(
            staff_id=staff_id, borrower_id=borrower_id, ts=at.isoformat(), channel=channel,
            outcome=outcome))

    def staff_contacts(self, staff_id: str | None = None,
                       limit: int = 1000) -> list[dict[str, Any]]:
        t = tr.staff_contacts
        q = select(t).order_by(t.c.staff_contact_id.desc()).limit(limit)
        if staff_id is not None:
            q = q.where(t.c.staff_id == staff_id)
        return [dict(r._mapping) for r in self.conn.execute(q)]

    # --- what the quality loop counts ----------------------------------------------

    def review_scores(self, start: dt.date, end: dt.date) -> dict[str, list[int]]:
        t = tr.quality_reviews
        q = select(t.c.staff_id, t.c.score_pct).where(t.c.reviewed_on >= start,
                                                      t.c.reviewed_on <= end)
        out: dict[str, list[int]] = defaultdict(list)
        for sid, score in self.conn.execute(q):
            out[str(sid)].append(int(score))
        return dict(out)

    def upheld_complaints(self, start: dt.date, end: dt.date) -> dict[str, int]:
        t = tr.staff_complaints
        q = (select(t.c.staff_id, func.count()).where(
            t.c.upheld.is_(True), t.c.received_on >= start, t.c.received_on <= end)
             .group_by(t.c.staff_id))
        return {str(s): int(n) for s, n in self.conn.execute(q)}

    def guard_denials(self, start: dt.date, end: dt.date) -> dict[str, int]:
        """Guard denials on the actions of the cases each person owns."""
        a, k = c.case_actions, c.cases
        q = (select(k.c.owner, func.count()).join(k, k.c.case_id == a.c.case_id)
             .where(a.c.decision == "deny", a.c.business_date >= start,
                    a.c.business_date <= end, k.c.owner.is_not(None))
             .group_by(k.c.owner))
        return {str(s): int(n) for s, n in self.conn.execute(q)}

    def contacts_by_staff(self, start: dt.date, end: dt.date) -> dict[str, int]:
        t = tr.staff_contacts
        q = (select(t.c.staff_id, func.count())
             .where(t.c.ts >= start.isoformat(),
                    t.c.ts < (end + dt.timedelta(days=1)).isoformat())
             .group_by(t.c.staff_id))
        return {str(s): int(n) for s, n in self.conn.execute(q)}

    def visits_by_agent(self, start: dt.date, end: dt.date) -> dict[str, int]:
        v = f.visits
        q = (select(v.c.agent_id, func.count()).where(
            v.c.status == "done", v.c.plan_date >= start, v.c.plan_date <= end,
            v.c.agent_id.is_not(None)).group_by(v.c.agent_id))
        return {str(s): int(n) for s, n in self.conn.execute(q)}

    def review_candidates(self, start: dt.date, end: dt.date, *, limit: int = 100_000,
                          ) -> list[dict[str, Any]]:
        """The calls and visits recorded by staff in [start, end] that nobody has
        reviewed yet: ``reference`` is ``contact-ID`` or ``visit-ID``."""
        t, v, r = tr.staff_contacts, f.visits, tr.quality_reviews
        done = {(str(k), str(ref)) for k, ref in self.conn.execute(
            select(r.c.kind, r.c.reference))}
        out: list[dict[str, Any]] = []
        q = (select(t).where(t.c.ts >= start.isoformat(),
                             t.c.ts < (end + dt.timedelta(days=1)).isoformat())
             .order_by(t.c.staff_contact_id).limit(limit))
        for row in self.conn.execute(q):
            m = row._mapping
            kind = "visit" if m["channel"] == "visit" else "call"
            ref = f"contact-{m['staff_contact_id']}"
            if (kind, ref) not in done:
                out.append({"staff_id": m["staff_id"], "kind": kind, "reference": ref,
                            "when": m["ts"], "borrower_id": int(m["borrower_id"]),
                            "outcome": m["outcome"]})
        q2 = (select(v).where(v.c.status == "done", v.c.plan_date >= start,
                              v.c.plan_date <= end, v.c.agent_id.is_not(None))
              .order_by(v.c.visit_id).limit(limit))
        for row in self.conn.execute(q2):
            m = row._mapping
            ref = f"visit-{m['visit_id']}"
            if ("visit", ref) not in done:
                out.append({"staff_id": m["agent_id"], "kind": "visit", "reference": ref,
                            "when": m["outcome_at"] or str(m["plan_date"]),
                            "borrower_id": int(m["borrower_id"]), "outcome": m["outcome"]})
        return out

    # --- warnings and settings ----------------------------------------------------

    def add_warning(self, *, staff_id: str, lead_id: str | None, subject: Subject,
                    expires_on: dt.date, warned_on: dt.date) -> bool:
        t = tr.training_warnings
        if self.conn.execute(select(t.c.warning_id).where(
                t.c.staff_id == staff_id, t.c.subject == subject.value,
                t.c.expires_on == expires_on)).first():
            return False
        self.conn.execute(insert(t).values(staff_id=staff_id, lead_id=lead_id,
                                           subject=subject.value, expires_on=expires_on,
                                           warned_on=warned_on))
        return True

    def setting(self, name: str) -> str | None:
        t = tr.training_settings
        row = self.conn.execute(select(t.c.value).where(t.c.name == name)).first()
        return None if row is None else str(row[0])

    def set_setting(self, name: str, value: str) -> None:
        t = tr.training_settings
        if self.setting(name) is None:
            self.conn.execute(insert(t).values(name=name, value=value))
        else:
            self.conn.execute(update(t).where(t.c.name == name).values(value=value))


def _staff(m: Any) -> Staff:
    return Staff(m["staff_id"], m["name"], Role(m["role"]), m["lead_id"], bool(m["active"]))
