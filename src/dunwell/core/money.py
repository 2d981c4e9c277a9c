"""Money as an integer count of minor units plus a currency.

All rounding and splitting happen here. Amounts never pass through ``float``:
parsing goes ``str -> Decimal -> int``, rates are ``Decimal``, and every conversion
names its rounding mode. Splitting uses the largest-remainder method so the parts
always sum to the whole.
"""

from __future__ import annotations

import decimal
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Final

from dunwell.core.errors import InvalidInput
from dunwell.core.limits import AMOUNT_MINOR_MAX, INT64_MAX

#: ISO 4217 minor-unit exponents for the currencies Dunwell books.
CURRENCY_EXPONENTS: Final[dict[str, int]] = {
    "CNY": 2,
    "USD": 2,
    "EUR": 2,
    "GBP": 2,
    "HKD": 2,
    "SGD": 2,
    "JPY": 0,
    "KRW": 0,
    "IDR": 2,
    "PHP": 2,
    "INR": 2,
    "KES": 2,
    "NGN": 2,
}


class Rounding(StrEnum):
    """Rounding modes a product may choose; each maps to one ``decimal`` mode."""

    HALF_UP = "half_up"
    HALF_EVEN = "half_even"
    DOWN = "down"
    UP = "up"

    @property
    def decimal_mode(self) -> str:
        return {
            Rounding.HALF_UP: decimal.ROUND_HALF_UP,
            Rounding.HALF_EVEN: decimal.ROUND_HALF_EVEN,
            Rounding.DOWN: decimal.ROUND_DOWN,
            Rounding.UP: decimal.ROUND_UP,
        }[self]


def exponent_of(currency: str) -> int:
    try:
        return CURRENCY_EXPONENTS[currency]
    except KeyError:
        known = ", ".join(sorted(CURRENCY_EXPONENTS))
        raise InvalidInput(
            f"unknown currency {currency!r}; use one of {known}",
            code="currency_must_be_known",
            currency=currency,
        ) from None


def round_to_int(value: Decimal, rounding: Rounding = Rounding.HALF_UP) -> int:
    """Round a Decimal count of minor units to a whole number of minor units."""
    return int(value.quantize(Decimal(1), rounding=rounding.decimal_mode))


def parse_decimal(text: str | int | Decimal, *, field: str = "amount") -> Decimal:
    """Parse a decimal string strictly (no floats, no NaN/Infinity)."""
    if isinstance(text, (bool, float)):  # pragma: no cover - guard
        raise InvalidInput(f"{field} must be a decimal string, not {type(text).__name__}")
    try:
        value = Decimal(str(text).strip())
    except decimal.InvalidOperation:
        raise InvalidInput(
            f"{field} must be a decimal number like 1234.50, got {text!r}",
            code="amount_must_be_decimal",
            field=field,
        ) from None
    if not value.is_finite():
        raise InvalidInput(f"{field} must be finite, got {text!r}", code="amount_must_be_decimal")
    return value


def to_minor(amount: str | int | Decimal, currency: str, *, field: str = "amount") -> int:
    """Convert a major-unit decimal (``"1234.50"``) to exact minor units.

    Amounts with more decimals than the currency has are rejected rather than
    silently rounded: money must be exact. So is an amount beyond
    :data:`~dunwell.core.limits.AMOUNT_MINOR_MAX` minor units either way, before any
    arithmetic is done with it.

    >>> to_minor("1234.50", "CNY")
    123450
    """
    value = parse_decimal(amount, field=field)
    exp = exponent_of(currency)
    largest = Decimal(AMOUNT_MINOR_MAX).scaleb(-exp)
    if abs(value) > largest:
        raise InvalidInput(
            f"{field} {amount} is beyond the largest amount Dunwell books, "
            f"{format_minor(AMOUNT_MINOR_MAX, currency)} {currency}; check the amount",
            code="amount_must_be_within_limits",
            field=field,
        )
    scaled = value.scaleb(exp)
    if scaled != scaled.to_integral_value():
        raise InvalidInput(
            f"{field} {amount} has more than {exp} decimals for {currency}",
            code="amount_must_fit_minor_unit",
            field=field,
        )
    return int(scaled)


def format_minor(minor: int, currency: str) -> str:
    """Render minor units as a plain decimal string (``123450`` -> ``"1234.50"``)."""
    exp = exponent_of(currency)
    if exp == 0:
        return str(minor)
    sign = "-" if minor < 0 else ""
    whole, frac = divmod(abs(minor), 10**exp)
    return f"{sign}{whole}.{frac:0{exp}d}"


@dataclass(frozen=True, slots=True, order=True)
class Money:
    """An exact amount: ``minor`` units of ``currency`` (fen for CNY, cents for USD)."""

    minor: int
    currency: str

    def __post_init__(self) -> None:
        if isinstance(self.minor, bool) or not isinstance(self.minor, int):
            raise TypeError(f"Money.minor must be int, got {type(self.minor).__name__}")
        if not -INT64_MAX <= self.minor <= INT64_MAX:
            raise InvalidInput(f"{self.minor} minor units do not fit a 64-bit amount",
                               code="amount_must_be_within_limits")
        exponent_of(self.currency)

    @classmethod
    def of(cls, amount: str | int | Decimal, currency: str) -> Money:
        """``Money.of("1234.50", "CNY")`` — exact, rejects sub-minor precision."""
        return cls(to_minor(amount, currency), currency)

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(0, currency)

    def _same(self, other: Money) -> None:
        if self.currency != other.currency:
            raise InvalidInput(
                f"cannot combine {self.currency} with {other.currency}",
                code="currency_must_match",
            )

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.minor + other.minor, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.minor - other.minor, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.minor, self.currency)

    def times(self, factor: Decimal, rounding: Rounding = Rounding.HALF_UP) -> Money:
        """Multiply by an exact Decimal factor, rounding once."""
        return Money(round_to_int(Decimal(self.minor) * factor, rounding), self.currency)

    def split(self, weights: Sequence[int]) -> list[Money]:
        """Split by integer weights; parts sum exactly to ``self``."""
        return [Money(p, self.currency) for p in allocate(self.minor, weights)]

    @property
    def amount(self) -> Decimal:
        return Decimal(self.minor).scaleb(-exponent_of(self.currency))

    def __str__(self) -> str:
        return f"{format_minor(self.minor, self.currency)} {self.currency}"


def allocate(total: int, weights: Sequence[int]) -> list[int]:
    """Largest-remainder split of ``total`` by non-negative integer ``weights``.

    >>> allocate(100, [1, 1, 1])
    [34, 33, 33]
    >>> sum(allocate(-7, [2, 3]))
    -7
    """
    if not weights:
        raise InvalidInput("allocation needs at least one weight", code="weights_must_exist")
    if any(w < 0 for w in weights):
        raise InvalidInput("allocation weights must not be negative",
                           code="weights_must_be_positive")
    weight_sum = sum(weights)
    if weight_sum == 0:
        raise InvalidInput("allocation weights must not all be zero",
                           code="weights_must_be_positive")
    sign = -1 if total < 0 else 1
    magnitude = abs(total)
    floors = [magnitude * w // weight_sum for w in weights]
    remainders = [magnitude * w % weight_sum for w in weights]
    short = magnitude - sum(floors)
    order = sorted(range(len(weights)), key=lambda i: (-remainders[i], i))
    for i in order[:short]:
        floors[i] += 1
    return [sign * f for f in floors]
