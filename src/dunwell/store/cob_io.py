"""Bulk reads and writes of COB partitions: columns in, columns out.

On PostgreSQL rows travel by ``COPY`` (CSV through Arrow); elsewhere by plain
``executemany``. Either way one partition is written in the caller's transaction,
together with its completion record, so a crash leaves a partition either fully
closed for the day or untouched.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
from sqlalchemy import Connection, and_, bindparam, insert, select, update
from sqlalchemy import select as sa_select
from sqlalchemy import text as sa_text

from dunwell.cob.batch import INST_COLUMNS, INST_OUTPUTS, LOAN_OUTPUTS, LoanBatch, from_columns
from dunwell.cob.kernel import CobResult
from dunwell.cob.model import CobParams, EventKind
from dunwell.ledger.columnar import ColumnarEntry
from dunwell.lending.model import LoanStatus
from dunwell.store import tables as t

OPEN_CODES = [int(s) for s in LoanStatus if s.is_open]
_LOAN_READ = ("loan_id", "product_code", "status", "days_past_due", "bucket", "charged_minor",
              "exposure_minor_days", "last_cob_day", "restructured")


@dataclass(frozen=True, slots=True)
class Partition:
    batch: LoanBatch
    inst_n: np.ndarray[Any, Any]


def completed_partitions(conn: Connection, business_date: dt.date) -> set[int]:
    q = select(t.cob_runs.c.partition).where(t.cob_runs.c.business_date == business_date)
    return {int(r[0]) for r in conn.execute(q).all()}


def partition_closed(conn: Connection, business_date: dt.date, partition: int) -> bool:
    q = select(t.cob_runs.c.partition).where(t.cob_runs.c.business_date == business_date,
                                             t.cob_runs.c.partition == partition)
    return conn.execute(q).first() is not None


def _loan_filter(partition: int, day: int) -> Any:
    return and_(t.loans.c.partition == partition, t.loans.c.status.in_(OPEN_CODES),
                t.loans.c.last_cob_day < day)


def _fetch(conn: Connection, query: Any, names: Sequence[str]) -> dict[str, Any]:
    """Run ``query`` and return its columns as arrays.

    On PostgreSQL the rows come back as one CSV text built by the server (one message
    instead of one per row) and Arrow parses it.
    """
    if conn.dialect.name == "postgresql":
        inner = query.subquery()
        row = ", ".join(f"q.{n}" for n in names)
        sql = str(sa_select(sa_text(f"string_agg(concat_ws(',', {row}), E'\\n' "
                                    f"ORDER BY {row})")).select_from(inner.alias("q"))
                  .compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
        blob = conn.exec_driver_sql(sql).scalar_one()
        if not blob:
            return {n: np.zeros(0, dtype=np.int64) for n in names}
        table = pacsv.read_csv(io.BytesIO(blob.encode()),
                               read_options=pacsv.ReadOptions(column_names=list(names)))
        return {n: table.column(n).to_numpy() for n in names}
    rows = conn.execute(query).all()
    if not rows:
        return {n: np.zeros(0, dtype=np.int64) for n in names}
    cols = list(zip(*rows, strict=True))
    return {n: np.asarray(c) for n, c in zip(names, cols, strict=True)}


def load_partition(conn: Connection, partition: int, day: int,
                   params: Mapping[str, CobParams]) -> Partition:
    """Open loans of ``partition`` not yet closed for ``day``, as a batch."""
    if conn.dialect.name == "postgresql":  # sort a partition in memory, not on disk
        conn.exec_driver_sql("SET LOCAL work_mem = '64MB'")
    lq = (select(*(t.loans.c[n] for n in _LOAN_READ)).where(_loan_filter(partition, day))
          .order_by(t.loans.c.loan_id))
    loans = _fetch(conn, lq, _LOAN_READ)
    iq = (select(t.installments.c.loan_id, t.installments.c.n,
                 *(t.installments.c[n] for n in INST_COLUMNS))
          .join(t.loans, t.loans.c.loan_id == t.installments.c.loan_id)
          .where(t.installments.c.partition == partition, _loan_filter(partition, day))
          .order_by(t.installments.c.loan_id, t.installments.c.n))
    insts = _fetch(conn, iq, ("loan_id", "n", *INST_COLUMNS))
    ids = np.asarray(loans["loan_id"], dtype=np.int64)
    owner = np.asarray(insts["loan_id"], dtype=np.int64)
    offsets = np.searchsorted(owner, ids, side="left").astype(np.int64)
    offsets = np.append(offsets, owner.size)
    codes = [str(c) for c in loans["product_code"]]
    cols: dict[str, Any] = {n: loans[n] for n in _LOAN_READ if n != "product_code"}
    for field in ("penalty_rate_ppm", "cost_cap_ppm", "grace_days", "late_fee_minor",
                  "penalty_year_days"):
        by_code = {c: getattr(p, field) for c, p in params.items()}
        cols[field] = np.asarray([by_code[c] for c in codes], dtype=np.int64)
    cols.update({n: insts[n] for n in INST_COLUMNS})
    cols["offsets"] = offsets
    return Partition(from_columns(cols), np.asarray(insts["n"], dtype=np.int64))


def write_partition(conn: Connection, *, business_date: dt.date, partition: int,
                    before: Partition, result: CobResult,
                    entry: ColumnarEntry | None) -> int:
    """Persist a closed partition, its entry (built and checked by the ledger) and its
    completion record; returns the lines written. Every loan written has its
    ``version`` bumped, as any other writer's save does, so a command that read a loan
    before COB closed it cannot save over COB's day."""
    after = result.batch
    changed_loans = np.flatnonzero(after.last_cob_day != before.batch.last_cob_day)
    loan_rows = {"loan_id": after.loan_id[changed_loans],
                 **{n: getattr(after, n)[changed_loans] for n in LOAN_OUTPUTS}}
    diff = np.zeros(after.installment_count, dtype=bool)
    for n in INST_OUTPUTS:
        diff |= getattr(after, n) != getattr(before.batch, n)
    changed_inst = np.flatnonzero(diff)
    owner = np.searchsorted(after.offsets, changed_inst, side="right") - 1
    inst_rows = {"loan_id": after.loan_id[owner], "n": before.inst_n[changed_inst],
                 **{n: getattr(after, n)[changed_inst] for n in INST_OUTPUTS}}
    _bulk_update(conn, t.loans, ("loan_id",), loan_rows, bump_version=True)
    _bulk_update(conn, t.installments, ("loan_id", "n"), inst_rows)

    lines = 0 if entry is None else len(entry)
    if entry is not None:
        conn.execute(insert(t.journal_entries).values(
            entry_id=entry.entry_id, business_date=entry.business_date, kind=entry.kind,
            currency=entry.currency, reverses=None, memo=entry.memo))
        _bulk_insert(conn, t.journal_lines, {
            "entry_id": np.full(lines, entry.entry_id, dtype=object),
            "account": entry.account, "loan_id": entry.loan_id,
            "amount_minor": entry.amount_minor})
    ev = result.events
    if len(ev):
        kinds = np.asarray([EventKind(int(k)).name.lower() for k in ev.kind], dtype=object)
        _bulk_insert(conn, t.loan_events, {
            "loan_id": ev.loan_id, "business_date": np.full(len(ev), business_date, dtype=object),
            "kind": kinds, "before": ev.before, "after": ev.after})
    conn.execute(insert(t.cob_runs).values(business_date=business_date, partition=partition,
                                           loans_closed=result.loans_closed,
                                           postings=lines, events=len(ev)))
    return lines


def _records(cols: Mapping[str, Any]) -> list[dict[str, Any]]:
    names = list(cols)
    lists = [np.asarray(cols[n]).tolist() for n in names]
    return [dict(zip(names, vals, strict=True)) for vals in zip(*lists, strict=True)]


def _csv(cols: Mapping[str, Any]) -> bytes:
    arrays = {}
    for n, v in cols.items():
        arr = np.asarray(v)
        arrays[n] = pa.array(arr.tolist() if arr.dtype == object else arr)
    buf = io.BytesIO()
    pacsv.write_csv(pa.table(arrays), buf, write_options=pacsv.WriteOptions(include_header=False))
    return buf.getvalue()


def _copy_in(conn: Connection, table: str, names: Sequence[str], payload: bytes) -> None:
    raw = conn.connection.driver_connection
    assert raw is not None, "a live connection has its driver's connection"
    with raw.cursor() as cur, cur.copy(
            f"COPY {table} ({', '.join(names)}) FROM STDIN (FORMAT csv)") as copy:
        copy.write(payload)


def _bulk_insert(conn: Connection, table: Any, cols: Mapping[str, Any]) -> None:
    if not len(next(iter(cols.values()))):
        return
    if conn.dialect.name == "postgresql":
        _copy_in(conn, table.name, list(cols), _csv(cols))
    else:
        conn.execute(insert(table), _records(cols))


def _bulk_update(conn: Connection, table: Any, keys: Sequence[str],
                 cols: Mapping[str, Any], *, bump_version: bool = False) -> None:
    if not len(cols[keys[0]]):
        return
    values = [n for n in cols if n not in keys]
    if conn.dialect.name == "postgresql":
        tmp = f"tmp_{table.name}"
        col_types = ", ".join(f"{n} bigint" for n in cols)
        conn.exec_driver_sql(f"CREATE TEMP TABLE {tmp} ({col_types}) ON COMMIT DROP")
        _copy_in(conn, tmp, list(cols), _csv(cols))
        sets = ", ".join([f"{n} = s.{n}" for n in values]
                         + (["version = d.version + 1"] if bump_version else []))
        match = " AND ".join(f"d.{k} = s.{k}" for k in keys)
        conn.exec_driver_sql(f"UPDATE {table.name} AS d SET {sets} FROM {tmp} AS s WHERE {match}")
        conn.exec_driver_sql(f"DROP TABLE {tmp}")
        return
    assign: dict[str, Any] = {n: bindparam(f"v_{n}") for n in values}
    if bump_version:
        assign["version"] = table.c.version + 1
    stmt = (update(table).where(and_(*(table.c[k] == bindparam(f"k_{k}") for k in keys)))
            .values(assign))
    recs = _records({**{f"k_{k}": cols[k] for k in keys}, **{f"v_{n}": cols[n] for n in values}})
    conn.execute(stmt, recs)


class CobRepository:
    """The unit of work's door to the COB partitions (the functions above)."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def completed_partitions(self, business_date: dt.date) -> set[int]:
        return completed_partitions(self._conn, business_date)

    def partition_closed(self, business_date: dt.date, partition: int) -> bool:
        return partition_closed(self._conn, business_date, partition)

    def load_partition(self, partition: int, day: int,
                       params: Mapping[str, CobParams]) -> Partition:
        return load_partition(self._conn, partition, day, params)

    def write_partition(self, *, business_date: dt.date, partition: int, before: Partition,
                        result: CobResult, entry: ColumnarEntry | None) -> int:
        return write_partition(self._conn, business_date=business_date, partition=partition,
                               before=before, result=result, entry=entry)
