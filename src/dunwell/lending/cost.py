"""The all-in cost cap: one measure of what a loan costs, and the checks built on it.

**The measure.** A loan's all-in annual cost is everything it charges — interest,
origination and late fees, penalty interest — over the principal actually
outstanding and for how long, as a simple annual rate::

    all-in cost = charges_minor x 365 / exposure_minor_days

where ``exposure_minor_days`` sums, over every closed business day, the principal
outstanding that day. It stays within a cap ``cap`` exactly when::

    charges_minor <= allowance = floor(exposure_minor_days x cap_ppm / (365 x 10^6))

All integers, no rounding but the one floor, so "within the cap" is decided exactly.
The same function answers the product registration check, the disbursement check,
COB's check before each penalty and late fee, and the close-out rebate
(docs/loan-book.md, "The all-in cost cap").

**Life and projection.** Once a loan is closed its measure is realised: what it
charged over what it had out. While it is open, :func:`projected_cost` adds what the
schedule still has to come (interest not yet accrued; principal outstanding until
each due date), so the figure at disbursement is the contract's and, on a loan paid
to schedule, the figure at the end is the same.

Pure: no I/O, no clock; rates are ``Decimal`` in products and integer parts per
million here.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from decimal import ROUND_DOWN, Decimal, InvalidOperation
from typing import Final

from dunwell.core.dates import DayCount, to_day
from dunwell.core.errors import InvalidInput
from dunwell.core.limits import PPM
from dunwell.ledger.model import Account, Line
from dunwell.lending.loans import LoanState
from dunwell.lending.model import Schedule

#: The cap is an annual rate applied per calendar day.
CAP_YEAR_DAYS: Final = 365
#: The allowance's divisor: a cap in ppm applied per day of a 365-day year.
CAP_DENOMINATOR: Final = CAP_YEAR_DAYS * PPM
#: The shortest month a schedule's period can be (a 30/360 month may last 28 days).
SHORTEST_MONTH_DAYS: Final = 28


def rate_ppm(rate: Decimal) -> int:
    """An annual rate as whole parts per million, rounded down (the borrower's side)."""
    return int((rate * PPM).to_integral_value(rounding=ROUND_DOWN))


def allowance_minor(exposure_minor_days: int, cap_ppm: int) -> int:
    """The most a loan may have charged over ``exposure_minor_days`` at ``cap_ppm``.

    >>> allowance_minor(100_000 * 365, 240_000)   # 1000.00 out for a year at 24 %
    24000
    >>> allowance_minor(100_000 * 30, 240_000)    # ... for 30 days
    1972
    """
    return exposure_minor_days * cap_ppm // CAP_DENOMINATOR


def within_cap(charges_minor: int, exposure_minor_days: int, cap_ppm: int) -> bool:
    """Whether ``charges_minor`` over ``exposure_minor_days`` is within ``cap_ppm``."""
    return charges_minor <= allowance_minor(exposure_minor_days, cap_ppm)


def annual_cost_ppm(charges_minor: int, exposure_minor_days: int) -> int | None:
    """The all-in annual cost in ppm, rounded up; ``None`` when nothing was out yet.

    Rounded up so that ``annual_cost_ppm(c, e) <= cap_ppm`` exactly when
    ``within_cap(c, e, cap_ppm)``: a report never shows a loan inside its cap that is
    not.

    >>> annual_cost_ppm(1972, 100_000 * 30)
    239927
    >>> annual_cost_ppm(0, 0) is None
    True
    """
    if exposure_minor_days <= 0:
        return None
    return -(-charges_minor * CAP_YEAR_DAYS * PPM // exposure_minor_days)


# --- the loan's figures -------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class LoanCost:
    """What a loan charges and the principal-days it has out (to date, or projected)."""

    charges_minor: int
    exposure_minor_days: int

    def allowance(self, cap_ppm: int) -> int:
        return allowance_minor(self.exposure_minor_days, cap_ppm)

    def within(self, cap_ppm: int) -> bool:
        return self.charges_minor <= self.allowance(cap_ppm)

    @property
    def annual_cost_ppm(self) -> int | None:
        return annual_cost_ppm(self.charges_minor, self.exposure_minor_days)


def scheduled_exposure(rows: Iterable[tuple[int, int]], from_day: int) -> int:
    """Principal-days still to come if each ``(due_day, principal_minor)`` is repaid on
    its due date: a principal repaid on day D stops counting that day (COB counts the
    principal outstanding at its close)."""
    return sum(principal * max(0, due - from_day) for due, principal in rows)


def contract_cost(schedule: Schedule, *, start_day: int, fee_minor: int) -> LoanCost:
    """The contract's figures: the fee plus all scheduled interest over the principal-days
    of a schedule paid on its due dates, from the disbursement day on."""
    rows = ((to_day(i.due_date), i.principal_minor) for i in schedule.installments)
    return LoanCost(fee_minor + schedule.total_interest_minor,
                    scheduled_exposure(rows, start_day))


def projected_cost(loan: LoanState) -> LoanCost:
    """The loan's life figures: charged so far plus interest still to accrue, over the
    principal-days so far plus those the schedule still has (principal past due counts
    no further days: it is assumed paid now). On a closed loan, the realised figures."""
    if not loan.status.is_open:
        return LoanCost(loan.charged_minor, loan.exposure_minor_days)
    next_day = loan.last_cob_day + 1
    to_come = sum(max(0, i.interest_minor - i.interest_accrued_minor)
                  for i in loan.installments)
    rows = ((i.due_day, i.unpaid_principal_minor) for i in loan.installments)
    return LoanCost(loan.charged_minor + to_come,
                    loan.exposure_minor_days + scheduled_exposure(rows, next_day))


# --- disbursement: the origination fee the contract leaves room for -------------------

@dataclass(frozen=True, slots=True)
class FeeDecision:
    """The origination fee a loan is charged: the product's, or less if the cap
    leaves less room (``reduced_by_minor``)."""

    fee_minor: int
    product_fee_minor: int
    allowance_minor: int
    interest_minor: int

    @property
    def room_minor(self) -> int:
        return self.allowance_minor - self.interest_minor

    @property
    def reduced_by_minor(self) -> int:
        return self.product_fee_minor - self.fee_minor


def origination_fee(schedule: Schedule, *, start_day: int, product_fee_minor: int,
                    cap_ppm: int, product_code: str = "") -> FeeDecision:
    """The origination fee that keeps the contract within the cap.

    The fee is reduced to what the allowance leaves after the scheduled interest; a
    schedule whose interest alone exceeds the allowance is refused
    (``loan_cost_must_fit_cap``).
    """
    contract = contract_cost(schedule, start_day=start_day, fee_minor=0)
    allowance = contract.allowance(cap_ppm)
    interest = contract.charges_minor
    if interest > allowance:
        which = f"product {product_code}" if product_code else "the product"
        raise InvalidInput(
            f"the scheduled interest {interest} minor units exceeds the {allowance} the "
            f"cost cap of {which} allows on this schedule; lend at a lower rate or for a "
            "longer term", code="loan_cost_must_fit_cap", interest_minor=interest,
            allowance_minor=allowance)
    return FeeDecision(min(product_fee_minor, allowance - interest), product_fee_minor,
                       allowance, interest)


# --- registration: the product's terms leave room for its fee -------------------------

def rate_ceiling(cap: Decimal, day_count: DayCount) -> Decimal:
    """The highest contractual rate whose interest fits ``cap`` on any schedule.

    Interest for a day is at most ``rate / 365`` of the principal under act/365,
    ``rate / 360`` under act/360, and ``rate / 12`` spread over as few as 28 days under
    30/360; the cap allows ``cap / 365`` a day.
    """
    if day_count is DayCount.ACT_365:
        return cap
    if day_count is DayCount.ACT_360:
        return cap * 360 / CAP_YEAR_DAYS
    return cap * 12 * SHORTEST_MONTH_DAYS / CAP_YEAR_DAYS


def fee_room_minor(*, principal_minor: int, term_months: int, annual_rate: Decimal,
                   cap: Decimal) -> int:
    """A lower bound on the room the cap leaves for fees on a loan of ``principal_minor``
    for ``term_months`` repaid in one go at maturity (the most principal-days a term
    gives), counting ``SHORTEST_MONTH_DAYS`` a month: ``principal x days x (cap - rate)
    / 365``. A product whose origination fee exceeds this even for the largest loan at
    its shortest term can never charge it within the cap."""
    days = SHORTEST_MONTH_DAYS * term_months
    room = Decimal(principal_minor) * days * (cap - annual_rate) / CAP_YEAR_DAYS
    return max(0, int(room.to_integral_value(rounding=ROUND_DOWN)))


# --- closing a loan: nothing beyond the allowance is kept ----------------------------

@dataclass(frozen=True, slots=True)
class Rebate:
    """Charges given back when a loan closes above its allowance, by component; the
    money goes to suspense (owed to the borrower)."""

    fee_minor: int = 0
    penalty_minor: int = 0
    interest_minor: int = 0

    @property
    def total_minor(self) -> int:
        return self.fee_minor + self.penalty_minor + self.interest_minor

    def lines(self, loan_id: int) -> tuple[Line, ...]:
        """``Dr`` the income accounts, ``Cr`` suspense: balanced, cash untouched."""
        out = [Line.debit(acc, amount, loan_id) for acc, amount in (
            (Account.FEE_INCOME, self.fee_minor), (Account.PENALTY_INCOME, self.penalty_minor),
            (Account.INTEREST_INCOME, self.interest_minor)) if amount]
        if out:
            out.append(Line.credit(Account.SUSPENSE, self.total_minor, loan_id))
        return tuple(out)


def close_out(loan: LoanState, cap_ppm: int) -> tuple[LoanState, Rebate]:
    """A settled loan, brought within its cap: charges beyond the allowance for the
    principal-days it had out are given back — fees first, then penalty, then
    interest, latest instalment first — into suspense.

    ``loan`` must owe nothing (every charge is paid), so each rebated amount is taken
    off both what was charged and what was paid; receivables do not move.
    """
    assert all(i.unpaid_total_minor <= 0 for i in loan.installments), "loan must be settled"
    excess = loan.charged_minor - allowance_minor(loan.exposure_minor_days, cap_ppm)
    if excess <= 0:
        return loan, Rebate()
    insts = list(loan.installments)
    taken = {"fee": 0, "penalty": 0, "interest": 0}
    for part in ("fee", "penalty", "interest"):
        for k in range(len(insts) - 1, -1, -1):
            if excess <= 0:
                break
            inst = insts[k]
            charged = int(getattr(inst, f"{part}_minor"))
            paid = int(getattr(inst, f"paid_{part}_minor"))
            take = min(excess, charged, paid)
            if take <= 0:
                continue
            changes = {f"{part}_minor": charged - take, f"paid_{part}_minor": paid - take}
            if part == "interest":
                changes["interest_accrued_minor"] = inst.interest_accrued_minor - take
                changes["interest_base_minor"] = min(inst.interest_base_minor,
                                                     charged - take)
            insts[k] = replace(inst, **changes)
            taken[part] += take
            excess -= take
    rebate = Rebate(taken["fee"], taken["penalty"], taken["interest"])
    return replace(loan, installments=tuple(insts),
                   charged_minor=loan.charged_minor - rebate.total_minor,
                   suspense_minor=loan.suspense_minor + rebate.total_minor), rebate


# --- caps by jurisdiction -------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class JurisdictionCap:
    """A legal ceiling on the all-in annual cost, with where it comes from."""

    code: str
    name: str
    cost_cap_annual: Decimal
    basis: str
    source: str


def parse_caps(text: str) -> dict[str, JurisdictionCap]:
    """Read the caps table (``caps.toml``): one ``[CODE]`` table per jurisdiction with
    ``name``, ``cost_cap_annual`` (a quoted decimal), ``basis`` and ``source``."""
    data = tomllib.loads(text)
    caps: dict[str, JurisdictionCap] = {}
    for code, row in data.items():
        if not isinstance(row, Mapping):
            raise InvalidInput(f"caps table: {code} must be a table",
                               code="caps_table_must_be_valid")
        raw = row.get("cost_cap_annual")
        try:
            cap = Decimal(raw) if isinstance(raw, str) else Decimal("NaN")
        except InvalidOperation:
            cap = Decimal("NaN")
        if not cap.is_finite() or cap <= 0:
            raise InvalidInput(f"caps table: {code}.cost_cap_annual must be a quoted "
                               "positive decimal", code="caps_table_must_be_valid")
        caps[code] = JurisdictionCap(code, str(row.get("name", code)), cap,
                                     str(row.get("basis", "")), str(row.get("source", "")))
    return caps
