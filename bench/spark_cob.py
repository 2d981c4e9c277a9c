"""COB over a Parquet snapshot: the local runner against Spark local mode, same snapshot.

The synthetic portfolio (``portfolio.py``) is written as a snapshot
(``dunwell.app.snapshot``, the layout ``dunwell export`` writes) in ``partitions``
files. Then, each timed ``reps`` times with the best kept:

- ``kernel``: ``cob_day`` on the whole batch in memory (one core, no I/O);
- ``local``: ``dunwell.app.snapshot.run_local``: read the Parquet files, run the kernel
  batch by batch, write the results (one core);
- ``spark``: ``dunwell.app.cob_spark.run_spark`` in ``local[N]`` (N cores): the same
  kernel inside ``mapInArrow``, Parquet in and out. The session is started (and the
  job run once) before timing, as a cluster's executors are warm.

The results of the local and the Spark run must be the same loans with the same
columns (checked). Printed: each throughput, Spark over local, per-core throughput,
and the cores needed to close ``book_loans`` loans in ``window_s`` seconds at Spark's
per-core rate. Written to ``bench/out/spark_cob.json``.

    .venv/bin/python bench/spark_cob.py [--quick] [--loans N] [--cores N]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

import numpy as np  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402

from dunwell.app.snapshot import (  # noqa: E402
    RESULTS_DIR,
    run_local,
    write_manifest,
    write_partition_file,
)
from dunwell.cob.kernel import cob_day  # noqa: E402
from dunwell.core.dates import from_day  # noqa: E402
from portfolio import CURRENCY, Portfolio, build_portfolio, take_loans  # noqa: E402

OUT = HERE / "out" / "spark_cob.json"
#: The capacity question: a book of this many loans closed within this many seconds.
BOOK_LOANS = 50_000_000
WINDOW_S = 30 * 60


@dataclass(frozen=True)
class Sizes:
    loans: int = 400_000
    partitions: int = 8
    cores: int = 2
    reps: int = 3
    seed: int = 13


QUICK = Sizes(loans=40_000, partitions=4, reps=2)

Tick = Callable[[str, int], None]


def spark_missing() -> str | None:
    """None when Spark local mode can run here, else why not."""
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return "PySpark is not installed (pip install -e '.[spark]')"
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        return "no Java runtime (apt-get install openjdk-17-jre-headless)"
    return None


def write_snapshot(p: Portfolio, directory: Path, partitions: int) -> None:
    """The portfolio as ``dunwell export`` would write it from a book holding it."""
    b = p.batch
    counts = np.diff(b.offsets)
    inst_n = np.arange(b.installment_count) - np.repeat(b.offsets[:-1], counts) + 1
    owner = np.repeat(b.loan_id, counts)
    files = []
    for part in range(partitions):
        loans = np.flatnonzero(b.loan_id % partitions == part)
        inst = np.flatnonzero(owner % partitions == part)
        files.append(write_partition_file(directory, part, take_loans(b, loans), inst_n[inst]))
    write_manifest(
        directory, business_date=from_day(p.day), currency=CURRENCY, params=p.params, files=files
    )


def _best(fn: Callable[[], Any], reps: int, tick: Tick | None, step: str) -> float:
    best = math.inf
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
        if tick is not None:
            tick(step, 1)
    return best


def _results(directory: Path) -> Any:
    table = pq.read_table(directory / RESULTS_DIR / "loans")
    return table.sort_by("loan_id")


def run(sizes: Sizes, tick: Tick | None = None) -> dict[str, Any]:
    why = spark_missing()
    if why is not None:
        return {"skipped": why}
    from dunwell.app.cob_spark import run_spark, spark_session

    p = build_portfolio(sizes.loans, seed=sizes.seed)
    with tempfile.TemporaryDirectory(prefix="dunwell-bench-") as tmp:
        snap = Path(tmp) / "snap"
        write_snapshot(p, snap, sizes.partitions)
        snapshot_bytes = sum(f.stat().st_size for f in (snap / "loans").glob("*.parquet"))
        kernel_s = _best(lambda: cob_day(p.batch, p.day), sizes.reps, tick, "spark_kernel")
        local_s = _best(lambda: run_local(snap), sizes.reps, tick, "spark_local")
        local = _results(snap)
        spark = spark_session(f"local[{sizes.cores}]", app_name="dunwell-bench")
        try:
            run_spark(spark, snap)  # warm: the JVM, the Python workers, the imports
            spark_s = _best(lambda: run_spark(spark, snap), sizes.reps, tick, "spark_spark")
        finally:
            spark.stop()
        theirs = _results(snap)
        same = all(theirs.column(c).equals(local.column(c)) for c in local.column_names)
    n = len(p)
    spark_per_core = n / spark_s / sizes.cores
    return {
        "sizes": asdict(sizes),
        "loans": n,
        "installments": p.batch.installment_count,
        "snapshot_bytes_per_loan": round(snapshot_bytes / n, 1),
        "kernel_s": kernel_s,
        "local_s": local_s,
        "spark_s": spark_s,
        "kernel_loans_per_s": n / kernel_s,
        "local_loans_per_s": n / local_s,
        "spark_loans_per_s": n / spark_s,
        "spark_loans_per_s_per_core": spark_per_core,
        "ratio_spark_over_local": round(local_s / spark_s, 3),
        "ratio_spark_per_core_over_local": round(local_s / spark_s / sizes.cores, 3),
        "same_results": bool(same),
        "capacity": {
            "book_loans": BOOK_LOANS,
            "window_s": WINDOW_S,
            "loans_per_s_needed": BOOK_LOANS / WINDOW_S,
            "cores_needed_at_spark_rate": math.ceil(BOOK_LOANS / WINDOW_S / spark_per_core),
            "cores_needed_at_kernel_rate": math.ceil(BOOK_LOANS / WINDOW_S / (n / kernel_s)),
        },
        "machine": {"cpus": os.cpu_count()},
    }


def describe(r: dict[str, Any]) -> str:
    if "skipped" in r:
        return f"skipped: {r['skipped']}"
    c = r["capacity"]
    return (
        f"{r['loans']:,} loans: kernel {r['kernel_loans_per_s']:,.0f}/s, local over "
        f"Parquet {r['local_loans_per_s']:,.0f}/s, Spark local[{r['sizes']['cores']}] "
        f"{r['spark_loans_per_s']:,.0f}/s (x{r['ratio_spark_over_local']} of local, "
        f"{r['spark_loans_per_s_per_core']:,.0f}/s per core); "
        f"{c['book_loans'] / 1e6:.0f} M loans in {c['window_s'] / 60:.0f} min: "
        f"{c['cores_needed_at_spark_rate']} cores"
    )


def save(result: dict[str, Any], out: Path = OUT) -> None:
    """Write the figure as one JSON line to ``out`` (bench/out/spark_cob.json)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, sort_keys=True) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    ap.add_argument("--loans", type=int)
    ap.add_argument("--cores", type=int)
    ap.add_argument("--reps", type=int)
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args(argv)
    base = QUICK if args.quick else Sizes()
    sizes = Sizes(
        loans=args.loans or base.loans,
        partitions=base.partitions,
        cores=args.cores or base.cores,
        reps=args.reps or base.reps,
        seed=base.seed,
    )
    result = run(sizes)
    result["command"] = " ".join(["bench/spark_cob.py", *(argv or sys.argv[1:])])
    print(describe(result))
    save(result, args.out)
    print(json.dumps(result, sort_keys=True))
    return 0 if result.get("same_results", True) else 1


if __name__ == "__main__":
    sys.exit(main())
