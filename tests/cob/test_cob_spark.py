"""Snapshots and the Spark runner: the same book closed by the local runner, over an
exported snapshot in this process, and in Spark local mode ends byte for byte the same;
export is idempotent, import refuses what it must and changes nothing twice."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from dunwell.app.cob import close_day
from dunwell.app.lending.book import open_book, register_product
from dunwell.app.risk import LABEL, load_model, score_book, train_from_csv
from dunwell.app.snapshot import export_snapshot, import_results, run_local
from dunwell.bootstrap import Dunwell, bootstrap
from dunwell.cob.batch import INST_COLUMNS
from dunwell.cob.kernel import cob_day
from dunwell.core.dates import from_day
from dunwell.core.errors import InvalidInput
from dunwell.lending.products import builtin_product_texts
from dunwell.risk.early_warning import features_from_batch
from dunwell.settings import Settings
from dunwell.store import tables as t

BENCH = Path(__file__).resolve().parents[2] / "bench"
if str(BENCH) not in sys.path:
    sys.path.insert(0, str(BENCH))

from portfolio import CURRENCY, Portfolio, build_portfolio  # noqa: E402

pytestmark = pytest.mark.filterwarnings(
    "ignore:PySpark does not yet fully support pandas:FutureWarning"
)

LOANS = 2_000
PARTITIONS = 3
NOW = dt.datetime(2025, 6, 1, tzinfo=dt.UTC)
#: Every table COB writes, in a fixed order.
TABLES = (
    "loans",
    "installments",
    "journal_entries",
    "journal_lines",
    "loan_events",
    "cob_runs",
    "book",
    "loan_scores",
)


@pytest.fixture(scope="module")
def portfolio() -> Portfolio:
    return build_portfolio(LOANS, seed=5)


def seeded(url: str, p: Portfolio) -> Dunwell:
    """A book at the portfolio's business day holding its loans (inserted in bulk)."""
    app = bootstrap(Settings(db_url=url, partitions=PARTITIONS, log_level="WARNING"))
    with app.uow() as uow:
        open_book(uow, business_date=from_day(p.day), partitions=PARTITIONS, currency=CURRENCY)
        for spec in builtin_product_texts():
            register_product(uow, spec)
        uow.commit()
    b, n = p.batch, len(p)
    counts = np.diff(b.offsets)
    loans = {
        "loan_id": b.loan_id,
        "borrower_id": b.loan_id,
        "product_code": np.asarray(p.codes)[p.product_index],
        "currency": np.full(n, CURRENCY),
        "principal_minor": p.principal_minor,
        "disbursed_day": p.disbursed_day,
        "partition": b.loan_id % PARTITIONS,
        "status": b.status,
        "days_past_due": b.days_past_due,
        "bucket": b.bucket,
        "charged_minor": b.charged_minor,
        "exposure_minor_days": b.exposure_minor_days,
        "suspense_minor": np.zeros(n, dtype=np.int64),
        "last_cob_day": b.last_cob_day,
        "version": np.zeros(n, dtype=np.int64),
        "restructured": b.restructured,
    }
    insts = {
        "loan_id": np.repeat(b.loan_id, counts),
        "n": np.arange(b.installment_count) - np.repeat(b.offsets[:-1], counts) + 1,
        "partition": np.repeat(b.loan_id % PARTITIONS, counts),
        **{c: getattr(b, c) for c in INST_COLUMNS},
    }
    with app.engine.begin() as conn:
        conn.execute(sa.insert(t.loans), _rows(loans))
        conn.execute(sa.insert(t.installments), _rows(insts))
    return app


def _rows(cols: dict[str, Any]) -> list[dict[str, Any]]:
    lists = {k: np.asarray(v).tolist() for k, v in cols.items()}
    return [dict(zip(lists, vals, strict=True)) for vals in zip(*lists.values(), strict=True)]


def dump(app: Dunwell) -> dict[str, list[tuple[Any, ...]]]:
    """Every row COB touches, in primary-key order."""
    out = {}
    with app.engine.connect() as conn:
        for name in TABLES:
            table = t.metadata.tables[name]
            keys = list(table.primary_key.columns) or list(table.columns)
            out[name] = [tuple(r) for r in conn.execute(sa.select(table).order_by(*keys))]
    return out


@pytest.fixture
def books(tmp_path: Path, portfolio: Portfolio, db_url: str) -> Iterator[tuple[Dunwell, Dunwell]]:
    """Two identical books: one on SQLite for the local runner, one for the snapshot's
    on each database under test (SQLite, and PostgreSQL when configured)."""
    apps = [seeded(f"sqlite:///{tmp_path / 'local'}.sqlite", portfolio), seeded(db_url, portfolio)]
    yield apps[0], apps[1]
    for app in apps:
        app.engine.dispose()


@pytest.fixture
def sqlite_books(tmp_path: Path, portfolio: Portfolio) -> Iterator[tuple[Dunwell, Dunwell]]:
    """Two identical books on SQLite (the Spark test runs once: the import's writes on
    PostgreSQL are held equal by the round-trip test below)."""
    apps = [seeded(f"sqlite:///{tmp_path / name}.sqlite", portfolio) for name in ("a", "b")]
    yield apps[0], apps[1]
    for app in apps:
        app.engine.dispose()


def _files(directory: Path) -> dict[str, bytes]:
    return {
        str(f.relative_to(directory)): f.read_bytes()
        for f in sorted(directory.rglob("*"))
        if f.is_file()
    }


def test_export_run_import_equals_the_local_runner_and_is_idempotent(
    books: tuple[Dunwell, Dunwell], portfolio: Portfolio, tmp_path: Path
) -> None:
    local, snap_book = books
    date = from_day(portfolio.day)
    report = close_day(local, date)
    snap = tmp_path / "snap"
    exported = export_snapshot(snap_book, snap)
    assert exported.loans == LOANS and not exported.unchanged
    first = _files(snap)
    again = export_snapshot(snap_book, snap)
    assert again.unchanged and _files(snap) == first  # the same book, the same bytes
    assert run_local(snap)["rows"] == LOANS
    imported = import_results(snap_book, snap)
    assert imported.day.loans_closed == report.loans_closed > 0
    assert imported.day.postings == report.postings > 0
    assert dump(snap_book) == dump(local)
    before = dump(snap_book)
    twice = import_results(snap_book, snap)  # the same snapshot again: nothing changes
    assert twice.already_closed and dump(snap_book) == before


def test_import_refuses_a_tampered_snapshot_another_date_and_a_changed_book(
    books: tuple[Dunwell, Dunwell], portfolio: Portfolio, tmp_path: Path
) -> None:
    _, app = books
    snap = tmp_path / "snap"
    export_snapshot(app, snap)
    with pytest.raises(InvalidInput) as no_results:
        import_results(app, snap)
    assert no_results.value.code == "snapshot_results_must_exist"
    run_local(snap)
    untouched = dump(app)
    part = snap / "results" / "loans" / "part-00001.parquet"
    good = part.read_bytes()
    part.write_bytes(good[:-9] + bytes([good[-9] ^ 1]) + good[-8:])
    with pytest.raises(InvalidInput) as tampered:
        import_results(app, snap)
    assert tampered.value.code == "snapshot_must_be_intact"
    part.write_bytes(good)
    with app.engine.begin() as conn:  # a payment-like change after the export
        conn.execute(
            sa.update(t.installments)
            .where(t.installments.c.loan_id == 2, t.installments.c.n == 1)
            .values(paid_principal_minor=t.installments.c.paid_principal_minor + 1)
        )
    with pytest.raises(InvalidInput) as changed:
        import_results(app, snap)
    assert changed.value.code == "snapshot_must_match_book"
    with app.engine.begin() as conn:
        conn.execute(
            sa.update(t.installments)
            .where(t.installments.c.loan_id == 2, t.installments.c.n == 1)
            .values(paid_principal_minor=t.installments.c.paid_principal_minor - 1)
        )
    assert dump(app) == untouched  # nothing written by any refusal
    ahead, _ = books
    close_day(ahead, from_day(portfolio.day))
    later = tmp_path / "later"
    export_snapshot(ahead, later)  # the next day's snapshot, of an identical book
    run_local(later)
    with pytest.raises(InvalidInput) as other_date:
        import_results(app, later)
    assert other_date.value.code == "snapshot_date_must_be_open_date"
    from dunwell.app.cob_spark import close_days_spark

    with pytest.raises(InvalidInput) as unshared:  # a cluster cannot read a local temp dir
        close_days_spark(app, date=from_day(portfolio.day), master="spark://cob-master:7077")
    assert unshared.value.code == "snapshot_dir_must_be_shared"
    assert dump(app) == untouched


# --- Spark local mode -----------------------------------------------------------------


def _spark_missing() -> str | None:
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return "PySpark is not installed (pip install -e '.[spark]')"
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        return "no Java runtime (apt-get install openjdk-17-jre-headless)"
    return None


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    why = _spark_missing()
    if why is not None:
        pytest.skip(f"Spark local mode needs Java and PySpark: {why}")
    from dunwell.app.cob_spark import spark_session

    # a test's driver JVM lives for seconds: the client compiler alone and the serial
    # collector start it on about half the CPU (a cluster's drivers keep the defaults)
    before = os.environ.get("PYSPARK_SUBMIT_ARGS")
    os.environ["PYSPARK_SUBMIT_ARGS"] = (
        '--driver-java-options "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC '
        '-XX:CICompilerCount=1" pyspark-shell')
    try:
        session = spark_session("local[2]")
    finally:
        if before is None:
            del os.environ["PYSPARK_SUBMIT_ARGS"]
        else:
            os.environ["PYSPARK_SUBMIT_ARGS"] = before
    yield session
    session.stop()


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """A real early-warning model, trained on the features of a small synthetic book
    labelled by whether each loan is overdue 30 closed days later."""
    p = build_portfolio(600, seed=9)
    cols = features_from_batch(p.batch, p.day)
    batch = p.batch
    for day in range(p.day, p.day + 30):
        batch = cob_day(batch, day).batch
    frame = pd.DataFrame({k: np.asarray(v) for k, v in cols.items()})
    frame[LABEL] = (batch.days_past_due > 0).astype(int)
    where = tmp_path_factory.mktemp("model")
    frame.to_csv(where / "train.csv", index=False)
    train_from_csv(where / "train.csv", where / "registry", seed=1, now=NOW)
    return load_model(where / "registry")


def test_spark_local_mode_closes_and_scores_days_byte_identical_to_the_local_runner(
    sqlite_books: tuple[Dunwell, Dunwell],
    portfolio: Portfolio,
    spark: Any,
    model: Any,
    tmp_path: Path,
) -> None:
    from dunwell.app.cob_spark import close_days_spark

    local, other = sqlite_books
    until = from_day(portfolio.day)
    expected = [close_day(local, until)]  # as the day loop: close, then score
    assert score_book(local, until + dt.timedelta(days=1), model, model_name="ew") > 0
    reports = close_days_spark(
        other, until=until, spark=spark, workdir=tmp_path / "work", model=model, model_name="ew"
    )
    assert [(r.loans_closed, r.postings, r.events) for r in reports] == [
        (r.loans_closed, r.postings, r.events) for r in expected
    ]
    assert dump(other) == dump(local)  # loans, instalments, ledger, events, runs, the date
    a, b = tmp_path / "export-local", tmp_path / "export-spark"
    export_snapshot(local, a)
    export_snapshot(other, b)
    assert _files(a) == _files(b)  # the closed books export to the same bytes
    spark_results = tmp_path / "work" / until.isoformat() / "results" / "manifest.json"
    assert '"engine": "spark"' in spark_results.read_text()


def test_the_commands_export_and_import_a_closed_day(
    books: tuple[Dunwell, Dunwell], tmp_path: Path
) -> None:
    from typer.testing import CliRunner

    from dunwell.cli.main import app as cli

    _, app = books
    url = app.settings.db_url
    runner = CliRunner()
    snap = tmp_path / "snap"
    out = runner.invoke(cli, ["export", "--to", str(snap), "--db", url])
    assert out.exit_code == 0, out.output
    assert f"{LOANS} loans" in out.output
    refused = runner.invoke(cli, ["import", "--from", str(snap), "--db", url])
    assert refused.exit_code == 2 and "snapshot_results_must_exist" in refused.output
    run_local(snap)
    done = runner.invoke(cli, ["import", "--from", str(snap), "--db", url])
    assert done.exit_code == 0 and str(LOANS) in done.output
    again = runner.invoke(cli, ["import", "--from", str(snap), "--db", url])
    assert again.exit_code == 0 and "nothing changed" in again.output
    engine = runner.invoke(cli, ["cob", "--date", "2025-01-01", "--engine", "x", "--db", url])
    assert engine.exit_code == 2 and "cob_engine_must_be_known" in engine.output
