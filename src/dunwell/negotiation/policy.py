"""The negotiation policy and the approval matrix, read from the TOML files shipped
beside this module (``policy.toml``, ``approvals.toml``) or from text a caller passes."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from importlib import resources
from typing import Any

from dunwell.core.errors import InvalidInput
from dunwell.negotiation.model import HardshipReason, Role

#: Bounds that keep generation small: terms and candidate counts.
MONTHS_MAX = 120


@dataclass(frozen=True, slots=True)
class KeepModel:
    base: Mapping[HardshipReason, Decimal]
    slope: Decimal
    floor: Decimal
    ceiling: Decimal


@dataclass(frozen=True, slots=True)
class Policy:
    affordability_max: Decimal
    plan_months: tuple[int, ...]
    reduced_months: tuple[int, ...]
    reduced_share: Decimal
    extension_months: tuple[int, ...]
    settlement_discounts: tuple[Decimal, ...]
    settlement_months: tuple[int, ...]
    discount_rate_annual: Decimal
    offer_valid_days: int
    plan_grace_days: int
    keep: KeepModel
    #: The book basis (offers proposed without an assessment): this share of the loan's
    #: average scheduled monthly payment, or what the borrower paid a month over the
    #: last ``book_payment_months`` months if more, is assumed affordable.
    book_share: Decimal = Decimal("0.50")
    book_payment_months: int = 3


@dataclass(frozen=True, slots=True)
class Authority:
    """What one role may approve; ``None`` limits mean unlimited."""

    role: Role
    waiver_max_minor: int | None
    waiver_max_pct: Decimal | None

    def covers(self, waiver_minor: int, debt_minor: int) -> bool:
        if waiver_minor <= 0:
            return True
        if self.waiver_max_minor is not None and waiver_minor > self.waiver_max_minor:
            return False
        if self.waiver_max_pct is not None:
            return debt_minor > 0 and Decimal(waiver_minor) <= self.waiver_max_pct * debt_minor
        return True


@dataclass(frozen=True, slots=True)
class ApprovalMatrix:
    authorities: tuple[Authority, ...]  # least authority first

    def of(self, role: Role) -> Authority:
        for a in self.authorities:
            if a.role is role:
                return a
        raise InvalidInput(f"role {role.value} has no authority in the approval matrix",
                           code="role_must_have_authority")

    def required_role(self, waiver_minor: int, debt_minor: int) -> Role:
        for a in self.authorities:
            if a.covers(waiver_minor, debt_minor):
                return a.role
        return self.authorities[-1].role


def _bad(what: str) -> InvalidInput:
    return InvalidInput(f"negotiation policy: {what}", code="negotiation_policy_must_be_valid")


def _dec(data: Mapping[str, Any], key: str, *, low: Decimal, high: Decimal) -> Decimal:
    raw = data.get(key)
    if not isinstance(raw, str):
        raise _bad(f"{key} must be a decimal string like \"0.50\"")
    value = Decimal(raw)
    if not low <= value <= high:
        raise _bad(f"{key} = {raw} must be between {low} and {high}")
    return value


def _months(data: Mapping[str, Any], key: str) -> tuple[int, ...]:
    raw = data.get(key)
    if not isinstance(raw, list) or not raw or not all(
            isinstance(m, int) and not isinstance(m, bool) and 1 <= m <= MONTHS_MAX for m in raw):
        raise _bad(f"{key} must be a non-empty list of months between 1 and {MONTHS_MAX}")
    return tuple(sorted(set(raw)))


def _int(data: Mapping[str, Any], key: str, *, low: int, high: int) -> int:
    raw = data.get(key)
    if not isinstance(raw, int) or isinstance(raw, bool) or not low <= raw <= high:
        raise _bad(f"{key} must be a whole number between {low} and {high}")
    return raw


def parse_policy(text: str) -> Policy:
    data = tomllib.loads(text)
    keep = data.get("keep_probability")
    if not isinstance(keep, dict) or not isinstance(keep.get("base"), dict):
        raise _bad("[keep_probability] with a [keep_probability.base] table is required")
    one, zero = Decimal(1), Decimal(0)
    base = {r: _dec(keep["base"], r.value, low=zero, high=one) for r in HardshipReason}
    book = data.get("book_basis", {"share": "0.50", "payment_months": 3})
    if not isinstance(book, dict):
        raise _bad("[book_basis] must be a table with share and payment_months")
    discounts = data.get("settlement_discounts")
    if not isinstance(discounts, list) or not discounts:
        raise _bad("settlement_discounts must be a list of decimal strings")
    return Policy(
        affordability_max=_dec(data, "affordability_max", low=zero, high=one),
        plan_months=_months(data, "plan_months"),
        reduced_months=_months(data, "reduced_months"),
        reduced_share=_dec(data, "reduced_share", low=zero, high=one),
        extension_months=_months(data, "extension_months"),
        settlement_discounts=tuple(
            _dec({"d": d}, "d", low=zero, high=Decimal("0.99")) for d in discounts),
        settlement_months=_months(data, "settlement_months"),
        discount_rate_annual=_dec(data, "discount_rate_annual", low=zero, high=one),
        offer_valid_days=_int(data, "offer_valid_days", low=1, high=90),
        plan_grace_days=_int(data, "plan_grace_days", low=0, high=60),
        keep=KeepModel(base=base, slope=_dec(keep, "slope", low=zero, high=one),
                       floor=_dec(keep, "floor", low=zero, high=one),
                       ceiling=_dec(keep, "ceiling", low=zero, high=one)),
        book_share=_dec(book, "share", low=zero, high=one),
        book_payment_months=_int(book, "payment_months", low=1, high=24),
    )


def parse_approvals(text: str) -> ApprovalMatrix:
    data = tomllib.loads(text)
    order = data.get("order")
    roles = data.get("roles")
    if not isinstance(order, list) or not isinstance(roles, dict):
        raise _bad("approvals need an order list and a [roles.<role>] table per role")
    out = []
    for name in order:
        try:
            role = Role(name)
        except ValueError:
            known = ", ".join(r.value for r in Role)
            raise _bad(f"unknown role {name!r} in approvals; use {known}") from None
        spec = roles.get(name)
        if not isinstance(spec, dict):
            raise _bad(f"role {name} is in the order but has no [roles.{name}] table")
        if spec.get("unlimited") is True:
            out.append(Authority(role, None, None))
            continue
        out.append(Authority(role, _int(spec, "waiver_max_minor", low=0, high=10**12),
                             _dec(spec, "waiver_max_pct", low=Decimal(0), high=Decimal(1))))
    if set(a.role for a in out) != set(Role):
        raise _bad("every role needs an authority in approvals.toml")
    return ApprovalMatrix(tuple(out))


def _shipped(name: str) -> str:
    return resources.files("dunwell.negotiation").joinpath(name).read_text("utf-8")


def builtin_policy() -> Policy:
    """The policy shipped in ``dunwell/negotiation/policy.toml``."""
    return parse_policy(_shipped("policy.toml"))


def builtin_approvals() -> ApprovalMatrix:
    """The authority matrix shipped in ``dunwell/negotiation/approvals.toml``."""
    return parse_approvals(_shipped("approvals.toml"))
