"""The local COB runner: partitions in, one transaction per partition out.

For each business date it locks a partition, loads its open loans, runs the pure
kernel, has the ledger build and check the day's entry loan by loan, and writes the
new columns, the entry, the events and a completion record in one transaction.
Completed partitions are skipped, so a second run of the same date changes nothing
and a run killed half-way resumes to the same books. When every partition of a date
is closed the book moves to the next date.

Payments and other writers wait while their loan's partition is being closed, and
only one COB runs on a book at a time: see :mod:`dunwell.store.locks`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from dunwell.app import logs
from dunwell.app.context import Dunwell
from dunwell.cob.kernel import CobResult, cob_day
from dunwell.cob.model import CobParams
from dunwell.core.dates import to_day
from dunwell.core.errors import InvalidInput
from dunwell.ledger.columnar import ColumnarEntry, columnar_entry

log = logs.get(__name__)

#: The most days one ``--until`` call closes: a typo in a year should not run for hours.
MAX_CATCH_UP_DAYS = 3660

Progress = Callable[[dt.date, int, int], None]  # (date, partitions done, partitions)


@dataclass(frozen=True, slots=True)
class CobDayReport:
    business_date: dt.date
    partitions_run: int
    partitions_skipped: int
    loans_closed: int
    postings: int
    events: int


def close_day(app: Dunwell, business_date: dt.date,
              progress: Progress | None = None) -> CobDayReport:
    """Close ``business_date`` (the book's open date, or one already closed).

    Refuses with :class:`~dunwell.core.errors.RetryLater` while another COB runs."""
    with app.db.cob_lock():
        return _close_day(app, business_date, progress)


@dataclass
class _Tally:
    """What closing a day's partitions did, partition by partition."""

    run: int = 0
    skipped: int = 0
    loans: int = 0
    postings: int = 0
    events: int = 0

    def add(self, closed: tuple[CobResult, int] | None) -> None:
        if closed is None:
            self.skipped += 1
            return
        result, lines = closed
        self.run += 1
        self.loans += result.loans_closed
        self.postings += lines
        self.events += len(result.events)


def _close_day(app: Dunwell, business_date: dt.date,
               progress: Progress | None = None) -> CobDayReport:
    with app.uow() as uow:
        info = uow.book.require()
        params = {code: CobParams.of(p) for code, p in uow.products.all().items()}
    if business_date > info.business_date:
        raise InvalidInput(
            f"the book is at {info.business_date}; close the days before {business_date} "
            f"first (`dunwell cob --until {business_date}`)", code="cob_date_must_be_open_date")
    with app.uow() as uow:
        done = uow.cob.completed_partitions(business_date)
    tally = _Tally()
    for p in range(info.partitions):
        tally.add(None if p in done else close_partition(
            app, business_date, p, params=params, currency=info.currency))
        if progress is not None:
            progress(business_date, p + 1, info.partitions)
    if info.business_date == business_date:
        with app.uow() as uow:
            uow.book.advance(business_date + dt.timedelta(days=1))
            uow.commit()
    report = CobDayReport(business_date, tally.run, tally.skipped, tally.loans,
                          tally.postings, tally.events)
    log.info("cob.day_closed", business_date=str(business_date), partitions_run=tally.run,
             partitions_skipped=tally.skipped, loans=tally.loans, postings=tally.postings,
             events=tally.events)
    return report


def close_partition(app: Dunwell, business_date: dt.date, partition: int, *,
                    params: Mapping[str, CobParams],
                    currency: str) -> tuple[CobResult, int] | None:
    """Close one partition for ``business_date`` in one transaction, holding its lock:
    the kernel's result and the journal lines written, or None when another run
    closed it first."""
    day = to_day(business_date)
    closed = None
    with app.uow() as uow:
        uow.locks.partitions((partition,), exclusive=True)
        if not uow.cob.partition_closed(business_date, partition):
            part = uow.cob.load_partition(partition, day, params)
            result = cob_day(part.batch, day)
            entry = day_entry(result, business_date=business_date, partition=partition,
                              currency=currency)
            lines = uow.cob.write_partition(business_date=business_date, partition=partition,
                                            before=part, result=result, entry=entry)
            closed = (result, lines)
        uow.commit()
    return closed


def day_entry(result: CobResult, *, business_date: dt.date, partition: int,
              currency: str) -> ColumnarEntry | None:
    """The partition's accrual, penalty and fee lines as one entry, built and checked
    loan by loan by the ledger (None when the day charged nothing)."""
    posts = result.postings
    if not len(posts):
        return None
    return columnar_entry(
        entry_id=f"cob:{business_date.isoformat()}:p{partition}", business_date=business_date,
        kind="cob_accrual", currency=currency,
        memo=f"accrual, penalty and fees for {business_date}, partition {partition}",
        loan_id=posts.loan_id, account=posts.account, amount_minor=posts.amount_minor)


def close_until(app: Dunwell, until: dt.date,
                progress: Progress | None = None) -> list[CobDayReport]:
    """Close every day from the book's open date through ``until``."""
    with app.db.cob_lock():
        with app.uow() as uow:
            start = uow.book.require().business_date
        days = (until - start).days + 1
        if days > MAX_CATCH_UP_DAYS:
            raise InvalidInput(f"{days} days to close is more than {MAX_CATCH_UP_DAYS}; "
                               "catch up in smaller steps", code="cob_catch_up_must_be_bounded")
        return [_close_day(app, start + dt.timedelta(days=k), progress)
                for k in range(max(days, 0))]
