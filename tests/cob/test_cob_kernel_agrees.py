"""The columnar kernel and the row rules close the same books (Hypothesis).

A random small portfolio (random products: method, rate, day count, grace days,
late fee, origination fee, penalty rate, cost cap, waterfall; random principals and
terms; loans booked on random days, some before the book opens and aged by the rules)
is closed day by day for up to 60 days, twice:
with ``cob.kernel.cob_day`` over ``cob.batch.from_rows(...)`` and with
``cob.rules.cob_loan_day`` loan by loan. Random payments land on random days between
closes: regular payments, applying suspense, early full repayment, partial prepayment
and reversal of the last regular payment (rejections are allowed; crashes are not).

Every day, for every loan:
- the kernel's new state, written back with ``to_rows``, equals the rule's state;
- posting totals per (loan, account) are equal and the events are the same;
- postings sum to zero per loan, in both;
- ``charged_minor`` equals accrued interest + penalty + fees over the instalments;
- if COB charged any penalty or late fee today, ``charged_minor`` after the day is
  within the cap allowance ``floor(exposure_minor_days x cap / 365)``;
- so at all times penalties + late fees + origination fee <= that allowance whenever
  any penalty or late fee was ever charged, i.e. ``charged_minor`` never exceeds
  ``max(allowance, origination fee)`` plus the interest recognised.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field, replace
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import event as note
from hypothesis import strategies as st

from dunwell.cob.batch import LoanBatch, from_rows, to_rows
from dunwell.cob.kernel import CobResult, cob_day
from dunwell.cob.model import CobParams
from dunwell.cob.rules import Posting, cap_allowance, cob_loan_day
from dunwell.core.dates import DayCount, to_day
from dunwell.core.errors import DomainError
from dunwell.lending.loans import LoanState, book_loan
from dunwell.lending.model import (
    AllocationScope,
    Component,
    Fees,
    LoanStatus,
    Product,
    RepaymentMethod,
)
from dunwell.lending.payments import PaymentOutcome, apply_suspense, pay, reverse
from dunwell.lending.prepayment import PrepaymentMode, payoff, payoff_quote, prepay
from dunwell.lending.schedules import build_schedule

HORIZON_DAYS_MAX = 60
AGE_DAYS_MAX = 75
KINDS = ("pay", "pay", "pay", "suspense", "payoff", "prepay", "prepay", "reverse", "reverse")


@st.composite
def products(draw: st.DrawFn, code: str) -> Product:
    def rate(top_ppm: int, usual_ppm: list[int]) -> Decimal:
        ppm = draw(st.one_of(st.sampled_from(usual_ppm),
                             st.integers(min_value=0, max_value=top_ppm)))
        return Decimal(ppm).scaleb(-6)

    return Product(
        code=code, name=code, currency="CNY",
        method=draw(st.sampled_from(RepaymentMethod)),
        annual_rate=rate(360_000, [120_000, 180_000]),
        day_count=draw(st.sampled_from(DayCount)),
        penalty_rate=rate(1_000_000, [180_000, 270_000, 1_000_000]),
        cost_cap_annual=rate(1_000_000, [150_000, 240_000, 360_000]),
        grace_days=draw(st.integers(min_value=0, max_value=5)),
        fees=Fees(origination_minor=draw(st.sampled_from([0, 0, 500, 3000])),
                  late_fee_minor=draw(st.sampled_from([0, 1, 1500, 5000]))),
        allocation_order=tuple(draw(st.permutations(list(Component)))),
        allocation_scope=draw(st.sampled_from(AllocationScope)),
    )


@dataclass(frozen=True)
class Event:
    offset: int  # days after the book opens
    loan: int  # index into the portfolio's loans (modulo)
    kind: str
    raw: int  # turned into an amount from the loan's state on the day


@dataclass(frozen=True)
class Portfolio:
    opens: dt.date
    days: int
    products: dict[str, Product]
    loans: list[tuple[int, LoanState]]  # (offset of the booking day, loan)
    events: list[Event] = field(default_factory=list)


@st.composite
def portfolios(draw: st.DrawFn) -> Portfolio:
    opens = draw(st.dates(min_value=dt.date(2024, 1, 20), max_value=dt.date(2025, 12, 31)))
    days = draw(st.integers(min_value=20, max_value=HORIZON_DAYS_MAX))
    catalogue = {p.code: p for p in (draw(products(f"p{k}"))
                                     for k in range(draw(st.integers(1, 3))))}
    loans = []
    for loan_id in range(1, draw(st.integers(min_value=1, max_value=4)) + 1):
        product = catalogue[draw(st.sampled_from(sorted(catalogue)))]
        # a loan booked before the book opens arrives aged: closed by the rules so far
        offset = draw(st.integers(min_value=-AGE_DAYS_MAX, max_value=days // 3))
        start = opens + dt.timedelta(days=offset)
        schedule = build_schedule(
            principal_minor=draw(st.one_of(st.sampled_from([300000, 1_200_000]),
                                           st.integers(min_value=100, max_value=2_000_000))),
            currency="CNY", annual_rate=product.annual_rate,
            periods=draw(st.integers(min_value=1, max_value=4)), method=product.method,
            start=start, day_count=product.day_count, rounding=product.rounding)
        loan = book_loan(loan_id=loan_id, borrower_id=loan_id, product=product,
                         schedule=schedule, disbursed_on=start)
        # now and then a loan already restructured (overdue since, or still on its plan),
        # or charged off (closed: left alone)
        status = draw(st.sampled_from([LoanStatus.DISBURSED] * 6 + [
            LoanStatus.RESTRUCTURED, LoanStatus.OVERDUE, LoanStatus.CHARGED_OFF]))
        restructured = status is LoanStatus.RESTRUCTURED or (
            status is LoanStatus.OVERDUE and draw(st.booleans()))
        loan = replace(loan, status=status, restructured=restructured)
        params = CobParams.of(product)
        for day in range(to_day(start), to_day(opens)):
            loan = cob_loan_day(loan, params, day)[0]
        loans.append((max(offset, 0), loan))
    events = draw(st.lists(st.builds(
        Event, offset=st.integers(min_value=0, max_value=days), loan=st.integers(0, 3),
        kind=st.sampled_from(KINDS), raw=st.integers(min_value=0, max_value=10**9)),
        max_size=12))
    return Portfolio(opens, days, catalogue, loans, sorted(events, key=lambda e: e.offset))


def apply(event: Event, loan: LoanState, product: Product, day: int,
          last_regular: dict[int, PaymentOutcome]) -> LoanState:
    """One payment command on ``loan``; an expected rejection leaves it as it was."""
    try:
        if event.kind == "pay":
            # mostly part of what is owed; one in four may overpay into suspense
            share = 5 if event.raw % 4 == 0 else 2
            amount = 1 + event.raw % (loan.unpaid_total_minor * share // 4 + 1)
            out = pay(loan, product, amount_minor=amount, currency="CNY", day=day)
            last_regular[loan.loan_id] = out
        elif event.kind == "suspense":
            out = apply_suspense(loan, product, day=day)
        elif event.kind == "payoff":
            out = payoff(loan, product, amount_minor=payoff_quote(loan, day=day)
                         + event.raw % 3, currency="CNY", day=day)
        elif event.kind == "prepay":
            mode = (PrepaymentMode.LOWER_INSTALLMENT, PrepaymentMode.SHORTEN_TERM)[event.raw % 2]
            amount = 1 + event.raw % (loan.unpaid_total_minor + 1)
            out = prepay(loan, product, amount_minor=amount, currency="CNY", day=day, mode=mode)
        else:
            done = last_regular.pop(loan.loan_id, None)
            if done is None:
                return loan
            back = reverse(loan, product, allocation=done.allocation,
                           suspense_minor=done.suspense_minor, day=day)
            note("reverse accepted")
            return back
    except DomainError as exc:
        note(f"{event.kind} rejected: {exc.code}")
        return loan
    note(f"{event.kind} accepted")
    return out.loan


def totals(postings: list[tuple[int, int, int]]) -> dict[tuple[int, int], int]:
    out: Counter[tuple[int, int]] = Counter()
    for lid, acc, amount in postings:
        out[(lid, acc)] += amount
    return {k: v for k, v in out.items() if v}


def kernel_postings(result: CobResult) -> list[tuple[int, int, int]]:
    p = result.postings
    return list(zip(p.loan_id.tolist(), p.account.tolist(), p.amount_minor.tolist(),
                    strict=True))


def late_charges(loan: LoanState, product: Product) -> int:
    """Penalty and late fees charged so far (the fee column also holds origination)."""
    return sum(i.penalty_minor + i.fee_minor for i in loan.installments) \
        - product.fees.origination_minor


def check_day(rows_before: list[LoanState], rows: list[LoanState], kernel_rows: list[LoanState],
              rule_postings: list[Posting], result: CobResult,
              rule_events: list[tuple[int, int, int, int]], catalogue: dict[str, Product],
              params: dict[str, CobParams]) -> None:
    assert kernel_rows == rows
    kp = kernel_postings(result)
    assert totals(kp) == totals([(lid, int(acc), amt) for lid, acc, amt in rule_postings])
    ev = result.events
    assert Counter(zip(ev.loan_id.tolist(), ev.kind.tolist(), ev.before.tolist(),
                       ev.after.tolist(), strict=True)) == Counter(rule_events)
    for before, loan in zip(rows_before, rows, strict=True):
        lid, product, p = loan.loan_id, catalogue[loan.product_code], params[loan.product_code]
        assert sum(a for i, _, a in kp if i == lid) == 0
        assert sum(a for i, _, a in rule_postings if i == lid) == 0
        insts = loan.installments
        assert loan.charged_minor == sum(
            i.interest_accrued_minor + i.penalty_minor + i.fee_minor for i in insts)
        allowance = cap_allowance(loan.exposure_minor_days, p)
        if loan.days_past_due > p.grace_days:
            note("a loan past its grace days")
        if late_charges(loan, product) > late_charges(before, product):
            assert loan.charged_minor <= allowance
            note("penalty or late fee charged")
            if loan.charged_minor == allowance:
                note("cost cap bound")
        late = late_charges(loan, product)
        assert late == 0 or late + product.fees.origination_minor <= allowance
        interest = sum(i.interest_accrued_minor for i in insts)
        assert loan.charged_minor <= max(allowance, product.fees.origination_minor) + interest


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(portfolios())
def test_the_kernel_and_the_row_rules_close_every_day_identically(book: Portfolio) -> None:
    params = {code: CobParams.of(p) for code, p in book.products.items()}
    rows: list[LoanState] = []  # loans booked so far, in booking order
    batch: LoanBatch | None = None
    last_regular: dict[int, PaymentOutcome] = {}
    for offset in range(book.days + 1):
        day = to_day(book.opens) + offset
        changed = False
        for at, loan in book.loans:
            if at == offset:
                rows.append(loan)
                changed = True
        for event in (e for e in book.events if e.offset == offset):
            if not rows:
                continue
            k = event.loan % len(rows)
            product = book.products[rows[k].product_code]
            moved = apply(event, rows[k], product, day, last_regular)
            changed = changed or moved != rows[k]
            rows[k] = moved
        if not rows:
            continue
        if batch is None or changed:
            batch = from_rows(rows, params)
        result = cob_day(batch, day)
        rule_postings: list[Posting] = []
        rule_events: list[tuple[int, int, int, int]] = []
        closed = []
        for loan in rows:
            new, postings, events = cob_loan_day(loan, params[loan.product_code], day)
            closed.append(new)
            rule_postings += postings
            rule_events += [(e.loan_id, int(e.kind), int(e.before), int(e.after))
                            for e in events]
        check_day(rows, closed, to_rows(result.batch, rows), rule_postings, result,
                  rule_events, book.products, params)
        assert result.loans_closed == sum(1 for a, b in zip(rows, closed, strict=True)
                                          if b.last_cob_day != a.last_cob_day)
        rows, batch = closed, result.batch
        # running the same day again changes nothing, in either form
        again = cob_day(batch, day)
        assert len(again.postings) == 0 and len(again.events) == 0
        assert to_rows(again.batch, rows) == rows
        assert all(cob_loan_day(loan, params[loan.product_code], day)[0] is loan
                   for loan in rows)


def test_a_portfolio_with_no_loans_closes_to_nothing() -> None:
    empty = from_rows([], {})
    result = cob_day(empty, to_day(dt.date(2025, 1, 15)))
    assert (len(result.postings), len(result.events), result.loans_closed) == (0, 0, 0)
    assert to_rows(result.batch, []) == []
