"""COB end to end through PostgreSQL: load partitions, run the kernel, write back.

A fresh schema is created for the run and dropped at the end. The synthetic
portfolio (``portfolio.py``) is seeded in bulk: the book is opened and the products
registered through ``dunwell.app.lending.book``, then loans and instalments go in by
``COPY`` (``disburse`` would book every loan new on one day, with nothing overdue,
and insert row by row). One day is closed as a warm-up, then
``dunwell.app.cob.close_until`` closes the following days, timed. No
payments arrive during the run, so delinquency only grows.
"""

from __future__ import annotations

import io
import os
import secrets
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.engine import Connection

import dunwell.app.cob as cob_runner
import dunwell.store.cob_io as cob_io
from dunwell.app.cob import close_day, close_until
from dunwell.app.lending.book import open_book, register_product
from dunwell.bootstrap import Dunwell, bootstrap
from dunwell.cob.batch import INST_COLUMNS
from dunwell.core.dates import from_day
from dunwell.lending.products import builtin_product_texts
from dunwell.settings import Settings
from dunwell.store.cob_io import load_partition
from portfolio import CURRENCY, Portfolio, batches_equal, build_portfolio, describe, take_loans

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
URL_ENV = "DUNWELL_BENCH_POSTGRES_URL"

Tick = Callable[[str, int], None]


@dataclass(frozen=True)
class PgSizes:
    loans: int = 100_000
    days: int = 30
    partitions: int = 8
    seed: int = 11


PG_QUICK = PgSizes(loans=5_000, days=3, partitions=4)


def base_url() -> str:
    return os.environ.get(URL_ENV) or DEFAULT_URL


def reachable(url: str) -> str | None:
    """None when PostgreSQL answers at ``url``, else why not."""
    try:
        engine = create_engine(url, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as exc:  # any failure to connect means: skip, and say why
        return f"{type(exc).__name__}: {str(exc).splitlines()[0][:160]}"
    return None


def _copy(conn: Connection, table: str, cols: dict[str, Any]) -> None:
    """``COPY table FROM STDIN`` the given columns (CSV written by Arrow)."""
    buf = io.BytesIO()
    pacsv.write_csv(pa.table({k: pa.array(v) for k, v in cols.items()}), buf,
                    write_options=pacsv.WriteOptions(include_header=False))
    raw = conn.connection.driver_connection
    assert raw is not None
    with raw.cursor() as cur, cur.copy(
            f"COPY {table} ({', '.join(cols)}) FROM STDIN (FORMAT csv)") as copy:
        copy.write(buf.getvalue())


def seed_portfolio(app: Dunwell, p: Portfolio, *, partitions: int) -> None:
    """Open the book at the portfolio's business day and load its loans in bulk."""
    with app.uow() as uow:
        open_book(uow, business_date=from_day(p.day), partitions=partitions,
                  currency=CURRENCY)
        for spec in builtin_product_texts():
            register_product(uow, spec)
        uow.commit()
    b, n = p.batch, len(p)
    counts = np.diff(b.offsets)
    with app.engine.begin() as conn:
        _copy(conn, "loans", {
            "loan_id": b.loan_id, "borrower_id": b.loan_id,
            "product_code": np.asarray(p.codes)[p.product_index],
            "currency": np.full(n, CURRENCY), "principal_minor": p.principal_minor,
            "disbursed_day": p.disbursed_day, "partition": b.loan_id % partitions,
            "status": b.status, "days_past_due": b.days_past_due, "bucket": b.bucket,
            "charged_minor": b.charged_minor, "exposure_minor_days": b.exposure_minor_days,
            "suspense_minor": np.zeros(n, dtype=np.int64), "last_cob_day": b.last_cob_day,
            "version": np.zeros(n, dtype=np.int64), "restructured": b.restructured})
        inst_n = np.arange(b.installment_count) - np.repeat(b.offsets[:-1], counts) + 1
        _copy(conn, "installments", {"loan_id": np.repeat(b.loan_id, counts), "n": inst_n,
                                     "partition": np.repeat(b.loan_id % partitions, counts),
                                     **{c: getattr(b, c) for c in INST_COLUMNS}})
    with app.engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT").execute(
            text("ANALYZE loans; ANALYZE installments"))


def check_partition(app: Dunwell, p: Portfolio, *, partitions: int) -> None:
    """Partition 0 as loaded back from PostgreSQL must equal the portfolio's loans."""
    with app.engine.connect() as conn:
        part = load_partition(conn, 0, p.day, p.params)
    want = take_loans(p.batch, np.flatnonzero(p.batch.loan_id % partitions == 0))
    diff = batches_equal(part.batch, want)
    assert not diff, f"seeded partition 0 differs from the portfolio on {diff}"


#: (module, function, label): where the runner's time goes. Wrapped only for the
#: timed days; a name that no longer exists is left out rather than failing the run.
_PHASES = (
    (cob_io, "load_partition", "load"),
    (cob_runner, "cob_day", "kernel"),
    (cob_io, "write_partition", "write"),
    (cob_io, "_bulk_update", "write: update loans and instalments"),
    (cob_io, "_bulk_insert", "write: insert journal lines and events"),
)


@contextmanager
def phase_timers() -> Iterator[dict[str, float]]:
    """Seconds spent in each of :data:`_PHASES` while the block runs."""
    spent: dict[str, float] = defaultdict(float)
    saved = []
    for module, name, label in _PHASES:
        fn = getattr(module, name, None)
        if fn is None:
            continue

        def timed(*args: Any, _fn: Any = fn, _label: str = label, **kwargs: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return _fn(*args, **kwargs)
            finally:
                spent[_label] += time.perf_counter() - t0

        saved.append((module, name, fn))
        setattr(module, name, timed)
    try:
        yield spent
    finally:
        for module, name, fn in saved:
            setattr(module, name, fn)


def run(sizes: PgSizes, tick: Tick | None = None) -> dict[str, Any]:
    """Seed, warm up one day, then time ``close_until`` over ``sizes.days`` days."""
    url = base_url()
    why = reachable(url)
    if why is not None:
        return {"skipped": f"PostgreSQL unreachable at {make_url(url).render_as_string()}"
                           f" ({why}); set {URL_ENV} to run this figure"}
    schema = f"dunwell_bench_{os.getpid()}_{secrets.token_hex(3)}"
    admin = create_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    app: Dunwell | None = None
    try:
        scoped = make_url(url).update_query_dict({"options": f"-csearch_path={schema}"})
        settings = Settings(db_url=scoped.render_as_string(hide_password=False),
                            partitions=sizes.partitions, log_level="WARNING")
        app = bootstrap(settings)
        return _measure(app, sizes, tick)
    finally:
        if app is not None:
            app.engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


@dataclass
class _Closed:
    """The timed days: their reports, the wall time, each day's time, the phases'."""

    reports: list[Any]
    elapsed_s: float
    per_day_s: np.ndarray[Any, Any]
    phases_s: dict[str, float]


def _seeded(app: Dunwell, sizes: PgSizes, tick: Tick | None) -> tuple[Portfolio, float]:
    """The synthetic book written to the database and checked; the seconds it took."""
    p = build_portfolio(sizes.loans, seed=sizes.seed)
    t0 = time.perf_counter()
    seed_portfolio(app, p, partitions=sizes.partitions)
    seed_s = time.perf_counter() - t0
    check_partition(app, p, partitions=sizes.partitions)
    if tick is not None:
        tick("pg_seed", 1)
    return p, seed_s


def _close_days(app: Dunwell, p: Portfolio, sizes: PgSizes, tick: Tick | None) -> _Closed:
    """A warm-up day untimed, then ``sizes.days`` days closed and timed."""
    close_day(app, from_day(p.day))
    day_ends: list[float] = []

    def on_partition(_date: Any, done: int, total: int) -> None:
        if done == total:
            day_ends.append(time.perf_counter())
            if tick is not None:
                tick("pg_days", 1)

    with phase_timers() as phases:
        t0 = time.perf_counter()
        reports = close_until(app, from_day(p.day + sizes.days), on_partition)
        elapsed = time.perf_counter() - t0
    return _Closed(reports, elapsed, np.diff([t0, *day_ends]), dict(phases))


def _measure(app: Dunwell, sizes: PgSizes, tick: Tick | None) -> dict[str, Any]:
    p, seed_s = _seeded(app, sizes, tick)
    closed = _close_days(app, p, sizes, tick)
    reports, elapsed, per_day = closed.reports, closed.elapsed_s, closed.per_day_s
    loan_days = sum(r.loans_closed for r in reports)
    with app.engine.connect() as conn:
        open_after = conn.execute(text(
            "SELECT count(*) FROM loans WHERE status IN (1, 2, 3, 6)")).scalar_one()
    return {
        "loans": len(p), "installments": p.batch.installment_count,
        "partitions": sizes.partitions, "days": len(reports),
        "portfolio": describe(p),
        "seed_s": round(seed_s, 2),
        "elapsed_s": elapsed,
        "loan_days": loan_days,
        "loan_days_per_s": loan_days / elapsed,
        "day_s_median": float(np.median(per_day)),
        "day_s_best": float(per_day.min()),
        "postings": sum(r.postings for r in reports),
        "events": sum(r.events for r in reports),
        "open_loans_after": int(open_after),
        "phases_s": {k: round(v, 2) for k, v in closed.phases_s.items()},
        "postgres": _server_version(app),
    }


def _server_version(app: Dunwell) -> str:
    with app.engine.connect() as conn:
        return str(conn.execute(text("SHOW server_version")).scalar_one())
