"""The deadlines as worked examples per jurisdiction, the status table, escalation
routes, and which disputes pause collection (pure domain)."""

from __future__ import annotations

import datetime as dt

import pytest

from dunwell.complaints.model import Category, Complaint, ReceivedVia, Status
from dunwell.complaints.rules import (
    check_transition,
    deadlines,
    dispute_facts,
    overdue,
    pauses_collection,
    route,
)
from dunwell.compliance.guard import decide
from dunwell.compliance.model import Borrower, Channel, Jurisdiction, ProposedAction
from dunwell.core.errors import Conflict, InvalidInput

FEB1 = dt.date(2025, 2, 1)
T0 = dt.datetime(2025, 2, 1, 9, 0, tzinfo=dt.UTC)


def complaint(j: Jurisdiction, *, via: ReceivedVia = ReceivedVia.LETTER,
              cat: Category = Category.DEBT_NOT_MINE, status: Status = Status.RECEIVED,
              answered: dt.datetime | None = None) -> Complaint:
    return Complaint(1, 7, j, via, cat, status, T0, answered_at=answered)


@pytest.mark.parametrize(("j", "ack", "due"), [
    (Jurisdiction.CN_NIFA, dt.date(2025, 2, 3), dt.date(2025, 2, 16)),   # 15 days
    (Jurisdiction.UK_FCA, dt.date(2025, 2, 6), dt.date(2025, 3, 29)),    # 8 weeks
    (Jurisdiction.US_REGF, dt.date(2025, 2, 6), dt.date(2025, 3, 3)),    # 30 days
])
def test_deadlines_per_jurisdiction(j: Jurisdiction, ack: dt.date, due: dt.date) -> None:
    d = deadlines(j, FEB1)
    assert (d.acknowledge_by, d.answer_by) == (ack, due)
    assert d.source


def test_overdue_the_day_after_the_deadline_unless_answered() -> None:
    c = complaint(Jurisdiction.CN_NIFA)
    assert not overdue(c, dt.date(2025, 2, 16)) and overdue(c, dt.date(2025, 2, 17))
    done = complaint(Jurisdiction.CN_NIFA, status=Status.FINAL_RESPONSE, answered=T0)
    assert not overdue(done, dt.date(2025, 3, 1))
    assert deadlines(Jurisdiction.UK_FCA, FEB1).referral_months == 6  # DISP 2.8.2R


def test_status_table_and_escalation() -> None:
    c = complaint(Jurisdiction.UK_FCA)
    check_transition(c, Status.ACKNOWLEDGED, T0)
    with pytest.raises(Conflict):  # unanswered, 8 weeks not passed
        check_transition(c, Status.ESCALATED, T0 + dt.timedelta(days=56))
    check_transition(c, Status.ESCALATED, T0 + dt.timedelta(days=57))
    with pytest.raises(Conflict):
        check_transition(complaint(Jurisdiction.UK_FCA, status=Status.CLOSED), Status.CLOSED, T0)
    assert route(Jurisdiction.UK_FCA, "ombudsman").name == "Financial Ombudsman Service"
    with pytest.raises(InvalidInput):
        route(Jurisdiction.US_REGF, "ombudsman")


def test_which_disputes_pause_and_the_guard_denies_while_open() -> None:
    assert pauses_collection(complaint(Jurisdiction.US_REGF))           # written
    assert not pauses_collection(complaint(Jurisdiction.US_REGF, via=ReceivedVia.CALL))
    assert pauses_collection(complaint(Jurisdiction.UK_FCA, via=ReceivedVia.CALL))
    assert not pauses_collection(complaint(Jurisdiction.UK_FCA, cat=Category.CONDUCT))
    answered = T0 + dt.timedelta(days=3)
    facts = dispute_facts([complaint(Jurisdiction.US_REGF, status=Status.FINAL_RESPONSE,
                                     answered=answered)])
    b = Borrower(timezone="America/New_York", disputes=facts)
    during = ProposedAction(ts=dt.datetime(2025, 2, 3, 15, 0, tzinfo=dt.UTC), channel=Channel.CALL)
    after = ProposedAction(ts=dt.datetime(2025, 2, 5, 15, 0, tzinfo=dt.UTC), channel=Channel.CALL)
    v = decide(during, [], b, Jurisdiction.US_REGF)
    assert (v.decision, v.rule) == ("deny", "US-RegF-DISPUTE")
    assert "complaint 1" in v.reason
    assert decide(after, [], b, Jurisdiction.US_REGF).decision == "allow"
