"""Field fixtures: the small book of field_book.py."""

from __future__ import annotations

import pytest
from field_book import NOW, Book, agent, offset, put_visit_case

from dunwell.app.field.visits import set_address
from dunwell.bootstrap import Dunwell


@pytest.fixture
def book(app: Dunwell) -> Book:
    """Six borrowers 1-5 km from the centre with allowed visits; two certified agents."""
    actions = {}
    spots = [(1, 0), (0, 2), (-3, 0), (0, -4), (2, 2), (-1, -1)]
    for k, (n, e) in enumerate(spots, start=1):
        actions[k] = put_visit_case(app, k)
        lat, lon = offset(n, e)
        set_address(app, borrower_id=k, text=f"成都市 {k} 号", latitude=lat, longitude=lon,
                    now=NOW)
    agent(app, "a-1")
    agent(app, "a-2", at=offset(-2, -2))
    return Book(app, actions)
