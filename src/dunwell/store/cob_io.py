"""Bulk reads and writes of COB partitions: columns in, columns out.

On PostgreSQL a partition is read with one query per table whose rows the server
joins into one CSV text (parsed by Arrow); new journal lines and events go in with one
``COPY`` each (binary, built from the NumPy columns, where the columns allow), and
changed loans and instalments are staged by ``COPY`` into a temporary table and
applied with one ``UPDATE ... FROM`` per table. Elsewhere rows travel by plain
``executemany``.

Only what changed is written: loans the day (or days) closed, instalments whose
outputs moved. :func:`write_days` writes one partition's closed days at once (the
catch-up runner closes several days of a partition in memory and writes them in one
go); either way the writes share the caller's transaction with the days' completion
records, so a crash leaves a partition's days either fully closed or untouched. The
paired windows write the same rows in two steps, :func:`write_closed_days` (rows added
only) and :func:`write_changes` (the loans and instalments), and move the book with
:func:`advance_book`, which refuses unless the window before has committed.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
from sqlalchemy import (
    BigInteger,
    Connection,
    Date,
    Integer,
    SmallInteger,
    String,
    and_,
    bindparam,
    insert,
    select,
    update,
)

from dunwell.cob.batch import INST_COLUMNS, INST_OUTPUTS, LOAN_OUTPUTS, LoanBatch, from_columns
from dunwell.cob.kernel import CobResult, Events
from dunwell.cob.model import CobParams, EventKind
from dunwell.ledger.columnar import ColumnarEntry
from dunwell.lending.model import LoanStatus
from dunwell.store import tables as t

OPEN_CODES = [int(s) for s in LoanStatus if s.is_open]
_LOAN_READ = (
    "loan_id",
    "product_code",
    "status",
    "days_past_due",
    "bucket",
    "charged_minor",
    "exposure_minor_days",
    "last_cob_day",
    "restructured",
)


_PARAM_FIELDS = (
    "penalty_rate_ppm",
    "cost_cap_ppm",
    "grace_days",
    "late_fee_minor",
    "penalty_year_days",
)


@dataclass(frozen=True, slots=True)
class Partition:
    batch: LoanBatch
    inst_n: np.ndarray[Any, Any]


def completed_partitions(conn: Connection, business_date: dt.date) -> set[int]:
    q = select(t.cob_runs.c.partition).where(t.cob_runs.c.business_date == business_date)
    return {int(r[0]) for r in conn.execute(q).all()}


def partition_closed(conn: Connection, business_date: dt.date, partition: int) -> bool:
    q = select(t.cob_runs.c.partition).where(
        t.cob_runs.c.business_date == business_date, t.cob_runs.c.partition == partition
    )
    return conn.execute(q).first() is not None


def _loan_filter(partition: int, day: int) -> Any:
    return and_(
        t.loans.c.partition == partition,
        t.loans.c.status.in_(OPEN_CODES),
        t.loans.c.last_cob_day < day,
    )


def _fetch(conn: Connection, query: Any, names: Sequence[str]) -> dict[str, Any]:
    """Run ``query`` and return its columns as arrays, in no particular row order.

    On PostgreSQL the server joins the rows into one CSV text (one message, where a
    plain result or ``COPY TO`` sends one per row, each costing the client a Python
    round of the driver) and Arrow parses it.
    """
    if conn.dialect.name == "postgresql":
        sql = str(query.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
        row = ", ".join(f"q.{n}" for n in names)
        blob = conn.exec_driver_sql(
            f"SELECT string_agg(concat_ws(',', {row}), E'\\n') FROM ({sql}) AS q"
        ).scalar_one()
        if not blob:
            return {n: np.zeros(0, dtype=np.int64) for n in names}
        table = pacsv.read_csv(
            io.BytesIO(blob.encode()), read_options=pacsv.ReadOptions(column_names=list(names))
        )
        return {n: table.column(n).to_numpy() for n in names}
    rows = conn.execute(query).all()
    if not rows:
        return {n: np.zeros(0, dtype=np.int64) for n in names}
    cols = list(zip(*rows, strict=True))
    return {n: np.asarray(c) for n, c in zip(names, cols, strict=True)}


def load_partition(
    conn: Connection, partition: int, day: int, params: Mapping[str, CobParams]
) -> Partition:
    """Open loans of ``partition`` not yet closed for ``day``, as a batch (in loan
    order, each loan's instalments in order: sorted here, not by the database)."""
    lq = select(*(t.loans.c[n] for n in _LOAN_READ)).where(_loan_filter(partition, day))
    loans = _fetch(conn, lq, _LOAN_READ)
    iq = (
        select(
            t.installments.c.loan_id,
            t.installments.c.n,
            *(t.installments.c[n] for n in INST_COLUMNS),
        )
        .join(t.loans, t.loans.c.loan_id == t.installments.c.loan_id)
        .where(t.installments.c.partition == partition, _loan_filter(partition, day))
    )
    insts = _fetch(conn, iq, ("loan_id", "n", *INST_COLUMNS))
    by_loan = np.argsort(np.asarray(loans["loan_id"], dtype=np.int64), kind="stable")
    loans = {n: np.asarray(v)[by_loan] for n, v in loans.items()}
    by_inst = np.lexsort(
        (np.asarray(insts["n"], dtype=np.int64), np.asarray(insts["loan_id"], dtype=np.int64))
    )
    insts = {n: np.asarray(v)[by_inst] for n, v in insts.items()}
    ids = np.asarray(loans["loan_id"], dtype=np.int64)
    owner = np.asarray(insts["loan_id"], dtype=np.int64)
    offsets = np.searchsorted(owner, ids, side="left").astype(np.int64)
    offsets = np.append(offsets, owner.size)
    codes, product = np.unique(np.asarray(loans["product_code"], dtype=str), return_inverse=True)
    cols: dict[str, Any] = {n: loans[n] for n in _LOAN_READ if n != "product_code"}
    for field in _PARAM_FIELDS:
        per_code = np.asarray([getattr(params[str(c)], field) for c in codes], dtype=np.int64)
        cols[field] = per_code[product] if ids.size else np.zeros(0, dtype=np.int64)
    cols.update({n: insts[n] for n in INST_COLUMNS})
    cols["offsets"] = offsets
    return Partition(from_columns(cols), np.asarray(insts["n"], dtype=np.int64))


@dataclass(frozen=True, slots=True)
class ClosedDay:
    """One business day a partition was closed for: what the kernel did (the loans it
    closed, its events) and the ledger's entry (None when the day charged nothing).
    Not the day's batch: a window keeps its days until they are written, and the
    batches are most of a day's memory."""

    business_date: dt.date
    loans_closed: int
    events: Events
    entry: ColumnarEntry | None

    @staticmethod
    def of(business_date: dt.date, result: CobResult, entry: ColumnarEntry | None) -> ClosedDay:
        return ClosedDay(business_date, result.loans_closed, result.events, entry)


def write_partition(
    conn: Connection,
    *,
    business_date: dt.date,
    partition: int,
    before: Partition,
    result: CobResult,
    entry: ColumnarEntry | None,
) -> int:
    """Persist a closed partition, its entry (built and checked by the ledger) and its
    completion record; returns the lines written. Every loan written has its
    ``version`` bumped, as any other writer's save does, so a command that read a loan
    before COB closed it cannot save over COB's day."""
    after = result.batch
    bumps = (after.last_cob_day != before.batch.last_cob_day).astype(np.int64)
    return write_days(
        conn,
        partition=partition,
        before=before,
        after=after,
        bumps=bumps,
        days=[ClosedDay.of(business_date, result, entry)],
    )[0]


@dataclass(frozen=True, slots=True)
class Changes:
    """The loan and instalment rows a partition's closed days changed, with each loan's
    ``version`` bump: what :func:`write_changes` writes."""

    loans: dict[str, np.ndarray[Any, Any]]
    bumps: np.ndarray[Any, Any]
    installments: dict[str, np.ndarray[Any, Any]]

    @staticmethod
    def of(before: Partition, after: LoanBatch, bumps: np.ndarray[Any, Any]) -> Changes:
        """The loans with a bump, the instalments whose outputs differ from ``before``."""
        changed_loans = np.flatnonzero(bumps > 0)
        loans = {
            "loan_id": after.loan_id[changed_loans],
            **{n: getattr(after, n)[changed_loans] for n in LOAN_OUTPUTS},
        }
        diff = np.zeros(after.installment_count, dtype=bool)
        for n in INST_OUTPUTS:
            diff |= getattr(after, n) != getattr(before.batch, n)
        changed_inst = np.flatnonzero(diff)
        owner = np.searchsorted(after.offsets, changed_inst, side="right") - 1
        installments = {
            "loan_id": after.loan_id[owner],
            "n": before.inst_n[changed_inst],
            **{n: getattr(after, n)[changed_inst] for n in INST_OUTPUTS},
        }
        return Changes(loans, bumps[changed_loans], installments)

    @staticmethod
    def merged(parts: Sequence[Changes]) -> Changes:
        """Several partitions' changes as one (written by one statement per table)."""
        if len(parts) == 1:
            return parts[0]

        def cat(cols: Sequence[dict[str, np.ndarray[Any, Any]]]) -> dict[str, Any]:
            return {n: np.concatenate([c[n] for c in cols]) for n in cols[0]}

        return Changes(
            cat([c.loans for c in parts]),
            np.concatenate([c.bumps for c in parts]),
            cat([c.installments for c in parts]),
        )


def write_changes(conn: Connection, changes: Changes) -> None:
    """Update the changed loans (``version`` moved by each one's bump) and instalments."""
    _bulk_update(conn, t.loans, ("loan_id",), changes.loans, bump=changes.bumps)
    _bulk_update(conn, t.installments, ("loan_id", "n"), changes.installments)


def write_days(
    conn: Connection,
    *,
    partition: int,
    before: Partition,
    after: LoanBatch,
    bumps: np.ndarray[Any, Any],
    days: Sequence[ClosedDay],
) -> list[int]:
    """Persist one partition closed for ``days`` (consecutive, in order) in memory:
    ``before`` as loaded, ``after`` the batch after the last day, ``bumps`` how many of
    the days changed each loan. Writes the loans and instalments that changed once,
    each loan's ``version`` moved by its ``bumps`` (as many as a day-by-day close
    would have), every day's entry, lines and events, and every day's completion
    record; returns the lines written for each day."""
    write_changes(conn, Changes.of(before, after, bumps))
    return write_closed_days(conn, partition=partition, days=days)


def write_closed_days(conn: Connection, *, partition: int, days: Sequence[ClosedDay]) -> list[int]:
    """Every day's entry, lines and events, and every day's completion record (rows
    added only: no row another transaction holds is touched); the lines per day."""
    lines = _write_entries(conn, [d.entry for d in days])
    _write_events(conn, days)
    conn.execute(
        insert(t.cob_runs),
        [
            {
                "business_date": d.business_date,
                "partition": partition,
                "loans_closed": d.loans_closed,
                "postings": n,
                "events": len(d.events),
            }
            for d, n in zip(days, lines, strict=True)
        ],
    )
    return lines


def advance_book(conn: Connection, *, open_date: dt.date, to: dt.date) -> None:
    """Move the book from ``open_date`` to ``to``; refuses (and the caller's transaction
    must roll back) when the book is not at ``open_date``: a window written ahead of
    the one before it may only commit after that one did."""
    done = conn.execute(
        update(t.book)
        .where(t.book.c.id == 1, t.book.c.business_date == open_date)
        .values(business_date=to)
    )
    if done.rowcount != 1:
        raise RuntimeError(
            f"the book is not at {open_date}: the window before this one did not commit"
        )


def _write_entries(conn: Connection, entries: Sequence[ColumnarEntry | None]) -> list[int]:
    """The days' entries and all their lines (one bulk insert); lines per entry."""
    present = [e for e in entries if e is not None]
    if present:
        conn.execute(
            insert(t.journal_entries),
            [
                {
                    "entry_id": e.entry_id,
                    "business_date": e.business_date,
                    "kind": e.kind,
                    "currency": e.currency,
                    "reverses": None,
                    "memo": e.memo,
                }
                for e in present
            ],
        )
        sizes = np.asarray([len(e) for e in present], dtype=np.int64)
        which = np.repeat(np.arange(len(present), dtype=np.int32), sizes)
        loan_id = np.concatenate([e.loan_id for e in present])
        # loan by loan (each loan's days together, in order): the loan index then takes
        # a loan's lines on one page instead of one page per loan and day
        order = np.argsort(loan_id, kind="stable") if len(present) > 1 else slice(None)
        _bulk_insert(
            conn,
            t.journal_lines,
            {
                "entry_id": pa.DictionaryArray.from_arrays(
                    pa.array(which[order]), pa.array([e.entry_id for e in present])
                ),
                "account": np.concatenate([e.account for e in present])[order],
                "loan_id": loan_id[order],
                "amount_minor": np.concatenate([e.amount_minor for e in present])[order],
            },
        )
    return [0 if e is None else len(e) for e in entries]


def _write_events(conn: Connection, days: Sequence[ClosedDay]) -> None:
    evs: list[Events] = [d.events for d in days]
    sizes = np.asarray([len(ev) for ev in evs], dtype=np.int64)
    if not sizes.sum():
        return
    kind = np.concatenate([ev.kind for ev in evs]).astype(np.int32)
    names = pa.array([k.name.lower() for k in EventKind])
    codes = pa.array([int(k) for k in EventKind], type=pa.int32())
    when = np.repeat(
        np.asarray([(d.business_date - dt.date(1970, 1, 1)).days for d in days], dtype=np.int32),
        sizes,
    )
    _bulk_insert(
        conn,
        t.loan_events,
        {
            "loan_id": np.concatenate([ev.loan_id for ev in evs]),
            "business_date": pa.array(when).cast(pa.date32()),
            "kind": pa.DictionaryArray.from_arrays(pc.index_in(pa.array(kind), codes), names),
            "before": np.concatenate([ev.before for ev in evs]),
            "after": np.concatenate([ev.after for ev in evs]),
        },
    )


def _records(cols: Mapping[str, Any]) -> list[dict[str, Any]]:
    names = list(cols)
    lists = [
        cols[n].to_pylist() if isinstance(cols[n], pa.Array) else np.asarray(cols[n]).tolist()
        for n in names
    ]
    return [dict(zip(names, vals, strict=True)) for vals in zip(*lists, strict=True)]


def _csv(cols: Mapping[str, Any]) -> bytes:
    arrays = {n: v if isinstance(v, pa.Array) else pa.array(np.asarray(v)) for n, v in cols.items()}
    buf = io.BytesIO()
    pacsv.write_csv(pa.table(arrays), buf, write_options=pacsv.WriteOptions(include_header=False))
    return buf.getvalue()


def _copy_in(
    conn: Connection, table: str, names: Sequence[str], payload: bytes, *, binary: bool = False
) -> None:
    raw = conn.connection.driver_connection
    assert raw is not None, "a live connection has its driver's connection"
    fmt = "binary" if binary else "csv"
    with (
        raw.cursor() as cur,
        cur.copy(f"COPY {table} ({', '.join(names)}) FROM STDIN (FORMAT {fmt})") as copy,
    ):
        copy.write(payload)


#: COPY's binary format: the signature, no flags, no header extension ...
_BINARY_HEAD = b"PGCOPY\n\xff\r\n\x00" + bytes(8)
#: ... and the end of the rows
_BINARY_TAIL = b"\xff\xff"
_BINARY_INTS = {SmallInteger: ">i2", Integer: ">i4", BigInteger: ">i8"}
_PG_EPOCH_DAY = (dt.date(2000, 1, 1) - dt.date(1970, 1, 1)).days


def _binary(types: Mapping[str, Any], cols: Mapping[str, Any]) -> bytes | None:
    """The rows in COPY's binary format, built column by column in NumPy (no text to
    write here nor to parse on the server), or None when a column is not one this
    encodes: integers, dates, and text given as a dictionary of equal-length values.
    ``types`` gives each column's SQLAlchemy type class."""
    fields: list[tuple[str, str]] = [("count", ">i2")]
    values: dict[str, Any] = {}
    for name, col in cols.items():
        kind = types[name]
        if isinstance(col, pa.DictionaryArray):
            words = [str(w).encode() for w in col.dictionary.to_pylist()]
            if kind is not String or col.null_count or len({len(w) for w in words}) != 1:
                return None
            dtype = f"S{len(words[0])}"
            values[name] = np.asarray(words, dtype=dtype)[col.indices.to_numpy()]
        elif isinstance(col, pa.Array):
            if kind is not Date or col.null_count or col.type != pa.date32():
                return None
            dtype = ">i4"
            values[name] = col.cast(pa.int32()).to_numpy() - _PG_EPOCH_DAY
        else:
            if kind not in _BINARY_INTS:
                return None
            dtype = _BINARY_INTS[kind]
            values[name] = np.asarray(col)
        fields += [(f"{name}:size", ">i4"), (name, dtype)]
    rows = np.empty(len(next(iter(values.values()))), dtype=np.dtype(fields))
    rows["count"] = len(values)
    for name, v in values.items():
        rows[f"{name}:size"] = rows[name].itemsize
        rows[name] = v
    return _BINARY_HEAD + rows.tobytes() + _BINARY_TAIL


def _copy_columns(
    conn: Connection, table: str, types: Mapping[str, Any], cols: Mapping[str, Any]
) -> None:
    """COPY ``cols`` into ``table``: in the binary format where :func:`_binary`
    encodes every column (``types``: each one's SQLAlchemy type class), else as CSV."""
    payload = _binary(types, cols)
    if payload is None:
        _copy_in(conn, table, list(cols), _csv(cols))
    else:
        _copy_in(conn, table, list(cols), payload, binary=True)


def _bulk_insert(conn: Connection, table: Any, cols: Mapping[str, Any]) -> None:
    if not len(next(iter(cols.values()))):
        return
    if conn.dialect.name == "postgresql":
        _copy_columns(conn, table.name, {n: type(table.c[n].type) for n in cols}, cols)
    else:
        conn.execute(insert(table), _records(cols))


def _bulk_update(
    conn: Connection,
    table: Any,
    keys: Sequence[str],
    cols: Mapping[str, Any],
    *,
    bump: np.ndarray[Any, Any] | None = None,
) -> None:
    """Set the non-key columns of the rows matched by ``keys``; with ``bump``, also move
    each row's ``version`` by its bump."""
    if not len(cols[keys[0]]):
        return
    if bump is not None:
        cols = {**cols, "bump": bump}
    values = [n for n in cols if n not in keys and n != "bump"]
    if conn.dialect.name == "postgresql":
        tmp = f"tmp_{table.name}"
        col_types = ", ".join(f"{n} bigint" for n in cols)
        conn.exec_driver_sql(f"CREATE TEMP TABLE {tmp} ({col_types}) ON COMMIT DROP")
        _copy_columns(conn, tmp, dict.fromkeys(cols, BigInteger), cols)
        sets = ", ".join(
            [f"{n} = s.{n}" for n in values]
            + (["version = d.version + s.bump"] if bump is not None else [])
        )
        match = " AND ".join(f"d.{k} = s.{k}" for k in keys)
        # each staged row finds its row by the primary key: a hash join would read and
        # hash the whole table (every partition, dead rows too) for every partition
        conn.exec_driver_sql("SET LOCAL enable_hashjoin = off; SET LOCAL enable_mergejoin = off")
        conn.exec_driver_sql(f"UPDATE {table.name} AS d SET {sets} FROM {tmp} AS s WHERE {match}")
        conn.exec_driver_sql(f"RESET enable_hashjoin; RESET enable_mergejoin; DROP TABLE {tmp}")
        return
    assign: dict[str, Any] = {n: bindparam(f"v_{n}") for n in values}
    if bump is not None:
        assign["version"] = table.c.version + bindparam("v_bump")
    stmt = (
        update(table).where(and_(*(table.c[k] == bindparam(f"k_{k}") for k in keys))).values(assign)
    )
    recs = _records(
        {
            **{f"k_{k}": cols[k] for k in keys},
            **{f"v_{n}": cols[n] for n in values},
            **({"v_bump": cols["bump"]} if bump is not None else {}),
        }
    )
    conn.execute(stmt, recs)


class CobRepository:
    """The unit of work's door to the COB partitions (the functions above)."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def completed_partitions(self, business_date: dt.date) -> set[int]:
        return completed_partitions(self._conn, business_date)

    def partition_closed(self, business_date: dt.date, partition: int) -> bool:
        return partition_closed(self._conn, business_date, partition)

    def load_partition(
        self, partition: int, day: int, params: Mapping[str, CobParams]
    ) -> Partition:
        return load_partition(self._conn, partition, day, params)

    def write_partition(
        self,
        *,
        business_date: dt.date,
        partition: int,
        before: Partition,
        result: CobResult,
        entry: ColumnarEntry | None,
    ) -> int:
        return write_partition(
            self._conn,
            business_date=business_date,
            partition=partition,
            before=before,
            result=result,
            entry=entry,
        )

    def write_changes(self, changes: Changes) -> None:
        write_changes(self._conn, changes)

    def write_closed_days(self, *, partition: int, days: Sequence[ClosedDay]) -> list[int]:
        return write_closed_days(self._conn, partition=partition, days=days)

    def advance_book(self, *, open_date: dt.date, to: dt.date) -> None:
        advance_book(self._conn, open_date=open_date, to=to)

    def write_days(
        self,
        *,
        partition: int,
        before: Partition,
        after: LoanBatch,
        bumps: np.ndarray[Any, Any],
        days: Sequence[ClosedDay],
    ) -> list[int]:
        return write_days(
            self._conn, partition=partition, before=before, after=after, bumps=bumps, days=days
        )
