"""Pure field rules: certificate validity, distances and travel times, visit costs,
where an outcome was recorded, what an outcome feeds, and the visit protocol."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from dataclasses import dataclass

from dunwell.collections.model import TimelineKind
from dunwell.field.errors import AgentNotCertified
from dunwell.field.model import (
    REQUIRED_SUBJECTS,
    Agent,
    Certificate,
    CertificateGap,
    GeoPoint,
    Territory,
    VisitOutcome,
)

EARTH_RADIUS_M = 6_371_000
#: An outcome recorded farther than this from the stored address is flagged.
PLACE_TOLERANCE_M = 300

#: Printed on every itinerary; the agent follows it at each door.
VISIT_PROTOCOL = (
    "1. Introduce yourself: your name, agent id and certificate number, and show your "
    "card. Say who you work for and why you are visiting.",
    "2. Make sure you are speaking with the borrower named on this itinerary before "
    "saying anything about a debt. Never leave debt details, letters or messages with "
    "neighbours, family, colleagues or anyone else.",
    "3. The visit is recorded in audio and video; say so at the start.",
    "4. Hand the letter to the borrower in person, explain it, and listen. No threats, "
    "no pressure, no deadlines that are not in the letter.",
    "5. If the borrower asks for a plan or reports hardship, record it: a colleague "
    "will follow up. Give the free debt-advice contact on the letter.",
    "6. Record the outcome at the door: time, place and proof of delivery.",
)


# --- certificates ---------------------------------------------------------------


def certification_gaps(certificates: Iterable[Certificate], day: dt.date) -> tuple[
        CertificateGap, ...]:
    """The required subjects without a certificate valid on ``day`` (empty: certified).

    A certificate is valid from its issue date through its expiry date inclusive:
    one expiring on the visit date still counts; one that expired the day before does
    not."""
    held = list(certificates)
    gaps: list[CertificateGap] = []
    for subject in REQUIRED_SUBJECTS:
        mine = [c for c in held if c.subject is subject]
        if any(c.valid_on(day) for c in mine):
            continue
        expired = [c.expires_on for c in mine if c.expires_on < day]
        future = [c.issued_on for c in mine if c.issued_on > day]
        if expired:
            gaps.append(CertificateGap(subject, "expired", max(expired)))
        elif future:
            gaps.append(CertificateGap(subject, "not_yet_valid", min(future)))
        else:
            gaps.append(CertificateGap(subject, "missing"))
    return tuple(gaps)


def require_certified(agent_id: str, certificates: Iterable[Certificate], day: dt.date) -> None:
    """Refuse (``agent_must_hold_valid_certificates``) an agent who lacks a valid
    certificate in any required subject on ``day``, naming each subject."""
    gaps = certification_gaps(certificates, day)
    if gaps:
        raise AgentNotCertified(
            f"agent {agent_id} cannot be assigned a visit on {day}: no valid certificate in "
            + ", ".join(g.describe() for g in gaps)
            + "; see `dunwell training status AGENT` (certificates come from `dunwell "
            "training certify`)",
            agent_id=agent_id, subjects=[g.subject.value for g in gaps],
            statuses={g.subject.value: g.status for g in gaps})


def certificate_numbers(certificates: Iterable[Certificate], day: dt.date) -> str:
    """The numbers of the certificates valid on ``day``, one per subject, for the
    itinerary's identification line."""
    held = list(certificates)
    out = []
    for subject in REQUIRED_SUBJECTS:
        valid = sorted((c for c in held if c.subject is subject and c.valid_on(day)),
                       key=lambda c: c.expires_on)
        if valid:
            out.append(valid[-1].number)
    return " / ".join(out)


# --- geography ------------------------------------------------------------------


def haversine_m(a: GeoPoint, b: GeoPoint) -> int:
    """Great-circle distance in whole metres."""
    lat1, lat2 = math.radians(a.latitude), math.radians(b.latitude)
    dlat = lat2 - lat1
    dlon = math.radians(b.longitude - a.longitude)
    h = math.sin(dlat / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin(dlon / 2) ** 2
    return round(2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h))))


def travel_minutes(distance_m: int, speed_kmh: int) -> int:
    """Whole minutes (rounded up) to cover ``distance_m`` at ``speed_kmh``."""
    return -(-distance_m * 60 // (speed_kmh * 1000))


def covers(territory: Territory, point: GeoPoint) -> bool:
    return haversine_m(territory.centre, point) <= territory.radius_m


def far_from_address(address: GeoPoint, place: GeoPoint,
                     tolerance_m: int = PLACE_TOLERANCE_M) -> tuple[bool, int]:
    """(flagged, distance in metres) of where an outcome was recorded."""
    d = haversine_m(address, place)
    return d > tolerance_m, d


# --- costs ----------------------------------------------------------------------


def visit_cost_minor(*, travel_m: int, minutes: int, agent: Agent) -> int:
    """Travel distance times the agent's cost per km plus working minutes times the
    hourly cost, in minor units, rounded half up once."""
    numerator = travel_m * agent.cost_per_km_minor * 60 + minutes * agent.hourly_cost_minor * 1000
    denominator = 60_000
    return (2 * numerator + denominator) // (2 * denominator)


# --- outcomes -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OutcomeEffects:
    """What one visit outcome feeds: contact rows for the guard (channel ``visit``),
    the case timeline text, and whether a promise or letter delivery follows."""

    contact_outcomes: tuple[str, ...]
    timeline_kind: TimelineKind
    timeline_text: str
    promise: bool
    letter_delivered: bool


def outcome_effects(outcome: VisitOutcome, *, agent_id: str, letter_no: str | None,
                    note: str = "") -> OutcomeEffects:
    """The contacts the guard reads: ``conversation`` when the borrower was met,
    plus ``visit_notice_delivered`` when a letter was handed over; ``no_answer``
    when nobody (or somebody else) was there. A letter reaches only the borrower."""
    met = outcome.met_borrower
    contacts: tuple[str, ...] = ("conversation",) if met else ("no_answer",)
    delivered = letter_no is not None and met
    if delivered:
        contacts = (*contacts, "visit_notice_delivered")
    words = {
        VisitOutcome.DELIVERED_IN_PERSON: "letter delivered in person and explained",
        VisitOutcome.NOT_AT_HOME: "borrower not at home; nothing left with anyone",
        VisitOutcome.MOVED: "borrower has moved from the stored address",
        VisitOutcome.REFUSED: "borrower met and refused to discuss the debt",
        VisitOutcome.PROMISE_TO_PAY: "borrower met and promised to pay",
        VisitOutcome.PLAN_REQUESTED: "borrower asked for a repayment plan",
        VisitOutcome.HARDSHIP_REPORTED: "borrower reported financial hardship",
    }[outcome]
    kind = {VisitOutcome.PLAN_REQUESTED: TimelineKind.PLAN_REQUESTED,
            VisitOutcome.HARDSHIP_REPORTED: TimelineKind.HARDSHIP_REPORTED}.get(
                outcome, TimelineKind.FIELD_VISIT)
    text = f"visit by {agent_id}: {words}" + (f" (letter {letter_no})" if delivered else "")
    if note:
        text += f" - {note}"
    return OutcomeEffects(contacts, kind, text, outcome is VisitOutcome.PROMISE_TO_PAY,
                          delivered)
