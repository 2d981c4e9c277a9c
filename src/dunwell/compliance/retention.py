"""Retention: how long a borrower's records are kept per jurisdiction, and when their
personal data may be anonymised (pure).

Each pack keeps records for a number of years counted from an anchor: the later of
the day the borrower's last loan closed and the day of the last collection activity
(a contact, a payment, a letter, a case closing). The texts name one of the two
(CN-NIFA and UK-FCA the account, Regulation F the last collection activity); the
later of both satisfies every one of them. Nothing is anonymised while a loan is
open, a collection case is active, a legal case is active or a dispute is open,
whatever the dates say.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from dunwell.compliance.model import Jurisdiction
from dunwell.core.dates import add_months


@dataclass(frozen=True, slots=True)
class RetentionPeriod:
    """Keep records ``years`` after the anchor; ``source`` says why, ``assumed`` marks a
    figure Dunwell chose where the pack's texts name none."""

    jurisdiction: Jurisdiction
    rule: str
    years: int
    source: str
    assumed: bool = False


RETENTION: Mapping[Jurisdiction, RetentionPeriod] = MappingProxyType({
    Jurisdiction.CN_NIFA: RetentionPeriod(
        Jurisdiction.CN_NIFA, "CN-RECORD", 5,
        "collection records kept at least five years (NIFA 2018 convention; "
        "消费金融公司管理办法)"),
    Jurisdiction.US_REGF: RetentionPeriod(
        Jurisdiction.US_REGF, "US-RegF-RECORD", 3,
        "12 CFR 1006.100(a): records kept three years after the last collection activity"),
    Jurisdiction.UK_FCA: RetentionPeriod(
        Jurisdiction.UK_FCA, "UK-RECORD", 6,
        "no CONC figure; six years, the Limitation Act 1980 s.5 period for a claim on a "
        "simple contract", assumed=True),
})


@dataclass(frozen=True, slots=True)
class RetentionFacts:
    """What retention needs to know of one borrower."""

    jurisdiction: Jurisdiction
    last_closed_on: dt.date | None = None
    last_activity_on: dt.date | None = None
    open_loans: int = 0
    active_cases: int = 0
    active_legal_cases: int = 0
    open_disputes: int = 0

    @property
    def anchor(self) -> dt.date | None:
        days = [d for d in (self.last_closed_on, self.last_activity_on) if d is not None]
        return max(days, default=None)


@dataclass(frozen=True, slots=True)
class RetentionDecision:
    """Keep the records through ``retain_until`` (None: no end can be set yet, see
    ``blockers``); ``anonymise`` is True when that day has passed and nothing holds."""

    period: RetentionPeriod
    retain_until: dt.date | None
    anonymise: bool
    reason: str
    blockers: tuple[str, ...] = ()


def blockers_of(facts: RetentionFacts) -> tuple[str, ...]:
    """What keeps the records whatever the dates: open loans, active cases, disputes."""
    found = (
        (facts.open_loans, "a loan is open"),
        (facts.active_cases, "a collection case is active"),
        (facts.active_legal_cases, "a legal case is active"),
        (facts.open_disputes, "a dispute is open"),
    )
    return tuple(why for count, why in found if count > 0)


def retention_decision(facts: RetentionFacts, as_of: dt.date) -> RetentionDecision:
    """Until when ``facts``' records are kept, and whether anonymisation is due on
    ``as_of`` (the day after ``retain_until`` at the earliest)."""
    period = RETENTION[facts.jurisdiction]
    blockers = blockers_of(facts)
    if blockers:
        return RetentionDecision(period, None, False, "; ".join(blockers), blockers)
    anchor = facts.anchor
    if anchor is None:
        return RetentionDecision(period, None, False,
                                 "no closed loan and no collection activity to count from")
    until = add_months(anchor, 12 * period.years)
    counted = (f"{period.rule}: {period.years} years from {anchor.isoformat()} "
               f"(the later of the last loan closing and the last collection activity)")
    if as_of <= until:
        return RetentionDecision(period, until, False,
                                 f"{counted} run through {until.isoformat()}")
    return RetentionDecision(period, until, True, f"{counted} ended on {until.isoformat()}")


__all__ = [
    "RETENTION",
    "RetentionDecision",
    "RetentionFacts",
    "RetentionPeriod",
    "blockers_of",
    "retention_decision",
]
