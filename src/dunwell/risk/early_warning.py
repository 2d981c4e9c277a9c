"""Early-warning features per loan from a COB batch: pure and columnar.

``features_from_batch(batch, day)`` reads a :class:`~dunwell.cob.batch.LoanBatch`
(instalment columns laid out loan by loan with ``offsets``) as at ``day`` (a day
number, ``dunwell.core.dates.to_day``) and returns one array per feature, one value
per loan, in the batch's loan order:

``days_past_due``
    ``day`` minus the due day of the oldest unsettled instalment already past due
    (0 when none), as COB counts it.
``instalments_paid_share``
    of the instalments whose due day has passed, the share settled in full
    (1.0 when none has fallen due yet).
``past_delays``
    instalments that ever carried penalty interest or a late fee. Penalty shows as
    a penalty amount or a penalty basis; a fee counts from the second instalment on,
    because the first one also carries the origination fee.
``partial_payment``
    1 when the oldest unsettled instalment that has fallen due (due day on or before
    ``day``) has been partly paid, else 0; money paid ahead on later instalments is
    ``paid_ahead_minor`` instead.
``days_to_next_due``
    days until the next unsettled instalment that is not yet past due (-1: none).
``outstanding_principal_minor``, ``outstanding_ratio``
    principal not yet repaid, and as a share of the principal lent.
``paid_ahead_minor``
    what has been paid on instalments that are not yet due.

Money held in suspense is not in the batch and so not among the features.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from dunwell.cob.batch import LoanBatch

Array = np.ndarray[Any, Any]
FEATURES = ("days_past_due", "instalments_paid_share", "past_delays", "partial_payment",
            "days_to_next_due", "outstanding_principal_minor", "outstanding_ratio",
            "paid_ahead_minor")


def _per_loan(values: Array, offsets: Array, op: np.ufunc, empty: Any) -> Array:
    """Reduce instalment ``values`` per loan with ``op``; loans without instalments get
    ``empty``."""
    n = offsets.size - 1
    out = np.full(n, empty, dtype=values.dtype)
    nonempty = np.diff(offsets) > 0
    if values.size:
        out[nonempty] = op.reduceat(values, offsets[:-1][nonempty])
    return out


def _first(mask: Array, offsets: Array) -> Array:
    """Position of the first instalment per loan where ``mask`` holds (-1: none)."""
    none = np.iinfo(np.int64).max
    pos = np.where(mask, np.arange(mask.size, dtype=np.int64), none)
    first = _per_loan(pos, offsets, np.minimum, none)
    return np.where(first == none, -1, first)


def _at(values: Array, pos: Array, default: Any) -> Array:
    """``values[pos]`` where ``pos >= 0``, else ``default``."""
    out = np.full(pos.size, default, dtype=values.dtype)
    found = pos >= 0
    out[found] = values[pos[found]]
    return out


def features_from_batch(batch: LoanBatch, day: int) -> dict[str, Array]:
    offs = batch.offsets.astype(np.int64)
    counts = np.diff(offs)
    due = batch.due_day.astype(np.int64)
    unpaid_principal = batch.principal_minor - batch.paid_principal_minor
    unsettled = ((unpaid_principal > 0) | (batch.paid_interest_minor < batch.interest_minor)
                 | (batch.paid_fee_minor < batch.fee_minor)
                 | (batch.paid_penalty_minor < batch.penalty_minor))
    past_due = due < day
    paid = (batch.paid_principal_minor + batch.paid_interest_minor + batch.paid_fee_minor
            + batch.paid_penalty_minor)

    oldest_late = _first(unsettled & past_due, offs)
    dpd = np.where(oldest_late >= 0, day - _at(due, oldest_late, day), 0)

    fallen_due = _per_loan(past_due.astype(np.int64), offs, np.add, 0)
    settled_due = _per_loan((past_due & ~unsettled).astype(np.int64), offs, np.add, 0)
    paid_share = np.where(fallen_due > 0, settled_due / np.maximum(fallen_due, 1), 1.0)

    position = np.arange(due.size, dtype=np.int64) - np.repeat(offs[:-1], counts)
    delayed = ((batch.penalty_minor > 0) | (batch.penalty_basis_minor_days > 0)
               | ((batch.fee_minor > 0) & (position > 0)))
    past_delays = _per_loan(delayed.astype(np.int64), offs, np.add, 0)

    oldest = _first(unsettled & (due <= day), offs)
    partial = _at(paid.astype(np.int64), oldest, 0) > 0

    upcoming = _first(unsettled & ~past_due, offs)
    to_next = np.where(upcoming >= 0, _at(due, upcoming, day) - day, -1)

    outstanding = _per_loan(unpaid_principal.astype(np.int64), offs, np.add, 0)
    lent = _per_loan(batch.principal_minor.astype(np.int64), offs, np.add, 0)
    ratio = np.where(lent > 0, outstanding / np.maximum(lent, 1), 0.0)
    ahead = _per_loan(np.where(due > day, paid, 0).astype(np.int64), offs, np.add, 0)

    return {
        "days_past_due": dpd.astype(np.int64),
        "instalments_paid_share": paid_share.astype(np.float64),
        "past_delays": past_delays,
        "partial_payment": partial.astype(np.int64),
        "days_to_next_due": np.asarray(to_next, dtype=np.int64),
        "outstanding_principal_minor": outstanding,
        "outstanding_ratio": ratio.astype(np.float64),
        "paid_ahead_minor": ahead,
    }
