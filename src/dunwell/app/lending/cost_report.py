"""The book's all-in cost against its caps: for each product, the loan with the highest
all-in annual cost (``lending.cost``), and how many loans are above their cap.

A closed loan's figure is realised (what it charged over the principal-days it had
out); an open loan's is projected over its life (what it charged so far plus the
interest its schedule still has to come, over the principal-days so far plus those
still scheduled). Written for the ``dunwell cost-cap`` command and its tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Final

from dunwell.app.uow import UnitOfWork
from dunwell.core.errors import NotFound
from dunwell.lending.cost import annual_cost_ppm, projected_cost, rate_ppm
from dunwell.lending.loans import LoanState
from dunwell.lending.model import LoanStatus

#: The most loans one report reads (one query pair each).
REPORT_LOANS_MAX: Final = 1_000_000


@dataclass(frozen=True, slots=True)
class LoanCostLine:
    loan_id: int
    status: LoanStatus
    principal_minor: int
    charges_minor: int
    fees_minor: int
    exposure_minor_days: int
    cost_ppm: int | None  # rounded up; None before any principal-day


@dataclass(frozen=True, slots=True)
class ProductCostRow:
    """One product's loans against its cap: the costliest, and how many are above."""

    product_code: str
    cap_ppm: int
    loans: int
    highest: LoanCostLine | None
    above_cap: int

    @property
    def cap(self) -> Decimal:
        return Decimal(self.cap_ppm).scaleb(-6)

    @property
    def headroom_ppm(self) -> int | None:
        if self.highest is None or self.highest.cost_ppm is None:
            return None
        return self.cap_ppm - self.highest.cost_ppm


def loan_cost_line(loan: LoanState) -> LoanCostLine:
    cost = projected_cost(loan)
    return LoanCostLine(
        loan_id=loan.loan_id, status=loan.status, principal_minor=loan.principal_minor,
        charges_minor=cost.charges_minor,
        fees_minor=sum(i.fee_minor for i in loan.installments),
        exposure_minor_days=cost.exposure_minor_days,
        cost_ppm=annual_cost_ppm(cost.charges_minor, cost.exposure_minor_days))


def cost_report(uow: UnitOfWork, *, loans_max: int = REPORT_LOANS_MAX) -> list[ProductCostRow]:
    """Per product (by code), the highest all-in annual cost among its loans against its
    cap. Loans charged off are left out: what they owed was given up."""
    products = uow.products.all()
    caps = {code: rate_ppm(p.cost_cap_annual) for code, p in products.items()}
    found: dict[str, list[LoanCostLine]] = {code: [] for code in products}
    last_id = min(uow.loans.next_id() - 1, loans_max)
    for loan_id in range(1, last_id + 1):
        try:
            loan = uow.loans.get(loan_id)
        except NotFound:
            continue
        if loan.status is LoanStatus.CHARGED_OFF:
            continue
        found.setdefault(loan.product_code, []).append(loan_cost_line(loan))
    rows = []
    for code in sorted(found):
        lines = found[code]
        cap = caps.get(code, 0)
        priced = [ln for ln in lines if ln.cost_ppm is not None]
        top = max(priced, key=lambda ln: (ln.cost_ppm or 0, -ln.loan_id), default=None)
        above = sum(1 for ln in priced if (ln.cost_ppm or 0) > cap)
        rows.append(ProductCostRow(code, cap, len(lines), top, above))
    return rows
