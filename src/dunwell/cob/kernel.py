"""The columnar COB kernel: one business day for a whole partition of loans.

Pure and free of global state: it reads a :class:`LoanBatch` and a day number and
returns a new batch (inputs are never mutated), the postings and the events. It
implements exactly the rules of :mod:`dunwell.cob.rules` (tests hold them equal to
the minor unit); work that only concerns a few loans (penalties, fees, the cost cap,
closing) runs on the subset of loans that need it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from dunwell.cob.batch import I8, I64, LoanBatch
from dunwell.cob.model import CAP_YEAR_DAYS, PPM, EventKind
from dunwell.ledger.model import Account
from dunwell.lending.model import LoanStatus

_OPEN = np.array(sorted(int(s) for s in LoanStatus if s.is_open), dtype=np.int8)
_NEVER = np.iinfo(np.int32).max


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


def cob_day(batch: LoanBatch, day: int) -> CobResult:
    """Close ``day`` for every open loan in ``batch`` not yet closed for it."""
    n_loans = len(batch)
    offs = batch.offsets
    seg = offs[:-1]
    active = np.isin(batch.status, _OPEN) & (batch.last_cob_day < day)

    # 1. interest: instalments whose accrual has started and is not complete
    accrued = batch.interest_accrued_minor.copy()
    interest_today = np.zeros(n_loans, dtype=np.int64)
    acc_idx = np.flatnonzero((batch.accrual_start_day < day)
                             & (batch.interest_accrued_minor < batch.interest_minor))
    if acc_idx.size:
        acc_owner = (np.searchsorted(offs, acc_idx, side="right") - 1).astype(np.int64)
        keep = active[acc_owner]
        acc_idx, acc_owner = acc_idx[keep], acc_owner[keep]
        start = batch.accrual_start_day[acc_idx].astype(np.int64)
        span = batch.due_day[acc_idx].astype(np.int64) - start
        base = batch.interest_base_minor[acc_idx]
        growth = batch.interest_minor[acc_idx] - base
        safe_span = np.maximum(span, 1)
        elapsed = np.clip(day - start, 0, safe_span)
        target = np.where(span > 0, base + growth * elapsed // safe_span,
                          batch.interest_minor[acc_idx])
        delta = np.maximum(target - accrued[acc_idx], 0)
        accrued[acc_idx] += delta
        interest_today = _sum_by_owner(acc_owner, delta, n_loans)

    # 2. exposure for the cost cap, and what is still unpaid
    unpaid_principal = batch.principal_minor - batch.paid_principal_minor
    exposure = batch.exposure_minor_days + np.where(
        active, np.add.reduceat(unpaid_principal, seg), 0)
    unsettled = ((unpaid_principal > 0)
                 | (batch.paid_interest_minor < batch.interest_minor)
                 | (batch.paid_fee_minor < batch.fee_minor)
                 | (batch.paid_penalty_minor < batch.penalty_minor))
    oldest_due = np.minimum.reduceat(
        np.where(unsettled & (batch.due_day < day), batch.due_day, _NEVER), seg)
    dpd = np.where(oldest_due < day, day - oldest_due.astype(np.int64), 0)
    settled = ~np.logical_or.reduceat(unsettled, seg)

    # 3-4. penalty, late fee and the cost cap, on loans past their grace days only
    fee = batch.fee_minor.copy()
    penalty = batch.penalty_minor.copy()
    basis = batch.penalty_basis_minor_days.copy()
    charges_today = np.zeros(n_loans, dtype=np.int64)
    late_loans = np.flatnonzero(active & (dpd > batch.grace_days)).astype(np.int64)
    if late_loans.size:
        pos, owner = _ranges(offs, late_loans)
        late_days = day - batch.due_day[pos].astype(np.int64) - batch.grace_days[owner]
        late = late_days > 0
        up = unpaid_principal[pos]
        old_basis = basis[pos]
        new_basis = old_basis + np.where(late & (up > 0), up, 0)
        rate = batch.penalty_rate_ppm[owner]
        den = batch.penalty_year_days[owner].astype(np.int64) * PPM
        pen_want = new_basis * rate // den - old_basis * rate // den
        fee_want = np.where((late_days == 1) & unsettled[pos], batch.late_fee_minor[owner], 0)
        want = fee_want + pen_want
        allowance = exposure * batch.cost_cap_ppm // (CAP_YEAR_DAYS * PPM)
        headroom = np.maximum(allowance - batch.charged_minor - interest_today, 0)
        starts = _segment_starts(owner)
        run = np.cumsum(want)
        before = run - want - np.repeat(run[starts] - want[starts], np.diff(
            np.append(starts, owner.size)))
        granted = np.clip(headroom[owner] - before, 0, want)
        fee_got = np.minimum(fee_want, granted)
        pen_got = granted - fee_got
        fee[pos] += fee_got
        penalty[pos] += pen_got
        basis[pos] = new_basis
        charges_today[late_loans] = np.add.reduceat(granted, starts)
        fee_today = _sum_by_owner(owner, fee_got, n_loans)
        penalty_today = charges_today - fee_today
    else:
        fee_today = np.zeros(n_loans, dtype=np.int64)
        penalty_today = fee_today

    # closing: recognise interest paid ahead of accrual on loans nothing is owed on
    closing = np.flatnonzero(active & settled).astype(np.int64)
    if closing.size:
        pos, owner = _ranges(offs, closing)
        top = batch.interest_minor[pos] - accrued[pos]
        accrued[pos] = batch.interest_minor[pos]
        interest_today = interest_today + _sum_by_owner(owner, top, n_loans)

    # 5. days past due, bucket, status
    status = batch.status
    new_status = np.where(
        settled, LoanStatus.PAID_OFF,
        np.where(dpd > batch.grace_days, LoanStatus.OVERDUE,
                 np.where(status == LoanStatus.RESTRUCTURED, LoanStatus.RESTRUCTURED,
                          LoanStatus.CURRENT))).astype(np.int8)
    new_status = np.where(active, new_status, status).astype(np.int8)
    bucket = np.where(dpd > 0, np.minimum((dpd - 1) // 30 + 1, 7), 0).astype(np.int8)
    bucket = np.where(active, bucket, batch.bucket).astype(np.int8)
    dpd32 = np.where(active, dpd, batch.days_past_due).astype(np.int32)

    out = replace(
        batch,
        status=new_status,
        days_past_due=dpd32,
        bucket=bucket,
        charged_minor=batch.charged_minor + interest_today + charges_today,
        exposure_minor_days=exposure,
        last_cob_day=np.where(active, day, batch.last_cob_day).astype(np.int32),
        interest_accrued_minor=accrued,
        fee_minor=fee,
        penalty_minor=penalty,
        penalty_basis_minor_days=basis,
    )
    return CobResult(
        batch=out,
        postings=_postings(batch.loan_id, interest_today, penalty_today, fee_today),
        events=_events(batch, new_status, bucket),
        loans_closed=int(active.sum()),
    )


_PAIRS = (
    (Account.INTEREST_RECEIVABLE, Account.INTEREST_INCOME),
    (Account.PENALTY_RECEIVABLE, Account.PENALTY_INCOME),
    (Account.FEE_RECEIVABLE, Account.FEE_INCOME),
)


def _postings(loan_id: I64, *amounts: I64) -> Postings:
    ids: list[Any] = []
    accounts: list[Any] = []
    values: list[Any] = []
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


