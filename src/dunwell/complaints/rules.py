"""Deadlines, escalation routes, status changes and the dispute pause, per jurisdiction.

Deadlines count calendar days from the day the complaint was received (that day is
day 0). Each jurisdiction's figures carry their source; where a figure is a house
rule rather than the law's, :attr:`Deadlines.assumed` says so (docs/complaints.md).

- **CN-NIFA**: acknowledgement within 2 days (house rule) and a final answer within
  15 days: what every letter's rights section promises (template ``letter_rights``);
  it matches the 15-day handling period of the PBoC's consumer-protection measures.
- **UK-FCA**: a prompt written acknowledgement (DISP 1.6.1R; 5 days is a house
  figure), a final response within 8 weeks (DISP 1.6.2R); after a final response the
  complainant may refer to the Financial Ombudsman Service within 6 months (DISP
  2.8.2R), or after 8 weeks without one.
- **US-RegF**: no statutory complaint deadline for a creditor; the house rule is an
  acknowledgement within 5 days and an answer within 30 days. A written dispute within
  the validation period pauses collection until verification is sent (12 CFR
  1006.34, FDCPA §1692g(b)); complaints may go to the CFPB or a state attorney general
  at any time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from dunwell.complaints.errors import (
    ComplaintTransitionRejected,
    EscalationRouteUnknown,
    EscalationTooEarly,
)
from dunwell.complaints.model import TRANSITIONS, Complaint, Status
from dunwell.compliance.model import Dispute, Jurisdiction


@dataclass(frozen=True, slots=True)
class Deadlines:
    """When a complaint received on ``received_on`` must be acknowledged and answered,
    and how long the complainant may refer it on after a final response (None: no
    limit we know of)."""

    received_on: dt.date
    acknowledge_by: dt.date
    answer_by: dt.date
    referral_months: int | None
    source: str
    assumed: str


@dataclass(frozen=True, slots=True)
class Route:
    """Where a complaint may be escalated: a regulator, an ombudsman, a hotline."""

    key: str
    name: str
    contact: str


@dataclass(frozen=True, slots=True)
class _Terms:
    acknowledge_days: int
    answer_days: int
    referral_months: int | None
    source: str
    assumed: str
    routes: tuple[Route, ...]
    written_disputes_only: bool


TERMS: dict[Jurisdiction, _Terms] = {
    Jurisdiction.CN_NIFA: _Terms(
        acknowledge_days=2, answer_days=15, referral_months=None,
        source="letters' rights section (letter_rights template): a reply within 15 days; "
               "PBoC consumer-protection measures (2020): handling within 15 days",
        assumed="the 2-day acknowledgement is a house rule; no referral limit is set",
        routes=(Route("regulator", "National Financial Regulatory Administration hotline",
                      "12378"),
                Route("pboc", "People's Bank of China or the local financial regulator",
                      "local branch")),
        written_disputes_only=False),
    Jurisdiction.UK_FCA: _Terms(
        acknowledge_days=5, answer_days=56, referral_months=6,
        source="FCA DISP 1.6.1R (prompt acknowledgement), DISP 1.6.2R (final response "
               "within 8 weeks), DISP 2.8.2R (ombudsman referral within 6 months)",
        assumed="'prompt' has no figure in DISP 1.6.1R; 5 days is a house rule",
        routes=(Route("ombudsman", "Financial Ombudsman Service",
                      "financial-ombudsman.org.uk, 0800 023 4567"),
                Route("regulator", "Financial Conduct Authority", "fca.org.uk")),
        written_disputes_only=False),
    Jurisdiction.US_REGF: _Terms(
        acknowledge_days=5, answer_days=30, referral_months=None,
        source="12 CFR 1006.34 and FDCPA §1692g(b) (a written dispute in the validation "
               "period pauses collection until verification); CFPB complaint routing",
        assumed="no statutory complaint deadline applies to a creditor: 5 and 30 days are "
                "house rules",
        routes=(Route("regulator", "Consumer Financial Protection Bureau",
                      "consumerfinance.gov/complaint, (855) 411-2372"),
                Route("attorney_general", "the state attorney general", "the borrower's state")),
        written_disputes_only=True),
}


def deadlines(jurisdiction: Jurisdiction, received_on: dt.date) -> Deadlines:
    """The acknowledgement and final-answer deadlines of a complaint received on
    ``received_on`` (day 0) under ``jurisdiction``."""
    terms = TERMS[jurisdiction]
    return Deadlines(received_on=received_on,
                     acknowledge_by=received_on + dt.timedelta(days=terms.acknowledge_days),
                     answer_by=received_on + dt.timedelta(days=terms.answer_days),
                     referral_months=terms.referral_months, source=terms.source,
                     assumed=terms.assumed)


def routes(jurisdiction: Jurisdiction) -> tuple[Route, ...]:
    return TERMS[jurisdiction].routes


def route(jurisdiction: Jurisdiction, key: str) -> Route:
    """The escalation route ``key`` of ``jurisdiction``, or a rejection naming the known."""
    found = next((r for r in routes(jurisdiction) if r.key == key), None)
    if found is None:
        known = ", ".join(r.key for r in routes(jurisdiction))
        raise EscalationRouteUnknown(
            f"escalation route {key!r} is not one of {jurisdiction}'s; use one of {known}",
            field="to")
    return found


def overdue(complaint: Complaint, today: dt.date) -> bool:
    """Unanswered after its final-answer deadline."""
    due = deadlines(complaint.jurisdiction, complaint.received_on).answer_by
    return not complaint.status.answered and today > due


def days_left(complaint: Complaint, today: dt.date) -> int:
    """Days until the final-answer deadline (negative: overdue by that many)."""
    return (deadlines(complaint.jurisdiction, complaint.received_on).answer_by - today).days


def answered_in_time(complaint: Complaint) -> bool:
    """A final response dated on or before the final-answer deadline."""
    if complaint.answered_at is None:
        return False
    due = deadlines(complaint.jurisdiction, complaint.received_on).answer_by
    return complaint.answered_at.date() <= due


def check_transition(complaint: Complaint, to: Status, at: dt.datetime) -> None:
    """Refuse a status change the table does not allow, and an escalation of an
    unanswered complaint before its final-answer deadline has passed."""
    if to not in TRANSITIONS[complaint.status]:
        allowed = ", ".join(sorted(TRANSITIONS[complaint.status])) or "nothing"
        raise ComplaintTransitionRejected(
            f"complaint {complaint.complaint_id} is {complaint.status}; it cannot become "
            f"{to} (from {complaint.status}: {allowed})")
    if at < complaint.received_at:
        raise ComplaintTransitionRejected(
            f"complaint {complaint.complaint_id} was received at "
            f"{complaint.received_at.isoformat()}; a change at {at.isoformat()} would "
            "come before it")
    if to is Status.ESCALATED and not complaint.status.answered:
        due = deadlines(complaint.jurisdiction, complaint.received_on).answer_by
        if at.date() <= due:
            raise EscalationTooEarly(
                f"complaint {complaint.complaint_id} has no final response and its deadline "
                f"{due.isoformat()} has not passed; answer it first, or escalate after "
                f"{due.isoformat()}")


def pauses_collection(complaint: Complaint) -> bool:
    """Whether this complaint, while unanswered, pauses collection: a dispute of the
    debt; under US-RegF only one received in writing (§1692g(b))."""
    if not complaint.category.is_dispute:
        return False
    return complaint.channel.written or not TERMS[complaint.jurisdiction].written_disputes_only


def dispute_facts(complaints: Iterable[Complaint]) -> tuple[Dispute, ...]:
    """The guard's dispute facts: each pausing complaint, open from receipt until its
    final response (verification sent) or its closing, whichever came first."""
    out: list[Dispute] = []
    for c in complaints:
        if not pauses_collection(c):
            continue
        ends = [t for t in (c.answered_at, c.closed_at) if t is not None]
        out.append(Dispute(opened_at=c.received_at, ended_at=min(ends, default=None),
                           reference=f"complaint {c.complaint_id}"))
    return tuple(out)


__all__ = [
    "TERMS",
    "Deadlines",
    "Route",
    "answered_in_time",
    "check_transition",
    "days_left",
    "deadlines",
    "dispute_facts",
    "overdue",
    "pauses_collection",
    "route",
    "routes",
]
