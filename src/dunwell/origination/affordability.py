"""Affordability: can the borrower repay, and how much can they borrow?

Monthly cash flow is income less expenses. Income is the smaller of what is declared
and what is observed: a merchant's mean monthly net sales (the records are its income
when nothing is declared), a consumer's mean observed monthly income (the declared
figure alone when there is no history).

The debt service ratio (DSR) is all monthly debt payments — the existing ones plus
the new loan's monthly repayment — over monthly cash flow. The monthly repayment is
the largest instalment of the product's own schedule; for the methods that repay the
principal at the end (interest-only, bullet) it is everything repaid spread evenly
over the term (rounded up), the amount a borrower must set aside each month. A loan
is affordable when its DSR is within the product's limit; :func:`size_loan` finds the
largest principal (the request itself, or a multiple of the sizing step below it)
whose monthly repayment keeps the DSR within the limit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from dunwell.lending.model import Product, RepaymentMethod
from dunwell.lending.schedules.totals import product_instalment_totals
from dunwell.origination.features import ConsumerFeatures, MerchantFeatures
from dunwell.origination.model import ApplicantKind, Application

BPS = 10_000
BALLOON_METHODS = frozenset({RepaymentMethod.INTEREST_ONLY, RepaymentMethod.BULLET})
#: Schedules tried when sizing: the linear first guess is within a step or two.
SIZING_TRIES_MAX = 64


@dataclass(frozen=True, slots=True)
class Sizing:
    """The outcome of sizing one request on one product and term."""

    requested_minor: int
    affordable_minor: int  # 0: nothing is affordable
    instalment_minor: int  # monthly repayment of the affordable loan (0 when none)
    budget_minor: int  # the largest monthly repayment the DSR limit leaves room for
    dsr_bps: int | None  # with the affordable loan; None when cash flow is not positive

    @property
    def sized_down(self) -> bool:
        return 0 < self.affordable_minor < self.requested_minor


def monthly_income_minor(application: Application, merchant: MerchantFeatures | None,
                         consumer: ConsumerFeatures | None) -> int:
    declared = application.monthly_income_minor
    observed: int | None = None
    if application.applicant.kind is ApplicantKind.MERCHANT and merchant is not None:
        observed = merchant.monthly_turnover_minor if merchant.months_active else None
    elif consumer is not None and consumer.income_months:
        observed = consumer.mean_income_minor
    if observed is None:
        return declared
    if declared <= 0 and application.applicant.kind is ApplicantKind.MERCHANT:
        return observed
    return min(declared, observed)


def monthly_cash_flow_minor(application: Application, merchant: MerchantFeatures | None,
                            consumer: ConsumerFeatures | None) -> int:
    income = monthly_income_minor(application, merchant, consumer)
    return income - application.monthly_expenses_minor


def dsr_bps(payments_minor: int, cash_flow_minor: int) -> int | None:
    """Monthly debt payments over monthly cash flow, in basis points, rounded up."""
    if cash_flow_minor <= 0:
        return None
    return -(-payments_minor * BPS // cash_flow_minor)


def instalment_budget_minor(cash_flow_minor: int, existing_payments_minor: int,
                            dsr_max_bps: int) -> int:
    """The largest new monthly repayment that keeps the DSR within ``dsr_max_bps``."""
    if cash_flow_minor <= 0:
        return 0
    return cash_flow_minor * dsr_max_bps // BPS - existing_payments_minor


def monthly_repayment_minor(product: Product, principal_minor: int, term_months: int,
                            start: dt.date) -> int:
    """What ``principal_minor`` lent on ``product`` from ``start`` costs a month (see the
    module doc), from the instalments' totals of the product's schedule."""
    totals = product_instalment_totals(product, principal_minor=principal_minor,
                                       periods=term_months, start=start)
    if product.method in BALLOON_METHODS:
        return -(-sum(totals) // term_months)
    return max(totals)


Repayment = Callable[[Product, int, int, dt.date], int]


def size_loan(*, requested_minor: int, product: Product, term_months: int, start: dt.date,
              cash_flow_minor: int, existing_payments_minor: int, dsr_max_bps: int,
              step_minor: int, repayment: Repayment = monthly_repayment_minor) -> Sizing:
    """The largest affordable principal up to ``requested_minor`` (see the module doc);
    ``repayment`` is :func:`monthly_repayment_minor` or a memo of it."""
    budget = instalment_budget_minor(cash_flow_minor, existing_payments_minor, dsr_max_bps)

    def result(principal: int, instalment: int) -> Sizing:
        dsr = dsr_bps(existing_payments_minor + instalment, cash_flow_minor)
        return Sizing(requested_minor, principal, instalment, budget, dsr)

    if budget <= 0 or requested_minor <= 0:
        return result(0, 0)
    full = repayment(product, requested_minor, term_months, start)
    if full <= budget:
        return result(requested_minor, full)
    step = max(1, step_minor)
    principal = min(requested_minor - 1, requested_minor * budget // full) // step * step
    instalment = 0
    for _ in range(SIZING_TRIES_MAX):
        if principal <= 0:
            return result(0, 0)
        instalment = repayment(product, principal, term_months, start)
        if instalment > budget:
            principal -= step
            continue
        bigger = principal + step
        if bigger < requested_minor:
            more = repayment(product, bigger, term_months, start)
            if more <= budget:
                principal, instalment = bigger, more
                continue
        return result(principal, instalment)
    return result(0, 0)
