"""One module of limits, worked through: amounts beyond them are refused before any
arithmetic, products COB could not close are refused when loaded, ids and dates
outside them are named, and the older constants elsewhere agree with the module."""

from __future__ import annotations

import ast
import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from dunwell.cob import model as cob_model
from dunwell.core import limits
from dunwell.core.errors import InvalidInput
from dunwell.core.money import Money, to_minor
from dunwell.lending import loans
from dunwell.lending.products import builtin_product_texts, load_product
from dunwell.lending.schedules import common as schedules
from dunwell.origination.features import (
    check_transaction_dates,
    merchant_features,
    summarise,
)
from dunwell.origination.model import MonthSummary, Transaction, TransactionKind

SALE = TransactionKind.SALE


@pytest.mark.parametrize("text", ["92233720368547758.07", "99999999999999999999999999",
                                  "-92233720368547758.07", "1e30", "10000000000000.01"])
def test_an_amount_beyond_the_limit_is_refused_before_any_arithmetic(text: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        to_minor(text, "CNY")
    assert caught.value.code == "amount_must_be_within_limits"
    assert "10000000000000.00 CNY" in caught.value.message


def test_the_largest_amount_is_taken_exactly() -> None:
    assert to_minor("10000000000000.00", "CNY") == limits.AMOUNT_MINOR_MAX
    assert to_minor("1000000000000000", "JPY") == limits.AMOUNT_MINOR_MAX
    with pytest.raises(InvalidInput):
        to_minor("1000000000000001", "JPY")


def test_money_never_holds_more_than_int64() -> None:
    assert Money(limits.INT64_MAX, "CNY").minor == limits.INT64_MAX
    with pytest.raises(InvalidInput) as caught:
        Money(limits.INT64_MAX + 1, "CNY")
    assert caught.value.code == "amount_must_be_within_limits"


@pytest.mark.parametrize("value", [0, -1, 2**63, 2**70, True])
def test_an_id_outside_1_to_int64_is_named(value: int) -> None:
    with pytest.raises(InvalidInput) as caught:
        limits.check_id(value, field="loan_id")
    assert caught.value.code == "id_must_be_within_limits"
    assert caught.value.details["field"] == "loan_id"


def test_ids_at_the_edges_are_taken() -> None:
    assert limits.check_id(1) == 1
    assert limits.check_id(2**63 - 1) == 2**63 - 1


def test_a_rate_above_the_charge_limit_is_named() -> None:
    assert limits.check_rate(Decimal("1"), field="penalty_rate") == 1
    with pytest.raises(InvalidInput) as caught:
        limits.check_rate(Decimal("1.01"), field="penalty_rate")
    assert caught.value.code == "rate_must_be_within_limits"
    assert "100 % a year" in caught.value.message


def test_a_record_dated_after_the_business_date_plus_a_day_is_refused() -> None:
    today = dt.date(2025, 1, 15)
    assert limits.check_date(dt.date(2025, 1, 16), latest=limits.latest_record_date(today))
    with pytest.raises(InvalidInput) as caught:
        limits.check_date(dt.date(2025, 1, 17), field="on",
                          latest=limits.latest_record_date(today))
    assert caught.value.code == "date_must_be_within_limits"
    assert "on 2025-01-17 is in the future" in caught.value.message
    with pytest.raises(InvalidInput) as old:
        limits.check_date(dt.date(1999, 12, 31), field="on")
    assert "from 2000-01-01" in old.value.message


def test_the_latest_record_date_is_the_latest_of_the_clocks_plus_the_slack() -> None:
    assert limits.latest_record_date(dt.date(2025, 1, 15), dt.date(2026, 12, 3)) == dt.date(
        2026, 12, 4)


def product_text(**changes: str) -> str:
    text = next(t for t in builtin_product_texts() if "merchant_annuity_12m" in t)
    for key, line in changes.items():
        text = "\n".join(line if row.startswith(f"{key} =") else row
                         for row in text.splitlines())
    return text


@pytest.mark.parametrize(("key", "line", "hint"), [
    ("penalty_rate", 'penalty_rate = "1.5"', "penalty_rate"),
    ("cost_cap_annual", 'cost_cap_annual = "2"', "cost_cap_annual"),
    ("term_months_max", "term_months_max = 240", "the longest loan COB is sized for"),
])
def test_a_product_cob_could_not_close_is_refused_when_loaded(key: str, line: str,
                                                               hint: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        load_product(product_text(**{key: line}))
    assert caught.value.code == "product_must_be_valid"
    assert hint in caught.value.message


def test_a_late_fee_larger_than_the_largest_loan_is_refused() -> None:
    with pytest.raises(InvalidInput) as caught:
        load_product(product_text(late_fee='late_fee = "10000000.01"'))
    assert caught.value.code == "product_must_be_valid"
    assert "fees.late_fee must be between 0 and 1000000000 minor units" in caught.value.message


def test_the_largest_product_the_loader_takes_is_one_cob_takes() -> None:
    edge = load_product(product_text(penalty_rate='penalty_rate = "1"',
                                     cost_cap_annual='cost_cap_annual = "1"',
                                     jurisdiction="# held to no jurisdiction's ceiling",
                                     term_months_max=f"term_months_max = "
                                                     f"{limits.LOAN_TERM_MONTHS_MAX}"))
    assert cob_model.CobParams.of(edge).penalty_rate_ppm == limits.PPM


def test_the_domain_checks_against_the_limits_modules_own_names() -> None:
    assert cob_model.PPM is limits.PPM
    for module, old in ((loans, "MAX_LOAN_PRINCIPAL_MINOR"), (schedules, "PRINCIPAL_MINOR_MAX"),
                        (cob_model, "MAX_ANNUAL_RATE")):
        assert not hasattr(module, old), f"{module.__name__}.{old} restates a limit"


#: A module constant bounding money, a rate or a term is a limit: it belongs in
#: ``dunwell.core.limits``.
LIMIT_WORDS = frozenset({"MINOR", "AMOUNT", "PRINCIPAL", "RATE", "TERM", "PERIODS", "GRACE"})
SOURCE = Path(limits.__file__).resolve().parents[1]
#: Bounds still defined beside the rule they serve, each a rule of its own (not a copy
#: of a limit above); to move into the limits module with their packages' next change.
NOT_YET_IN_LIMITS = frozenset({
    "app/negotiation/service.py:AMOUNT_MAX_MINOR",  # one monthly hardship figure, 10^10
    "collections/promises.py:GRACE_DAYS_MAX",  # a promise to pay's grace, 10 days
})


def _constants_of(tree: ast.Module) -> list[str]:
    names = []
    for node in tree.body:
        targets = (node.targets if isinstance(node, ast.Assign)
                   else [node.target] if isinstance(node, ast.AnnAssign) else [])
        names += [target.id for target in targets if isinstance(target, ast.Name)]
    return names


def _bounds_defined_in(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [name for name in _constants_of(tree)
            if "MAX" in (words := set(name.strip("_").split("_"))) and words & LIMIT_WORDS]


def test_no_module_but_limits_defines_a_money_rate_or_term_bound() -> None:
    defined = {f"{path.relative_to(SOURCE).as_posix()}:{name}"
               for path in SOURCE.rglob("*.py") if path.name != "limits.py"
               for name in _bounds_defined_in(path)}
    new = defined - NOT_YET_IN_LIMITS
    assert new == set(), f"define these in dunwell.core.limits: {sorted(new)}"


def test_a_transaction_from_the_future_is_named_by_its_field() -> None:
    txs = [Transaction(dt.date(2024, 12, 10), 100_000, SALE),
           Transaction(dt.date(9999, 12, 31), 100_000, SALE)]
    with pytest.raises(InvalidInput) as caught:
        check_transaction_dates(txs, business_date=dt.date(2025, 1, 15))
    assert caught.value.code == "date_must_be_within_limits"
    assert caught.value.details["field"] == "transactions.1.date"


def test_a_transaction_before_2000_is_refused_even_without_a_business_date() -> None:
    with pytest.raises(InvalidInput) as caught:
        summarise([Transaction(dt.date(1999, 12, 31), 100, SALE)])
    assert caught.value.details["field"] == "transactions.0.date"


def test_months_after_the_business_date_are_not_evidence() -> None:
    months = [MonthSummary(dt.date(2024, m, 1), 6_000_000, 0) for m in range(1, 13)]
    clean = merchant_features(months, through=dt.date(2025, 1, 15))
    stretched = [*months, MonthSummary(dt.date(9999, 12, 1), 100_000, 0)]
    assert merchant_features(stretched, through=dt.date(2025, 1, 15)) == clean
    assert merchant_features(stretched) != clean
