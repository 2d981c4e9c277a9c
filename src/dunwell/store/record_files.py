"""Records files as rows: a CSV file (or CSV text) with a header line, or a Parquet
file, read into one mapping of column name to text per line for
:mod:`dunwell.origination.records` to check. Reading is all this does; what a line
must hold is the domain's to say.

A CSV file's first record is on line 2 (the header is line 1); a Parquet file's rows
are numbered from 1. Values are handed over as text (a Parquet date as ISO, a decimal
as written), so both kinds of file are checked by the same rules.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from dunwell.core.errors import InvalidInput, NotFound

#: The largest records file read, in bytes.
RECORD_FILE_BYTES_MAX = 512 * 1024 * 1024
PARQUET_SUFFIXES = (".parquet", ".pq")


@dataclass(frozen=True, slots=True)
class RecordRows:
    """A file's rows and the line number of the first one."""

    rows: list[dict[str, object]]
    first_line: int


def _text(value: object) -> object:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        return format(Decimal(repr(value)), "f")
    return str(value)


def csv_rows(text: str) -> RecordRows:
    """CSV text with a header line as rows (a BOM is ignored)."""
    reader = csv.DictReader(io.StringIO(text.removeprefix("\ufeff"), newline=""))
    if not reader.fieldnames:
        raise InvalidInput("the records file has no header line; the first line names "
                           "the columns", code="record_file_must_have_header", field="file")
    rows = [{str(k).strip(): v for k, v in row.items() if k is not None} for row in reader]
    return RecordRows([dict(r) for r in rows], 2)


def parquet_rows(path: Path) -> RecordRows:
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except Exception as exc:  # pyarrow raises its own kinds for a damaged file
        raise InvalidInput(f"{path.name} is not a readable Parquet file ({exc})",
                           code="record_file_must_be_readable", field="file") from None
    return RecordRows([{k: _text(v) for k, v in row.items()} for row in table.to_pylist()],
                      1)


def read_record_file(path: Path) -> RecordRows:
    """A CSV or Parquet records file as rows (chosen by its suffix)."""
    if not path.is_file():
        raise NotFound(f"records file {path} does not exist", code="record_file_must_exist",
                       field="file")
    if path.stat().st_size > RECORD_FILE_BYTES_MAX:
        raise InvalidInput(f"{path.name} is larger than {RECORD_FILE_BYTES_MAX} bytes; "
                           "split it by month", code="record_file_must_not_exceed_maximum",
                           field="file")
    if path.suffix.lower() in PARQUET_SUFFIXES:
        return parquet_rows(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise InvalidInput(f"{path.name} is not UTF-8 text; save it as UTF-8 CSV or as "
                           "Parquet", code="record_file_must_be_readable",
                           field="file") from None
    return csv_rows(text)
