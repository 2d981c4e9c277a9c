"""Loan products defined in TOML and read into :class:`~dunwell.lending.model.Product`.

A product file names its terms exactly: rates and fees are quoted decimal strings
(``annual_rate = "0.18"``, ``[fees] late_fee = "20.00"`` in major units), never TOML
floats, so nothing is lost to binary rounding. :func:`load_product` validates the
whole file and reports every bad field at once; :func:`builtin_products` loads the
examples shipped in ``dunwell/lending/products/*.toml``.
"""

from __future__ import annotations

import re
import tomllib
from decimal import Decimal, InvalidOperation
from importlib import resources
from typing import Annotated, Final, Self

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    Strict,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from dunwell.core.dates import DayCount
from dunwell.core.errors import DomainError, InvalidInput
from dunwell.core.limits import (
    ANNUAL_RATE_MAX,
    CHARGE_RATE_MAX,
    GRACE_DAYS_MAX,
    LOAN_PRINCIPAL_MINOR_MAX,
    LOAN_TERM_MONTHS_MAX,
    PERIODS_MAX,
    check_amount_minor,
)
from dunwell.core.money import CURRENCY_EXPONENTS, Rounding, format_minor, to_minor
from dunwell.lending.cost import JurisdictionCap, fee_room_minor, parse_caps, rate_ceiling
from dunwell.lending.model import (
    DEFAULT_ALLOCATION_ORDER,
    AllocationScope,
    Component,
    EmiCalculation,
    Fees,
    Product,
    RepaymentMethod,
)

PRODUCTS_PACKAGE: Final = "dunwell.lending"
PRODUCTS_DIR: Final = "products"
CAPS_FILE: Final = "caps.toml"
_CODE_PATTERN: Final = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")


def _decimal_text(value: object) -> Decimal:
    """Accept only a quoted decimal string; TOML floats and ints are refused."""
    if not isinstance(value, str):
        raise PydanticCustomError(
            "decimal_string",
            'write this as a quoted decimal string such as "0.18", got {got}',
            {"got": repr(value)},
        )
    try:
        number = Decimal(value.strip())
    except InvalidOperation:
        number = Decimal("NaN")
    if not number.is_finite():
        raise PydanticCustomError(
            "decimal_string",
            'must be a decimal number such as "0.18", got {got}',
            {"got": repr(value)},
        )
    return number


DecimalText = Annotated[Decimal, BeforeValidator(_decimal_text)]
#: Rates and terms are bounded by :mod:`dunwell.core.limits`: penalty rate and cost cap
#: by what COB's integer arithmetic is sized for, so a product COB would refuse is
#: refused here, when it is loaded.
Rate = Annotated[DecimalText, Field(ge=0, le=ANNUAL_RATE_MAX)]
ChargeRate = Annotated[DecimalText, Field(ge=0, le=CHARGE_RATE_MAX)]
Months = Annotated[int, Field(ge=1, le=PERIODS_MAX)]


class FeesSpec(BaseModel):
    """``[fees]``: amounts in major units of the product's currency."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)

    origination: Annotated[DecimalText, Field(ge=0)] = Decimal(0)
    late_fee: Annotated[DecimalText, Field(ge=0)] = Decimal(0)


class ProductSpec(BaseModel):
    """One product file, field for field; see docs/schedules.md for the format."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)

    code: str
    name: Annotated[str, Field(min_length=1, max_length=200)]
    currency: str
    method: Annotated[RepaymentMethod, Strict(False)]
    annual_rate: Rate
    day_count: Annotated[DayCount, Strict(False)]
    penalty_rate: ChargeRate
    cost_cap_annual: Annotated[DecimalText, Field(gt=0, le=CHARGE_RATE_MAX)]
    grace_days: Annotated[int, Field(ge=0, le=GRACE_DAYS_MAX)] = 0
    fees: FeesSpec = FeesSpec()
    allocation_order: list[Annotated[Component, Strict(False)]] = Field(
        default_factory=lambda: list(DEFAULT_ALLOCATION_ORDER)
    )
    allocation_scope: Annotated[AllocationScope, Strict(False)] = AllocationScope.OLDEST_FIRST
    rounding: Annotated[Rounding, Strict(False)] = Rounding.HALF_UP
    term_months_min: Months = 1
    term_months_max: Months = 36
    emi_calculation: Annotated[EmiCalculation, Strict(False)] = EmiCalculation.FLAT_RATE_FACTOR
    #: The legal ceiling the cap is held under (``lending/caps.toml``); none by default.
    jurisdiction: str | None = None

    @field_validator("code")
    @classmethod
    def _code_is_slug(cls, value: str) -> str:
        if not _CODE_PATTERN.fullmatch(value):
            raise PydanticCustomError(
                "code_slug",
                "use 1-64 lower-case letters, digits, '_' or '-', starting with a letter "
                "or digit, got {got}",
                {"got": repr(value)},
            )
        return value

    @field_validator("currency")
    @classmethod
    def _currency_is_known(cls, value: str) -> str:
        if value not in CURRENCY_EXPONENTS:
            raise PydanticCustomError(
                "currency_known",
                "unknown currency {got}; use one of {known}",
                {"got": repr(value), "known": ", ".join(sorted(CURRENCY_EXPONENTS))},
            )
        return value

    @field_validator("jurisdiction")
    @classmethod
    def _jurisdiction_is_known(cls, value: str | None) -> str | None:
        known = jurisdiction_caps()
        if value is not None and value not in known:
            raise PydanticCustomError(
                "jurisdiction_known", "unknown jurisdiction {got}; use one of {known}",
                {"got": repr(value), "known": ", ".join(sorted(known))})
        return value

    @field_validator("allocation_order")
    @classmethod
    def _order_is_permutation(cls, value: list[Component]) -> list[Component]:
        if sorted(value) != sorted(Component):
            raise PydanticCustomError(
                "allocation_order_permutation",
                "must list each of penalty, fee, interest, principal exactly once, got {got}",
                {"got": [c.value for c in value]},
            )
        return value

    @model_validator(mode="after")
    def _terms_are_consistent(self) -> Self:
        problems: list[str] = []
        if self.annual_rate > self.cost_cap_annual:
            problems.append(
                f"annual_rate {self.annual_rate} must not exceed cost_cap_annual "
                f"{self.cost_cap_annual}"
            )
        if self.term_months_max > LOAN_TERM_MONTHS_MAX:
            problems.append(
                f"term_months_max {self.term_months_max} must not exceed "
                f"{LOAN_TERM_MONTHS_MAX} months, the longest loan COB is sized for"
            )
        if self.term_months_min > self.term_months_max:
            problems.append(
                f"term_months_min {self.term_months_min} must not exceed term_months_max "
                f"{self.term_months_max}"
            )
        if (self.emi_calculation is EmiCalculation.PROGRESSIVE
                and self.method is not RepaymentMethod.EQUAL_INSTALLMENT):
            problems.append(
                f"emi_calculation progressive applies to equal_installment, not "
                f"{self.method.value}; remove emi_calculation or change the method")
        for field in ("origination", "late_fee"):
            try:
                check_amount_minor(
                    to_minor(getattr(self.fees, field), self.currency, field=f"fees.{field}"),
                    field=f"fees.{field}", currency=self.currency,
                    high=LOAN_PRINCIPAL_MINOR_MAX)
            except DomainError as exc:
                problems.append(exc.message)
        if problems:
            raise PydanticCustomError("product_rules", "; ".join(problems))
        return self

    def check_cost_cap(self) -> None:
        """The all-in cost cap rules (docs/loan-book.md, "The all-in cost cap"), each
        refused with its own code once every field is valid:

        - ``product_cap_must_not_exceed_jurisdiction``: the cap is at most the legal
          ceiling of the product's jurisdiction;
        - ``product_rate_must_fit_cost_cap``: the contractual rate's interest fits the
          cap on any schedule under the product's day count;
        - ``product_fees_must_fit_cost_cap``: the origination fee fits the cap on the
          largest loan at the shortest term, so some loan can carry it.
        """
        where = f"product {self.code!r}"
        if self.jurisdiction is not None:
            legal = jurisdiction_caps()[self.jurisdiction]
            if self.cost_cap_annual > legal.cost_cap_annual:
                raise InvalidInput(
                    f"{where} sets cost_cap_annual {self.cost_cap_annual} above the "
                    f"{legal.cost_cap_annual} that {legal.name} allows; lower the cap or name "
                    "another jurisdiction", code="product_cap_must_not_exceed_jurisdiction",
                    jurisdiction=self.jurisdiction)
        ceiling = rate_ceiling(self.cost_cap_annual, self.day_count)
        if self.annual_rate > ceiling:
            raise InvalidInput(
                f"{where}: annual_rate {self.annual_rate} under {self.day_count.value} can "
                f"charge more in a period than the cost cap {self.cost_cap_annual} allows "
                f"for its days; use a rate of at most {ceiling.quantize(Decimal('0.0001'))}"
                " or another day count", code="product_rate_must_fit_cost_cap")
        fee = to_minor(self.fees.origination, self.currency)
        room = fee_room_minor(principal_minor=LOAN_PRINCIPAL_MINOR_MAX,
                              term_months=self.term_months_min,
                              annual_rate=self.annual_rate, cap=self.cost_cap_annual)
        if fee > room:
            raise InvalidInput(
                f"{where}: the origination fee {self.fees.origination} exceeds what the "
                f"cost cap {self.cost_cap_annual} leaves after interest even on the "
                f"largest loan at the shortest term ({self.term_months_min} months; "
                f"{format_minor(room, self.currency)} at most); lower the fee or the rate",
                code="product_fees_must_fit_cost_cap")

    def to_product(self) -> Product:
        return Product(
            code=self.code,
            name=self.name,
            currency=self.currency,
            method=self.method,
            annual_rate=self.annual_rate,
            day_count=self.day_count,
            penalty_rate=self.penalty_rate,
            cost_cap_annual=self.cost_cap_annual,
            grace_days=self.grace_days,
            fees=Fees(
                origination_minor=to_minor(self.fees.origination, self.currency),
                late_fee_minor=to_minor(self.fees.late_fee, self.currency),
            ),
            allocation_order=tuple(self.allocation_order),
            allocation_scope=self.allocation_scope,
            rounding=self.rounding,
            term_months_min=self.term_months_min,
            term_months_max=self.term_months_max,
            emi_calculation=self.emi_calculation,
        )


def _problems(exc: ValidationError) -> list[str]:
    lines: list[str] = []
    for error in exc.errors(include_url=False):
        where = ".".join(str(part) for part in error["loc"])
        if error["type"] == "missing":
            lines.append(f"{where}: is required")
        elif error["type"] == "extra_forbidden":
            lines.append(f"{where}: is not a product field; remove it or check its spelling")
        else:
            lines.append(f"{where}: {error['msg']}" if where else error["msg"])
    return lines


def load_product(text: str) -> Product:
    """Parse one product TOML document into a :class:`Product`.

    Raises :class:`InvalidInput` (``product_toml_must_parse`` or
    ``product_must_be_valid``) whose message names every bad field.
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InvalidInput(
            f"product TOML does not parse ({exc}); check the quoting and brackets",
            code="product_toml_must_parse",
        ) from None
    try:
        spec = ProductSpec.model_validate(data)
    except ValidationError as exc:
        problems = _problems(exc)
        code = data.get("code")
        which = f"product {code!r}" if isinstance(code, str) else "product"
        raise InvalidInput(
            f"{which} is invalid: " + "; ".join(problems) + "; fix these fields in its TOML",
            code="product_must_be_valid",
            problems=problems,
        ) from None
    spec.check_cost_cap()
    return spec.to_product()


def jurisdiction_caps() -> dict[str, JurisdictionCap]:
    """The legal ceilings on the all-in cost shipped in ``dunwell/lending/caps.toml``."""
    return dict(_CAPS)


def _read_caps() -> dict[str, JurisdictionCap]:
    text = resources.files(PRODUCTS_PACKAGE).joinpath(CAPS_FILE).read_text(encoding="utf-8")
    return parse_caps(text)


_CAPS: Final = _read_caps()


def builtin_product_texts() -> list[str]:
    """The TOML of each example product shipped with Dunwell, in file-name order."""
    folder = resources.files(PRODUCTS_PACKAGE).joinpath(PRODUCTS_DIR)
    return [entry.read_text(encoding="utf-8")
            for entry in sorted(folder.iterdir(), key=lambda e: e.name)
            if entry.name.endswith(".toml")]


def builtin_products() -> dict[str, Product]:
    """The example products shipped with Dunwell, by product code."""
    products: dict[str, Product] = {}
    for text in builtin_product_texts():
        product = load_product(text)
        if product.code in products:
            raise InvalidInput(
                f"two built-in products share the code {product.code!r}; rename one",
                code="product_code_must_be_unique",
            )
        products[product.code] = product
    return products
