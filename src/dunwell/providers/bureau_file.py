"""A credit bureau read from a local file: the :class:`~dunwell.origination.ports.Bureau`
port for a bureau's records delivered as a file (or kept by hand for a demo).

The file is JSON — a list of records, or ``{"as_of": "YYYY-MM-DD", "records": [...]}``
— or CSV with a header line; each record has the fields
:mod:`dunwell.origination.bureau` reads (``reference``, ``lender``, ``account_id``,
``status``, ``currency``, ``monthly_payment``, ``outstanding``, ``opened_on``,
``defaulted_on``). It is read once, on the first report asked for, and checked whole:
a wrong record fails every report with ``bureau_record_must_be_valid`` rather than
answering from part of the file. A missing file is ``bureau_file_must_exist``.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path

from dunwell.core.errors import InvalidInput, NotFound
from dunwell.origination.bureau import BureauReport, reports_from_rows


def _rows(path: Path) -> tuple[Sequence[Mapping[str, object]], dt.date | None]:
    text = path.read_text(encoding="utf-8-sig")
    if path.suffix.lower() == ".csv":
        return list(csv.DictReader(io.StringIO(text, newline=""))), None
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"bureau file {path.name} is not JSON ({exc.msg}, line "
                           f"{exc.lineno})", code="bureau_file_must_be_valid") from None
    as_of = None
    if isinstance(doc, dict):
        stamp = doc.get("as_of")
        try:
            as_of = dt.date.fromisoformat(str(stamp)) if stamp else None
        except ValueError:
            raise InvalidInput(f"bureau file {path.name}: as_of must be a date like "
                               "2025-01-31", code="bureau_file_must_be_valid") from None
        doc = doc.get("records")
    if not isinstance(doc, list) or not all(isinstance(r, dict) for r in doc):
        raise InvalidInput(f"bureau file {path.name} must hold a list of records",
                           code="bureau_file_must_be_valid")
    return doc, as_of


class FileBureau:
    """Reports from ``path`` (JSON or CSV), named ``file:<file name>``."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.name = f"file:{self.path.name}"
        self._lock = threading.Lock()
        self._loaded: tuple[Sequence[Mapping[str, object]], dt.date | None] | None = None
        self._reports: dict[tuple[str, dt.date], dict[str, BureauReport]] = {}

    def _load(self) -> tuple[Sequence[Mapping[str, object]], dt.date | None]:
        if self._loaded is None:
            if not self.path.is_file():
                raise NotFound(f"bureau file {self.path} does not exist",
                               code="bureau_file_must_exist")
            self._loaded = _rows(self.path)
        return self._loaded

    def report(self, reference: str, *, currency: str,
               as_of: dt.date) -> BureauReport | None:
        with self._lock:
            rows, stamped = self._load()
            day = stamped or as_of
            key = (currency, day)
            if key not in self._reports:
                self._reports[key] = reports_from_rows(rows, currency=currency,
                                                       source=self.name, as_of=day)
            return self._reports[key].get(reference)
