"""Field fixtures: the small book of field_book.py."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from field_book import Book, build_field_book
from sqlalchemy import select

from dunwell.bootstrap import Dunwell
from dunwell.store import collection_tables as c


@pytest.fixture
def book(app: Dunwell, fill_book: Callable[..., None]) -> Book:
    """Six borrowers 1-5 km from the centre with allowed visits; two certified agents.
    Built once per worker and copied into ``app``'s database."""
    fill_book(app, build_field_book)
    with app.engine.connect() as conn:
        actions = conn.execute(select(c.case_actions.c.borrower_id, c.case_actions.c.action_id)
                               .where(c.case_actions.c.kind == "field_visit")).all()
    return Book(app, {int(b): int(a) for b, a in actions})
