"""The API tests' client: an open book with the built-in products, served in-process,
signed in as a manager (the role that runs origination, loans and payments)."""

from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Iterator

import pytest

from access import token_headers
from dunwell.api.app import create_app
from dunwell.app.lending.book import open_book, register_product
from dunwell.bootstrap import Dunwell
from dunwell.lending.products import builtin_product_texts

with warnings.catch_warnings():  # starlette asks for httpx2; httpx serves the tests as well
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

BOOK_OPENS = dt.date(2025, 1, 15)


@pytest.fixture
def client(app: Dunwell) -> Iterator[TestClient]:
    with app.uow() as uow:
        open_book(uow, business_date=BOOK_OPENS, partitions=3, currency="CNY")
        for text in builtin_product_texts():
            register_product(uow, text)
        uow.commit()
    with TestClient(create_app(dunwell=app), headers=token_headers(app, "manager")) as test_client:
        yield test_client
