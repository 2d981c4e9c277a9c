"""The demo's merchants come in through the records import, apply, and draw on the
terms shown."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from dunwell.app.context import Dunwell
from dunwell.app.origination.records import import_merchant_file
from dunwell.simulation.merchants import SAMPLE_MERCHANTS, seed_merchants
from dunwell.simulation.portfolio import seed_book


def test_each_sample_merchant_is_imported_decided_and_drawn(app: Dunwell,
                                                            tmp_path: Path) -> None:
    seed_book(app, loans=3, start=dt.date(2025, 1, 15), seed=3)
    journeys = seed_merchants(app, start=dt.date(2025, 1, 15), seed=3, records_dir=tmp_path)
    assert [j.reference for j in journeys] == [m[0] for m in SAMPLE_MERCHANTS]
    for j in journeys:
        assert j.records_file.is_file() and j.stored >= 12 * 8
        assert j.outcome == "approve" and j.line_id is not None and j.drawn
    with app.uow() as uow:
        again = import_merchant_file(uow, merchant=journeys[0].reference,
                                     path=journeys[0].records_file)
    assert (again.stored, again.validated.already_stored) == (0, journeys[0].stored)
    assert again.summary.months_active == 12
