"""A partition of loans as columns: loan-level arrays plus instalment arrays laid
out loan by loan (``offsets`` like an Arrow list column).

Conversions to and from row state (``LoanState``) and Arrow record batches live
here, so the kernel sees only NumPy arrays.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields, replace
from typing import Any

import numpy as np
import numpy.typing as npt

from dunwell.cob.model import CobParams
from dunwell.lending.loans import LoanState
from dunwell.lending.model import Bucket, LoanStatus

I64 = npt.NDArray[np.int64]
I32 = npt.NDArray[np.int32]
I8 = npt.NDArray[np.int8]

LOAN_COLUMNS = (
    "loan_id", "status", "days_past_due", "bucket", "charged_minor", "exposure_minor_days",
    "last_cob_day", "penalty_rate_ppm", "cost_cap_ppm", "grace_days", "late_fee_minor",
    "penalty_year_days", "restructured",
)
#: Loan columns a store that does not keep them yet may leave out: ``restructured``
#: (whether the loan's terms were ever restructured) is then 0 for every loan, and a
#: loan whose status is ``RESTRUCTURED`` is still treated as restructured.
OPTIONAL_LOAN_COLUMNS = ("restructured",)
INST_COLUMNS = (
    "due_day", "accrual_start_day", "principal_minor", "interest_minor", "interest_base_minor",
    "interest_accrued_minor", "fee_minor", "penalty_minor", "penalty_basis_minor_days",
    "paid_principal_minor", "paid_interest_minor", "paid_fee_minor", "paid_penalty_minor",
)
#: Columns the kernel rewrites; everything else it only reads.
LOAN_OUTPUTS = ("status", "days_past_due", "bucket", "charged_minor", "exposure_minor_days",
                "last_cob_day")
INST_OUTPUTS = ("interest_accrued_minor", "fee_minor", "penalty_minor",
                "penalty_basis_minor_days")

_DTYPES: Mapping[str, Any] = {
    "status": np.int8, "bucket": np.int8, "restructured": np.int8, "days_past_due": np.int32,
    "last_cob_day": np.int32,
    "grace_days": np.int32, "penalty_year_days": np.int32, "due_day": np.int32,
    "accrual_start_day": np.int32,
}


def dtype_of(name: str) -> Any:
    return _DTYPES.get(name, np.int64)


@dataclass(slots=True)
class LoanBatch:
    loan_id: I64
    status: I8
    days_past_due: I32
    bucket: I8
    charged_minor: I64
    exposure_minor_days: I64
    last_cob_day: I32
    penalty_rate_ppm: I64
    cost_cap_ppm: I64
    grace_days: I32
    late_fee_minor: I64
    penalty_year_days: I32
    restructured: I8  # 1 when the loan's terms were ever restructured
    offsets: I64  # len = loans + 1; instalments of loan k are [offsets[k], offsets[k+1])
    due_day: I32
    accrual_start_day: I32
    principal_minor: I64
    interest_minor: I64
    interest_base_minor: I64
    interest_accrued_minor: I64
    fee_minor: I64
    penalty_minor: I64
    penalty_basis_minor_days: I64
    paid_principal_minor: I64
    paid_interest_minor: I64
    paid_fee_minor: I64
    paid_penalty_minor: I64

    def __len__(self) -> int:
        return int(self.loan_id.shape[0])

    @property
    def installment_count(self) -> int:
        return int(self.due_day.shape[0])

    def columns(self) -> dict[str, np.ndarray[Any, Any]]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def copy(self) -> LoanBatch:
        return LoanBatch(**{k: v.copy() for k, v in self.columns().items()})


def from_columns(cols: Mapping[str, Any]) -> LoanBatch:
    """Build a batch from any mapping of array-likes, casting to the kernel's dtypes."""
    out: dict[str, Any] = {}
    for f in fields(LoanBatch):
        if f.name in OPTIONAL_LOAN_COLUMNS and f.name not in cols:
            out[f.name] = np.zeros(len(cols["loan_id"]), dtype=dtype_of(f.name))
            continue
        out[f.name] = np.ascontiguousarray(cols[f.name], dtype=dtype_of(f.name))
    return LoanBatch(**out)


def from_rows(loans: Sequence[LoanState], params: Mapping[str, CobParams]) -> LoanBatch:
    cols: dict[str, list[int]] = {name: [] for name in (*LOAN_COLUMNS, *INST_COLUMNS)}
    offsets = [0]
    for loan in loans:
        p = params[loan.product_code]
        row = {
            "loan_id": loan.loan_id, "status": int(loan.status),
            "days_past_due": loan.days_past_due, "bucket": int(loan.bucket),
            "charged_minor": loan.charged_minor, "exposure_minor_days": loan.exposure_minor_days,
            "last_cob_day": loan.last_cob_day, "penalty_rate_ppm": p.penalty_rate_ppm,
            "cost_cap_ppm": p.cost_cap_ppm, "grace_days": p.grace_days,
            "late_fee_minor": p.late_fee_minor, "penalty_year_days": p.penalty_year_days,
            "restructured": int(loan.restructured),
        }
        for name in LOAN_COLUMNS:
            cols[name].append(row[name])
        for inst in loan.installments:
            for name in INST_COLUMNS:
                cols[name].append(getattr(inst, name))
        offsets.append(offsets[-1] + len(loan.installments))
    arrays: dict[str, Any] = {k: np.asarray(v, dtype=dtype_of(k)) for k, v in cols.items()}
    arrays["offsets"] = np.asarray(offsets, dtype=np.int64)
    return from_columns(arrays)


def to_rows(batch: LoanBatch, template: Sequence[LoanState]) -> list[LoanState]:
    """Write the batch's columns back into row state (same loans, same order)."""
    out = []
    for k, loan in enumerate(template):
        lo, hi = int(batch.offsets[k]), int(batch.offsets[k + 1])
        insts = tuple(
            replace(inst, **{name: int(getattr(batch, name)[lo + j]) for name in INST_OUTPUTS})
            for j, inst in enumerate(loan.installments)
        )
        assert hi - lo == len(insts), "batch and template disagree on instalments"
        out.append(replace(
            loan,
            installments=insts,
            status=LoanStatus(int(batch.status[k])),
            days_past_due=int(batch.days_past_due[k]),
            bucket=Bucket(int(batch.bucket[k])),
            charged_minor=int(batch.charged_minor[k]),
            exposure_minor_days=int(batch.exposure_minor_days[k]),
            last_cob_day=int(batch.last_cob_day[k]),
        ))
    return out
