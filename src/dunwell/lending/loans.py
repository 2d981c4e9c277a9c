"""Loan servicing state (row form) and booking a loan from its schedule.

The same state exists in columnar form for the COB kernel (``dunwell.cob.batch``);
both forms hold identical numbers, and ``dunwell.cob.rules`` is the row-by-row
reference the kernel is tested against.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from dunwell.core.dates import to_day
from dunwell.core.errors import Conflict, InvalidInput
from dunwell.core.limits import LOAN_PRINCIPAL_MINOR_MAX
from dunwell.lending.lifecycle import LoanEvent, transition
from dunwell.lending.model import Bucket, LoanStatus, Product, Schedule


@dataclass(frozen=True, slots=True)
class InstallmentState:
    """One instalment as serviced: what is scheduled, accrued, charged and paid.

    Dates are integer day numbers (``dunwell.core.dates.to_day``). Interest accrues
    linearly from ``accrual_start`` (where ``interest_base_minor`` had accrued) to
    ``due_day``; a restructure moves ``accrual_start`` and the base.
    """

    n: int
    due_day: int
    accrual_start_day: int
    principal_minor: int
    interest_minor: int
    interest_base_minor: int = 0
    interest_accrued_minor: int = 0
    fee_minor: int = 0
    penalty_minor: int = 0
    penalty_basis_minor_days: int = 0
    paid_principal_minor: int = 0
    paid_interest_minor: int = 0
    paid_fee_minor: int = 0
    paid_penalty_minor: int = 0

    @property
    def unpaid_principal_minor(self) -> int:
        return self.principal_minor - self.paid_principal_minor

    @property
    def unpaid_interest_minor(self) -> int:
        return self.interest_minor - self.paid_interest_minor

    @property
    def unpaid_fee_minor(self) -> int:
        return self.fee_minor - self.paid_fee_minor

    @property
    def unpaid_penalty_minor(self) -> int:
        return self.penalty_minor - self.paid_penalty_minor

    @property
    def unpaid_total_minor(self) -> int:
        return (
            self.unpaid_principal_minor
            + self.unpaid_interest_minor
            + self.unpaid_fee_minor
            + self.unpaid_penalty_minor
        )

    @property
    def settled(self) -> bool:
        return self.unpaid_total_minor <= 0

    def interest_accrued_through(self, day: int) -> int:
        """Interest that should have accrued on this instalment by the close of ``day``."""
        span = self.due_day - self.accrual_start_day
        if span <= 0:
            return self.interest_minor
        elapsed = min(max(day - self.accrual_start_day, 0), span)
        growth = self.interest_minor - self.interest_base_minor
        return self.interest_base_minor + (growth * elapsed) // span


@dataclass(frozen=True, slots=True)
class LoanState:
    loan_id: int
    borrower_id: int
    product_code: str
    currency: str
    principal_minor: int
    disbursed_day: int
    status: LoanStatus
    installments: tuple[InstallmentState, ...]
    days_past_due: int = 0
    bucket: Bucket = Bucket.M0
    charged_minor: int = 0  # interest + penalty + fees charged so far (for the cost cap)
    exposure_minor_days: int = 0  # sum over closed days of outstanding principal
    suspense_minor: int = 0
    last_cob_day: int = -1
    version: int = 0
    #: whether the loan's terms were ever restructured (kept through overdue spells)
    restructured: bool = False

    @property
    def outstanding_principal_minor(self) -> int:
        return sum(i.unpaid_principal_minor for i in self.installments)

    @property
    def unpaid_total_minor(self) -> int:
        return sum(max(0, i.unpaid_total_minor) for i in self.installments)

    def require_open(self) -> None:
        if not self.status.is_open:
            raise Conflict(
                f"loan {self.loan_id} is {self.status.name.lower()}; "
                "payments and changes need an open loan",
                code="loan_must_be_open",
                loan_id=self.loan_id,
            )


def book_loan(
    *,
    loan_id: int,
    borrower_id: int,
    product: Product,
    schedule: Schedule,
    disbursed_on: dt.date,
) -> LoanState:
    """A disbursed loan's servicing state from its schedule.

    The origination fee, if any, is charged on the first instalment.
    """
    if schedule.currency != product.currency:
        raise InvalidInput(
            f"schedule is in {schedule.currency} but product {product.code} lends "
            f"{product.currency}",
            code="currency_must_match",
        )
    if not 0 < schedule.principal_minor <= LOAN_PRINCIPAL_MINOR_MAX:
        raise InvalidInput(
            f"principal must be between 1 and {LOAN_PRINCIPAL_MINOR_MAX} minor units",
            code="principal_must_be_in_range")
    if not schedule.installments:
        raise InvalidInput("a loan needs at least one instalment",
                           code="schedule_must_not_be_empty")
    rows = []
    for inst in schedule.installments:
        fee = product.fees.origination_minor if inst.n == 1 else 0
        rows.append(
            InstallmentState(
                n=inst.n,
                due_day=to_day(inst.due_date),
                accrual_start_day=to_day(inst.period_start),
                principal_minor=inst.principal_minor,
                interest_minor=inst.interest_minor,
                fee_minor=fee,
            )
        )
    day = to_day(disbursed_on)
    return LoanState(
        loan_id=loan_id,
        borrower_id=borrower_id,
        product_code=product.code,
        currency=product.currency,
        principal_minor=schedule.principal_minor,
        disbursed_day=day,
        status=transition(LoanStatus.APPROVED, LoanEvent.DISBURSE),
        installments=tuple(rows),
        charged_minor=product.fees.origination_minor,
        last_cob_day=day - 1,
    )
