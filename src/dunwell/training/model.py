"""Training vocabulary: staff and their roles, subjects and the actions they gate,
courses (modules, material in zh-CN and en, a question bank with a passing score,
validity and refresher rules), and the records: enrolments, attempts, certificates,
suspensions and quality reviews.

A certificate is valid from ``issued_on`` through ``expires_on`` inclusive. A
suspension covers the days from ``suspended_on`` up to the day before
``reinstated_on`` (open while ``reinstated_on`` is None).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from dunwell.core.errors import InvalidInput

LANGUAGES = ("zh-CN", "en")


class Subject(StrEnum):
    """What a certificate certifies. The first three are the field operation's
    historical subjects and keep their names."""

    COMMUNICATION_SKILLS = "communication_skills"  # communication and de-escalation
    LEGAL_KNOWLEDGE = "legal_knowledge"  # collection law and the jurisdiction's conduct rules
    PRIVACY = "privacy"  # privacy and data protection
    VULNERABILITY = "vulnerability"  # recognising vulnerability and hardship
    VISIT_SAFETY = "visit_safety"  # safety on visits
    PROCEDURES = "procedures"  # the house procedures: systems, records, escalation


class Role(StrEnum):
    COLLECTOR = "collector"
    FIELD_AGENT = "field_agent"
    TEAM_LEAD = "team_lead"
    MANAGER = "manager"
    RISK_ANALYST = "risk_analyst"
    COMPLIANCE_OFFICER = "compliance_officer"
    LEGAL_COUNSEL = "legal_counsel"
    TRAINER = "trainer"
    ADMIN = "admin"


#: Who may sign a certificate (never for themselves).
SIGNER_ROLES = frozenset({Role.TRAINER, Role.COMPLIANCE_OFFICER})
#: Who may suspend or reinstate certificates.
SUSPENDER_ROLES = frozenset({Role.TRAINER, Role.COMPLIANCE_OFFICER, Role.MANAGER})


class Action(StrEnum):
    """What the gate protects."""

    CALL = "call"  # a recorded call to a borrower
    VISIT = "visit"  # a field visit
    NEGOTIATE = "negotiate"  # approving or offering a repayment plan
    LEGAL = "legal"  # approving a legal referral or a legal step


class GapStatus(StrEnum):
    MISSING = "missing"
    EXPIRED = "expired"
    NOT_YET_VALID = "not_yet_valid"
    SUSPENDED = "suspended"


class CertificateSource(StrEnum):
    ASSESSMENT = "assessment"  # a passed attempt in Dunwell, signed
    IMPORT = "import"  # an outside course's passed assessment, evidence and signer recorded
    LEGACY = "legacy"  # carried over from the field register kept before training records


@dataclass(frozen=True, slots=True)
class Staff:
    staff_id: str
    name: str
    role: Role
    lead_id: str | None = None
    active: bool = True

    def __post_init__(self) -> None:
        if not self.staff_id.strip() or len(self.staff_id) > 64:
            raise InvalidInput("a staff id must be 1 to 64 characters",
                               code="staff_id_must_be_named")
        if self.lead_id == self.staff_id:
            raise InvalidInput(f"{self.staff_id} cannot be their own lead",
                               code="staff_lead_must_be_someone_else")


# --- the curriculum -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Module:
    module_id: str
    title: Mapping[str, str]  # language -> text
    material: Mapping[str, str]
    minutes: int


@dataclass(frozen=True, slots=True)
class Question:
    question_id: str
    prompt: Mapping[str, str]
    choices: Mapping[str, Mapping[str, str]]  # choice key -> language -> text
    answer: str


@dataclass(frozen=True, slots=True)
class Course:
    course_id: str
    subject: Subject
    version: int
    title: Mapping[str, str]
    modules: tuple[Module, ...]
    questions: tuple[Question, ...]
    pass_score_pct: int
    time_limit_min: int
    validity_days: int
    refresher_days_before: int  # the refresher falls due this many days before expiry
    refresher_modules: tuple[str, ...]  # the modules a refresher repeats

    @property
    def module_ids(self) -> tuple[str, ...]:
        return tuple(m.module_id for m in self.modules)


@dataclass(frozen=True, slots=True)
class Requirement:
    """Before ``action``, staff in ``roles`` need valid certificates in ``subjects``."""

    action: Action
    roles: frozenset[Role]
    subjects: tuple[Subject, ...]


@dataclass(frozen=True, slots=True)
class Curriculum:
    courses: tuple[Course, ...]
    requirements: tuple[Requirement, ...]
    warn_days: int  # expiry warnings this many days ahead
    quality_score_min_pct: int  # a review average below this recommends a refresher
    complaints_max: int  # upheld complaints above this recommend a refresher
    denials_max: int  # guard denials above this recommend a refresher
    #: reason (review_score, complaints, denials) -> the refresher courses it recommends
    refreshers: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def course(self, course_id: str) -> Course:
        for c in self.courses:
            if c.course_id == course_id:
                return c
        raise InvalidInput(f"unknown course {course_id!r}; see `dunwell training courses`",
                           code="course_must_exist")

    def course_for(self, subject: Subject) -> Course:
        for c in self.courses:
            if c.subject is subject:
                return c
        raise InvalidInput(f"no course teaches {subject.value}", code="course_must_exist")

    def requirement(self, action: Action) -> Requirement:
        for r in self.requirements:
            if r.action is action:
                return r
        raise InvalidInput(f"no requirement for {action.value}", code="requirement_must_exist")


# --- records -----------------------------------------------------------------------


class EnrolmentStatus(StrEnum):
    OPEN = "open"
    PASSED = "passed"  # an attempt passed; a certificate may be signed
    CERTIFIED = "certified"


@dataclass(frozen=True, slots=True)
class Enrolment:
    enrolment_id: int
    staff_id: str
    course_id: str
    course_version: int
    enrolled_on: dt.date
    status: EnrolmentStatus
    modules_done: tuple[str, ...] = ()
    refresher: bool = False


@dataclass(frozen=True, slots=True)
class AttemptScore:
    correct: int
    total: int
    score_pct: int
    passed: bool
    wrong: tuple[str, ...]  # question ids answered wrongly or not at all
    over_time: bool = False


@dataclass(frozen=True, slots=True)
class Attempt:
    attempt_id: int
    enrolment_id: int
    staff_id: str
    course_id: str
    started_at: dt.datetime
    submitted_at: dt.datetime
    score: AttemptScore


@dataclass(frozen=True, slots=True)
class Certificate:
    number: str
    staff_id: str
    subject: Subject
    course_id: str
    issued_on: dt.date
    expires_on: dt.date
    signed_by: str
    source: CertificateSource
    attempt_id: int | None = None
    score_pct: int | None = None

    def __post_init__(self) -> None:
        if self.expires_on < self.issued_on:
            raise InvalidInput(f"certificate {self.number} expires ({self.expires_on}) before it "
                               f"is issued ({self.issued_on})",
                               code="certificate_must_expire_after_issue")

    def valid_on(self, day: dt.date) -> bool:
        return self.issued_on <= day <= self.expires_on


@dataclass(frozen=True, slots=True)
class Suspension:
    suspension_id: int
    staff_id: str
    subjects: frozenset[Subject]  # the subjects suspended (all the staff member holds)
    suspended_on: dt.date
    reason: str
    reinstated_on: dt.date | None = None

    def covers(self, subject: Subject, day: dt.date) -> bool:
        return (subject in self.subjects and self.suspended_on <= day
                and (self.reinstated_on is None or day < self.reinstated_on))


@dataclass(frozen=True, slots=True)
class Gap:
    """Why a staff member is not certified in ``subject`` on a date."""

    subject: Subject
    status: GapStatus
    date: dt.date | None = None  # expiry, first valid day, or suspension day

    def describe(self) -> str:
        if self.status is GapStatus.EXPIRED:
            return f"{self.subject.value} (expired on {self.date})"
        if self.status is GapStatus.NOT_YET_VALID:
            return f"{self.subject.value} (valid only from {self.date})"
        if self.status is GapStatus.SUSPENDED:
            return f"{self.subject.value} (suspended since {self.date})"
        return f"{self.subject.value} (missing)"


@dataclass(frozen=True, slots=True)
class Expiring:
    subject: Subject
    expires_on: dt.date
    days_left: int


@dataclass(frozen=True, slots=True)
class Eligibility:
    """The gate's verdict, as data: allowed, or the gaps (and a refused role) that
    stop ``staff_id`` taking ``action`` on ``day``; ``expiring`` warns ahead."""

    staff_id: str
    action: Action
    day: dt.date
    gaps: tuple[Gap, ...]
    expiring: tuple[Expiring, ...]
    role_refused: Role | None = None

    @property
    def allowed(self) -> bool:
        return not self.gaps and self.role_refused is None

    def describe(self) -> str:
        if self.role_refused is not None:
            return f"role {self.role_refused.value} does not perform {self.action.value}s"
        parts: list[str] = []
        suspended = [g for g in self.gaps if g.status is GapStatus.SUSPENDED]
        for g in self.gaps:
            if g.status is not GapStatus.SUSPENDED:
                parts.append(g.describe())
            elif g is suspended[-1]:
                since = min(x.date for x in suspended if x.date is not None)
                parts.append(", ".join(x.subject.value for x in suspended)
                             + f" (suspended since {since})")
        return "no valid certificate in " + ", ".join(parts)


@dataclass(frozen=True, slots=True)
class QualityFigures:
    """One staff member's quality loop inputs over a period."""

    staff_id: str
    reviews: int
    review_score_pct: int | None  # mean checklist score, None without reviews
    complaints: int
    denials: int


@dataclass(frozen=True, slots=True)
class QualityVerdict:
    staff_id: str
    refresher: bool
    reasons: tuple[str, ...]
    courses: tuple[str, ...] = ()  # the refresher courses recommended
