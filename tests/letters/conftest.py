"""The letter tests' book: collected through the strategy's D+15 letter step."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from letters_book import DUE, LETTER_DAY, open_small_book, run_collections

from dunwell.bootstrap import Dunwell


def collected_to_letter_day(app: Dunwell) -> None:
    open_small_book(app)
    run_collections(app, DUE - dt.timedelta(days=3), LETTER_DAY)


@pytest.fixture
def overdue_book(app: Dunwell, fill_book: Callable[..., None]) -> Dunwell:
    """The book collected through D+15: every borrower is 15 days past due and the
    strategy has proposed its letter step (allowed except for borrower 4, who asked
    for contact to cease). Built once per worker and copied into ``app``'s database."""
    fill_book(app, collected_to_letter_day)
    return app
