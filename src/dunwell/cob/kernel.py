"""The columnar COB kernel: one business day for a whole partition of loans.

Pure and free of global state: it reads a :class:`LoanBatch` and a day number and
returns a new batch (inputs are never mutated), the postings and the events. It
implements exactly the rules of :mod:`dunwell.cob.rules` (tests hold them equal to
the minor unit); work that only concerns a few loans (penalties, fees, the cost cap,
closing) runs on the subset of loans that need it.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any

import numpy as np
import numpy.typing as npt

from dunwell.cob.batch import I8, I64, INST_COLUMNS, INST_OUTPUTS, LOAN_OUTPUTS, LoanBatch
from dunwell.cob.model import CAP_DENOMINATOR, PPM, EventKind
from dunwell.ledger.model import Account
from dunwell.lending.lifecycle import STANDING_STATUS
from dunwell.lending.model import BUCKET_FIRST_DAYS, LoanStatus, bucket_for

Bool = npt.NDArray[np.bool_]

_OPEN = np.array(sorted(int(s) for s in LoanStatus if s.is_open), dtype=np.int8)
#: The lending package's standing rule (``lifecycle.STANDING_STATUS``) flattened: the
#: status after the day of a loan is at ``status << 3 | settled << 2 | late << 1 |
#: restructured``.
_STANDING = np.array(STANDING_STATUS, dtype=np.int8).ravel()
#: ``bucket_for`` tabulated for 0 .. the first day of the last bucket; later days clip
#: to the last entry.
_BUCKET_BY_DAY = np.array([bucket_for(d) for d in range(BUCKET_FIRST_DAYS[-1] + 1)],
                          dtype=np.int8)
assert _STANDING.shape == (len(LoanStatus) * 8,), "one cell per status and standing"
_LOAN_FIELDS = tuple(f.name for f in fields(LoanBatch)
                     if f.name not in INST_COLUMNS and f.name != "offsets")


@dataclass(frozen=True, slots=True)
class Postings:
    """Journal lines as columns: debit positive, credit negative; balanced per loan."""

    loan_id: I64
    account: I8
    amount_minor: I64

    def __len__(self) -> int:
        return int(self.loan_id.shape[0])


@dataclass(frozen=True, slots=True)
class Events:
    loan_id: I64
    kind: I8
    before: I8
    after: I8

    def __len__(self) -> int:
        return int(self.loan_id.shape[0])


@dataclass(frozen=True, slots=True)
class CobResult:
    batch: LoanBatch
    postings: Postings
    events: Events
    loans_closed: int  # loans this day was applied to


def _segment_starts(sorted_owner: I64) -> I64:
    """Start positions of runs of equal values in a sorted array."""
    if sorted_owner.size == 0:
        return np.zeros(0, dtype=np.int64)
    change = np.flatnonzero(sorted_owner[1:] != sorted_owner[:-1]) + 1
    return np.concatenate(([0], change)).astype(np.int64)


def _sum_by_owner(owner: I64, values: I64, size: int) -> I64:
    """Sum ``values`` into ``size`` slots by sorted ``owner`` (integers, no floats)."""
    out = np.zeros(size, dtype=np.int64)
    if owner.size:
        starts = _segment_starts(owner)
        out[owner[starts]] = np.add.reduceat(values, starts)
    return out


def _ranges(offsets: I64, loans: I64) -> tuple[I64, I64]:
    """Instalment positions of the given loans and, for each, its loan."""
    lo = offsets[loans]
    counts = offsets[loans + 1] - lo
    owner = np.repeat(loans, counts)
    first = np.repeat(np.cumsum(counts) - counts, counts)
    pos = np.repeat(lo, counts) + (np.arange(int(counts.sum()), dtype=np.int64) - first)
    return pos.astype(np.int64), owner.astype(np.int64)


#: Loans per block: a block's temporaries stay in cache instead of each costing a
#: fresh, page-faulting allocation the size of the whole partition.
BLOCK_LOANS = 16_384


def cob_day(batch: LoanBatch, day: int, *, block_loans: int = BLOCK_LOANS) -> CobResult:
    """Close ``day`` for every open loan in ``batch`` not yet closed for it.

    The batch is worked through in blocks of ``block_loans`` loans (views, no copies);
    each block writes its slice of the output columns and of the day's amounts per
    loan, and the read-only columns of the result are the input's own arrays.
    """
    assert block_loans > 0, "block_loans must be positive"
    n_loans = len(batch)
    outputs = {name: np.empty_like(getattr(batch, name))
               for name in (*LOAN_OUTPUTS, *INST_OUTPUTS)}
    amounts = {name: np.zeros(n_loans, dtype=np.int64)
               for name in ("interest", "penalty", "fee")}
    closed = 0
    offs = batch.offsets
    for lo in range(0, n_loans, block_loans):
        hi = min(lo + block_loans, n_loans)
        ilo, ihi = int(offs[lo]), int(offs[hi])
        out = {name: arr[lo:hi] if name in LOAN_OUTPUTS else arr[ilo:ihi]
               for name, arr in outputs.items()}
        out.update({name: arr[lo:hi] for name, arr in amounts.items()})
        closed += _close_block(_slice(batch, lo, hi, ilo, ihi), day, out)
    return CobResult(
        batch=replace(batch, **outputs),
        postings=_postings(batch.loan_id, amounts["interest"], amounts["penalty"],
                           amounts["fee"]),
        events=_events(batch, outputs["status"], outputs["bucket"]),
        loans_closed=closed,
    )


def _slice(batch: LoanBatch, lo: int, hi: int, ilo: int, ihi: int) -> LoanBatch:
    cols: dict[str, Any] = {}
    for name in _LOAN_FIELDS:
        cols[name] = getattr(batch, name)[lo:hi]
    for name in INST_COLUMNS:
        cols[name] = getattr(batch, name)[ilo:ihi]
    cols["offsets"] = batch.offsets[lo:hi + 1] - ilo
    return LoanBatch(**cols)


def _per_loan_sum(idx: I64, values: I64, offs: I64) -> I64:
    """Sum ``values`` (at sorted instalment positions ``idx``) per loan."""
    bounds = np.searchsorted(idx, offs)
    running = np.concatenate(([0], np.cumsum(values)))
    return (running[bounds[1:]] - running[bounds[:-1]]).astype(np.int64)


def _close_block(batch: LoanBatch, day: int, out: dict[str, Any]) -> int:
    """The rules for one block, step by step; writes the block's outputs into ``out``."""
    active = np.isin(batch.status, _OPEN) & (batch.last_cob_day < day)
    all_active = bool(active.all())
    interest_today = out["interest"]
    accrue_interest(batch, day, None if all_active else active,
                    out["interest_accrued_minor"], interest_today)
    owed = owed_on(batch, day, active)
    charges_today = charge_late(batch, day, active, owed, interest_today, out)
    recognise_on_closing(batch, np.flatnonzero(active & owed.settled).astype(np.int64),
                         out["interest_accrued_minor"], interest_today)
    write_standing(batch, day, None if all_active else active, owed, out)
    out["charged_minor"][:] = batch.charged_minor + interest_today + charges_today
    out["exposure_minor_days"][:] = owed.exposure
    return int(active.sum())


def accrue_interest(batch: LoanBatch, day: int, active: Bool | None, accrued: I64,
                    interest_today: I64) -> None:
    """Step 1: accrue each instalment whose accrual has started and is not complete up
    to what is due through ``day`` (``InstallmentState.interest_accrued_through``);
    ``accrued`` gets the new totals, ``interest_today`` each loan's sum. ``active``
    (None: every loan) picks the loans closed today."""
    offs = batch.offsets
    accrued[:] = batch.interest_accrued_minor
    acc_idx = np.flatnonzero((batch.accrual_start_day < day)
                             & (batch.interest_accrued_minor < batch.interest_minor))
    if active is not None and acc_idx.size:
        acc_idx = acc_idx[active[np.searchsorted(offs, acc_idx, side="right") - 1]]
    if not acc_idx.size:
        return
    start = batch.accrual_start_day[acc_idx].astype(np.int64)
    span = batch.due_day[acc_idx].astype(np.int64) - start
    base = batch.interest_base_minor[acc_idx]
    full = batch.interest_minor[acc_idx]
    safe_span = np.maximum(span, 1)
    elapsed = np.clip(day - start, 0, safe_span)
    target = np.where(span > 0, base + (full - base) * elapsed // safe_span, full)
    delta = np.maximum(target - accrued[acc_idx], 0)
    accrued[acc_idx] += delta
    interest_today[:] = _per_loan_sum(acc_idx, delta, offs)


@dataclass(frozen=True, slots=True)
class Owed:
    """What a block's loans owe as a day closes (step 2)."""

    unpaid_principal: I64  # per instalment
    unsettled: Bool  # per instalment: anything of it unpaid
    exposure: I64  # per loan: principal-days for the cost cap, today's included
    days_past_due: I64  # per loan
    settled: Bool  # per loan: nothing owed


def owed_on(batch: LoanBatch, day: int, active: Bool) -> Owed:
    """Step 2: what is unpaid, the cost cap's exposure, days past due, and settlement."""
    unpaid_principal = batch.principal_minor - batch.paid_principal_minor
    principal_left = np.add.reduceat(unpaid_principal, batch.offsets[:-1])
    exposure = batch.exposure_minor_days + np.where(active, principal_left, 0)
    unsettled = unpaid_principal > 0
    unsettled |= batch.paid_interest_minor < batch.interest_minor
    unsettled |= batch.paid_fee_minor < batch.fee_minor
    unsettled |= batch.paid_penalty_minor < batch.penalty_minor
    return Owed(unpaid_principal, unsettled, exposure,
                days_past_due(batch, day, unsettled),
                settled_loans(batch.offsets, principal_left, unsettled))


def days_past_due(batch: LoanBatch, day: int, unsettled: Bool) -> I64:
    """``day`` minus the due day of each loan's oldest unsettled instalment due before
    it, or 0 (``lending.delinquency.days_past_due``). Instalments are in due order, so
    the first such instalment of a loan is its oldest."""
    dpd = np.zeros(len(batch), dtype=np.int64)
    late_idx = np.flatnonzero(unsettled & (batch.due_day < day))
    if late_idx.size:
        late_owner = np.searchsorted(batch.offsets, late_idx, side="right") - 1
        first = _segment_starts(late_owner)
        dpd[late_owner[first]] = day - batch.due_day[late_idx[first]].astype(np.int64)
    return dpd


def settled_loans(offs: I64, principal_left: I64, unsettled: Bool) -> Bool:
    """Loans nothing is owed on: no principal left (rare) and no instalment unsettled."""
    settled = np.zeros(offs.size - 1, dtype=bool)
    maybe = np.flatnonzero(principal_left == 0).astype(np.int64)
    if maybe.size:
        pos, _ = _ranges(offs, maybe)
        settled[maybe] = ~np.logical_or.reduceat(unsettled[pos], _starts_of(offs, maybe))
    return settled


def charge_late(batch: LoanBatch, day: int, active: Bool, owed: Owed, interest_today: I64,
                out: dict[str, Any]) -> I64:
    """Steps 3-4: penalty and late fee on loans past their grace days, within the cost
    cap's headroom, oldest instalment first and fee before penalty. Writes the
    instalments' fee, penalty and basis and the day's fee and penalty per loan into
    ``out``; returns each loan's charges today."""
    n_loans = len(batch)
    fee, penalty, basis = out["fee_minor"], out["penalty_minor"], out["penalty_basis_minor_days"]
    fee[:] = batch.fee_minor
    penalty[:] = batch.penalty_minor
    basis[:] = batch.penalty_basis_minor_days
    charges_today = np.zeros(n_loans, dtype=np.int64)
    late_loans = np.flatnonzero(active & (owed.days_past_due > batch.grace_days)).astype(np.int64)
    if not late_loans.size:
        return charges_today
    pos, owner = _ranges(batch.offsets, late_loans)
    late_days = day - batch.due_day[pos].astype(np.int64) - batch.grace_days[owner]
    up = owed.unpaid_principal[pos]
    old_basis = basis[pos]
    new_basis = old_basis + np.where((late_days > 0) & (up > 0), up, 0)
    rate = batch.penalty_rate_ppm[owner]
    den = batch.penalty_year_days[owner].astype(np.int64) * PPM
    pen_want = new_basis * rate // den - old_basis * rate // den
    fee_want = np.where((late_days == 1) & owed.unsettled[pos], batch.late_fee_minor[owner], 0)
    headroom = cap_headroom(batch, owed.exposure, interest_today)
    starts = _segment_starts(owner)
    granted = grant_in_order(fee_want + pen_want, headroom[owner], starts)
    fee_got = np.minimum(fee_want, granted)
    fee[pos] += fee_got
    penalty[pos] += granted - fee_got
    basis[pos] = new_basis
    charges_today[late_loans] = np.add.reduceat(granted, starts)
    out["fee"][:] = _sum_by_owner(owner, fee_got, n_loans)
    out["penalty"][:] = charges_today - out["fee"]
    return charges_today


def cap_headroom(batch: LoanBatch, exposure: I64, interest_today: I64) -> I64:
    """What the all-in cost cap still allows each loan to be charged today
    (``lending.cost.allowance_minor`` over the columns, less what is charged)."""
    allowance = exposure * batch.cost_cap_ppm // CAP_DENOMINATOR
    headroom: I64 = np.maximum(allowance - batch.charged_minor - interest_today, 0)
    return headroom


def grant_in_order(want: I64, headroom: I64, starts: I64) -> I64:
    """Grant each wanted charge what its loan's ``headroom`` leaves after the charges
    before it in the same loan (runs of a loan begin at ``starts``)."""
    run = np.cumsum(want)
    before = run - want - np.repeat(run[starts] - want[starts],
                                    np.diff(np.append(starts, want.size)))
    granted: I64 = np.clip(headroom - before, 0, want)
    return granted


def recognise_on_closing(batch: LoanBatch, closing: I64, accrued: I64,
                         interest_today: I64) -> None:
    """Step 5a: on loans nothing is owed on (``closing``), recognise interest paid
    ahead of its accrual: accrue every instalment in full, adding the rest to today."""
    if not closing.size:
        return
    pos, owner = _ranges(batch.offsets, closing)
    top = batch.interest_minor[pos] - accrued[pos]
    accrued[pos] = batch.interest_minor[pos]
    interest_today += _sum_by_owner(owner, top, len(batch))


def write_standing(batch: LoanBatch, day: int, active: Bool | None, owed: Owed,
                   out: dict[str, Any]) -> None:
    """Step 5b: days past due, bucket and status (the lending package's tabulated
    rules) and the day closed, for the loans closed today (``active``; None: all)."""
    dpd = owed.days_past_due
    new_status = _standing_status(batch.status, owed.settled, dpd > batch.grace_days,
                                  batch.restructured)
    bucket = np.take(_BUCKET_BY_DAY, dpd, mode="clip")  # days beyond the table: M7+
    if active is None:
        out["status"][:] = new_status
        out["days_past_due"][:] = dpd
        out["bucket"][:] = bucket
        out["last_cob_day"][:] = day
        return
    out["status"][:] = np.where(active, new_status, batch.status)
    out["days_past_due"][:] = np.where(active, dpd, batch.days_past_due)
    out["bucket"][:] = np.where(active, bucket, batch.bucket)
    out["last_cob_day"][:] = np.where(active, day, batch.last_cob_day)


def _standing_status(status: I8, settled: Any, late: Any, restructured: I8) -> I8:
    """``lifecycle.standing_status`` over columns, read from the tabulated rule."""
    cell = status << 3
    cell |= settled.view(np.int8) << 2
    cell |= late.view(np.int8) << 1
    cell |= restructured
    out: I8 = np.take(_STANDING, cell)
    return out


def _starts_of(offs: I64, loans: I64) -> I64:
    """Where each of ``loans`` begins in the concatenation of their instalments."""
    counts: I64 = offs[loans + 1] - offs[loans]
    starts: I64 = np.cumsum(counts) - counts
    return starts


_PAIRS = (
    (Account.INTEREST_RECEIVABLE, Account.INTEREST_INCOME),
    (Account.PENALTY_RECEIVABLE, Account.PENALTY_INCOME),
    (Account.FEE_RECEIVABLE, Account.FEE_INCOME),
)


def _postings(loan_id: I64, *amounts: I64) -> Postings:
    ids: list[Any] = [np.zeros(0, dtype=np.int64)]
    accounts: list[Any] = [np.zeros(0, dtype=np.int8)]
    values: list[Any] = [np.zeros(0, dtype=np.int64)]
    for (receivable, income), amount in zip(_PAIRS, amounts, strict=True):
        nz = np.flatnonzero(amount)
        for account, sign in ((receivable, 1), (income, -1)):
            ids.append(loan_id[nz])
            accounts.append(np.full(nz.size, int(account), dtype=np.int8))
            values.append(sign * amount[nz])
    return Postings(np.concatenate(ids).astype(np.int64),
                    np.concatenate(accounts).astype(np.int8),
                    np.concatenate(values).astype(np.int64))


def _events(batch: LoanBatch, new_status: I8, new_bucket: I8) -> Events:
    parts = []
    for kind, old, new in ((EventKind.STATUS_CHANGED, batch.status, new_status),
                           (EventKind.BUCKET_CHANGED, batch.bucket, new_bucket)):
        nz = np.flatnonzero(old != new)
        parts.append((batch.loan_id[nz], np.full(nz.size, int(kind), dtype=np.int8),
                      old[nz], new[nz]))
    return Events(*(np.concatenate([p[i] for p in parts]) for i in range(4)))


