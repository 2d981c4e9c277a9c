"""The field operation's vocabulary: agents, territories, shifts, certificates,
visit outcomes, and the routing problem with its result.

Coordinates are WGS-84 degrees. A territory is a named circle: a centre and a
radius in metres. Routing works in whole minutes counted from one reference instant
(the plan date's midnight UTC, chosen by the caller) and in whole metres, so every
router sees the same integers.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum

from dunwell.core.errors import InvalidInput


class Subject(StrEnum):
    """Training subjects; an agent needs a valid certificate in each to visit."""

    COMMUNICATION_SKILLS = "communication_skills"
    LEGAL_KNOWLEDGE = "legal_knowledge"
    PRIVACY = "privacy"


REQUIRED_SUBJECTS: tuple[Subject, ...] = tuple(Subject)


class VisitOutcome(StrEnum):
    DELIVERED_IN_PERSON = "delivered_in_person"
    NOT_AT_HOME = "not_at_home"
    MOVED = "moved"
    REFUSED = "refused"
    PROMISE_TO_PAY = "promise_to_pay"
    PLAN_REQUESTED = "plan_requested"
    HARDSHIP_REPORTED = "hardship_reported"

    @property
    def met_borrower(self) -> bool:
        """True when the agent spoke with the borrower in person."""
        return self not in (VisitOutcome.NOT_AT_HOME, VisitOutcome.MOVED)


@dataclass(frozen=True, slots=True)
class GeoPoint:
    latitude: float
    longitude: float

    def __post_init__(self) -> None:
        if not -90.0 <= self.latitude <= 90.0:
            raise InvalidInput(f"latitude {self.latitude} must lie between -90 and 90",
                               code="latitude_must_be_in_range")
        if not -180.0 <= self.longitude <= 180.0:
            raise InvalidInput(f"longitude {self.longitude} must lie between -180 and 180",
                               code="longitude_must_be_in_range")


@dataclass(frozen=True, slots=True)
class Territory:
    """A named area: every point within ``radius_m`` metres of ``centre``."""

    name: str
    centre: GeoPoint
    radius_m: int

    def __post_init__(self) -> None:
        if self.radius_m <= 0:
            raise InvalidInput(f"territory {self.name!r}: radius must be positive metres",
                               code="territory_radius_must_be_positive")


@dataclass(frozen=True, slots=True)
class Shift:
    """Working hours on the agent's local clock, start < end (no night shifts)."""

    start: dt.time
    end: dt.time

    def __post_init__(self) -> None:
        if not self.start < self.end:
            raise InvalidInput(f"shift start {self.start} must be before its end {self.end}",
                               code="shift_must_start_before_it_ends")


@dataclass(frozen=True, slots=True)
class Agent:
    agent_id: str
    name: str
    timezone: str
    territory: Territory
    shift: Shift
    visits_per_day_max: int
    hourly_cost_minor: int
    cost_per_km_minor: int

    def __post_init__(self) -> None:
        if self.visits_per_day_max <= 0:
            raise InvalidInput("visits per day must be at least 1",
                               code="agent_capacity_must_be_positive")
        if self.hourly_cost_minor < 0 or self.cost_per_km_minor < 0:
            raise InvalidInput("costs must not be negative", code="agent_cost_must_not_be_negative")

    @property
    def start(self) -> GeoPoint:
        """Where the agent starts and ends the day: the territory's centre."""
        return self.territory.centre


@dataclass(frozen=True, slots=True)
class Certificate:
    """Valid from ``issued_on`` through ``expires_on`` inclusive."""

    agent_id: str
    subject: Subject
    number: str
    issued_on: dt.date
    expires_on: dt.date

    def __post_init__(self) -> None:
        if self.expires_on < self.issued_on:
            raise InvalidInput(f"certificate {self.number} expires ({self.expires_on}) before it "
                               f"is issued ({self.issued_on})",
                               code="certificate_must_expire_after_issue")

    def valid_on(self, day: dt.date) -> bool:
        return self.issued_on <= day <= self.expires_on


@dataclass(frozen=True, slots=True)
class CertificateGap:
    """Why an agent is not certified in ``subject`` on a date."""

    subject: Subject
    status: str  # "missing" | "expired" | "not_yet_valid"
    date: dt.date | None = None  # the expiry (expired) or issue (not yet valid) date

    def describe(self) -> str:
        if self.status == "expired":
            return f"{self.subject.value} (expired on {self.date})"
        if self.status == "not_yet_valid":
            return f"{self.subject.value} (valid only from {self.date})"
        return f"{self.subject.value} (missing)"


# --- routing --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Stop:
    """A visit to route: service must *start* within ``[window_start_min,
    window_end_min]`` and lasts ``service_min``; only ``allowed_agents`` may take it
    (empty: nobody). ``preferred_agent`` is the territory/workload assignment's pick.
    ``priority`` (0-100) is what serving the visit is worth against other visits: when
    not every visit fits, a router leaves out those of lower priority first."""

    stop_id: int
    location: GeoPoint
    window_start_min: int
    window_end_min: int
    service_min: int
    allowed_agents: frozenset[str]
    preferred_agent: str | None = None
    priority: int = 1


@dataclass(frozen=True, slots=True)
class Vehicle:
    """An agent for one day: starts at ``start`` no earlier than ``shift_start_min``,
    makes at most ``capacity`` visits and is back at ``end`` (``start`` when not given)
    by ``shift_end_min``. A re-plan during the day starts the agent where they are, at
    the time they are free, with the visits they have left in the day."""

    agent_id: str
    start: GeoPoint
    shift_start_min: int
    shift_end_min: int
    capacity: int
    end: GeoPoint | None = None

    @property
    def home(self) -> GeoPoint:
        """Where the day ends."""
        return self.start if self.end is None else self.end


@dataclass(frozen=True, slots=True)
class RoutingProblem:
    stops: tuple[Stop, ...]
    vehicles: tuple[Vehicle, ...]
    speed_kmh: int = 20

    def __post_init__(self) -> None:
        if self.speed_kmh <= 0:
            raise InvalidInput("travel speed must be positive", code="speed_must_be_positive")
        ids = [s.stop_id for s in self.stops]
        if len(ids) != len(set(ids)):
            raise InvalidInput("stop ids must be unique", code="stop_ids_must_be_unique")


@dataclass(frozen=True, slots=True)
class RouteStop:
    stop_id: int
    arrival_min: int  # when the agent gets there
    start_min: int  # when the visit starts (the ETA on the itinerary): arrival or window start
    travel_m: int  # from the previous place
    travel_min: int


@dataclass(frozen=True, slots=True)
class Route:
    agent_id: str
    stops: tuple[RouteStop, ...]
    return_m: int  # last place back to the vehicle's end (its start unless given)
    return_min: int
    end_min: int  # back at the end

    @property
    def distance_m(self) -> int:
        return sum(s.travel_m for s in self.stops) + (self.return_m if self.stops else 0)


@dataclass(frozen=True, slots=True)
class RoutingResult:
    routes: tuple[Route, ...]
    unserved: dict[int, str] = field(default_factory=dict)  # stop id -> reason

    @property
    def served(self) -> int:
        return sum(len(r.stops) for r in self.routes)

    @property
    def distance_m(self) -> int:
        return sum(r.distance_m for r in self.routes)

    @property
    def travel_min(self) -> int:
        return sum(sum(s.travel_min for s in r.stops) + (r.return_min if r.stops else 0)
                   for r in self.routes)


# --- stored records -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Address:
    """A borrower's address; ``location`` is None until coordinates are stored."""

    borrower_id: int
    text: str
    location: GeoPoint | None


class VisitStatus(StrEnum):
    PLANNED = "planned"  # on an agent's itinerary with an ETA
    ASSIGNED = "assigned"  # given to an agent by hand; routed at the next plan
    UNASSIGNED = "unassigned"  # could not be planned; ``reason`` says why
    DEFERRED = "deferred"  # the guard did not allow the visit at its ETA
    DONE = "done"  # an outcome is recorded


@dataclass(frozen=True, slots=True)
class VisitRecord:
    visit_id: int
    plan_date: dt.date
    case_id: str
    borrower_id: int
    action_id: int
    agent_id: str | None
    pinned: bool
    sequence: int | None
    eta: dt.datetime | None
    window_start: dt.datetime | None
    window_end: dt.datetime | None
    travel_m: int
    travel_min: int
    service_min: int
    status: VisitStatus
    reason: str
    cost_minor: int
    outcome: VisitOutcome | None = None
    outcome_at: dt.datetime | None = None
    outcome_location: GeoPoint | None = None
    distance_from_address_m: int | None = None
    place_flagged: bool = False
    proof: str | None = None
    note: str = ""
    letter_no: str | None = None
