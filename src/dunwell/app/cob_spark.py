"""The Spark COB runner: the columnar kernel, unchanged, inside Spark's ``mapInArrow``.

A day is closed in three steps, each of which can run on its own (docs/scale.md):

1. ``dunwell export`` writes the open loans to a Parquet snapshot
   (:mod:`dunwell.app.snapshot`);
2. :func:`run_spark` reads the snapshot's ``loans`` dataset, runs
   :func:`dunwell.app.snapshot.close_batches` (the kernel over Arrow record batches)
   in every executor with ``DataFrame.mapInArrow`` and writes the closed loans under
   ``results/``, with a manifest of checksums;
3. ``dunwell import`` writes the results into the book partition by partition, through
   the same write (and the same ledger entry) as the local runner.

``dunwell cob --engine spark`` does the three in a row for each day, holding the
book's COB lock throughout. On a cluster, step 2 is ``spark-submit`` of this module
(``python -m dunwell.app.cob_spark SNAPSHOT --master URL`` in local mode).
"""

from __future__ import annotations

import sys

if __name__ == "__main__" and sys.path and sys.path[0].replace("\\", "/").endswith("dunwell/app"):
    # run as a file (``spark-submit .../dunwell/app/cob_spark.py``): this directory must
    # not come first on the path, or ``dunwell.app.collections`` shadows the standard one
    sys.path.pop(0)

import argparse
import datetime as dt
import os
import shutil
import tempfile
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dunwell.app import logs
from dunwell.app.cob import CobDayReport, close_day
from dunwell.app.context import Dunwell
from dunwell.app.snapshot import (
    LOANS_DIR,
    RESULTS_DIR,
    Progress,
    close_batches,
    export_snapshot,
    import_locked,
    open_snapshot,
    results_schema,
    snapshot_schema,
    write_results_manifest,
)
from dunwell.core.errors import DomainError, InvalidInput, RetryLater

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

log = logs.get(__name__)

#: Spark's master when none is given: two local worker threads.
DEFAULT_MASTER = "local[2]"
#: Loans per Arrow record batch handed to the kernel (each a few MB of columns).
RECORDS_PER_BATCH = 20_000

#: Days one ``--until`` may close (as the local runner).
MAX_DAYS = 3660


def spark_session(master: str = DEFAULT_MASTER, *, app_name: str = "dunwell-cob") -> SparkSession:
    """A Spark session (the running one if any). In local mode the Python workers run
    this interpreter, so they see the same dunwell and the same libraries."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise InvalidInput(
            "PySpark is not installed: pip install 'dunwell[spark]'", code="spark_must_be_installed"
        ) from None
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        raise InvalidInput(
            "Spark needs a Java runtime (17 or newer): install "
            "openjdk-17-jre-headless or set JAVA_HOME",
            code="java_must_be_installed",
        )
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    if master.startswith("local"):  # a local run listens on loopback only
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    # PySpark warns about pandas versions; mapInArrow does not use pandas
    warnings.filterwarnings("ignore", "PySpark does not yet fully support pandas", FutureWarning)
    builder: Any = SparkSession.builder
    session: SparkSession = (
        builder.master(master)
        .appName(app_name)
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.log.level", "ERROR")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.sql.execution.arrow.maxRecordsPerBatch", str(RECORDS_PER_BATCH))
        .getOrCreate()
    )
    return session


def run_spark(
    spark: SparkSession, directory: Path, *, model: Any | None = None, model_name: str = ""
) -> dict[str, Any]:
    """Close the snapshot's day with Spark; the results' manifest. With an
    early-warning ``model``, the scoring batch runs in the same pass over the closed
    loans (:func:`dunwell.app.snapshot.scores_of`), and import keeps the scores."""
    from pyspark.sql.pandas.types import from_arrow_schema

    snap = open_snapshot(directory)
    day = snap.day
    paths = [str((directory / f["path"]).resolve()) for f in snap.loan_files()]
    shutil.rmtree(directory / RESULTS_DIR, ignore_errors=True)
    out = (directory / RESULTS_DIR / LOANS_DIR).resolve()

    def close(batches: Iterator[Any]) -> Iterator[Any]:
        return close_batches(batches, day, model)

    frame = spark.read.schema(from_arrow_schema(snapshot_schema())).parquet(*paths)
    closed = frame.mapInArrow(close, from_arrow_schema(results_schema()))
    closed.write.mode("overwrite").parquet(out.as_uri())
    files = sorted(out.glob("*.parquet"))
    doc = write_results_manifest(
        snap, files, engine="spark", model_name=None if model is None else model_name
    )
    rows = int(snap.manifest["tables"]["loans"]["rows"])
    if doc["rows"] != rows:
        raise InvalidInput(
            f"Spark wrote {doc['rows']} closed loans for {rows} exported; run the job again",
            code="snapshot_results_must_be_complete",
        )
    log.info(
        "cob_spark.closed",
        business_date=snap.manifest["business_date"],
        loans=rows,
        files=len(files),
        master=spark.sparkContext.master,
    )
    return doc


def _run_job(
    spark: SparkSession, directory: Path, day: dt.date, *, model: Any | None, model_name: str
) -> None:
    """:func:`run_spark`, a failure of Spark itself said as one line: nothing of the
    day has been imported, so running the command again is safe."""
    try:
        run_spark(spark, directory, model=model, model_name=model_name)
    except DomainError:
        raise
    except Exception as exc:  # the cluster's failure (lost executors, a killed job, ...)
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:300]
        raise RetryLater(
            f"the Spark job closing {day} failed ({first}); nothing of {day} was imported: "
            "check the cluster and run the command again",
            code="spark_job_must_succeed",
        ) from exc


@contextmanager
def _workdir(keep: Path | None) -> Iterator[Path]:
    if keep is not None:
        keep.mkdir(parents=True, exist_ok=True)
        yield keep
        return
    with tempfile.TemporaryDirectory(prefix="dunwell-cob-") as tmp:
        yield Path(tmp)


def close_days_spark(
    app: Dunwell,
    *,
    date: dt.date | None = None,
    until: dt.date | None = None,
    spark: SparkSession | None = None,
    master: str = DEFAULT_MASTER,
    workdir: Path | None = None,
    progress: Progress | None = None,
    model: Any | None = None,
    model_name: str = "",
) -> list[CobDayReport]:
    """Close ``date`` (the open date) or every day through ``until`` with Spark: per
    day, export a snapshot, run the kernel in Spark, import the results. ``workdir``
    keeps the snapshots (one directory per date); without it they are temporary."""
    with app.uow() as uow:
        start = uow.book.require().business_date
    if date is not None and date < start:
        return [close_day(app, date)]  # closed already: the local runner skips it
    if date is not None and date > start:
        raise InvalidInput(
            f"the book is at {start}; close the days before {date} first "
            f"(`dunwell cob --engine spark --until {date}`)",
            code="cob_date_must_be_open_date",
        )
    last = date if date is not None else until
    assert last is not None, "give a date or an until date"
    days = (last - start).days + 1
    if days > MAX_DAYS:
        raise InvalidInput(
            f"{days} days to close is more than {MAX_DAYS}; catch up in smaller steps",
            code="cob_catch_up_must_be_bounded",
        )
    if workdir is None and spark is None and not master.startswith("local"):
        raise InvalidInput(
            f"on the cluster at {master} the executors cannot read this machine's temporary "
            "directory; give --snapshots DIR on storage every node mounts at the same path",
            code="snapshot_dir_must_be_shared",
        )
    reports: list[CobDayReport] = []
    if days <= 0:
        return reports
    with app.db.cob_lock(), _workdir(workdir) as root:
        session = spark if spark is not None else spark_session(master)
        try:
            for k in range(days):
                day = start + dt.timedelta(days=k)
                directory = root / day.isoformat()
                export_snapshot(app, directory, progress)
                if progress is not None:
                    progress("spark", 0, 1)
                _run_job(session, directory, day, model=model, model_name=model_name)
                if progress is not None:
                    progress("spark", 1, 1)
                reports.append(import_locked(app, directory, progress).day)
        finally:
            if spark is None:
                session.stop()
    return reports


def main(argv: list[str] | None = None) -> None:
    """The Spark job on a snapshot, for ``spark-submit`` (or ``python -m``)."""
    parser = argparse.ArgumentParser(
        prog="dunwell.app.cob_spark", description="Close a snapshot's day with Spark."
    )
    parser.add_argument("snapshot", type=Path, help="directory written by `dunwell export`")
    parser.add_argument(
        "--master", default=None, help="Spark master (default: spark-submit's, else local[2])"
    )
    parser.add_argument("--model", type=Path, help="early-warning model registry to score with")
    args = parser.parse_args(argv)
    model, name = None, ""
    if args.model is not None:
        from dunwell.app.risk import load_model

        model = load_model(args.model)
        name = f"early_warning@{model.version}"
    say: Callable[[str], None] = print
    if args.master is None and os.environ.get("PYSPARK_GATEWAY_PORT"):  # under spark-submit
        from pyspark.sql import SparkSession

        spark = SparkSession.builder.appName("dunwell-cob").getOrCreate()
    else:
        spark = spark_session(args.master or DEFAULT_MASTER)
    try:
        doc = run_spark(spark, args.snapshot, model=model, model_name=name)
    finally:
        spark.stop()
    say(
        f"closed {doc['rows']} loans for {doc['business_date']} into "
        f"{args.snapshot / RESULTS_DIR}; load them with `dunwell import --from "
        f"{args.snapshot}`"
    )


if __name__ == "__main__":
    main()
