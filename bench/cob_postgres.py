"""COB end to end through PostgreSQL: load partitions, run the kernel, write back.

A fresh schema is created for the run and dropped at the end. The synthetic
portfolio (``portfolio.py``) is seeded in bulk: the book is opened and the products
registered through ``dunwell.app.lending.book``, then loans and instalments go in by
``COPY`` (``disburse`` would book every loan new on one day, with nothing overdue,
and insert row by row). One day is closed as a warm-up; then the baseline, closing
day by day (``close_until(..., window_days=1)``: one transaction per partition and
day, the path every single ``dunwell cob`` day takes), is timed over a few days, and
the catch-up in windows (``close_until`` with its default windows) over the
following days. No payments arrive during the run, so delinquency only grows. At the
end the whole book is verified (``dunwell book verify``'s checks).

    .venv/bin/python bench/cob_postgres.py --quick          # 5 000 loans, 3 + 1 days
    .venv/bin/python bench/cob_postgres.py --loans 20000 --days 5
    .venv/bin/python bench/cob_postgres.py                  # 100 000 loans x 30 days

Prints loan-days/s for both, their ratio, where the time goes (load, kernel, write)
and the target, and writes ``bench/out/cob_postgres.json``.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import secrets
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
from sqlalchemy import create_engine, event, make_url, text
from sqlalchemy.engine import Connection

import dunwell.app.cob as cob_runner
import dunwell.store.cob_io as cob_io
from dunwell.app.cob import close_day, close_until
from dunwell.app.lending.book import open_book, register_product
from dunwell.app.lending.verify import verify_book
from dunwell.bootstrap import Dunwell, bootstrap
from dunwell.cob.batch import INST_COLUMNS
from dunwell.core.dates import from_day
from dunwell.ledger.model import Account
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
    baseline_days: int = 2  # closed day by day before the timed catch-up
    paired: bool = True  # two windows written at once (close_until's default)


PG_QUICK = PgSizes(loans=5_000, days=3, partitions=4, baseline_days=1)
#: loan-days/s the catch-up through PostgreSQL should reach at full size
TARGET_LOAN_DAYS_PER_S = 50_000
OUT = Path(__file__).resolve().parent / "out" / "cob_postgres.json"


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
    pacsv.write_csv(
        pa.table({k: pa.array(v) for k, v in cols.items()}),
        buf,
        write_options=pacsv.WriteOptions(include_header=False),
    )
    raw = conn.connection.driver_connection
    assert raw is not None
    with (
        raw.cursor() as cur,
        cur.copy(f"COPY {table} ({', '.join(cols)}) FROM STDIN (FORMAT csv)") as copy,
    ):
        copy.write(buf.getvalue())


def seed_portfolio(app: Dunwell, p: Portfolio, *, partitions: int) -> None:
    """Open the book at the portfolio's business day and load its loans in bulk."""
    with app.uow() as uow:
        open_book(uow, business_date=from_day(p.day), partitions=partitions, currency=CURRENCY)
        for spec in builtin_product_texts():
            register_product(uow, spec)
        uow.commit()
    b, n = p.batch, len(p)
    counts = np.diff(b.offsets)
    with app.engine.begin() as conn:
        _copy(
            conn,
            "loans",
            {
                "loan_id": b.loan_id,
                "borrower_id": b.loan_id,
                "product_code": np.asarray(p.codes)[p.product_index],
                "currency": np.full(n, CURRENCY),
                "principal_minor": p.principal_minor,
                "disbursed_day": p.disbursed_day,
                "partition": b.loan_id % partitions,
                "status": b.status,
                "days_past_due": b.days_past_due,
                "bucket": b.bucket,
                "charged_minor": b.charged_minor,
                "exposure_minor_days": b.exposure_minor_days,
                "suspense_minor": np.zeros(n, dtype=np.int64),
                "last_cob_day": b.last_cob_day,
                "version": np.zeros(n, dtype=np.int64),
                "restructured": b.restructured,
            },
        )
        inst_n = np.arange(b.installment_count) - np.repeat(b.offsets[:-1], counts) + 1
        _copy(
            conn,
            "installments",
            {
                "loan_id": np.repeat(b.loan_id, counts),
                "n": inst_n,
                "partition": np.repeat(b.loan_id % partitions, counts),
                **{c: getattr(b, c) for c in INST_COLUMNS},
            },
        )
        _copy_opening_entry(conn, p)
    with app.engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT").execute(
            text("ANALYZE loans; ANALYZE installments; ANALYZE journal_lines")
        )


def _copy_opening_entry(conn: Connection, p: Portfolio) -> None:
    """One entry carrying every loan's receivables as the portfolio stands (cash on the
    other side), so the book verifies before and after the run."""
    b = p.batch
    starts = b.offsets[:-1]
    owed = {
        Account.PRINCIPAL_RECEIVABLE: b.principal_minor - b.paid_principal_minor,
        Account.INTEREST_RECEIVABLE: b.interest_accrued_minor - b.paid_interest_minor,
        Account.PENALTY_RECEIVABLE: b.penalty_minor - b.paid_penalty_minor,
        Account.FEE_RECEIVABLE: b.fee_minor - b.paid_fee_minor,
    }
    per_loan = {a: np.add.reduceat(v, starts) for a, v in owed.items()}
    per_loan[Account.CASH] = -np.sum(list(per_loan.values()), axis=0)
    accounts, loans, amounts = [], [], []
    for acct, amount in per_loan.items():
        keep = np.flatnonzero(amount != 0)
        accounts.append(np.full(keep.size, int(acct)))
        loans.append(b.loan_id[keep])
        amounts.append(amount[keep])
    entry_id = "open:bench"
    conn.execute(
        text(
            "INSERT INTO journal_entries (entry_id, business_date, kind, currency, "
            "memo) VALUES (:e, :d, 'opening', :c, 'the portfolio as seeded')"
        ),
        {"e": entry_id, "d": from_day(p.day - 1), "c": CURRENCY},
    )
    account = np.concatenate(accounts)
    _copy(
        conn,
        "journal_lines",
        {
            "entry_id": np.full(account.size, entry_id),
            "account": account,
            "loan_id": np.concatenate(loans),
            "amount_minor": np.concatenate(amounts),
        },
    )


def check_partition(app: Dunwell, p: Portfolio, *, partitions: int) -> None:
    """Partition 0 as loaded back from PostgreSQL must equal the portfolio's loans."""
    with app.engine.connect() as conn:
        part = load_partition(conn, 0, p.day, p.params)
    want = take_loans(p.batch, np.flatnonzero(p.batch.loan_id % partitions == 0))
    diff = batches_equal(part.batch, want)
    assert not diff, f"seeded partition 0 differs from the portfolio on {diff}"


#: (module, function, label): where the runner's time goes. Wrapped only for the
#: timed days; a name that no longer exists is left out rather than failing the run.
#: Paired windows write in two threads at once, so their phases add up to more than
#: the wall time.
_PHASES = (
    (cob_io, "load_partition", "load"),
    (cob_runner, "cob_day", "kernel"),
    (cob_io, "write_changes", "write: update loans and instalments"),
    (cob_io, "write_closed_days", "write: journal lines, events, completion records"),
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
        return {
            "skipped": f"PostgreSQL unreachable at {make_url(url).render_as_string()}"
            f" ({why}); set {URL_ENV} to run this figure"
        }
    schema = f"dunwell_bench_{os.getpid()}_{secrets.token_hex(3)}"
    admin = create_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    app: Dunwell | None = None
    try:
        scoped = make_url(url).update_query_dict({"options": f"-csearch_path={schema}"})
        settings = Settings(
            db_url=scoped.render_as_string(hide_password=False),
            partitions=sizes.partitions,
            log_level="WARNING",
        )
        app = bootstrap(settings)
        _watch_backends(app)
        return _measure(app, sizes, tick)
    finally:
        if app is not None:
            app.engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


#: server process ids of the app's connections (for their CPU time, when the server
#: runs on this machine)
_BACKENDS: set[int] = set()


def _watch_backends(app: Dunwell) -> None:
    """Note the server process of every connection the app opens from now on."""
    _BACKENDS.clear()
    app.engine.dispose()

    @event.listens_for(app.engine, "connect")
    def _noted(dbapi_conn: Any, _record: Any) -> None:
        with dbapi_conn.cursor() as cur:
            cur.execute("SELECT pg_backend_pid()")
            _BACKENDS.add(int(cur.fetchone()[0]))


def backend_cpu_s() -> dict[int, float] | None:
    """CPU seconds used so far by each noted server process, or None when the server
    does not run on this machine (or its processes cannot be read)."""
    out = {}
    try:
        for pid in _BACKENDS:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            out[pid] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None
    return out


def server_cpu_s() -> float | None:
    """CPU seconds used so far by the noted server processes (None: unknown)."""
    per = backend_cpu_s()
    return None if per is None else sum(per.values())


@dataclass
class _Closed:
    """Timed days: their reports, the wall and client CPU time, the phases'."""

    reports: list[Any]
    elapsed_s: float
    cpu_s: float
    server_cpu_s: float | None
    phases_s: dict[str, float]
    #: each server process's CPU seconds, most first (the busiest bounds the wall time
    #: on an idle machine with a core per process)
    backends_s: list[float]

    def figures(self) -> dict[str, Any]:
        loan_days = sum(r.loans_closed for r in self.reports)
        return {
            "days": len(self.reports),
            "loan_days": loan_days,
            "elapsed_s": round(self.elapsed_s, 3),
            "client_cpu_s": round(self.cpu_s, 3),
            "server_cpu_s": None if self.server_cpu_s is None else round(self.server_cpu_s, 3),
            "cpu_us_per_loan_day": None
            if self.server_cpu_s is None
            else round((self.cpu_s + self.server_cpu_s) / max(loan_days, 1) * 1e6, 1),
            "loan_days_per_s": loan_days / self.elapsed_s,
            "day_s_mean": self.elapsed_s / max(len(self.reports), 1),
            "postings": sum(r.postings for r in self.reports),
            "events": sum(r.events for r in self.reports),
            "phases_s": {k: round(v, 2) for k, v in self.phases_s.items()},
            "server_cpu_by_process_s": [round(v, 2) for v in self.backends_s if v >= 0.005],
        }


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


def _close_days(
    app: Dunwell, p: Portfolio, sizes: PgSizes, tick: Tick | None
) -> tuple[_Closed, _Closed]:
    """A warm-up day untimed, then ``sizes.baseline_days`` closed day by day and
    ``sizes.days`` in windows, each timed."""
    close_day(app, from_day(p.day))

    def on_partition(_date: Any, done: int, total: int) -> None:
        if done == total and tick is not None:
            tick("pg_days", 1)

    def timed(first: int, days: int, **kw: Any) -> _Closed:
        with phase_timers() as phases:
            t0, c0, b0 = time.perf_counter(), time.process_time(), backend_cpu_s() or {}
            reports = close_until(app, from_day(first + days - 1), on_partition, **kw)
            elapsed, cpu, b1 = time.perf_counter() - t0, time.process_time() - c0, backend_cpu_s()
        per = None if b1 is None else {pid: v - b0.get(pid, 0.0) for pid, v in b1.items()}
        server = None if per is None else sum(per.values())
        busiest = sorted((per or {}).values(), reverse=True)
        return _Closed(reports, elapsed, cpu, server, dict(phases), busiest)

    baseline = timed(p.day + 1, sizes.baseline_days, window_days=1)
    windows = timed(p.day + 1 + sizes.baseline_days, sizes.days, paired=sizes.paired)
    return baseline, windows


def _measure(app: Dunwell, sizes: PgSizes, tick: Tick | None) -> dict[str, Any]:
    p, seed_s = _seeded(app, sizes, tick)
    baseline, closed = _close_days(app, p, sizes, tick)
    t0 = time.perf_counter()
    check = verify_book(app)
    verify_s = time.perf_counter() - t0
    with app.engine.connect() as conn:
        open_after = conn.execute(
            text("SELECT count(*) FROM loans WHERE status IN (1, 2, 3, 6)")
        ).scalar_one()
    new, old = closed.figures(), baseline.figures()
    return {
        "loans": len(p),
        "installments": p.batch.installment_count,
        "partitions": sizes.partitions,
        "days": new["days"],
        "portfolio": describe(p),
        "seed_s": round(seed_s, 2),
        **{
            k: new[k]
            for k in (
                "elapsed_s",
                "client_cpu_s",
                "server_cpu_s",
                "cpu_us_per_loan_day",
                "loan_days",
                "loan_days_per_s",
                "day_s_mean",
                "postings",
                "events",
                "phases_s",
                "server_cpu_by_process_s",
            )
        },
        "paired_windows": sizes.paired,
        "window_days_max": cob_runner.WINDOW_DAYS_MAX,
        "baseline_day_by_day": old,
        "ratio_over_day_by_day": round(new["loan_days_per_s"] / old["loan_days_per_s"], 2),
        "cpu_ratio_day_by_day_over_windows": None
        if not new["cpu_us_per_loan_day"] or not old["cpu_us_per_loan_day"]
        else round(old["cpu_us_per_loan_day"] / new["cpu_us_per_loan_day"], 2),
        "target_loan_days_per_s": TARGET_LOAN_DAYS_PER_S,
        "meets_target": new["loan_days_per_s"] >= TARGET_LOAN_DAYS_PER_S,
        "verify_ok": check.ok,
        "verify_failed": [c.name for c in check.checks if not c.ok],
        "verify_s": round(verify_s, 2),
        "open_loans_after": int(open_after),
        "postgres": _server_version(app),
    }


def _server_version(app: Dunwell) -> str:
    with app.engine.connect() as conn:
        return str(conn.execute(text("SHOW server_version")).scalar_one())


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--loans", type=int, help="loans in the book (default 100,000)")
    ap.add_argument("--days", type=int, help="days closed in windows, timed (default 30)")
    ap.add_argument(
        "--baseline-days", type=int, help="days closed day by day before them, timed (default 2)"
    )
    ap.add_argument("--partitions", type=int, help="COB partitions (default 8)")
    ap.add_argument("--unpaired", action="store_true", help="write the windows one after the other")
    ap.add_argument("--quick", action="store_true", help="5,000 loans, 1 + 3 days")
    ap.add_argument("--out", type=Path, default=OUT)
    return ap.parse_args(argv)


def _opt(x: float | None) -> str:
    return "?" if x is None else f"{x:,.1f}"


def render(r: dict[str, Any]) -> str:
    if "skipped" in r:
        return f"COB through PostgreSQL: skipped: {r['skipped']}"
    old = r["baseline_day_by_day"]

    def phases(ph: dict[str, float]) -> str:
        return ", ".join(f"{k} {v:.1f} s" for k, v in ph.items())

    def busiest(per: list[float]) -> str:
        return " + ".join(f"{v:.1f} s" for v in per) or "?"

    return "\n".join(
        [
            f"COB through PostgreSQL {r['postgres']}: {r['loans']:,} loans, "
            f"{r['installments']:,} instalments, {r['partitions']} partitions",
            f"  catch-up in windows of <= {r['window_days_max']} days"
            f"{', two at once where two are left' if r['paired_windows'] else ', one by one'}: "
            f"{r['loan_days_per_s']:,.0f} loan-days/s ({r['days']} days, {r['loan_days']:,} "
            f"loan-days in {r['elapsed_s']:.1f} s; CPU: client {r['client_cpu_s']:.1f} s, "
            f"server {_opt(r['server_cpu_s'])} s, {_opt(r['cpu_us_per_loan_day'])} us/loan-day)",
            f"    where the time goes: {phases(r['phases_s'])}",
            f"    server CPU by process: {busiest(r['server_cpu_by_process_s'])}",
            f"  baseline, day by day: {old['loan_days_per_s']:,.0f} loan-days/s ({old['days']} days"
            f" in {old['elapsed_s']:.1f} s; CPU: client {old['client_cpu_s']:.1f} s, server "
            f"{_opt(old['server_cpu_s'])} s, {_opt(old['cpu_us_per_loan_day'])} us/loan-day)",
            f"    where the time goes: {phases(old['phases_s'])}",
            f"  ratio over day by day: x{r['ratio_over_day_by_day']} in wall time, "
            f"x{_opt(r['cpu_ratio_day_by_day_over_windows'])} in CPU per loan-day; target "
            f"{r['target_loan_days_per_s']:,} loan-days/s: "
            f"{'met' if r['meets_target'] else 'NOT met'}",
            f"  book verify: {'clean' if r['verify_ok'] else 'FAILED ' + str(r['verify_failed'])}"
            f" ({r['verify_s']:.1f} s)",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    base = PG_QUICK if args.quick else PgSizes()
    sizes = PgSizes(
        loans=args.loans or base.loans,
        days=args.days or base.days,
        partitions=args.partitions or base.partitions,
        seed=base.seed,
        baseline_days=args.baseline_days or base.baseline_days,
        paired=not args.unpaired,
    )
    result = run(sizes)
    result["command"] = " ".join(["bench/cob_postgres.py", *(argv or sys.argv[1:])])
    result["machine"] = {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }
    print(render(result))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, default=float, sort_keys=True) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
