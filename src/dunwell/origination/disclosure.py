"""Clear cost before acceptance: what a proposed drawdown costs, shown before the
borrower accepts it.

For an amount, a term and a way of repaying (monthly instalments, or one sum at the
end) on a product, the disclosure holds the schedule the loan would be booked on
(:func:`dunwell.lending.schedules.product_schedule`), the origination fee it would be
charged (:func:`dunwell.lending.cost.origination_fee`: the product's, or less if the
cost cap leaves less room), the total to repay, and the **all-in annual cost** —
interest and every fee over the principal-days the schedule has out — computed by
:func:`dunwell.lending.cost.contract_cost`, the very figures the cost cap checks at
disbursement; so the figure shown is the figure the cap holds the loan to. It also
names the cooling-off window of the product's jurisdiction (``disclosure.toml``,
sources in place): the last day the borrower may cancel and what cancelling costs.

Acceptance is recorded with the terms shown: :func:`terms_fingerprint` digests them,
and :func:`check_accepted` refuses a drawdown whose terms, disclosed again when it
is made, are not the ones accepted (``accepted_terms_must_match_disclosure``).

:func:`render` lays it out with labels in en or zh-CN. Pure: the start date (the
business date) and the jurisdiction are passed in.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from functools import cache
from importlib import resources
from typing import Any

from dunwell.core.dates import to_day
from dunwell.core.errors import Conflict, InvalidInput
from dunwell.core.ids import fingerprint
from dunwell.core.limits import PPM
from dunwell.core.money import format_minor
from dunwell.lending.cost import contract_cost, origination_fee, rate_ppm
from dunwell.lending.model import Product, RepaymentMethod
from dunwell.lending.schedules import product_schedule
from dunwell.origination.model import ApplicantKind
from dunwell.origination.policy import Policy
from dunwell.origination.wording import language


class Method(StrEnum):
    """How a drawdown is repaid, as the borrower chooses it."""

    INSTALMENTS = "instalments"
    ONE_SUM = "one_sum"  # principal and interest together at the end (bullet)


def method_of(product: Product) -> Method:
    return Method.ONE_SUM if product.method is RepaymentMethod.BULLET else Method.INSTALMENTS


def product_for(policy: Policy, products: Mapping[str, Product], *, kind: ApplicantKind,
                term_months: int, method: Method) -> Product:
    """The product a drawdown of ``term_months`` repaid by ``method`` is lent on: the
    term's product (policy.toml), which must repay that way."""
    term = policy.term(kind, term_months)
    product = products.get(term.product)
    if product is None:
        raise InvalidInput(f"the book has no product {term.product!r} for {term_months} "
                           "months", code="product_must_exist")
    if method_of(product) is not method:
        offered = sorted(f"{t.months} months" for t in policy.terms_for(kind)
                         if (p := products.get(t.product)) and method_of(p) is method)
        raise InvalidInput(f"{term_months} months is repaid {method_of(product).value}, not "
                           f"{method.value}; {method.value} is offered on "
                           f"{', '.join(offered) or 'no term'}",
                           code="repayment_method_must_be_offered_for_term", field="method")
    return product


@dataclass(frozen=True, slots=True)
class CoolingOff:
    jurisdiction: str
    days: int
    kinds: frozenset[ApplicantKind]
    charges: str  # "none" or "interest_to_date"
    basis: str

    def applies_to(self, kind: ApplicantKind) -> bool:
        return self.days > 0 and kind in self.kinds


NO_COOLING_OFF = CoolingOff("", 0, frozenset(), "none", "")


def _bad(field: str, what: str) -> InvalidInput:
    return InvalidInput(f"disclosure rules: {field} {what}",
                        code="disclosure_rules_must_be_valid", field=field)


def _cooling_off(code: str, row: Any) -> CoolingOff:
    if not isinstance(row, dict):
        raise _bad(f"cooling_off.{code}", "must be a table")
    days, kinds, charges = row.get("days"), row.get("kinds"), row.get("charges")
    if isinstance(days, bool) or not isinstance(days, int) or days < 0:
        raise _bad(f"cooling_off.{code}.days", "must be a whole number >= 0")
    if charges not in ("none", "interest_to_date"):
        raise _bad(f"cooling_off.{code}.charges", "must be none or interest_to_date")
    try:
        who = frozenset(ApplicantKind(k) for k in (kinds or []))
    except ValueError:
        raise _bad(f"cooling_off.{code}.kinds", "must list consumer and/or merchant") from None
    return CoolingOff(code, days, who, str(charges), str(row.get("basis", "")))


@dataclass(frozen=True, slots=True)
class DisclosureRules:
    cooling_off: Mapping[str, CoolingOff]
    labels: Mapping[str, Mapping[str, str]]

    def window(self, jurisdiction: str | None) -> CoolingOff:
        """The jurisdiction's window (``CN-PRIVATE`` falls back to ``CN``)."""
        if not jurisdiction:
            return NO_COOLING_OFF
        found = self.cooling_off.get(jurisdiction) or \
            self.cooling_off.get(jurisdiction.split("-")[0])
        return found or NO_COOLING_OFF


def load_disclosure_rules(text: str) -> DisclosureRules:
    data = tomllib.loads(text)
    windows = {code: _cooling_off(code, row)
               for code, row in dict(data.get("cooling_off", {})).items()}
    labels = data.get("labels")
    if not isinstance(labels, dict) or set(labels) != {"en", "zh-CN"}:
        raise _bad("labels", "must have en and zh-CN tables")
    if set(labels["en"]) != set(labels["zh-CN"]):
        raise _bad("labels", "must name the same labels in en and zh-CN")
    return DisclosureRules(windows, {lang: dict(t) for lang, t in labels.items()})


@cache
def builtin_disclosure_rules() -> DisclosureRules:
    text = resources.files("dunwell.origination").joinpath("disclosure.toml")
    return load_disclosure_rules(text.read_text("utf-8"))


@dataclass(frozen=True, slots=True)
class Row:
    n: int
    due_date: dt.date
    principal_minor: int
    interest_minor: int
    fee_minor: int
    outstanding_minor: int

    @property
    def total_minor(self) -> int:
        return self.principal_minor + self.interest_minor + self.fee_minor


@dataclass(frozen=True, slots=True)
class Disclosure:
    product_code: str
    currency: str
    kind: ApplicantKind
    method: Method
    amount_minor: int
    term_months: int
    start: dt.date
    annual_rate: Decimal  # the contractual rate, 0.108 = 10.8 % a year
    fee_minor: int
    interest_minor: int
    total_to_repay_minor: int
    annual_cost_ppm: int
    cost_cap_ppm: int
    rows: tuple[Row, ...]
    cooling_off: CoolingOff
    cancel_until: dt.date | None  # the last day the borrower may cancel

    @property
    def monthly_repayment_minor(self) -> int:
        return max(r.total_minor for r in self.rows)


def disclose(*, product: Product, amount_minor: int, term_months: int, start: dt.date,
             kind: ApplicantKind, jurisdiction: str | None,
             rules: DisclosureRules | None = None) -> Disclosure:
    """What lending ``amount_minor`` on ``product`` for ``term_months`` from ``start``
    costs, with the jurisdiction's cooling-off window (see the module doc). Raises
    ``loan_cost_must_fit_cap`` when the interest alone exceeds the product's cap."""
    rules = rules or builtin_disclosure_rules()
    schedule = product_schedule(product, principal_minor=amount_minor, periods=term_months,
                                start=start)
    start_day = to_day(start)
    cap_ppm = rate_ppm(product.cost_cap_annual)
    fee = origination_fee(schedule, start_day=start_day,
                          product_fee_minor=product.fees.origination_minor, cap_ppm=cap_ppm,
                          product_code=product.code)
    cost = contract_cost(schedule, start_day=start_day, fee_minor=fee.fee_minor)
    rows = tuple(Row(i.n, i.due_date, i.principal_minor, i.interest_minor,
                     fee.fee_minor if k == 0 else 0, i.outstanding_minor)
                 for k, i in enumerate(schedule.installments))
    window = rules.window(jurisdiction)
    until = start + dt.timedelta(days=window.days) if window.applies_to(kind) else None
    return Disclosure(
        product.code, product.currency, kind, method_of(product), amount_minor, term_months,
        start, product.annual_rate, fee.fee_minor, schedule.total_interest_minor,
        amount_minor + schedule.total_interest_minor + fee.fee_minor,
        cost.annual_cost_ppm or 0, cap_ppm, rows, window, until)


def _ppm_pct(ppm: int) -> str:
    return f"{ppm * 100 / PPM:.2f}%"


def _cooling_off_text(d: Disclosure, words: Mapping[str, str]) -> str:
    if d.cancel_until is None:
        return words["cooling_off_none"]
    charges = words["cooling_off_charges_none" if d.cooling_off.charges == "none"
                    else "cooling_off_charges_interest"]
    return words["cooling_off_until"].format(until=d.cancel_until.isoformat(),
                                             charges=charges)


def render(d: Disclosure, lang: str,
           rules: DisclosureRules | None = None) -> dict[str, object]:
    """The disclosure as labelled fields (amounts as decimal strings, in ``lang``)."""
    words = (rules or builtin_disclosure_rules()).labels[language(lang)]

    def money(minor: int) -> str:
        return f"{format_minor(minor, d.currency)} {d.currency}"

    method = words["method_one_sum" if d.method is Method.ONE_SUM else "method_instalments"]
    fields = [("product", d.product_code), ("amount", money(d.amount_minor)),
              ("term", str(d.term_months)), ("method", method),
              ("annual_rate", _ppm_pct(rate_ppm(d.annual_rate))),
              ("fee", money(d.fee_minor)), ("interest", money(d.interest_minor)),
              ("total_to_repay", money(d.total_to_repay_minor)),
              ("annual_cost", _ppm_pct(d.annual_cost_ppm)),
              ("cost_cap", _ppm_pct(d.cost_cap_ppm)),
              ("monthly_repayment", money(d.monthly_repayment_minor))]
    columns = ("n", "due_date", "principal", "row_interest", "row_fee", "row_total",
               "outstanding")
    rows = [[str(r.n), r.due_date.isoformat(), money(r.principal_minor),
             money(r.interest_minor), money(r.fee_minor), money(r.total_minor),
             money(r.outstanding_minor)] for r in d.rows]
    return {"language": language(lang), "title": words["title"],
            "fields": [{"key": k, "label": words[k], "value": v} for k, v in fields],
            "schedule": {"label": words["schedule"],
                         "columns": [words[c] for c in columns], "rows": rows},
            "cooling_off": {"label": words["cooling_off"],
                            "text": _cooling_off_text(d, words),
                            "until": d.cancel_until.isoformat() if d.cancel_until else None,
                            "basis": d.cooling_off.basis}}



def terms_of(d: Disclosure) -> dict[str, object]:
    """The terms a borrower accepts, in a canonical form (amounts in minor units)."""
    return {"product": d.product_code, "currency": d.currency, "method": d.method.value,
            "amount_minor": d.amount_minor, "term_months": d.term_months,
            "start": d.start.isoformat(), "annual_rate": str(d.annual_rate),
            "fee_minor": d.fee_minor, "total_to_repay_minor": d.total_to_repay_minor,
            "annual_cost_ppm": d.annual_cost_ppm,
            "rows": [[r.n, r.due_date.isoformat(), r.principal_minor, r.interest_minor,
                      r.fee_minor] for r in d.rows],
            "cancel_until": d.cancel_until.isoformat() if d.cancel_until else None}


def terms_fingerprint(d: Disclosure) -> str:
    """A digest of the terms shown, to record with the borrower's acceptance."""
    return fingerprint(terms_of(d))


def check_accepted(d: Disclosure, accepted_fingerprint: str) -> None:
    """Refuse to lend on terms other than those the borrower accepted."""
    if terms_fingerprint(d) != accepted_fingerprint:
        raise Conflict("the terms of this drawdown are not the ones accepted (the date, "
                       "the product or its price changed); show the disclosure again and "
                       "ask the borrower to accept it",
                       code="accepted_terms_must_match_disclosure")


def may_cancel(d: Disclosure, on: dt.date) -> bool:
    """Whether the borrower may still cancel on ``on`` (the window's last day included)."""
    return d.cancel_until is not None and d.start <= on <= d.cancel_until
