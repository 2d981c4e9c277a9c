"""Parquet snapshots of the book for a close of business run elsewhere (a Spark cluster).

``export_snapshot`` writes the open loans of every partition not yet closed for the
book's open date, as the columnar kernel reads them, with a manifest (format, schema
version, business date, row counts, SHA-256 of every file). A runner (``cob_spark``
on a cluster, or :func:`run_local` in this process) closes the day over the snapshot
and writes its results beside it. ``import_results`` loads the results back, one
partition per transaction through the same write the local runner uses, so the book
ends exactly as a local close of business leaves it.

Layout (schema version 1)::

    manifest.json                      what the snapshot holds, with checksums
    products/products.parquet          COB parameters per product code
    loans/part-PPPPP.parquet           one file per partition, loans in loan_id order:
                                       the loan's columns, its schedule and positions
                                       as ``installments`` (list<struct>) and each
                                       instalment's number as ``installment_n``
    results/manifest.json              the runner's output: engine, rows, checksums,
                                       the digest of the manifest it ran on
    results/loans/*.parquet            what the day changed of each loan (the columns
                                       the kernel rewrites), the day's interest,
                                       penalty and fee posted, and the early-warning
                                       score when the run scored the book

Exporting the same book twice writes the same bytes; importing the same results twice
changes nothing the second time; results for another date, for a book that changed
since the export, or whose files do not match their checksums are refused.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from dunwell.app import logs
from dunwell.app.cob import CobDayReport, day_entry
from dunwell.app.context import Dunwell
from dunwell.app.risk import MODEL_NAME_MAX
from dunwell.cob.arrow import (
    changes_of,
    changes_schema,
    closed_partition,
    cob_arrow,
    from_arrow,
    loan_schema,
    to_arrow,
)
from dunwell.cob.batch import LoanBatch
from dunwell.cob.model import CobParams
from dunwell.core.dates import to_day
from dunwell.core.errors import InvalidInput
from dunwell.lending.model import LoanStatus
from dunwell.risk.early_warning import features_from_batch

log = logs.get(__name__)

FORMAT = "dunwell-cob-snapshot"
RESULTS_FORMAT = "dunwell-cob-results"
SCHEMA_VERSION = 1
MANIFEST = "manifest.json"
PARTITION = "partition"
INSTALLMENT_N = "installment_n"
LOANS_DIR = "loans"
RESULTS_DIR = "results"
SCORE = "score_bps"
OPEN_STATUSES = np.array([int(s) for s in LoanStatus if s.is_open], dtype=np.int8)
PRODUCT_FIELDS = (
    "penalty_rate_ppm",
    "cost_cap_ppm",
    "grace_days",
    "late_fee_minor",
    "penalty_year_days",
)
#: Parquet options every snapshot file is written with (the same bytes for the same rows).
_PARQUET: Mapping[str, Any] = {"compression": "zstd", "row_group_size": 64 * 1024}

Progress = Callable[[str, int, int], None]  # (step, done, total)


def snapshot_schema() -> Any:
    """The loans dataset's schema: the kernel's columns, the partition, and each
    instalment's number (kept so the results can be written back row for row)."""
    schema = loan_schema()
    return schema.insert(0, pa.field(PARTITION, pa.int32())).append(
        pa.field(INSTALLMENT_N, pa.list_(pa.int32()))
    )


def results_schema() -> Any:
    """What a runner writes per closed loan: what the day changed of it (the columns
    the kernel rewrites and the day's postings), its partition, and its early-warning
    score in basis points when the run scored the book (else null)."""
    return (
        changes_schema().append(pa.field(PARTITION, pa.int32())).append(pa.field(SCORE, pa.int64()))
    )


@dataclass(frozen=True, slots=True)
class ExportReport:
    directory: Path
    business_date: dt.date
    partitions: int
    loans: int
    installments: int
    unchanged: bool


@dataclass(frozen=True, slots=True)
class ImportReport:
    business_date: dt.date
    day: CobDayReport
    already_closed: bool


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _json_bytes(doc: Mapping[str, Any]) -> bytes:
    return (json.dumps(doc, indent=2, sort_keys=True) + "\n").encode()


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def _write_parquet(table: Any, path: Path) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    pq.write_table(table, tmp, **_PARQUET)
    os.replace(tmp, path)


def partition_table(partition: int, batch: LoanBatch, inst_n: Any) -> Any:
    """One partition's loans as a table of :func:`snapshot_schema`."""
    rb = to_arrow(batch)
    numbers = pa.ListArray.from_arrays(
        pa.array(batch.offsets.astype(np.int32)), pa.array(np.asarray(inst_n, dtype=np.int32))
    )
    arrays = [pa.array(np.full(len(batch), partition, dtype=np.int32)), *rb.columns, numbers]
    return pa.Table.from_arrays(arrays, schema=snapshot_schema())


def write_partition_file(
    directory: Path, partition: int, batch: LoanBatch, inst_n: Any
) -> dict[str, Any]:
    """Write one partition's loans; the manifest's entry for the file."""
    (directory / LOANS_DIR).mkdir(parents=True, exist_ok=True)
    path = directory / LOANS_DIR / f"part-{partition:05d}.parquet"
    _write_parquet(partition_table(partition, batch, inst_n), path)
    return {
        "path": f"{LOANS_DIR}/{path.name}",
        "partition": partition,
        "rows": len(batch),
        "installments": batch.installment_count,
        "sha256": _sha256(path),
    }


def write_manifest(
    directory: Path,
    *,
    business_date: dt.date,
    currency: str,
    params: Mapping[str, CobParams],
    files: list[dict[str, Any]],
    closed: Iterable[int] = (),
) -> bool:
    """Write the products and the manifest naming ``files``; True when the directory
    already held this very snapshot (then nothing is rewritten)."""
    products = directory / "products" / "products.parquet"
    products.parent.mkdir(parents=True, exist_ok=True)
    codes = sorted(params)
    columns = {
        f: pa.array([getattr(params[c], f) for c in codes], pa.int64()) for f in PRODUCT_FIELDS
    }
    _write_parquet(pa.table({"product_code": codes, **columns}), products)
    manifest = {
        "format": FORMAT,
        "schema_version": SCHEMA_VERSION,
        "business_date": business_date.isoformat(),
        "day": to_day(business_date),
        "currency": currency,
        "partitions": len(files),
        "closed_partitions": sorted(closed),
        "tables": {
            "loans": {
                "rows": sum(int(f["rows"]) for f in files),
                "installments": sum(int(f["installments"]) for f in files),
                "files": files,
            },
            "products": {
                "rows": len(codes),
                "files": [
                    {
                        "path": "products/products.parquet",
                        "rows": len(codes),
                        "sha256": _sha256(products),
                    }
                ],
            },
        },
    }
    data = _json_bytes(manifest)
    old = directory / MANIFEST
    if old.exists() and old.read_bytes() == data:
        return True
    shutil.rmtree(directory / RESULTS_DIR, ignore_errors=True)  # results of other inputs
    _write_atomic(old, data)
    return False


# --- export -------------------------------------------------------------------------


def export_snapshot(
    app: Dunwell, directory: Path, progress: Progress | None = None
) -> ExportReport:
    """Write the book's open date to ``directory`` (empty, missing, or an earlier
    snapshot, which is replaced; an identical one is left byte for byte as it was)."""
    _check_target(directory)
    with app.uow() as uow:
        info = uow.book.require()
        params = {code: CobParams.of(p) for code, p in uow.products.all().items()}
        done = uow.cob.completed_partitions(info.business_date)
    day = to_day(info.business_date)
    files = []
    for p in range(info.partitions):
        with app.uow() as uow:
            part = uow.cob.load_partition(p, day, params)
        files.append(write_partition_file(directory, p, part.batch, part.inst_n))
        if progress is not None:
            progress("export", p + 1, info.partitions)
    unchanged = write_manifest(
        directory,
        business_date=info.business_date,
        currency=info.currency,
        params=params,
        files=files,
        closed=done,
    )
    loans = sum(int(f["rows"]) for f in files)
    insts = sum(int(f["installments"]) for f in files)
    log.info(
        "snapshot.exported",
        business_date=info.business_date.isoformat(),
        loans=loans,
        installments=insts,
        unchanged=unchanged,
    )
    return ExportReport(directory, info.business_date, info.partitions, loans, insts, unchanged)


def _check_target(directory: Path) -> None:
    if directory.exists() and not directory.is_dir():
        raise InvalidInput(
            f"{directory} is a file; give a directory for the snapshot",
            code="snapshot_dir_must_be_directory",
        )
    if directory.is_dir() and any(directory.iterdir()) and not (directory / MANIFEST).is_file():
        raise InvalidInput(
            f"{directory} holds files but no snapshot manifest; give an empty or new "
            "directory (or one holding an earlier snapshot)",
            code="snapshot_dir_must_be_empty",
        )


# --- reading and checking -----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Snapshot:
    """A snapshot on disk whose manifest and files have been checked."""

    directory: Path
    manifest: dict[str, Any]
    digest: str  # SHA-256 of manifest.json, which names every file's checksum

    @property
    def business_date(self) -> dt.date:
        return dt.date.fromisoformat(self.manifest["business_date"])

    @property
    def day(self) -> int:
        return int(self.manifest["day"])

    def loan_files(self) -> list[dict[str, Any]]:
        return list(self.manifest["tables"]["loans"]["files"])

    def partition(self, partition: int) -> tuple[LoanBatch, Any]:
        """The partition's loans as exported, and their instalments' numbers."""
        info = next(f for f in self.loan_files() if f["partition"] == partition)
        table = pq.read_table(self.directory / info["path"])
        rb = _one_batch(table, snapshot_schema())
        return from_arrow(rb), rb.column(INSTALLMENT_N).flatten().to_numpy()


def _one_batch(table: Any, schema: Any) -> Any:
    table = table.combine_chunks()
    batches = table.to_batches()
    return batches[0] if batches else pa.RecordBatch.from_pylist([], schema=schema)


def _load_manifest(path: Path, fmt: str) -> tuple[dict[str, Any], str]:
    if not path.is_file():
        raise InvalidInput(
            f"{path} is missing: not a snapshot written by `dunwell export`",
            code="snapshot_manifest_must_exist",
        )
    data = path.read_bytes()
    try:
        doc = json.loads(data)
    except ValueError:
        raise InvalidInput(
            f"{path} is not valid JSON; export the snapshot again", code="snapshot_must_be_intact"
        ) from None
    if not isinstance(doc, dict) or doc.get("format") != fmt:
        raise InvalidInput(f"{path} is not a {fmt} manifest", code="snapshot_manifest_must_exist")
    if doc.get("schema_version") != SCHEMA_VERSION:
        raise InvalidInput(
            f"{path} has schema version {doc.get('schema_version')!r}; this dunwell reads "
            f"version {SCHEMA_VERSION}: export the snapshot again with this version",
            code="snapshot_version_must_be_supported",
        )
    return doc, hashlib.sha256(data).hexdigest()


def _check_files(directory: Path, files: Iterable[Mapping[str, Any]]) -> None:
    for info in files:
        path = directory / str(info["path"])
        if not path.is_file() or _sha256(path) != info["sha256"]:
            raise InvalidInput(
                f"{path} is missing or does not match its checksum in the manifest; the "
                "snapshot was changed after it was written: export it again",
                code="snapshot_must_be_intact",
            )


def open_snapshot(directory: Path) -> Snapshot:
    """The snapshot in ``directory``, its manifest and every file checked."""
    doc, digest = _load_manifest(directory / MANIFEST, FORMAT)
    for table in doc["tables"].values():
        _check_files(directory, table["files"])
    return Snapshot(directory, doc, digest)


def open_results(snap: Snapshot) -> dict[str, Any]:
    """The results' manifest, checked against the snapshot and its files."""
    rdir = snap.directory / RESULTS_DIR
    if not (rdir / MANIFEST).is_file():
        raise InvalidInput(
            f"{snap.directory} has no results yet; close the day over it first "
            "(`dunwell cob --engine spark`, or the Spark job in docs/scale.md)",
            code="snapshot_results_must_exist",
        )
    doc, _ = _load_manifest(rdir / MANIFEST, RESULTS_FORMAT)
    if doc.get("input_sha256") != snap.digest:
        raise InvalidInput(
            f"the results in {rdir} were computed from another snapshot than "
            f"{snap.directory / MANIFEST}; run the close of business over it again",
            code="snapshot_must_be_intact",
        )
    _check_files(rdir, doc["files"])
    return doc


# --- running the kernel over a snapshot ---------------------------------------------


def close_batches(batches: Iterable[Any], day: int, model: Any | None = None) -> Iterator[Any]:
    """The ``mapInArrow`` function: the kernel (:func:`dunwell.cob.arrow.cob_arrow`,
    unchanged) over snapshot record batches, each closed batch narrowed to what the day
    changed and keeping its partition; with a ``model``, the scoring batch too
    (:func:`scores_of`, as of the next day)."""
    for rb in batches:
        for closed in cob_arrow([rb], day):
            score = pa.nulls(closed.num_rows, pa.int64())
            if model is not None:
                bps = scores_of(from_arrow(closed), day + 1, model)
                score = pa.array(bps, mask=bps < 0)
            yield pa.RecordBatch.from_arrays(
                [*changes_of(closed).columns, rb.column(PARTITION), score],
                schema=results_schema(),
            )


def scores_of(batch: LoanBatch, day: int, model: Any) -> Any:
    """Early-warning scores in basis points of the loans still open with nothing past
    due as at ``day`` (the book's next open date), as
    :func:`dunwell.app.risk.score_book` keeps them; -1 for the others."""
    cols = features_from_batch(batch, day)
    keep = np.isin(batch.status, OPEN_STATUSES) & (np.asarray(cols["days_past_due"]) == 0)
    out = np.full(len(batch), -1, dtype=np.int64)
    if keep.any():
        probs = model.score_columns({k: np.asarray(v)[keep] for k, v in cols.items()})
        out[keep] = np.clip(np.rint(np.asarray(probs) * 10_000), 0, 10_000).astype(np.int64)
    return out


def _entries(rdir: Path, files: Iterable[Path]) -> list[dict[str, Any]]:
    return [
        {
            "path": f.resolve().relative_to(rdir).as_posix(),
            "rows": pq.ParquetFile(f).metadata.num_rows,
            "sha256": _sha256(f),
        }
        for f in sorted(files)
    ]


def write_results_manifest(
    snap: Snapshot,
    files: list[Path],
    *,
    engine: str,
    model_name: str | None = None,
) -> dict[str, Any]:
    """Record what a runner wrote: the files, their rows and checksums, and the
    snapshot they came from; with ``model_name``, that the files hold the
    early-warning scores of the day after, by that model."""
    rdir = (snap.directory / RESULTS_DIR).resolve()
    entries = _entries(rdir, files)
    doc: dict[str, Any] = {
        "format": RESULTS_FORMAT,
        "schema_version": SCHEMA_VERSION,
        "business_date": snap.manifest["business_date"],
        "engine": engine,
        "input_sha256": snap.digest,
        "rows": sum(int(e["rows"]) for e in entries),
        "files": entries,
    }
    if model_name is not None:
        doc["scores"] = {"model": model_name}
    _write_atomic(rdir / MANIFEST, _json_bytes(doc))
    return doc


def run_local(
    directory: Path,
    progress: Progress | None = None,
    *,
    model: Any | None = None,
    model_name: str = "",
) -> dict[str, Any]:
    """Close the snapshot's day in this process, file by file (the runner without a
    cluster; the same kernel and the same results layout as the Spark job); with a
    ``model``, score the closed loans as of the next day as well."""
    snap = open_snapshot(directory)
    out = directory / RESULTS_DIR / LOANS_DIR
    shutil.rmtree(directory / RESULTS_DIR, ignore_errors=True)
    out.mkdir(parents=True)
    written = []
    files = snap.loan_files()
    for k, info in enumerate(files):
        source = pq.ParquetFile(directory / info["path"])
        batches = list(close_batches(source.iter_batches(), snap.day, model))
        target = out / Path(info["path"]).name
        _write_parquet(pa.Table.from_batches(batches, schema=results_schema()), target)
        written.append(target)
        if progress is not None:
            progress("close", k + 1, len(files))
    return write_results_manifest(
        snap, written, engine="local", model_name=None if model is None else model_name
    )


# --- import -------------------------------------------------------------------------


def import_results(app: Dunwell, directory: Path, progress: Progress | None = None) -> ImportReport:
    """Load a snapshot's results into the book, holding the one-COB-at-a-time lock."""
    with app.db.cob_lock():
        return import_locked(app, directory, progress)


def import_locked(app: Dunwell, directory: Path, progress: Progress | None = None) -> ImportReport:
    """:func:`import_results` for a caller already holding the COB lock."""
    snap = open_snapshot(directory)
    results = open_results(snap)
    date = snap.business_date
    with app.uow() as uow:
        info = uow.book.require()
        params = {code: CobParams.of(p) for code, p in uow.products.all().items()}
        done = uow.cob.completed_partitions(date)
    if info.partitions != snap.manifest["partitions"] or info.currency != snap.manifest["currency"]:
        raise InvalidInput(
            f"the snapshot is of a book with {snap.manifest['partitions']} partitions in "
            f"{snap.manifest['currency']}, not this one; import it into the book it was "
            "exported from",
            code="snapshot_must_match_book",
        )
    if date < info.business_date and len(done) == info.partitions:
        log.info("snapshot.already_imported", business_date=date.isoformat())
        return ImportReport(date, CobDayReport(date, 0, len(done), 0, 0, 0), True)
    if date != info.business_date:
        raise InvalidInput(
            f"the snapshot is for {date} but the book is open at {info.business_date}; "
            f"export the book again and close {info.business_date} over the new snapshot",
            code="snapshot_date_must_be_open_date",
        )
    closed = _read_results(snap, results)
    _check_book_unchanged(app, snap, params=params, done=done)
    report = _import_partitions(
        app, snap, closed, params=params, done=done, currency=info.currency, progress=progress
    )
    with app.uow() as uow:
        if (
            uow.book.require().business_date == date
            and len(uow.cob.completed_partitions(date)) == info.partitions
        ):
            if "scores" in results:
                _put_scores(uow, snap, results, date + dt.timedelta(days=1))
            uow.book.advance(date + dt.timedelta(days=1))
            uow.commit()
    log.info(
        "snapshot.imported",
        business_date=date.isoformat(),
        engine=results["engine"],
        partitions_run=report.partitions_run,
        loans=report.loans_closed,
        postings=report.postings,
        events=report.events,
    )
    return ImportReport(date, report, False)


def _put_scores(uow: Any, snap: Snapshot, results: Mapping[str, Any], day: dt.date) -> None:
    """Keep the run's scores as each loan's latest, by partition in loan order."""
    rdir = snap.directory / RESULTS_DIR
    columns = ["loan_id", PARTITION, SCORE]
    table = pa.concat_tables(
        [pq.read_table(rdir / f["path"], columns=columns) for f in results["files"]]
    )
    table = table.filter(table.column(SCORE).is_valid()).sort_by(
        [(PARTITION, "ascending"), ("loan_id", "ascending")]
    )
    ids = table.column("loan_id").to_numpy().tolist()
    bps = table.column(SCORE).to_numpy().tolist()
    uow.loans.put_scores(
        business_date=day,
        model=str(results["scores"]["model"])[:MODEL_NAME_MAX],
        scores=list(zip(ids, bps, strict=True)),
    )


def _read_results(snap: Snapshot, results: Mapping[str, Any]) -> dict[int, list[Any]]:
    """The closed record batches of each partition."""
    rdir = snap.directory / RESULTS_DIR
    by_part: dict[int, list[Any]] = {}
    for info in results["files"]:
        table = pq.read_table(rdir / info["path"])
        if table.num_rows == 0:
            continue
        parts = table.column(PARTITION).to_numpy()
        for p in np.unique(parts).tolist():
            by_part.setdefault(int(p), []).extend(table.filter(pa.array(parts == p)).to_batches())
    return by_part


def _import_partitions(
    app: Dunwell,
    snap: Snapshot,
    closed: Mapping[int, list[Any]],
    *,
    params: Mapping[str, CobParams],
    done: set[int],
    currency: str,
    progress: Progress | None,
) -> CobDayReport:
    date, day = snap.business_date, snap.day
    run = skipped = loans = postings = events = 0
    total = int(snap.manifest["partitions"])
    for p in range(total):
        if p in done:
            skipped += 1
        else:
            exported, inst_n = snap.partition(p)
            with app.uow() as uow:
                uow.locks.partitions((p,), exclusive=True)
                if uow.cob.partition_closed(date, p):
                    skipped += 1
                else:
                    before = uow.cob.load_partition(p, day, params)
                    _check_unchanged(p, before.batch, before.inst_n, exported, inst_n)
                    result = closed_partition(before.batch, closed.get(p, []))
                    entry = day_entry(result, business_date=date, partition=p, currency=currency)
                    postings += uow.cob.write_partition(
                        business_date=date, partition=p, before=before, result=result, entry=entry
                    )
                    run += 1
                    loans += result.loans_closed
                    events += len(result.events)
                uow.commit()
        if progress is not None:
            progress("import", p + 1, total)
    return CobDayReport(date, run, skipped, loans, postings, events)


def _check_book_unchanged(
    app: Dunwell, snap: Snapshot, *, params: Mapping[str, CobParams], done: set[int]
) -> None:
    """Refuse before writing anything when a partition changed since the export (each
    is checked again under its lock as it is written)."""
    for p in range(int(snap.manifest["partitions"])):
        if p in done:
            continue
        with app.uow() as uow:
            before = uow.cob.load_partition(p, snap.day, params)
        _check_unchanged(p, before.batch, before.inst_n, *snap.partition(p))


def _check_unchanged(
    partition: int, book: LoanBatch, book_n: Any, exported: LoanBatch, exported_n: Any
) -> None:
    same = np.array_equal(book_n, exported_n) and all(
        np.array_equal(col, getattr(exported, name)) for name, col in book.columns().items()
    )
    if not same:
        raise InvalidInput(
            f"partition {partition} of the book changed since the snapshot was exported "
            "(a payment, a booking or a restructure); nothing was imported for it: export "
            "again and close the day over the new snapshot",
            code="snapshot_must_match_book",
        )
