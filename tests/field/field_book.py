"""The field tests' book: borrowers with open cases whose field visits the guard
allowed on one date (each announced by a visit notice letter the notice period
before), addresses with coordinates, and certified agents. The fixture itself is in
conftest.py; it copies the book :func:`build_field_book` writes."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from dunwell.app.field.visits import add_agent, add_certificate, set_address
from dunwell.app.training.service import add_staff, import_certificate
from dunwell.bootstrap import Dunwell
from dunwell.channels.document import Document, Paragraph, document_json, document_sha256
from dunwell.channels.letters import VISIT_NOTICE_DAYS
from dunwell.channels.verification import letter_no, verification_code
from dunwell.collections.model import CaseStatus, CaseView
from dunwell.compliance.model import Jurisdiction
from dunwell.store.collections_repo import ActionRepository, BorrowerRepository, CaseRepository
from dunwell.store.letters_repo import LetterRepository

DAY = dt.date(2026, 11, 24)
NOW = dt.datetime(2026, 11, 24, 7, 0, tzinfo=dt.UTC)
CENTRE = (30.6586, 104.0647)
VISIT_TAGS = ["reminder_letter", "staff_certified", "audio_video_recording", "prior_notice"]


@dataclass(frozen=True)
class Book:
    app: Dunwell
    action_of: dict[int, int]  # borrower id -> allowed field-visit action id


def build_field_book(app: Dunwell) -> None:
    """Six borrowers 1-5 km from the centre with allowed visits; two certified agents."""
    spots = [(1, 0), (0, 2), (-3, 0), (0, -4), (2, 2), (-1, -1)]
    for k, (n, e) in enumerate(spots, start=1):
        put_visit_case(app, k)
        lat, lon = offset(n, e)
        set_address(app, borrower_id=k, text=f"成都市 {k} 号", latitude=lat, longitude=lon,
                    now=NOW)
    agent(app, "a-1")
    agent(app, "a-2", at=offset(-2, -2))


def put_visit_case(app: Dunwell, borrower_id: int, *, day: dt.date = DAY,
                   window: tuple[str, str] = ("08:00", "20:00"), flags: tuple[str, ...] = (),
                   decision: str = "allow",
                   notice_days_before: int | None = VISIT_NOTICE_DAYS) -> int:
    """A borrower with an open case and a field visit the guard decided on ``day``,
    announced by a visit notice letter ``notice_days_before`` days earlier (None: no
    notice was sent)."""
    from dunwell.compliance.model import Flag

    with app.uow() as uow:
        BorrowerRepository(uow.conn).put(
            borrower_id=borrower_id, name=f"借款人{borrower_id:05d}",
            jurisdiction=Jurisdiction.CN_NIFA, timezone="Asia/Shanghai", language="zh-CN",
            flags=[Flag(f) for f in flags])
        case_id = f"case-{borrower_id}"
        CaseRepository(uow.conn).save(CaseView(
            case_id=case_id, borrower_id=str(borrower_id), status=CaseStatus.OPEN, loans=(),
            opened_on=day - dt.timedelta(days=30), strategy_name="humane", strategy_version=1,
            variant="champion"), day)
        action_id = ActionRepository(uow.conn).add({
            "case_id": case_id, "borrower_id": borrower_id, "business_date": day,
            "kind": "field_visit", "channel": "visit", "recipient": "borrower",
            "tags_json": json.dumps(VISIT_TAGS), "planned_at": f"{day}T14:00",
            "strategy": "humane@1", "variant": "champion", "segment_id": "standard",
            "step_id": "d37_field_visit", "due_date": day - dt.timedelta(days=37),
            "occurrence": 0, "decision": decision, "rule": None, "reason": "allowed",
            "window_start": f"{day}T{window[0]}:00+08:00" if decision == "allow" else None,
            "window_end": f"{day}T{window[1]}:00+08:00" if decision == "allow" else None,
            "defer_until": None, "status": "planned" if decision == "allow" else decision})
        uow.commit()
    if notice_days_before is not None:
        give_visit_notice(app, borrower_id, on=day - dt.timedelta(days=notice_days_before))
    return action_id


def give_visit_notice(app: Dunwell, borrower_id: int, *, on: dt.date) -> str:
    """Register a visit notice letter to the borrower with business date ``on``, as the
    letter run would have issued it (the field book's borrowers owe nothing on a loan,
    so the register is written directly); returns the letter number."""
    body = Document(title="上门拜访预先告知函", language="zh-CN",
                    blocks=(Paragraph(f"尊敬的借款人{borrower_id:05d}"),))
    digest = document_sha256(body)
    with app.uow() as uow:
        repo = LetterRepository(uow.conn)
        sequence = repo.next_sequence(on)
        number = letter_no(on, sequence)
        repo.add(letter_no=number, sequence=sequence,
                 verification_code=verification_code(secret="field-tests", letter_no=number,
                                                     content_sha256=digest),
                 idempotency_key=f"letter:visit_notice:case:case-{borrower_id}:{on}",
                 kind="visit_notice", borrower_id=borrower_id, case_id=f"case-{borrower_id}",
                 action_id=None, language="zh-CN", jurisdiction="CN-NIFA", business_date=on,
                 content_sha256=digest, document_json=document_json(body),
                 issued_at=dt.datetime.combine(on, dt.time(1), tzinfo=dt.UTC))
        uow.commit()
    return number


def offset(km_north: float, km_east: float) -> tuple[float, float]:
    import math

    return (round(CENTRE[0] + km_north / 111.32, 6),
            round(CENTRE[1] + km_east / (111.32 * math.cos(math.radians(CENTRE[0]))), 6))


TRAINER = "t-1"
#: The visit subjects beyond the field's three: every test agent has them, so the
#: tests below speak about communication skills, legal knowledge and privacy.
HOUSE_SUBJECTS = ("vulnerability", "visit_safety")


def trainer(app: Dunwell) -> str:
    """The trainer who signs the test agents' certificates."""
    add_staff(app, staff_id=TRAINER, name="Trainer", role="trainer", lead_id=None, now=NOW)
    return TRAINER


def certify(app: Dunwell, agent_id: str, *, expires: dt.date = dt.date(2027, 6, 30),
            subjects: tuple[str, ...] = ("communication_skills", "legal_knowledge",
                                         "privacy")) -> None:
    """Certificates in ``subjects`` valid for a year through ``expires`` (and in the
    house subjects through mid-2027), imported with a passing score and signed by the
    trainer."""
    trainer(app)
    for s in subjects:
        add_certificate(app, agent_id=agent_id, subject=s, expires_on=expires,
                        issued_on=expires - dt.timedelta(days=364), signed_by=TRAINER,
                        score_pct=90, evidence="field course", now=NOW)
    for s in HOUSE_SUBJECTS:
        import_certificate(app, staff_id=agent_id, subject=s, signer_id=TRAINER, score_pct=90,
                           evidence="field course", issued_on=dt.date(2026, 7, 1),
                           expires_on=dt.date(2027, 6, 30), now=NOW)


def agent(app: Dunwell, agent_id: str, *, at: tuple[float, float] = CENTRE,
          radius_m: int = 15_000, capacity: int = 10, shift: tuple[str, str] = ("09:00", "17:30"),
          certified: bool = True) -> None:
    add_agent(app, agent_id=agent_id, name=f"Agent {agent_id}", timezone="Asia/Shanghai",
              territory_name=f"area of {agent_id}", latitude=at[0], longitude=at[1],
              radius_m=radius_m, shift_start=dt.time.fromisoformat(shift[0]),
              shift_end=dt.time.fromisoformat(shift[1]), visits_per_day_max=capacity,
              hourly_cost_minor=6_000, cost_per_km_minor=150, now=NOW)
    if certified:
        certify(app, agent_id)
