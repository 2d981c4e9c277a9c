"""The seeds' failure story, end to end: a borrower refuses, and the lender goes to
court — only as the last resort, and fairly.

张伟 borrows 6,000.00 on 15 January 2025 (12 monthly instalments) and pays nothing.
Every morning the collection run plans the day through the compliance guard and
every night COB closes it. The reminders are delivered, the calls go unanswered, the
D+15 letter is delivered by post. At D+30 nobody has been reached for 14 days, so the
run sends a visit notice letter, delivered by post; at D+37, once the 7 days the
notice promised have run, the run proposes the visit, the field plan routes it, and a
certified agent visits; the borrower refuses to discuss the debt. At D+45 the run's
plan-offer step makes affordable offers on the book's estimate (proposed without an
assessment); the collector reaches him, takes his figures and makes offers on them,
which supersede the first; he takes none and they lapse two weeks later. At D+90
the strategy's legal review becomes a referral proposal; a legal counsel approves it
by name with a note. The demand letter is issued and delivered,
the evidence bundle is exported and verifies; the claim is filed, heard and decided,
and the legal case closes with its costs on record.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa
from legal_book import FIRST_DUE, open_small_book
from pypdf import PdfReader

from dunwell.app.audit import verify
from dunwell.app.cob import close_until
from dunwell.app.collections.collect import collect_day
from dunwell.app.collections.contacts import record_contact
from dunwell.app.field.visits import (
    add_agent,
    add_certificate,
    plan_visits,
    record_visit_outcome,
    set_address,
)
from dunwell.app.legal.cases import issue_demand, legal_case, record_legal_event
from dunwell.app.legal.evidence import export_bundle, verify_bundle_file
from dunwell.app.legal.referrals import (
    approve_referral,
    queue_legal_reviews,
    referral_facts,
    review_queue,
)
from dunwell.app.letters.service import issue_letters_for_day, record_letter_event
from dunwell.app.negotiation.service import accept_offer, assess_hardship, make_offers
from dunwell.app.training.service import add_staff
from dunwell.bootstrap import Dunwell, router_for
from dunwell.core.errors import DomainError
from dunwell.legal.model import LegalState, ReferralStatus
from dunwell.store import collection_tables as c
from dunwell.store.field_repo import FieldRepository
from dunwell.store.letters_repo import LetterRepository

SHANGHAI = dt.timezone(dt.timedelta(hours=8))
HOME = (31.2304, 121.4737)
CASE = "case-1-20250216"
NOTICE_DAY = FIRST_DUE + dt.timedelta(days=30)
VISIT_DAY = FIRST_DUE + dt.timedelta(days=37)
OFFER_DAY = FIRST_DUE + dt.timedelta(days=45)
REVIEW_DAY = FIRST_DUE + dt.timedelta(days=90)


def at(day: dt.date, hh: int, mm: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hh, mm), tzinfo=SHANGHAI)


def field_agent(app: Dunwell) -> None:
    now = dt.datetime(2025, 2, 1, tzinfo=dt.UTC)
    set_address(app, borrower_id=1, text="上海市黄浦区人民大道 1 号", latitude=HOME[0],
                longitude=HOME[1], now=now)
    add_agent(app, agent_id="fa-03", name="Chen", timezone="Asia/Shanghai",
              territory_name="Huangpu", latitude=HOME[0], longitude=HOME[1], radius_m=15_000,
              shift_start=dt.time(9), shift_end=dt.time(17, 30), visits_per_day_max=8,
              hourly_cost_minor=6_000, cost_per_km_minor=150, now=now)
    add_staff(app, staff_id="t-01", name="Trainer", role="trainer", lead_id=None, now=now)
    for subject in ("communication_skills", "legal_knowledge", "privacy", "vulnerability",
                    "visit_safety"):
        add_certificate(app, agent_id="fa-03", subject=subject, issued_on=dt.date(2024, 12, 1),
                        expires_on=dt.date(2025, 11, 30), signed_by="t-01", score_pct=90,
                        evidence="onboarding course", now=now)


def borrower_side(app: Dunwell, day: dt.date) -> None:
    """What happens to today's allowed contacts: messages are delivered, calls go
    unanswered (except the plan-offer call, which he takes), letters (the visit notice
    too) are printed, posted and signed for."""
    with app.uow() as uow:
        issue_letters_for_day(uow, templates=app.providers.templates(), business_date=day,
                              now=at(day, 8), settings=app.settings)
        rows = uow.conn.execute(sa.select(c.case_actions).where(
            c.case_actions.c.business_date == day,
            c.case_actions.c.decision == "allow")).all()
        for a in rows:
            when = at(day, 10 if a.channel != "call" else 11)
            if a.channel in ("sms", "in_app", "email"):
                record_contact(uow, borrower_id=a.borrower_id, at=when, channel=a.channel,
                               outcome="delivered", action_id=a.action_id, now=when)
            elif a.channel == "call":
                outcome = "conversation" if a.kind == "negotiation_offer" else "no_answer"
                record_contact(uow, borrower_id=a.borrower_id, at=when, channel="call",
                               outcome=outcome, action_id=a.action_id, now=when)
        letters = LetterRepository(uow.conn)
        for letter in letters.listing(business_date=day, limit=10):
            record_letter_event(uow, letter_no=letter.letter_no, event="printed",
                                at=at(day, 12))
            record_letter_event(uow, letter_no=letter.letter_no, event="dispatched",
                                at=at(day, 16), method="post")
            record_letter_event(uow, letter_no=letter.letter_no, event="delivered",
                                at=at(day + dt.timedelta(days=2), 11),
                                proof=f"EMS EA{letter.letter_no[-6:]}CN signed by addressee")
            record_contact(uow, borrower_id=1, at=at(day + dt.timedelta(days=2), 11),
                           channel="letter", outcome="delivered", now=at(day, 16))
        uow.commit()


def run_days(app: Dunwell, first: dt.date, last: dt.date,
             on_day: Callable[[dt.date], None] | None = None) -> None:
    day = first
    while day <= last:
        close_until(app, day - dt.timedelta(days=1))
        collect_day(app, day, now=at(day, 7))
        borrower_side(app, day)
        if on_day is not None:
            on_day(day)
        day += dt.timedelta(days=1)


def at_the_door(app: Dunwell, day: dt.date) -> None:
    if day != VISIT_DAY:
        return
    plan_visits(app, plan_date=day, router=router_for("nearest"), now=at(day, 8))
    with app.uow() as uow:
        (visit,) = FieldRepository(uow.conn).visits_on(day)
        (notice,) = [x for x in LetterRepository(uow.conn).listing(borrower_id=1)
                     if x.kind == "visit_notice"]
    # the notice went out a week before and was signed for; the plan routed the visit
    assert (notice.business_date, notice.status.value) == (NOTICE_DAY, "delivered")
    assert (visit.status.value, visit.agent_id) == ("planned", "fa-03")
    record_visit_outcome(app, visit_id=visit.visit_id, outcome="refused", at=at(day, 15, 20),
                         latitude=HOME[0], longitude=HOME[1],
                         note="borrower opened the door, refused to discuss the debt")


def on_day(app: Dunwell, offers: list[int]) -> Callable[[dt.date], None]:
    def hook(day: dt.date) -> None:
        at_the_door(app, day)
        if day == OFFER_DAY:
            assess_hardship(app, case_id=CASE, reason="other", monthly_income_minor=900_000,
                            essential_expenses_minor=450_000, other_debt_payments_minor=0,
                            evidence=["payslip-2025-03.pdf:" + "ab" * 32], vulnerable=False,
                            source="collector", now=at(day, 11, 20))
            offers.extend(o.offer_id for o in make_offers(app, case_id=CASE,
                                                          business_date=day))
    return hook


def test_a_refusal_ends_in_court_only_after_everything_else_and_a_persons_approval(
        app: Dunwell, tmp_path: Path) -> None:
    open_small_book(app, borrowers=(1,))
    field_agent(app)
    offers: list[int] = []
    run_days(app, FIRST_DUE - dt.timedelta(days=3), REVIEW_DAY - dt.timedelta(days=1),
             on_day(app, offers))

    # everything short of court happened first
    with app.engine.connect() as conn:
        steps = {r.step_id: r.decision for r in conn.execute(
            sa.select(c.case_actions).where(c.case_actions.c.borrower_id == 1))}
        visit_outcomes = [r[0] for r in conn.execute(sa.text(
            "SELECT outcome FROM visits WHERE borrower_id = 1"))]
    for step in ("pre_due_sms", "d3_call", "d7_call_queue", "d15_letter", "d30_visit_notice",
                 "d37_field_visit", "d45_negotiation_offer"):
        assert steps[step] == "allow", step
    assert visit_outcomes == ["refused"]
    assert offers, "plan offers were made"
    with app.engine.connect() as conn:
        made = conn.execute(sa.text(
            "SELECT o.business_date, o.status, o.expires_on, a.source FROM offers o JOIN "
            "hardship_assessments a ON a.assessment_id = o.assessment_id "
            "ORDER BY o.offer_id")).all()
    lapse = OFFER_DAY + dt.timedelta(days=14)
    # the morning's step offered first, on the book's estimate; the collector's offers
    # on his own figures replaced them the same day, and were open for two weeks
    book = [(str(d), st, str(e)) for d, st, e, src in made if src == "book"]
    mine = [(str(d), st, str(e)) for d, st, e, src in made if src == "collector"]
    assert book and set(book) == {(str(OFFER_DAY), "superseded", str(lapse))}
    assert len(mine) == len(offers)
    assert set(mine) == {(str(OFFER_DAY), "open", str(lapse))}
    # the plan offers lapsed: two weeks later none can be taken up any more
    with pytest.raises(DomainError) as err:
        accept_offer(app, offer_id=offers[0], now=at(REVIEW_DAY, 9))
    assert err.value.code == "offer_must_not_be_expired"

    # D+90: the morning run proposes the strategy's legal review into the queue, not filed
    run_days(app, REVIEW_DAY, REVIEW_DAY)
    with app.uow() as uow:
        assert queue_legal_reviews(uow, business_date=REVIEW_DAY, now=at(REVIEW_DAY, 9)) == []
        (proposal,) = review_queue(uow)
    assert proposal.status is ReferralStatus.PROPOSED and proposal.days_past_due == 90
    assert proposal.eligibility.failures == ()
    with app.uow() as uow:
        facts = referral_facts(uow, case_id=CASE, business_date=REVIEW_DAY)
    # what the rules judged: 90 days, well over 3,000.00, every attempt made, the visit
    # he refused, letters signed for, no plan and no promise, no protected status
    assert facts.days_past_due == 90 and facts.outstanding_minor >= 600_000
    assert facts.contact_attempts >= 6 and facts.in_person_visits == 1
    assert facts.letters_delivered >= 1
    assert not (facts.plan_in_good_standing or facts.promise_pending or facts.flags)
    # offers were made and every one had lapsed or been replaced before the referral
    assert facts.offers_made == len(made) and facts.offers_open == 0
    with app.engine.connect() as conn:
        assert conn.execute(sa.select(c.cases.c.status)).scalar_one() == "open"

    # a person approves, by name and role, with a note; the case goes to legal
    with app.uow() as uow:
        approve_referral(uow, referral_id=proposal.referral_id, approver="赵敏",
                         role="legal_counsel",
                         note="all contact exhausted, visit refused, offers lapsed",
                         business_date=REVIEW_DAY, now=at(REVIEW_DAY, 14))
        demand = issue_demand(uow, templates=app.providers.templates(),
                              referral_id=proposal.referral_id, business_date=REVIEW_DAY,
                              now=at(REVIEW_DAY, 15))
        for event, method, proof in (("printed", None, None), ("dispatched", "post", None),
                                     ("delivered", None, "EMS EA998877665CN signed")):
            record_letter_event(uow, letter_no=demand.letter_no, event=event,
                                at=at(REVIEW_DAY + dt.timedelta(days=2), 10), method=method,
                                proof=proof)
        uow.commit()
    assert demand.kind == "demand" and demand.language == "zh-CN"
    with app.engine.connect() as conn:
        assert conn.execute(sa.select(c.cases.c.status)).scalar_one() == "legal"
    # the ladder is paused while the case is in legal
    run_days(app, REVIEW_DAY + dt.timedelta(days=1), REVIEW_DAY + dt.timedelta(days=3))
    with app.engine.connect() as conn:
        later = conn.execute(sa.select(c.case_actions).where(
            c.case_actions.c.business_date > REVIEW_DAY)).all()
    assert later == []

    # the evidence bundle, exported and verified
    out = export_bundle(app, referral_id=proposal.referral_id, out_dir=tmp_path,
                        now=dt.datetime(2025, 5, 20, 2, 0, tzinfo=dt.UTC))
    check = verify_bundle_file(out.zip_path, app=app)
    assert check.intact and check.registered
    text = "".join(p.extract_text() or "" for p in PdfReader(
        io.BytesIO(out.pdf_path.read_bytes())).pages).replace("\n", "")
    with app.engine.connect() as conn:
        offer_kinds = {r[0] for r in conn.execute(sa.text("SELECT kind FROM offers"))}
    for words in ("张伟", "赵敏", "refused", "field_visit", "Contact log", "还款方案",
                  *offer_kinds, demand.letter_no, "EA998877665CN", "intact"):
        assert words in text, words
    assert "proposed without an assessment" in text
    # the bundle lists each offer's terms and how it ended, as of the referral
    table = list(csv.reader(io.StringIO(
        zipfile.ZipFile(out.zip_path).read("sections/08_offers.csv").decode())))
    assert table[0][2:] == ["Terms", "Basis", "Monthly payment", "Total paid / waived",
                            "Expires", "How it ended"]
    endings = [r[-1] for r in table[1:]]
    assert endings.count(f"lapsed: not taken up by {lapse}") == len(mine)
    assert endings.count("superseded: newer offers were made, or another offer was "
                         "accepted") == len(book)
    assert sum(r[3] == "proposed without an assessment (the book's estimate)"
               for r in table[1:]) == len(book)
    names = zipfile.ZipFile(out.zip_path).namelist()
    assert sum(1 for n in names if n.startswith("letters/")) >= 3  # reminder, notice, demand

    # to court: filed, heard, decided, closed — each with its date and cost
    story = (("filed", 30, 50_000, "上海市黄浦区人民法院", "(2025)沪0101民初5678号", "立案"),
             ("hearing", 75, 0, "", "", "borrower did not attend"),
             ("judgment", 90, 200_000, "", "", "judgment for the lender; costs awarded"),
             ("closed", 120, 0, "", "", "judgment served; file closed"))
    with app.uow() as uow:
        for event, days, cost, court, ref, note in story:
            view = record_legal_event(
                uow, referral_id=proposal.referral_id, event=event,
                on=REVIEW_DAY + dt.timedelta(days=days), cost_minor=cost,
                recorded_by="赵敏", now=at(REVIEW_DAY + dt.timedelta(days=days), 17),
                court=court, reference=ref, note=note)
        uow.commit()
    assert view.case.state is LegalState.CLOSED and view.total_cost_minor == 250_000
    with app.uow() as uow:
        view = legal_case(uow, referral_id=proposal.referral_id)
        assert review_queue(uow) == []
    assert [s.event.event.value for s in view.events] == ["filed", "hearing", "judgment",
                                                          "closed"]
    with app.engine.connect() as conn:
        case = conn.execute(sa.select(c.cases)).one()
        kinds = [r[0] for r in conn.execute(sa.select(c.case_timeline.c.kind)
                                            .order_by(c.case_timeline.c.entry_id))]
    assert case.status == "closed"
    assert kinds.index("legal_demand") < kinds.index("legal_filed") < kinds.index(
        "legal_judgment") < kinds.index("legal_closed")
    assert verify(app).intact
