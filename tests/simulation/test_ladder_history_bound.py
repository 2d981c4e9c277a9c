"""The collection run reads each borrower's ladder history only for the due dates the
ladder can still count from (``ladder_since``), so a day's read does not grow with the
book's history, and the profiles only of the borrowers it may plan (``may_plan``); the
cases it opens and updates, the steps it proposes and the steps it records as missed
are the same as with the whole history and every profile.

On the sample book run through the day loop for 70 days (cases of many ages, some
borrowers past several due dates), every borrower is planned twice on each of the next
open dates (6; 12 in the ``stress`` twin) — with the bounded history ``read_day`` gives
and with the whole of it, each in a unit of work of its own that is rolled back — and
the day loop then runs the date.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from dunwell.app.collections import collect
from dunwell.app.context import Dunwell
from dunwell.app.day.loop import DayOptions, run_day

START = dt.date(2025, 1, 31)


def plans(app: Dunwell, *, whole: bool, last_run: dt.date) -> tuple[dict[int, Any], int]:
    """Every borrower's case, today's steps and missed steps on the open date (and the
    history rows read): with the whole history and every profile, or as the run reads
    them (``lean``: the bounded history, the profiles of the borrowers it may plan)."""
    arms = collect.choose_arms(collect.Experiment(), None)
    out: dict[int, Any] = {}
    with app.uow() as uow:
        today = uow.book.require().business_date
        day = collect.read_day(uow, today, currency="CNY", last_run=last_run, lean=not whole)
        if whole:
            day = dataclasses.replace(day, history=uow.actions.done_for(day.borrower_ids))
        report = collect.CollectReport(today)
        for bid in day.borrower_ids:
            profile = day.profiles.get(bid)
            if profile is None:
                continue
            case = collect.plan_case(
                uow, day, arms=arms, bid=bid, profile=profile, report=report, work=collect.DayWork()
            )
            skipped: list[dict[str, object]] = []
            steps = collect.steps_for(
                uow,
                day,
                arms=arms,
                bid=bid,
                profile=profile,
                case=case,
                report=report,
                skipped=skipped,
            )
            out[bid] = (case, steps, skipped)
        read = sum(len(v) for v in day.history.values())
    return out, read


def test_the_bounded_history_plans_what_the_whole_history_plans(
    simulated_book: Callable[..., Dunwell],
) -> None:
    compare(simulated_book(loans=40, start=START, seed=7, days=70), open_dates=6)


@pytest.mark.stress
def test_the_bounded_history_plans_what_the_whole_history_plans_over_more_dates(
    simulated_book: Callable[..., Dunwell],
) -> None:
    compare(simulated_book(loans=40, start=START, seed=7, days=70), open_dates=12)


def compare(app: Dunwell, *, open_dates: int) -> None:
    """Plan every borrower both ways on ``open_dates`` open dates, the day loop run
    between them."""
    read = {"bounded": 0, "whole": 0}
    steps = skipped = left_out = 0
    for _ in range(open_dates):
        with app.uow() as uow:
            today = uow.book.require().business_date
        last_run = today - dt.timedelta(days=20)  # windows closed in between: missed steps
        bounded, read_bounded = plans(app, whole=False, last_run=last_run)
        whole, read_whole = plans(app, whole=True, last_run=last_run)
        nothing = (None, [], [])
        assert set(bounded) <= set(whole)  # the lean read leaves out borrowers without
        assert all(whole[b] == nothing for b in set(whole) - set(bounded))  # a plan
        assert bounded == {b: v for b, v in whole.items() if b in bounded}, today
        left_out += len(whole) - len(bounded)
        read["bounded"] += read_bounded
        read["whole"] += read_whole
        steps += sum(len(s) for _, s, _ in whole.values())
        skipped += sum(len(s) for _, _, s in whole.values())
        run_day(app, today, DayOptions(dispatch=False))  # the day goes on: its steps done
    assert steps > 0 and skipped > 0 and left_out > 0
    assert read["whole"] > read["bounded"] > 0  # the bound leaves old due dates out
