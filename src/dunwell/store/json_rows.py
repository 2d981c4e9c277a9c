"""Rows sent to PostgreSQL as JSON text and read back as records by the statement.

One text costs the client and PostgreSQL less than an array a column (each array's
elements are looked over, converted and packed one by one), and the statement's text
is the same for any number of rows, so psycopg prepares it once it repeats and
PostgreSQL plans it once. The payment group's writes and the outbox's insert use it."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import Any


def _iso(value: object) -> str:
    if isinstance(value, dt.date):
        return value.isoformat()
    raise TypeError(f"a batch writes no {type(value).__name__}")


def json_text(value: object) -> str:
    """``value`` as compact JSON, text as it is (not escaped to ASCII), dates as ISO."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=_iso)


def records(names: Sequence[str], rows: Sequence[tuple[Any, ...]]) -> tuple[str]:
    """``rows`` as the one parameter of a statement that reads them with
    ``json_to_recordset`` (:func:`recordset`): a JSON array of objects keyed by
    ``names``, in the rows' order."""
    return (json_text([dict(zip(names, row, strict=True)) for row in rows]),)


def each_record(names: Sequence[str], rows: Sequence[tuple[Any, ...]]) -> tuple[list[str]]:
    """``rows`` as one array of JSON objects, one a row, for a statement that joins
    them to a table (:func:`joined`)."""
    return ([json_text(dict(zip(names, row, strict=True))) for row in rows],)


def _cols(names: Sequence[str], types: Sequence[str]) -> str:
    return ", ".join(f"{n} {ty}" for n, ty in zip(names, types, strict=True))


def recordset(names: Sequence[str], types: Sequence[str]) -> str:
    """The rows of :func:`records`, in the array's order (``types``: each column's
    PostgreSQL type)."""
    return f"json_to_recordset(%s::json) AS v({_cols(names, types)})"


def joined(names: Sequence[str], types: Sequence[str]) -> str:
    """The rows of :func:`each_record`: an array ``unnest``ed, each element read with
    ``json_to_record``. PostgreSQL takes an array for a few rows and a record for one,
    so it reads each row's loan or instalment by its key; it takes ``json_to_recordset``
    for a hundred, and would then read a small table whole to join them."""
    return f"unnest(%b::text[]) AS j(r), json_to_record(j.r::json) AS v({_cols(names, types)})"
