"""The local COB runner: partitions in, one transaction per partition out.

For each business date it loads each partition's open loans, runs the pure kernel,
and writes the new columns, the postings, the events and a completion record in one
transaction. Completed partitions are skipped, so a second run of the same date
changes nothing and a run killed half-way resumes to the same books. When every
partition of a date is closed the book moves to the next date.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Engine

from dunwell.app import logs
from dunwell.app.uow import UnitOfWork
from dunwell.cob.kernel import cob_day
from dunwell.cob.model import CobParams
from dunwell.core.dates import to_day
from dunwell.core.errors import InvalidInput
from dunwell.store.cob_io import completed_partitions, load_partition, write_partition

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


def close_day(engine: Engine, business_date: dt.date,
              progress: Progress | None = None) -> CobDayReport:
    """Close ``business_date`` (the book's open date, or one already closed)."""
    with UnitOfWork(engine) as uow:
        info = uow.book.require()
        params = {code: CobParams.of(p) for code, p in uow.products.all().items()}
    if business_date > info.business_date:
        raise InvalidInput(
            f"the book is at {info.business_date}; close the days before {business_date} "
            f"first (`dunwell cob --until {business_date}`)", code="cob_date_must_be_open_date")
    day = to_day(business_date)
    with engine.connect() as conn:
        done = completed_partitions(conn, business_date)
    run = skipped = loans = postings = events = 0
    for p in range(info.partitions):
        if p in done:
            skipped += 1
        else:
            with engine.begin() as conn:
                part = load_partition(conn, p, day, params)
                result = cob_day(part.batch, day)
                postings += write_partition(conn, business_date=business_date, partition=p,
                                            currency=info.currency, before=part, result=result)
            loans += result.loans_closed
            events += len(result.events)
            run += 1
        if progress is not None:
            progress(business_date, p + 1, info.partitions)
    if info.business_date == business_date:
        with UnitOfWork(engine) as uow:
            uow.book.advance(business_date + dt.timedelta(days=1))
            uow.commit()
    report = CobDayReport(business_date, run, skipped, loans, postings, events)
    log.info("cob.day_closed", business_date=str(business_date), partitions_run=run,
             partitions_skipped=skipped, loans=loans, postings=postings, events=events)
    return report


def close_until(engine: Engine, until: dt.date,
                progress: Progress | None = None) -> list[CobDayReport]:
    """Close every day from the book's open date through ``until``."""
    with UnitOfWork(engine) as uow:
        start = uow.book.require().business_date
    days = (until - start).days + 1
    if days > MAX_CATCH_UP_DAYS:
        raise InvalidInput(f"{days} days to close is more than {MAX_CATCH_UP_DAYS}; "
                           "catch up in smaller steps", code="cob_catch_up_must_be_bounded")
    return [close_day(engine, start + dt.timedelta(days=k), progress)
            for k in range(max(days, 0))]
