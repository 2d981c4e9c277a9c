"""COB kernel throughput against the row-by-row rules and the memory-bound floor.

Figures, all on one synthetic portfolio (``portfolio.py``) closing the same day:

- kernel: ``dunwell.cob.kernel.cob_day`` over the whole batch, loans/s;
- rows: ``dunwell.cob.rules.cob_loan_day`` looped over ``LoanState`` rows (the
  reference implementation), on the first ``sample`` loans, loans/s;
- floor: a NumPy pass that reads every input column once and writes every output
  column (``LOAN_OUTPUTS``, ``INST_OUTPUTS``) as a fresh array, the least any
  columnar COB must do.

Before anything is timed the kernel and the rules must agree on the sample, to
the minor unit, on state, postings and events.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from dunwell.cob.batch import INST_OUTPUTS, LOAN_OUTPUTS, LoanBatch, from_rows, to_rows
from dunwell.cob.kernel import CobResult, cob_day
from dunwell.cob.rules import cob_loan_day
from dunwell.lending.loans import LoanState
from portfolio import Portfolio, batches_equal, build_portfolio, describe, head, rows_from_batch

TARGET_SPEEDUP_MIN = 100.0  # kernel loans/s over row-by-row loans/s
TARGET_FLOOR_RATIO_MAX = 5.0  # kernel time over floor time

Tick = Callable[[str, int], None]  # (step, units done): progress for long steps


@dataclass(frozen=True)
class Sizes:
    loans: int = 1_000_000
    sample: int = 20_000
    reps: int = 5
    row_reps: int = 3
    seed: int = 7


QUICK = Sizes(loans=20_000, sample=2_000, reps=3, row_reps=2)


def best_of(fn: Callable[[], Any], reps: int, *, tick: Tick | None = None,
            step: str = "") -> float:
    """Best wall time of ``reps`` calls after one warm-up call (``time.perf_counter``)."""
    fn()
    best = float("inf")
    for _ in range(reps):
        gc.collect()
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
        if tick is not None:
            tick(step, 1)
    return best


def run_rows(rows: list[LoanState], p: Portfolio) -> list[Any]:
    return [cob_loan_day(loan, p.params[loan.product_code], p.day) for loan in rows]


def floor_pass(batch: LoanBatch) -> int:
    """Read every column of ``batch`` once and write every output column afresh."""
    checksum = 0
    for col in batch.columns().values():
        checksum += int(col.min())
    for name in (*LOAN_OUTPUTS, *INST_OUTPUTS):
        src = getattr(batch, name)
        out = np.empty_like(src)
        out.fill(checksum & 0x7F)
        checksum += int(out[-1]) if out.size else 0
    return checksum


def floor_bytes(batch: LoanBatch) -> int:
    read = sum(int(col.nbytes) for col in batch.columns().values())
    written = sum(int(getattr(batch, n).nbytes) for n in (*LOAN_OUTPUTS, *INST_OUTPUTS))
    return read + written


def _postings_of(result: CobResult) -> list[tuple[int, int, int]]:
    ps = result.postings
    return sorted(zip(ps.loan_id.tolist(), ps.account.tolist(), ps.amount_minor.tolist(),
                      strict=True))


def _events_of(result: CobResult) -> list[tuple[int, int, int, int]]:
    ev = result.events
    return sorted(zip(ev.loan_id.tolist(), ev.kind.tolist(), ev.before.tolist(),
                      ev.after.tolist(), strict=True))


def check_agreement(p: Portfolio, rows: list[LoanState], full: CobResult) -> dict[str, int]:
    """Assert the kernel equals the row rules on ``rows`` (the first loans of ``p``)."""
    n = len(rows)
    sample = head(p.batch, n)
    diff = batches_equal(from_rows(rows, p.params), sample)
    assert not diff, f"rows built from the batch differ on {diff}"
    got = cob_day(sample, p.day)
    want = run_rows(rows, p)
    assert to_rows(got.batch, rows) == [w[0] for w in want], "kernel state != row rules"
    want_posts = sorted((lid, int(acc), amt) for w in want for lid, acc, amt in w[1])
    assert _postings_of(got) == want_posts, "kernel postings != row rules"
    want_events = sorted((e.loan_id, int(e.kind), int(e.before), int(e.after))
                         for w in want for e in w[2])
    assert _events_of(got) == want_events, "kernel events != row rules"
    diff = batches_equal(head(full.batch, n), got.batch)
    assert not diff, f"the full-batch run differs from the sample run on {diff}"
    changed = sum(1 for r, w in zip(rows, want, strict=True) if w[0] is not r)
    return {"sample_loans_changed": changed, "sample_postings": len(want_posts),
            "sample_events": len(want_events)}


def coverage(before: LoanBatch, result: CobResult) -> dict[str, int]:
    """How many loans took each costly path on the benchmarked day."""
    after, seg = result.batch, before.offsets[:-1]
    grew = (after.penalty_minor - before.penalty_minor) + (after.fee_minor - before.fee_minor)
    return {
        "loans_closed": result.loans_closed,
        "loans_charged_penalty_or_fee": int((np.add.reduceat(grew, seg) > 0).sum()),
        "loans_late_fee_today": int((np.add.reduceat(after.fee_minor - before.fee_minor, seg)
                                     > 0).sum()),
        "loans_paid_off_today": int(((after.status == 4) & (before.status != 4)).sum()),
        "postings": len(result.postings),
        "events": len(result.events),
    }


def run(sizes: Sizes, tick: Tick | None = None) -> dict[str, Any]:
    """Build the portfolio, check agreement, time rows, kernel and floor."""
    t0 = time.perf_counter()
    p = build_portfolio(sizes.loans, seed=sizes.seed)
    build_s = time.perf_counter() - t0
    if tick is not None:
        tick("portfolio", 1)
    n = min(sizes.sample, len(p))
    rows = rows_from_batch(p, n)
    full = cob_day(p.batch, p.day)
    agreement = check_agreement(p, rows, full)
    paths = coverage(p.batch, full)
    del full
    if tick is not None:
        tick("check", 1)

    row_s = best_of(lambda: run_rows(rows, p), sizes.row_reps, tick=tick, step="rows")
    kernel_s = best_of(lambda: cob_day(p.batch, p.day), sizes.reps, tick=tick, step="kernel")
    floor_s = best_of(lambda: floor_pass(p.batch), sizes.reps, tick=tick, step="floor")

    kernel_rate = len(p) / kernel_s
    row_rate = n / row_s
    return {
        "portfolio": describe(p),
        "portfolio_build_s": round(build_s, 3),
        "agreement": agreement,
        "paths": paths,
        "kernel_s": kernel_s,
        "kernel_loans_per_s": kernel_rate,
        "kernel_installments_per_s": p.batch.installment_count / kernel_s,
        "rows_sample": n,
        "rows_s": row_s,
        "rows_loans_per_s": row_rate,
        "speedup_kernel_over_rows": kernel_rate / row_rate,
        "floor_s": floor_s,
        "floor_gb_per_s": floor_bytes(p.batch) / floor_s / 1e9,
        "kernel_over_floor": kernel_s / floor_s,
        "targets": {"speedup_min": TARGET_SPEEDUP_MIN, "floor_ratio_max": TARGET_FLOOR_RATIO_MAX},
        "meets_speedup": kernel_rate / row_rate >= TARGET_SPEEDUP_MIN,
        "meets_floor": kernel_s / floor_s <= TARGET_FLOOR_RATIO_MAX,
        "_portfolio": p,  # for the optional profile; dropped before JSON
    }
