"""The local COB runner: partitions in, one transaction per partition out.

For each business date it locks a partition, loads its open loans, runs the pure
kernel, has the ledger build and check the day's entry loan by loan, and writes the
new columns, the entry, the events and a completion record in one transaction.
Completed partitions are skipped, so a second run of the same date changes nothing
and a run killed half-way resumes to the same books. When every partition of a date
is closed the book moves to the next date.

Catching up several days (:func:`close_until`) closes them in windows of up to
:data:`WINDOW_DAYS_MAX` days: one transaction locks every partition, and each
partition is loaded once, run through the window's days in memory (the kernel skips
loans not open or already closed for a day) and written once — the loans and
instalments that changed, every day's entry, events and completion record — and the
book moves past the window in the same transaction. The books are the same as closing
the days one by one (each loan's ``version`` moves once per day that closed it); a
crash loses the window and the next run closes it again. On PostgreSQL two windows
are written at once, each in its own transaction on its own connection, and commit in
order (:func:`_close_window_pair`), so the server's work is shared by two processes.

Payments and other writers wait while their loan's partition is being closed, and
only one COB runs on a book at a time: see :mod:`dunwell.store.locks`.
"""

from __future__ import annotations

import datetime as dt
import queue
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from dunwell.app import logs
from dunwell.app.context import Dunwell
from dunwell.cob.batch import LoanBatch
from dunwell.cob.kernel import CobResult, cob_day
from dunwell.cob.model import CobParams
from dunwell.core.dates import to_day
from dunwell.core.errors import InvalidInput
from dunwell.ledger.columnar import ColumnarEntry, columnar_entry
from dunwell.store.cob_io import Changes, ClosedDay, Partition

log = logs.get(__name__)

#: The most days one ``--until`` call closes: a typo in a year should not run for hours.
MAX_CATCH_UP_DAYS = 3660
#: The most days one catch-up window closes in one transaction: other writers of the
#: book wait for a whole window, and a crash loses at most one.
WINDOW_DAYS_MAX = 15
#: A window holds at most about this many loan-days (open loans x days), so a large
#: book closes in shorter windows.
WINDOW_LOAN_DAYS = 2_000_000

Progress = Callable[[dt.date, int, int], None]  # (date, partitions done, partitions)


@dataclass(frozen=True, slots=True)
class CobDayReport:
    business_date: dt.date
    partitions_run: int
    partitions_skipped: int
    loans_closed: int
    postings: int
    events: int


def close_day(
    app: Dunwell, business_date: dt.date, progress: Progress | None = None
) -> CobDayReport:
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

    def add(self, closed: tuple[CobResult | ClosedDay, int] | None) -> None:
        if closed is None:
            self.skipped += 1
            return
        result, lines = closed
        self.run += 1
        self.loans += result.loans_closed
        self.postings += lines
        self.events += len(result.events)

    def closed(self, business_date: dt.date, **extra: int) -> CobDayReport:
        """The day's report, logged as ``cob.day_closed`` (with ``extra`` fields)."""
        log.info(
            "cob.day_closed",
            business_date=str(business_date),
            partitions_run=self.run,
            partitions_skipped=self.skipped,
            loans=self.loans,
            postings=self.postings,
            events=self.events,
            **extra,
        )
        return CobDayReport(
            business_date, self.run, self.skipped, self.loans, self.postings, self.events
        )


def _close_day(
    app: Dunwell, business_date: dt.date, progress: Progress | None = None
) -> CobDayReport:
    with app.uow() as uow:
        info = uow.book.require()
        params = {code: CobParams.of(p) for code, p in uow.products.all().items()}
    if business_date > info.business_date:
        raise InvalidInput(
            f"the book is at {info.business_date}; close the days before {business_date} "
            f"first (`dunwell cob --until {business_date}`)",
            code="cob_date_must_be_open_date",
        )
    with app.uow() as uow:
        done = uow.cob.completed_partitions(business_date)
    tally = _Tally()
    for p in range(info.partitions):
        tally.add(
            None
            if p in done
            else close_partition(app, business_date, p, params=params, currency=info.currency)
        )
        if progress is not None:
            progress(business_date, p + 1, info.partitions)
    if info.business_date == business_date:
        with app.uow() as uow:
            uow.book.advance(business_date + dt.timedelta(days=1))
            uow.commit()
    return tally.closed(business_date)


def close_partition(
    app: Dunwell,
    business_date: dt.date,
    partition: int,
    *,
    params: Mapping[str, CobParams],
    currency: str,
) -> tuple[CobResult, int] | None:
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
            entry = day_entry(
                result, business_date=business_date, partition=partition, currency=currency
            )
            lines = uow.cob.write_partition(
                business_date=business_date,
                partition=partition,
                before=part,
                result=result,
                entry=entry,
            )
            closed = (result, lines)
        uow.commit()
    return closed


def day_entry(
    result: CobResult, *, business_date: dt.date, partition: int, currency: str
) -> ColumnarEntry | None:
    """The partition's accrual, penalty and fee lines as one entry, built and checked
    loan by loan by the ledger (None when the day charged nothing)."""
    posts = result.postings
    if not len(posts):
        return None
    return columnar_entry(
        entry_id=f"cob:{business_date.isoformat()}:p{partition}",
        business_date=business_date,
        kind="cob_accrual",
        currency=currency,
        memo=f"accrual, penalty and fees for {business_date}, partition {partition}",
        loan_id=posts.loan_id,
        account=posts.account,
        amount_minor=posts.amount_minor,
    )


def close_until(
    app: Dunwell,
    until: dt.date,
    progress: Progress | None = None,
    *,
    window_days: int = WINDOW_DAYS_MAX,
    paired: bool = True,
) -> list[CobDayReport]:
    """Close every day from the book's open date through ``until``, in windows of up to
    ``window_days`` days (1: day by day, one transaction per partition and day). On
    PostgreSQL two windows are written at once (:func:`_close_window_pair`) unless
    ``paired`` is false."""
    if window_days < 1:
        raise InvalidInput(
            f"a window of {window_days} days closes nothing; use 1 or more",
            code="cob_window_must_be_positive",
        )
    with app.db.cob_lock():
        with app.uow() as uow:
            info = uow.book.require()
            open_loans = sum(n for s, n in uow.loans.count_by_status().items() if s.is_open)
        start = info.business_date
        days = (until - start).days + 1
        if days > MAX_CATCH_UP_DAYS:
            raise InvalidInput(
                f"{days} days to close is more than {MAX_CATCH_UP_DAYS}; catch up in smaller steps",
                code="cob_catch_up_must_be_bounded",
            )
        reports: list[CobDayReport] = []
        day = start
        while day <= until:
            left = (until - day).days + 1
            widest = min(window_days, max(1, WINDOW_LOAN_DAYS // max(open_loans, 1)))
            width = _even_width(left, widest)
            if width > 1:
                with app.uow() as uow:
                    partial = bool(uow.cob.completed_partitions(day))
            if width == 1 or partial:
                reports.append(_close_day(app, day, progress))
                day += dt.timedelta(days=1)
                continue
            rest = left - width
            if paired and app.db.dialect == "postgresql" and rest > 1:
                second = _even_width(rest, widest)
                reports.extend(_close_window_pair(app, day, (width, second), progress))
                day += dt.timedelta(days=width + second)
                continue
            reports.extend(_close_window(app, day, width, progress))
            day += dt.timedelta(days=width)
        return reports


def _even_width(days: int, widest: int) -> int:
    """The width of the next window when ``days`` are closed in as few windows of at
    most ``widest`` days as can hold them, made as even as they can be."""
    return -(-days // -(-days // widest))


def _run_days(
    batch: LoanBatch, dates: list[dt.date], partition: int, currency: str
) -> tuple[LoanBatch, np.ndarray[Any, Any], list[ClosedDay]]:
    """Run a partition's ``batch`` through ``dates`` in memory: the batch after the
    last day, how many of the days changed each loan, and each day's result and entry."""
    bumps = np.zeros(len(batch), dtype=np.int64)
    closed: list[ClosedDay] = []
    for date in dates:
        result = cob_day(batch, to_day(date))
        bumps += result.batch.last_cob_day != batch.last_cob_day
        entry = day_entry(result, business_date=date, partition=partition, currency=currency)
        closed.append(ClosedDay.of(date, result, entry))
        batch = result.batch
    return batch, bumps, closed


def _close_window(
    app: Dunwell, first: dt.date, width: int, progress: Progress | None = None
) -> list[CobDayReport]:
    """Close ``width`` days from the book's open date ``first`` (none of whose
    partitions is closed yet) in one transaction; see the module's docstring."""
    dates = [first + dt.timedelta(days=k) for k in range(width)]
    tallies = [_Tally() for _ in dates]
    with app.uow() as uow:
        info = uow.book.require()
        assert info.business_date == first, "a window starts at the book's open date"
        params = {code: CobParams.of(p) for code, p in uow.products.all().items()}
        uow.locks.partitions(range(info.partitions), exclusive=True)
        for p in range(info.partitions):
            before = uow.cob.load_partition(p, to_day(dates[-1]), params)
            batch, bumps, closed = _run_days(before.batch, dates, p, info.currency)
            lines = uow.cob.write_days(
                partition=p, before=before, after=batch, bumps=bumps, days=closed
            )
            for tally, c, n in zip(tallies, closed, lines, strict=True):
                tally.add((c, n))
        uow.book.advance(dates[-1] + dt.timedelta(days=1))
        uow.commit()
    reports = []
    for date, tally in zip(dates, tallies, strict=True):
        if progress is not None:
            for p in range(info.partitions):
                progress(date, p + 1, info.partitions)
        reports.append(tally.closed(date, window_days=width))
    return reports


@dataclass(frozen=True, slots=True)
class _Written:
    """What one partition's window sends its writer: the days, and the rows they
    changed (relative to the window before, as that window will have left them)."""

    partition: int
    days: list[ClosedDay]
    changes: Changes


class _WindowWriter:
    """Writes one window in one transaction on its own connection, in a thread.

    The partitions' days arrive by :meth:`put` as the runner computes them; each one's
    journal lines, events and completion records are written at once. The loans and
    instalments are updated as they arrive too, unless the writer follows another
    window (``after``): those rows are the other window's until it commits, so they
    are updated at the end, after it committed, with the book's move. Commits only if
    the window before committed (else rolls back and fails the same way)."""

    def __init__(self, app: Dunwell, dates: list[dt.date], after: _WindowWriter | None) -> None:
        self.dates = dates
        self.after = after
        self.tallies = {date: _Tally() for date in dates}
        self.error: BaseException | None = None
        self.committed = threading.Event()
        self.finished = threading.Event()
        self._app = app
        self._queue: queue.Queue[_Written | bool] = queue.Queue(maxsize=1)
        self._thread = threading.Thread(target=self._run, name=f"cob-window-{dates[0]}")
        self._thread.start()

    def put(self, item: _Written | bool) -> None:
        """Hand over a partition, or the end: True when every partition was handed
        over (commit), False when the runner failed (roll back). Never blocks past the
        writer's end."""
        while not self.finished.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return
            except queue.Full:
                continue

    def join(self) -> None:
        self._thread.join()

    def _run(self) -> None:
        try:
            with self._app.uow() as uow:
                deferred: list[Changes] = []
                while not isinstance(item := self._queue.get(), bool):
                    lines = uow.cob.write_closed_days(partition=item.partition, days=item.days)
                    for c, n in zip(item.days, lines, strict=True):
                        self.tallies[c.business_date].add((c, n))
                    if self.after is None:
                        uow.cob.write_changes(item.changes)
                    else:
                        deferred.append(item.changes)
                if not item:
                    raise RuntimeError(f"the window from {self.dates[0]} was left unfinished")
                if self.after is not None:
                    self.after.finished.wait()
                    if not self.after.committed.is_set():
                        raise RuntimeError(
                            f"the window before {self.dates[0]} did not commit"
                        ) from self.after.error
                    if deferred:
                        uow.cob.write_changes(Changes.merged(deferred))
                uow.cob.advance_book(
                    open_date=self.dates[0], to=self.dates[-1] + dt.timedelta(days=1)
                )
                uow.commit()
                self.committed.set()
        except BaseException as exc:  # handed to the runner's thread, which raises it
            self.error = exc
        finally:
            self.finished.set()
            while True:  # let a runner blocked on a full queue go
                try:
                    self._queue.get_nowait()
                except queue.Empty:
                    break


def _close_window_pair(
    app: Dunwell, first: dt.date, widths: tuple[int, int], progress: Progress | None = None
) -> list[CobDayReport]:
    """Close two consecutive windows from the book's open date ``first``, each in its
    own transaction on its own connection, the second written while the first is
    (PostgreSQL: two server processes at work instead of one).

    A third transaction takes every partition's lock and holds it until both windows
    have committed, so no payment or other writer runs between them; it also loads
    each partition once, and the kernel runs it through both windows' days. Each
    window's transaction writes its days' lines, events and completion records as the
    partitions arrive; the second updates its loans and instalments (rows the first
    is still writing) and moves the book only after the first committed, and commits
    only if it did. Each window commits alone, so a crash leaves the book at a
    window's edge, as closing the windows one after the other would."""
    days = [first + dt.timedelta(days=k) for k in range(sum(widths))]
    windows = [days[: widths[0]], days[widths[0] :]]
    with app.uow() as uow:
        info = uow.book.require()
        assert info.business_date == first, "a window starts at the book's open date"
        params = {code: CobParams.of(p) for code, p in uow.products.all().items()}
        uow.locks.partitions(range(info.partitions), exclusive=True)
        writers: list[_WindowWriter] = []
        computed = False
        try:
            for dates in windows:
                writers.append(_WindowWriter(app, dates, writers[-1] if writers else None))
            for p in range(info.partitions):
                before = uow.cob.load_partition(p, to_day(days[-1]), params)
                batch = before.batch
                for dates, writer in zip(windows, writers, strict=True):
                    start = batch
                    batch, bumps, closed = _run_days(start, dates, p, info.currency)
                    changes = Changes.of(Partition(start, before.inst_n), batch, bumps)
                    writer.put(_Written(p, closed, changes))
            computed = True
        finally:
            for writer in writers:
                writer.put(computed)
            for writer in writers:
                writer.join()
        for writer in writers:
            if writer.error is not None:
                raise writer.error
    reports = []
    for dates, writer in zip(windows, writers, strict=True):
        for date in dates:
            if progress is not None:
                for p in range(info.partitions):
                    progress(date, p + 1, info.partitions)
            reports.append(writer.tallies[date].closed(date, window_days=len(dates)))
    return reports
