"""The decision table as data: risk grades A..E (outcome, price, limit), the terms
offered and the product each is lent on with its debt-service limit, the thin-file and
sizing rules, and the limit-review rules. Read from ``policy.toml`` (documented
in place and in docs/origination.md); :func:`load_policy` validates a whole file."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import cache
from importlib import resources
from typing import Any

from dunwell.core.errors import InvalidInput
from dunwell.origination.model import ApplicantKind, Outcome

BPS = 10_000


@dataclass(frozen=True, slots=True)
class GradeRule:
    grade: str
    pd_below_bps: int
    outcome: Outcome
    annual_rate: Decimal
    limit_multiple_pct: int
    limit_cap: Decimal  # major units


@dataclass(frozen=True, slots=True)
class TermRule:
    months: int
    product: str
    kinds: frozenset[ApplicantKind]
    dsr_max_bps: int


@dataclass(frozen=True, slots=True)
class ReviewRules:
    lookback_days: int
    raise_pct: int
    lower_pct: int
    raise_utilisation_min_bps: int
    months_between_raises: int
    freeze_days_past_due: int


@dataclass(frozen=True, slots=True)
class Policy:
    min_loan: Decimal
    sizing_step: Decimal
    thin_file_months: int
    grades: tuple[GradeRule, ...]
    terms: tuple[TermRule, ...]
    review: ReviewRules

    def grade_for(self, pd_bps: int) -> GradeRule | None:
        """The first (best) grade admitting ``pd_bps``; None beyond the last one."""
        for rule in self.grades:
            if pd_bps < rule.pd_below_bps:
                return rule
        return None

    def grade(self, name: str) -> GradeRule:
        for rule in self.grades:
            if rule.grade == name:
                return rule
        raise InvalidInput(f"unknown risk grade {name!r}", code="grade_must_be_known")

    def terms_for(self, kind: ApplicantKind) -> tuple[TermRule, ...]:
        return tuple(t for t in self.terms if kind in t.kinds)

    def term(self, kind: ApplicantKind, months: int) -> TermRule:
        for rule in self.terms_for(kind):
            if rule.months == months:
                return rule
        offered = ", ".join(str(t.months) for t in self.terms_for(kind))
        raise InvalidInput(f"a {kind.value} can borrow for {offered} months, not {months}",
                           code="term_must_be_offered", field="term_months")


def _get(table: Mapping[str, Any], key: str, kind: type, where: str) -> Any:
    value = table.get(key)
    if kind is int and isinstance(value, bool):
        value = None
    if not isinstance(value, kind):
        raise InvalidInput(f"{where}{key} must be a {kind.__name__}, got {value!r}",
                           code="policy_must_be_valid", field=f"{where}{key}")
    return value


def _tables(table: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    """``table[key]`` as an array of tables; anything else is named, not crashed on."""
    entries: list[Mapping[str, Any]] = _get(table, key, list, "")
    for k, entry in enumerate(entries):
        if not isinstance(entry, dict):
            raise InvalidInput(f"{key}.{k} must be a table ([[{key}]]), got {entry!r}",
                               code="policy_must_be_valid", field=f"{key}.{k}")
    return entries


def _decimal(table: Mapping[str, Any], key: str, where: str) -> Decimal:
    text = _get(table, key, str, where)
    try:
        value = Decimal(text)
    except InvalidOperation:
        value = Decimal("NaN")
    if not value.is_finite() or value < 0:
        raise InvalidInput(f"{where}{key} must be a non-negative decimal string, got {text!r}",
                           code="policy_must_be_valid", field=f"{where}{key}")
    return value


def load_policy(text: str) -> Policy:
    """Parse and check a policy file; the message names the first bad field."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InvalidInput(f"policy TOML does not parse ({exc})",
                           code="policy_must_be_valid") from None
    grades = []
    for k, g in enumerate(_tables(data, "grades")):
        where = f"grades.{k}."
        try:
            outcome = Outcome(_get(g, "outcome", str, where))
        except ValueError:
            raise InvalidInput(f"{where}outcome must be approve, refer or decline",
                               code="policy_must_be_valid") from None
        grades.append(GradeRule(_get(g, "grade", str, where), _get(g, "pd_below_bps", int, where),
                                outcome, _decimal(g, "annual_rate", where),
                                _get(g, "limit_multiple_pct", int, where),
                                _decimal(g, "limit_cap", where)))
    cuts = [g.pd_below_bps for g in grades]
    if not grades or cuts != sorted(set(cuts)) or cuts[-1] > BPS:
        raise InvalidInput("grades must be listed best first with rising pd_below_bps <= 10000",
                           code="policy_must_be_valid", field="grades")
    terms = []
    for k, t in enumerate(_tables(data, "terms")):
        where = f"terms.{k}."
        try:
            kinds = frozenset(ApplicantKind(x) for x in _get(t, "kinds", list, where))
        except ValueError:
            raise InvalidInput(f"{where}kinds must list merchant and/or consumer",
                               code="policy_must_be_valid") from None
        terms.append(TermRule(_get(t, "months", int, where), _get(t, "product", str, where),
                              kinds, _get(t, "dsr_max_bps", int, where)))
    r = _get(data, "review", dict, "")
    review = ReviewRules(*(_get(r, f, int, "review.") for f in (
        "lookback_days", "raise_pct", "lower_pct", "raise_utilisation_min_bps",
        "months_between_raises", "freeze_days_past_due")))
    return Policy(min_loan=_decimal(data, "min_loan", ""),
                  sizing_step=_decimal(data, "sizing_step", ""),
                  thin_file_months=_get(data, "thin_file_months", int, ""),
                  grades=tuple(grades), terms=tuple(sorted(terms, key=lambda t: t.months)),
                  review=review)


@cache
def builtin_policy() -> Policy:
    """The decision table shipped in ``dunwell/origination/policy.toml``."""
    text = resources.files("dunwell.origination").joinpath("policy.toml").read_text("utf-8")
    return load_policy(text)
