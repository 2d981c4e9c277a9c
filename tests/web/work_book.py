"""The workbench tests' book: four borrowers whose first instalment went unpaid,
collected day by day to the day the strategy queues its calls (borrowers 1-3 in
collector c-01's queue; borrower 4 asked for contact to cease and is in nobody's)."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1] / "letters"))

from letters_book import DUE, open_small_book, run_collections

from dunwell.bootstrap import Dunwell

#: The day the strategy queues its D+7 calls: the book's business date after the run.
QUEUE_DAY = dt.date(2025, 2, 22)


def queued_book(app: Dunwell) -> Dunwell:
    open_small_book(app)
    run_collections(app, DUE - dt.timedelta(days=3), QUEUE_DAY)
    return app
