"""The complaints register on a real book: recorded on any channel, acknowledged,
answered, escalated and closed through the services, each change audited and on the
timeline; the queue puts overdue first; the figures count by category and status;
an open written dispute pauses the collection run's contacts until it is answered."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from dunwell.app.audit import verify
from dunwell.app.cob import close_until
from dunwell.app.collections.collect import collect_day
from dunwell.app.complaints.figures import complaint_figures
from dunwell.app.complaints.service import (
    acknowledge,
    answer,
    close,
    complaints_for_borrower,
    escalate,
    get_complaint,
    list_complaints,
    record_complaint,
)
from dunwell.app.lending.book import LoanRequest, disburse, open_book, register_product
from dunwell.bootstrap import Dunwell
from dunwell.compliance.model import Jurisdiction
from dunwell.core.errors import Conflict, InvalidInput, NotFound
from dunwell.lending.products import builtin_product_texts
from dunwell.store import collection_tables as c
from dunwell.store import complaints_tables as ct

START = dt.date(2025, 1, 15)
DUE = dt.date(2025, 2, 15)
T0 = dt.datetime(2025, 2, 1, 6, 0, tzinfo=dt.UTC)
PLACES = {1: Jurisdiction.CN_NIFA, 2: Jurisdiction.UK_FCA, 3: Jurisdiction.US_REGF}
ZONES = {1: "Asia/Shanghai", 2: "Europe/London", 3: "America/New_York"}


def book(app: Dunwell) -> None:
    with app.uow() as uow:
        open_book(uow, business_date=START, partitions=2, currency="CNY")
        for text in builtin_product_texts():
            register_product(uow, text)
        disburse(uow, [LoanRequest(b, "merchant_annuity_12m", 600_000, 12) for b in PLACES])
        for b, j in PLACES.items():
            uow.borrowers.put(borrower_id=b, name=f"b{b}", jurisdiction=j,
                              timezone=ZONES[b], language="en")
        uow.commit()


def test_a_complaint_goes_through_its_life_audited_and_on_its_timeline(app: Dunwell) -> None:
    book(app)
    v = record_complaint(app, borrower_id=2, channel="call", category="fees_and_charges",
                         text="The late fee was charged twice.", now=T0, by="c-01")
    assert v.complaint.status == "received"
    assert v.deadlines.answer_by == dt.date(2025, 3, 29)  # 8 weeks, DISP 1.6.2R
    assert not v.pauses_collection
    cid = v.complaint_id
    acknowledge(app, complaint_id=cid, now=T0 + dt.timedelta(days=1), by="co-01")
    with pytest.raises(Conflict) as early:  # not answered, deadline not passed
        escalate(app, complaint_id=cid, to="ombudsman", now=T0 + dt.timedelta(days=2),
                 by="co-01")
    assert early.value.code == "complaint_escalation_must_follow_answer_or_deadline"
    with pytest.raises(InvalidInput):
        answer(app, complaint_id=cid, text="  ", now=T0 + dt.timedelta(days=3), by="co-01")
    answer(app, complaint_id=cid, text="We refunded the second fee.",
           now=T0 + dt.timedelta(days=3), by="co-01")
    with pytest.raises(InvalidInput) as where:
        escalate(app, complaint_id=cid, to="cfpb", now=T0 + dt.timedelta(days=9), by="co-01")
    assert where.value.code == "escalation_route_must_be_known"
    escalate(app, complaint_id=cid, to="ombudsman", now=T0 + dt.timedelta(days=9), by="co-01")
    done = close(app, complaint_id=cid, now=T0 + dt.timedelta(days=40), by="co-01")
    assert done.complaint.status == "closed"
    assert done.complaint.escalated_to == "ombudsman"
    assert done.answer == "We refunded the second fee."
    with pytest.raises(Conflict) as again:
        acknowledge(app, complaint_id=cid, now=T0 + dt.timedelta(days=41), by="co-01")
    assert again.value.code == "complaint_transition_must_be_allowed"
    _view, timeline = get_complaint(app, cid, today=DUE)
    assert [e.kind for e in timeline] == ["received", "acknowledged", "final_response",
                                          "escalated", "closed"]
    assert timeline[0].actor == "c-01"
    with app.engine.connect() as conn:
        kinds = [r[0] for r in conn.execute(sa.text(
            "SELECT kind FROM audit_log WHERE subject = :s ORDER BY seq"),
            {"s": f"complaint:{cid}"})]
        sealed = conn.execute(sa.select(sa.type_coerce(ct.complaints.c.text, sa.Text))).scalar()
    assert kinds == ["complaint_recorded", "complaint_acknowledged", "complaint_final_response",
                     "complaint_escalated", "complaint_closed"]
    assert sealed is not None and "late fee" not in sealed  # sealed at rest
    assert verify(app).intact
    with pytest.raises(NotFound):
        get_complaint(app, 999, today=DUE)


def test_bad_input_is_refused_and_nothing_is_saved(app: Dunwell) -> None:
    book(app)
    for kwargs in ({"channel": "fax"}, {"category": "rude"}, {"text": ""}):
        args = {"channel": "call", "category": "conduct", "text": "rude agent"} | kwargs
        with pytest.raises(InvalidInput):
            record_complaint(app, borrower_id=1, now=T0, **args)
    with pytest.raises(NotFound):
        record_complaint(app, borrower_id=77, channel="call", category="conduct",
                         text="x", now=T0)
    assert complaints_for_borrower(app, 1) == []


def test_the_queue_puts_overdue_first_and_the_figures_count(app: Dunwell) -> None:
    book(app)
    cn = record_complaint(app, borrower_id=1, channel="portal", category="conduct",
                          text="rude call", now=T0)  # answer by 16 Feb
    uk = record_complaint(app, borrower_id=2, channel="letter", category="privacy",
                          text="told my neighbour", now=T0)  # answer by 29 Mar
    us = record_complaint(app, borrower_id=3, channel="email", category="debt_not_mine",
                          text="not my loan", now=T0 + dt.timedelta(days=1))  # by 4 Mar
    answer(app, complaint_id=us.complaint_id, text="Here is the signed agreement.",
           now=T0 + dt.timedelta(days=3), by="co-01")
    today = dt.date(2025, 2, 20)
    queue = list_complaints(app, today=today)
    assert [v.complaint_id for v in queue] == [cn.complaint_id, uk.complaint_id,
                                               us.complaint_id]
    assert queue[0].overdue and queue[0].days_left == -4
    assert [v.complaint_id for v in list_complaints(app, today=today, overdue_only=True)] == [
        cn.complaint_id]
    assert [v.complaint_id for v in list_complaints(app, today=today, category="privacy")] == [
        uk.complaint_id]
    assert [v.complaint_id for v in complaints_for_borrower(app, 3)] == [us.complaint_id]
    close_until(app, DUE + dt.timedelta(days=5))
    collect_day(app, DUE + dt.timedelta(days=6), now=T0 + dt.timedelta(days=21))
    f = complaint_figures(app, start=dt.date(2025, 2, 1), end=today)
    assert (f.received, f.answered, f.answered_within_deadline, f.overdue, f.disputes) == (
        3, 1, 1, 1, 1)
    assert f.by_category["conduct"] == 1 and f.by_status["received"] == 2
    assert f.open_cases > 0 and f.rate_per_1000_open_cases == round(3000 / f.open_cases, 1)
    with pytest.raises(InvalidInput):
        complaint_figures(app, start=today, end=dt.date(2025, 2, 1))


def _decisions(app: Dunwell, borrower: int) -> list[tuple[str, str | None]]:
    with app.engine.connect() as conn:
        rows = conn.execute(sa.select(c.case_actions.c.decision, c.case_actions.c.rule)
                            .where(c.case_actions.c.borrower_id == borrower))
        return [(str(d), r) for d, r in rows]


def test_an_open_written_dispute_pauses_collection_until_answered(app: Dunwell) -> None:
    book(app)
    with app.uow() as uow:
        for b in PLACES:
            uow.borrowers.put(borrower_id=b, name=f"b{b}", jurisdiction=Jurisdiction.US_REGF,
                              timezone="America/New_York", language="en")
        uow.commit()
    d = record_complaint(app, borrower_id=1, channel="letter", category="amount_disputed",
                         text="I paid January already.", now=T0)
    oral = record_complaint(app, borrower_id=2, channel="call", category="debt_not_mine",
                            text="not mine", now=T0)
    assert d.pauses_collection and not oral.pauses_collection  # §1692g(b): in writing
    day = DUE + dt.timedelta(days=3)
    close_until(app, day - dt.timedelta(days=1))
    collect_day(app, day, now=dt.datetime(2025, 2, 18, 14, 0, tzinfo=dt.UTC))
    paused = _decisions(app, 1)
    assert paused and all(rule == "US-RegF-DISPUTE" for _, rule in paused)
    assert all(decision == "deny" for decision, _ in paused)
    assert "US-RegF-DISPUTE" not in {r for _, r in _decisions(app, 2)}
    answer(app, complaint_id=d.complaint_id, text="Verification: statement enclosed.",
           now=dt.datetime(2025, 2, 19, 14, 0, tzinfo=dt.UTC), by="co-01")
    with app.uow() as uow:
        facts = uow.borrowers.get(1).borrower.disputes
    assert len(facts) == 1 and facts[0].ended_at is not None
    assert not facts[0].open_at(dt.datetime(2025, 2, 20, tzinfo=dt.UTC))
