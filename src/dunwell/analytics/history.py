"""Each loan's state on a given day, rebuilt from its recorded changes: the bucket
and status at the close of a day, and the principal still owed."""

from __future__ import annotations

import datetime as dt
from bisect import bisect_right
from collections.abc import Iterable

from dunwell.analytics.model import BUCKET_TOP, LoanEventRow, LoanRow, PaymentRow

#: Loan statuses (``lending.model.LoanStatus``) that are still open.
OPEN_STATUSES = frozenset({1, 2, 3, 6})
#: A loan paid off (``LoanStatus.PAID_OFF``).
PAID_OFF = 4
#: A loan's status before any change is recorded: disbursed.
DISBURSED = 1


class History:
    """Look-ups of a loan's bucket, status and outstanding principal on a day."""

    def __init__(self, loans: Iterable[LoanRow], events: Iterable[LoanEventRow],
                 payments: Iterable[PaymentRow]) -> None:
        self.loans = {ln.loan_id: ln for ln in loans}
        self._buckets: dict[int, tuple[list[dt.date], list[int]]] = {}
        self._statuses: dict[int, tuple[list[dt.date], list[int]]] = {}
        for ev in sorted(events, key=lambda e: e.on):
            if ev.loan_id not in self.loans:
                continue
            into = self._buckets if ev.kind == "bucket_changed" else self._statuses
            days, values = into.setdefault(ev.loan_id, ([], []))
            days.append(ev.on)
            values.append(ev.after)
        self._paid: dict[int, tuple[list[dt.date], list[int]]] = {}
        for p in sorted(payments, key=lambda p: p.on):
            if p.loan_id not in self.loans:
                continue
            days, totals = self._paid.setdefault(p.loan_id, ([], []))
            days.append(p.on)
            totals.append((totals[-1] if totals else 0) + p.principal_minor)

    @staticmethod
    def _at(series: tuple[list[dt.date], list[int]] | None, day: dt.date, default: int) -> int:
        if series is None:
            return default
        k = bisect_right(series[0], day)
        return series[1][k - 1] if k else default

    def bucket(self, loan_id: int, day: dt.date) -> int:
        """The bucket at the close of ``day`` (M7+ reported as 7)."""
        return min(self._at(self._buckets.get(loan_id), day, 0), BUCKET_TOP)

    def status(self, loan_id: int, day: dt.date) -> int:
        return self._at(self._statuses.get(loan_id), day, DISBURSED)

    def is_open(self, loan_id: int, day: dt.date) -> bool:
        """Disbursed on or before ``day`` and neither paid off nor charged off."""
        loan = self.loans[loan_id]
        return loan.disbursed_on <= day and self.status(loan_id, day) in OPEN_STATUSES

    def outstanding(self, loan_id: int, day: dt.date) -> int:
        """Principal still owed at the close of ``day``."""
        paid = self._at(self._paid.get(loan_id), day, 0)
        return max(self.loans[loan_id].principal_minor - paid, 0)

    def first_reached(self, loan_id: int, bucket: int) -> dt.date | None:
        """The first day the loan closed in ``bucket`` or worse, if it ever did."""
        series = self._buckets.get(loan_id)
        if series is None:
            return None
        for day, value in zip(*series, strict=True):
            if value >= bucket:
                return day
        return None
