"""Arrow adapters for the kernel, shaped for a cluster's ``mapInArrow``.

A partition travels as Arrow record batches, one row per loan, its instalments in
a ``list<struct>`` column. :func:`cob_arrow` takes an iterator of such batches and
yields closed batches of the same schema plus three columns with the day's postings
per loan, so ``df.mapInArrow(lambda it: cob_arrow(it, day), out_schema)`` runs the
very kernel the local runner uses, unchanged.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np
import pyarrow as pa

from dunwell.cob.batch import (
    INST_COLUMNS,
    INST_OUTPUTS,
    LOAN_COLUMNS,
    LOAN_OUTPUTS,
    LoanBatch,
    dtype_of,
    from_columns,
)
from dunwell.cob.kernel import CobResult, _events, _postings, cob_day
from dunwell.ledger.model import Account

INSTALLMENTS = "installments"
POSTED = {
    "interest_posted_minor": Account.INTEREST_RECEIVABLE,
    "penalty_posted_minor": Account.PENALTY_RECEIVABLE,
    "fee_posted_minor": Account.FEE_RECEIVABLE,
}


def _pa_type(name: str) -> Any:
    return pa.from_numpy_dtype(np.dtype(dtype_of(name)))


def installment_type() -> Any:
    return pa.struct([(n, _pa_type(n)) for n in INST_COLUMNS])


def loan_schema(*, with_postings: bool = False) -> Any:
    fields = [(n, _pa_type(n)) for n in LOAN_COLUMNS]
    fields.append((INSTALLMENTS, pa.list_(installment_type())))
    if with_postings:
        fields += [(n, pa.int64()) for n in POSTED]
    return pa.schema(fields)


def to_arrow(batch: LoanBatch, extra: dict[str, Any] | None = None) -> Any:
    inst = pa.StructArray.from_arrays([pa.array(getattr(batch, n)) for n in INST_COLUMNS],
                                      names=list(INST_COLUMNS))
    lists = pa.ListArray.from_arrays(pa.array(batch.offsets.astype(np.int32)), inst)
    arrays = [pa.array(getattr(batch, n)) for n in LOAN_COLUMNS] + [lists]
    names = [*LOAN_COLUMNS, INSTALLMENTS]
    for name, values in (extra or {}).items():
        arrays.append(pa.array(values))
        names.append(name)
    return pa.RecordBatch.from_arrays(arrays, names=names)


def from_arrow(record_batch: Any) -> LoanBatch:
    lists = record_batch.column(INSTALLMENTS)
    offsets = np.asarray(lists.offsets, dtype=np.int64)
    values = lists.flatten()
    cols: dict[str, Any] = {n: record_batch.column(n).to_numpy(zero_copy_only=False)
                            for n in LOAN_COLUMNS}
    for n in INST_COLUMNS:
        cols[n] = values.field(n).to_numpy(zero_copy_only=False)
    base = offsets[0]
    cols["offsets"] = offsets - base
    return from_columns(cols)


def cob_arrow(batches: Iterable[Any], day: int) -> Iterator[Any]:
    """Close ``day`` for each incoming record batch (the ``mapInArrow`` contract)."""
    for rb in batches:
        if rb.num_rows == 0:
            continue
        result = cob_day(from_arrow(rb), day)
        posted = {}
        ids = result.batch.loan_id
        order = np.argsort(ids, kind="stable")
        for name, account in POSTED.items():
            mask = result.postings.account == int(account)
            per_loan = np.zeros(len(result.batch), dtype=np.int64)
            idx = order[np.searchsorted(ids[order], result.postings.loan_id[mask])]
            np.add.at(per_loan, idx, result.postings.amount_minor[mask])
            posted[name] = per_loan
        yield to_arrow(result.batch, posted)


def changes_schema() -> Any:
    """What a closed day changed of each loan: the columns the kernel rewrites (its
    instalments' in a list, in due order) and the day's postings."""
    inst = pa.struct([(n, _pa_type(n)) for n in INST_OUTPUTS])
    fields = [("loan_id", pa.int64()), *((n, _pa_type(n)) for n in LOAN_OUTPUTS),
              (INSTALLMENTS, pa.list_(inst)), *((n, pa.int64()) for n in POSTED)]
    return pa.schema(fields)


def changes_of(closed: Any) -> Any:
    """A batch :func:`cob_arrow` yielded, narrowed to :func:`changes_schema`."""
    lists = closed.column(INSTALLMENTS)
    values = lists.flatten()
    inst = pa.StructArray.from_arrays([values.field(n) for n in INST_OUTPUTS],
                                      names=list(INST_OUTPUTS))
    offsets = pa.array(np.asarray(lists.offsets) - lists.offsets[0].as_py(), pa.int32())
    arrays = [closed.column("loan_id"), *(closed.column(n) for n in LOAN_OUTPUTS),
              pa.ListArray.from_arrays(offsets, inst), *(closed.column(n) for n in POSTED)]
    return pa.RecordBatch.from_arrays(arrays, schema=changes_schema())


def closed_partition(before: LoanBatch, changes: Iterable[Any]) -> CobResult:
    """One partition's day put together again from its :func:`changes_of` batches, in
    any order and any slicing: the very :class:`CobResult` ``cob_day`` gives on the
    whole partition (``before``, in loan order), postings and events in the kernel's
    order, so the ledger builds the same entry line for line."""
    batches = [rb for rb in changes if rb.num_rows]
    if not batches:
        assert len(before) == 0, "no closed loans for a partition that has loans"
        return cob_day(before, 0)
    merged = pa.Table.from_batches(batches).sort_by("loan_id").combine_chunks()
    lists = merged.column(INSTALLMENTS).chunk(0)
    offsets = np.asarray(lists.offsets, dtype=np.int64)
    assert np.array_equal(merged.column("loan_id").to_numpy(), before.loan_id), \
        "closed loans are the partition's"
    assert np.array_equal(offsets - offsets[0], before.offsets), "same instalments"
    values = lists.flatten()
    cols: dict[str, Any] = before.columns()
    for n in LOAN_OUTPUTS:
        cols[n] = merged.column(n).to_numpy()
    for n in INST_OUTPUTS:
        cols[n] = values.field(n).to_numpy(zero_copy_only=False)
    after = from_columns(cols)
    amounts = [merged.column(name).to_numpy().astype(np.int64) for name in POSTED]
    return CobResult(
        batch=after,
        postings=_postings(before.loan_id, *amounts),
        events=_events(before, after.status, after.bucket),
        loans_closed=int(np.count_nonzero(after.last_cob_day != before.last_cob_day)),
    )
