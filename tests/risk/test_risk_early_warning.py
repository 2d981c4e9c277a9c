"""Early-warning features from a literal batch of four loans at day 100."""

from __future__ import annotations

import numpy as np

from dunwell.cob.batch import from_rows
from dunwell.cob.model import CobParams
from dunwell.lending.loans import InstallmentState, LoanState
from dunwell.lending.model import LoanStatus
from dunwell.risk import features_from_batch

PARAMS = {"p": CobParams(penalty_rate_ppm=270_000, cost_cap_ppm=240_000, grace_days=0,
                         late_fee_minor=1_500, penalty_year_days=360)}
DAY = 100


def inst(n: int, due: int, principal: int, **kw: int) -> InstallmentState:
    return InstallmentState(n=n, due_day=due, accrual_start_day=due - 30,
                            principal_minor=principal, interest_minor=kw.pop("interest", 50),
                            **kw)


def loan(loan_id: int, *installments: InstallmentState,
         status: LoanStatus = LoanStatus.CURRENT) -> LoanState:
    return LoanState(loan_id=loan_id, borrower_id=loan_id, product_code="p", currency="CNY",
                     principal_minor=sum(i.principal_minor for i in installments),
                     disbursed_day=10, status=status, installments=installments)


LOANS = [
    # 1. late: instalment 1 paid after penalty, instalment 2 partly paid and 30 days late
    loan(1,
         inst(1, 40, 1000, penalty_minor=12, penalty_basis_minor_days=16_000,
              paid_principal_minor=1000, paid_interest_minor=50, paid_penalty_minor=12),
         inst(2, 70, 1000, fee_minor=1500, penalty_minor=20, penalty_basis_minor_days=21_000,
              paid_principal_minor=300, paid_interest_minor=50),
         inst(3, 130, 1000), status=LoanStatus.OVERDUE),
    # 2. current and paid ahead; instalment 1 carries the origination fee, paid
    loan(2,
         inst(1, 90, 500, fee_minor=300, paid_principal_minor=500, paid_interest_minor=50,
              paid_fee_minor=300),
         inst(2, 120, 500, paid_principal_minor=200)),
    # 3. new: nothing due yet
    loan(3, inst(1, 130, 800)),
    # 4. paid off
    loan(4, inst(1, 60, 400, paid_principal_minor=400, paid_interest_minor=50),
         status=LoanStatus.PAID_OFF),
]

EXPECTED: dict[str, list[float]] = {
    "days_past_due":               [30, 0, 0, 0],
    "instalments_paid_share":      [0.5, 1.0, 1.0, 1.0],
    "past_delays":                 [2, 0, 0, 0],
    "partial_payment":             [1, 0, 0, 0],
    "days_to_next_due":            [30, 20, 30, -1],
    "outstanding_principal_minor": [1700, 300, 800, 0],
    "outstanding_ratio":           [1700 / 3000, 0.3, 1.0, 0.0],
    "paid_ahead_minor":            [0, 200, 0, 0],
}  # fmt: skip


def test_early_warning_features_of_a_literal_batch() -> None:
    got = features_from_batch(from_rows(LOANS, PARAMS), DAY)
    assert set(got) == set(EXPECTED)
    for name, values in EXPECTED.items():
        assert got[name].shape == (4,), name
        assert np.allclose(got[name], values), (name, got[name])


def test_days_past_due_agrees_with_cob_on_the_due_day_and_the_day_after() -> None:
    batch = from_rows([LOANS[2]], PARAMS)
    assert features_from_batch(batch, 130)["days_past_due"].tolist() == [0]
    assert features_from_batch(batch, 131)["days_past_due"].tolist() == [1]
    assert features_from_batch(batch, 131)["instalments_paid_share"].tolist() == [0.0]


def test_an_empty_batch_gives_empty_columns() -> None:
    got = features_from_batch(from_rows([], PARAMS), DAY)
    assert all(values.shape == (0,) for values in got.values())
