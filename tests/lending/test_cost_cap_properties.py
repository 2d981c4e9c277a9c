"""No loan ever costs more than its cap, all in (Hypothesis).

Across the built-in products and random products that pass registration (method, EMI
calculation, day count, rate, cap, origination and late fee, penalty rate, grace
days), random principals and terms, and random payment paths — on time, late,
partly, a partial prepayment, an early full repayment, paying everything ahead,
stopping and paying only when pursued — the loan is booked as the book books it (the origination fee
cut to what the cap leaves, ``lending.cost.origination_fee``) and closed day by day
by the row reference (``cob.rules.cob_loan_day``) until it is repaid. Then:

- at disbursement, the contract's all-in cost (fee plus scheduled interest over the
  principal-days of the schedule) is within the cap;
- each day COB charges a penalty or late fee, the charges so far stay within the
  allowance for the principal-days so far;
- when the loan closes, everything it charged — interest, fees, penalty — is within
  the allowance for the principal-days it had out: ``charges x 365 <= cap x
  exposure``, the all-in annual cost at or below the cap.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import event as note
from hypothesis import strategies as st

from dunwell.cob.model import CobParams
from dunwell.cob.rules import cob_loan_day
from dunwell.core.dates import to_day
from dunwell.core.errors import DomainError
from dunwell.lending.cost import (
    allowance_minor,
    annual_cost_ppm,
    origination_fee,
    projected_cost,
    rate_ppm,
)
from dunwell.lending.loans import LoanState, book_loan
from dunwell.lending.model import LoanStatus, Product
from dunwell.lending.payments import pay
from dunwell.lending.prepayment import PrepaymentMode, payoff, payoff_quote, prepay
from dunwell.lending.products import builtin_products, load_product
from dunwell.lending.schedules import product_schedule

PATHS = ("on_time", "late", "partial", "prepay", "payoff", "ahead", "stop")
#: How long after maturity a loan that stopped paying is pursued before it pays.
PURSUIT_DAYS_MAX = 90
BUILTIN = builtin_products()


@st.composite
def random_products(draw: st.DrawFn) -> Product:
    """A product that registration accepts; one it refuses is skipped."""
    method = draw(st.sampled_from(["equal_installment", "equal_principal", "interest_only",
                                   "bullet"]))
    cap_pct = draw(st.sampled_from([12, 15, 24, 36]))
    rate_pct = draw(st.integers(min_value=0, max_value=cap_pct))
    low = draw(st.integers(min_value=1, max_value=12))
    emi = "progressive" if method == "equal_installment" and draw(st.booleans()) else (
        "flat_rate_factor")
    text = f"""
code = "random"
name = "random"
currency = "CNY"
method = "{method}"
annual_rate = "{rate_pct / 100}"
day_count = "{draw(st.sampled_from(["30/360", "act/365", "act/360"]))}"
penalty_rate = "{draw(st.sampled_from(["0.18", "0.27", "0.5", "1"]))}"
cost_cap_annual = "{cap_pct / 100}"
grace_days = {draw(st.integers(min_value=0, max_value=5))}
term_months_min = {low}
term_months_max = {low + draw(st.integers(min_value=0, max_value=6))}
emi_calculation = "{emi}"

[fees]
origination = "{draw(st.sampled_from(["0", "5.00", "50.00", "85.03", "500.00"]))}"
late_fee = "{draw(st.sampled_from(["0", "0.01", "10.00", "20.00", "200.00"]))}"
"""
    try:
        return load_product(text)
    except DomainError as exc:
        note(f"product refused: {exc.code}")
        assume(False)
        raise


products = st.one_of(st.sampled_from(sorted(BUILTIN.values(), key=lambda p: p.code)),
                     random_products())


@dataclass(frozen=True)
class Path:
    kind: str
    delay_days: int  # late: days after each due date; stop/ahead/prepay/payoff: when
    share_pct: int  # partial: share of what is due paid on the due date
    stops_after: int  # stop: instalments paid before stopping


paths = st.builds(Path, kind=st.sampled_from(PATHS),
                  delay_days=st.integers(min_value=0, max_value=PURSUIT_DAYS_MAX),
                  share_pct=st.integers(min_value=1, max_value=99),
                  stops_after=st.integers(min_value=0, max_value=3))


def book(product: Product, principal_minor: int, periods: int, start: dt.date) -> LoanState:
    """As ``app.book.disburse`` books a loan: the fee cut to what the cap leaves."""
    schedule = product_schedule(product, principal_minor=principal_minor, periods=periods,
                                start=start)
    fee = origination_fee(schedule, start_day=to_day(start),
                          product_fee_minor=product.fees.origination_minor,
                          cap_ppm=rate_ppm(product.cost_cap_annual))
    charged = replace(product, fees=replace(product.fees, origination_minor=fee.fee_minor))
    return book_loan(loan_id=1, borrower_id=1, product=charged, schedule=schedule,
                     disbursed_on=start)


def due_now(loan: LoanState, day: int) -> int:
    return sum(max(0, i.unpaid_total_minor) for i in loan.installments if i.due_day <= day)


def act(loan: LoanState, product: Product, path: Path, day: int, maturity: int) -> LoanState:
    """What the borrower on ``path`` pays on ``day`` (before that day's close)."""
    amount = 0
    kind = path.kind
    try:
        if kind == "payoff" and day == loan.disbursed_day + path.delay_days:
            quote = payoff_quote(loan, day=day)
            return payoff(loan, product, amount_minor=quote, currency="CNY", day=day).loan
        if kind == "prepay" and day == loan.disbursed_day + path.delay_days:
            owed = loan.outstanding_principal_minor
            out = prepay(loan, product, amount_minor=due_now(loan, day) + owed // 2 + 1,
                         currency="CNY", day=day,
                         mode=(PrepaymentMode.LOWER_INSTALLMENT
                               if path.share_pct % 2 else PrepaymentMode.SHORTEN_TERM))
            return out.loan
        if kind == "ahead" and day == loan.disbursed_day + path.delay_days:
            amount = loan.unpaid_total_minor  # the next instalment ahead, the rest held
        elif day >= maturity + path.delay_days and kind in ("stop", "late", "partial"):
            amount = loan.unpaid_total_minor  # pursued, or late: everything at last
        elif any(i.due_day == day for i in loan.installments):
            paid_so_far = sum(1 for i in loan.installments if i.due_day < day)
            if kind == "late" or (kind == "stop" and paid_so_far >= path.stops_after):
                amount = 0
            elif kind == "partial":
                amount = due_now(loan, day) * path.share_pct // 100
            else:
                amount = due_now(loan, day)
        elif kind == "late" and any(i.due_day + path.delay_days == day
                                    for i in loan.installments):
            amount = due_now(loan, day)
        elif day > maturity:
            amount = loan.unpaid_total_minor  # whatever path: settle once it is all due
        if amount > 0:
            return pay(loan, product, amount_minor=amount, currency="CNY", day=day).loan
    except DomainError as exc:
        note(f"{kind} refused: {exc.code}")
    return loan


def within(loan: LoanState, cap_ppm: int) -> bool:
    return loan.charged_minor <= allowance_minor(loan.exposure_minor_days, cap_ppm)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                    HealthCheck.filter_too_much])
@given(product=products, path=paths,
       principal_minor=st.one_of(st.sampled_from([100, 100_000, 2_000_000]),
                                 st.integers(min_value=100, max_value=5_000_000)),
       term=st.integers(min_value=0, max_value=6),
       start=st.dates(min_value=dt.date(2024, 1, 1), max_value=dt.date(2026, 12, 31)))
def test_no_loan_ever_costs_more_than_its_cap_all_in(
        product: Product, path: Path, principal_minor: int, term: int,
        start: dt.date) -> None:
    periods = min(product.term_months_min + term, product.term_months_max)
    cap_ppm = rate_ppm(product.cost_cap_annual)
    params = CobParams.of(product)
    try:
        loan = book(product, principal_minor, periods, start)
    except DomainError as exc:  # interest alone, rounded up on a tiny loan, breaks the cap
        assert exc.code == "loan_cost_must_fit_cap"
        note("loan refused at disbursement")
        return
    assert projected_cost(loan).within(cap_ppm), "the contract is within the cap"
    maturity = loan.installments[-1].due_day
    last_day = maturity + 2 * PURSUIT_DAYS_MAX + 2
    day = loan.disbursed_day
    while loan.status.is_open and day <= last_day:
        loan = act(loan, product, path, day, maturity)
        if not loan.status.is_open:
            break
        before = loan
        loan, _, _ = cob_loan_day(loan, params, day)
        late_today = sum(i.penalty_minor + i.fee_minor for i in loan.installments) - sum(
            i.penalty_minor + i.fee_minor for i in before.installments)
        if late_today:
            assert within(loan, cap_ppm), "COB charges only within the allowance"
        day += 1
    assert loan.status is LoanStatus.PAID_OFF, "every path repays in the end"
    assert within(loan, cap_ppm), (loan.charged_minor, loan.exposure_minor_days)
    cost = annual_cost_ppm(loan.charged_minor, loan.exposure_minor_days)
    assert cost is None or cost <= cap_ppm
    note(f"path {path.kind}")
