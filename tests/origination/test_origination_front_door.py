"""Monitoring the front door: approval, default and early-delinquency rates by grade
and vintage, and population stability of the application features."""

from __future__ import annotations

import datetime as dt

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from dunwell.origination.model import Outcome
from dunwell.origination.monitoring import (
    ALL,
    NO_GRADE,
    ApplicationRow,
    LoanRow,
    Rate,
    application_drift,
    front_door,
    reference_from_rows,
)

JAN, FEB = dt.date(2025, 1, 1), dt.date(2025, 2, 1)


def test_rates_by_vintage_and_grade_with_an_all_row() -> None:
    apps = [ApplicationRow(dt.date(2025, 1, 3), "A", Outcome.APPROVE),
            ApplicationRow(dt.date(2025, 1, 9), "A", Outcome.APPROVE),
            ApplicationRow(dt.date(2025, 1, 20), "E", Outcome.REFER),
            ApplicationRow(dt.date(2025, 1, 31), None, Outcome.DECLINE),
            ApplicationRow(dt.date(2025, 2, 2), "B", Outcome.APPROVE)]
    loans = [LoanRow(dt.date(2025, 1, 5), "A", 0, False),
             LoanRow(dt.date(2025, 1, 15), "A", 45, True),
             LoanRow(dt.date(2025, 2, 5), "B", 29, False)]
    cohorts = {(c.vintage, c.grade): c for c in front_door(apps, loans)}
    assert [k for k in cohorts] == [(JAN, NO_GRADE), (JAN, "A"), (JAN, "E"), (JAN, ALL),
                                    (FEB, "B"), (FEB, ALL)]
    assert cohorts[(JAN, ALL)].approval == Rate(2, 4)
    assert cohorts[(JAN, ALL)].approval.bps == 5000
    assert cohorts[(JAN, "A")].default == Rate(1, 2)
    assert cohorts[(JAN, "A")].early_delinquency.bps == 5000
    assert cohorts[(FEB, "B")].early_delinquency == Rate(0, 1)
    assert cohorts[(JAN, "E")].default.bps is None  # nothing lent
    strict = {(c.vintage, c.grade): c for c in front_door(apps, loans, early_dpd_min=1)}
    assert strict[(FEB, "B")].early_delinquency == Rate(1, 1)


@given(st.lists(st.tuples(st.integers(0, 60), st.sampled_from(["A", "B", None]),
                          st.sampled_from(list(Outcome))), max_size=30))
def test_the_all_row_sums_its_grades(apps: list[tuple[int, str | None, Outcome]]) -> None:
    rows = [ApplicationRow(JAN + dt.timedelta(days=d), g, o) for d, g, o in apps]
    cohorts = front_door(rows, [])
    for vintage in {c.vintage for c in cohorts}:
        grades = [c for c in cohorts if c.vintage == vintage and c.grade != ALL]
        (total,) = [c for c in cohorts if c.vintage == vintage and c.grade == ALL]
        assert total.approval.of == sum(c.approval.of for c in grades)
        assert total.approval.count == sum(c.approval.count for c in grades)
    assert sum(c.approval.of for c in cohorts if c.grade == ALL) == len(rows)


def test_the_same_population_is_stable_and_a_shifted_one_is_not() -> None:
    rng = np.random.default_rng(7)
    base = [{"months_active": int(m), "refund_rate_bps": int(r), "purpose": p}
            for m, r, p in zip(rng.integers(1, 48, 2000), rng.integers(0, 800, 2000),
                               rng.choice(["inventory", "equipment"], 2000), strict=True)]
    reference = reference_from_rows(base, scores=list(rng.random(2000)))
    same = application_drift(reference, base)
    assert all(d.status == "stable" for d in same)
    shifted = [r | {"months_active": r["months_active"] + 30, "purpose": "other"}
               for r in base[:500]]
    drift = {d.name: d for d in application_drift(reference, shifted,
                                                  scores=list(rng.random(500) ** 3))}
    assert drift["months_active"].status == "major shift"
    assert drift["purpose"].status == "major shift"
    assert drift["refund_rate_bps"].status == "stable"
    assert drift["score"].psi > 0.1
    missing = {d.name: d for d in application_drift(reference, [{"purpose": None}] * 50)}
    assert missing["months_active"].status == "major shift"  # all missing
