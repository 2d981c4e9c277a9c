"""Monitoring the front door: approval, default and early-delinquency rates by grade
and vintage, and the application features' population stability (PSI)
(:mod:`dunwell.origination.monitoring`), from the applications and loans on record.

PSI compares the recent applications (decided in the last ``recent_days``) with the
credit model's training data when the model carries a reference distribution
(``reference``), else with the applications decided before them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from dunwell.app.uow import UnitOfWork
from dunwell.origination.monitoring import (
    EARLY_DPD_MIN,
    Cohort,
    application_drift,
    reference_from_rows,
)
from dunwell.origination.monitoring import front_door as front_door_rates
from dunwell.origination.ports import CreditModel
from dunwell.risk.monitor import Drift, Reference

__all__ = ["Cohort", "Drift", "FrontDoor", "front_door"]

#: Applications decided in this many days are "recent" for population stability.
RECENT_DAYS = 90
#: A loan's first months on the book, for early delinquency: three months.
EARLY_DAYS = 92


@dataclass(frozen=True)
class FrontDoor:
    cohorts: tuple[Cohort, ...]
    drifts: list[Drift]
    baseline: str  # what the recent applications are compared with
    recent_since: dt.date
    recent_applications: int
    baseline_applications: int


def front_door(uow: UnitOfWork, *, model: CreditModel | None = None,
               recent_days: int = RECENT_DAYS, early_days: int = EARLY_DAYS) -> FrontDoor:
    repo = uow.origination
    since = uow.book.require().business_date - dt.timedelta(days=recent_days)
    rows = repo.application_rows()
    cohorts = front_door_rates([r for r, _ in rows], repo.loan_rows(early_days),
                               early_dpd_min=EARLY_DPD_MIN)
    recent = [f for r, f in rows if r.decided_on >= since]
    trained = getattr(model, "reference", None)
    reference: Reference | None
    if isinstance(trained, Reference):
        reference, baseline, base_count = trained, "the model's training data", 0
    else:
        before = [f for r, f in rows if r.decided_on < since]
        reference = reference_from_rows(before) if before else None
        baseline, base_count = f"applications decided before {since.isoformat()}", len(before)
    drifts = application_drift(reference, recent) if reference is not None and recent else []
    return FrontDoor(cohorts, drifts, baseline, since, len(recent), base_count)
