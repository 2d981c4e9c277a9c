"""The credit review against over-indebtedness: one rule per concern, each data in
``credit_review.toml`` with its reason code, each check kept in the verdict so every
decision is explained (docs/origination.md, "Responsible origination rules").

- **debt service** — all monthly debt payments (the new loan's repayment, the
  borrower's other loans with us, and their debts elsewhere) over monthly cash flow
  must be within ``dsr_max_bps``. Debts elsewhere are the larger of what the borrower
  declares and what the bureau reports: each may miss some, and adding them would
  count most debts twice.
- **concurrent loans** — loans open at once, with us and elsewhere, the new one
  included, at most ``loans_max``.
- **cooling-off** — no new loan within ``days`` of a declined application, nor of a
  default (ours or reported), the until-date named.
- **first-time borrowers** (no loan with us, none known to the bureau) are held to
  the lower ``first_time.dsr_max_bps``; **thin files** (fewer than
  ``history_months_min`` months of records, or no bureau report unless
  ``without_bureau_report`` is false) to
  ``thin_file.dsr_max_bps``, and referred to a person.

The verdict is ``decline`` if any failing rule declines, else ``refer`` if any
refers, else ``pass``. Pure: the bureau's report and the borrower's history with us
are passed in.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from importlib import resources
from typing import Any

from dunwell.core.errors import InvalidInput
from dunwell.origination.bureau import BureauReport
from dunwell.origination.model import Effect, Reason
from dunwell.origination.wording import language, reason_text

BPS = 10_000


class Verdict(StrEnum):
    PASS = "pass"
    REFER = "refer"
    DECLINE = "decline"


_SEVERITY = {Verdict.PASS: 0, Verdict.REFER: 1, Verdict.DECLINE: 2}


@dataclass(frozen=True, slots=True)
class Rule:
    code: str
    action: Verdict
    limit: int  # dsr_max_bps, loans_max or days; history_months_min for the thin file
    dsr_max_bps: int = 0  # the thin file's own debt-service limit
    without_bureau_report: bool = False  # the thin file: no bureau report makes one


@dataclass(frozen=True, slots=True)
class ReviewRules:
    debt_service: Rule
    concurrent_loans: Rule
    cooling_off_decline: Rule
    cooling_off_default: Rule
    first_time: Rule
    thin_file: Rule


@dataclass(frozen=True, slots=True)
class OwnHistory:
    """The borrower's history with us, as of the review."""

    loans_ever: int = 0
    open_loans: int = 0
    monthly_payments_minor: int = 0  # the open loans' monthly repayments
    last_decline_on: dt.date | None = None
    last_default_on: dt.date | None = None


@dataclass(frozen=True, slots=True)
class Applicant:
    """What the review weighs for one proposed loan."""

    on: dt.date
    cash_flow_minor: int
    new_payment_minor: int  # the new loan's monthly repayment
    declared_debt_payments_minor: int  # debts elsewhere as declared
    history_months: int  # months of sales (merchant) or income (consumer) records
    own: OwnHistory
    bureau: BureauReport | None


@dataclass(frozen=True, slots=True)
class Check:
    """One rule applied: whether it held, the fact and the limit, as shown."""

    code: str
    held: bool
    action: Verdict
    value: str
    limit: str


@dataclass(frozen=True, slots=True)
class CreditReview:
    verdict: Verdict
    checks: tuple[Check, ...]
    reasons: tuple[Reason, ...]  # the failing rules' (or, on a pass, the rules that held)
    dsr_bps: int | None
    dsr_max_bps: int
    debts_elsewhere_minor: int
    concurrent_loans: int
    cooling_off_until: dt.date | None


def _bad(field: str, what: str) -> InvalidInput:
    return InvalidInput(f"credit review rules: {field} {what}",
                        code="credit_review_rules_must_be_valid", field=field)


def _int(table: Mapping[str, Any], section: str, key: str) -> int:
    value = table.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise _bad(f"{section}.{key}", f"must be a whole number >= 0, got {value!r}")
    return value


def _rule(data: Mapping[str, Any], section: str, limit_key: str) -> Rule:
    table = data.get(section)
    if not isinstance(table, dict):
        raise _bad(section, "must be a table")
    code = table.get("code")
    if not isinstance(code, str) or not code:
        raise _bad(f"{section}.code", "must be a reason code")
    try:
        action = Verdict(str(table.get("action")))
    except ValueError:
        raise _bad(f"{section}.action", "must be pass, refer or decline") from None
    dsr = _int(table, section, "dsr_max_bps") if "dsr_max_bps" in table and \
        limit_key != "dsr_max_bps" else 0
    no_report = table.get("without_bureau_report", False)
    if not isinstance(no_report, bool):
        raise _bad(f"{section}.without_bureau_report", "must be true or false")
    return Rule(code, action, _int(table, section, limit_key), dsr, no_report)


def load_rules(text: str) -> ReviewRules:
    """Parse and check ``credit_review.toml``; the message names the first bad field."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise _bad("file", f"does not parse ({exc})") from None
    return ReviewRules(
        _rule(data, "debt_service", "dsr_max_bps"),
        _rule(data, "concurrent_loans", "loans_max"),
        _rule(data, "cooling_off_decline", "days"),
        _rule(data, "cooling_off_default", "days"),
        _rule(data, "first_time", "dsr_max_bps"),
        _rule(data, "thin_file", "history_months_min"))


@cache
def builtin_rules() -> ReviewRules:
    text = resources.files("dunwell.origination").joinpath("credit_review.toml")
    return load_rules(text.read_text("utf-8"))


def _pct(bps: int | None) -> str:
    return "-" if bps is None else f"{bps / 100:.1f}%"


def debts_elsewhere_minor(applicant: Applicant) -> int:
    reported = applicant.bureau.monthly_payments_minor if applicant.bureau else 0
    return max(applicant.declared_debt_payments_minor, reported)


def is_first_time(applicant: Applicant) -> bool:
    return applicant.own.loans_ever == 0 and not (applicant.bureau and applicant.bureau.debts)


def is_thin_file(applicant: Applicant, rules: ReviewRules) -> bool:
    rule = rules.thin_file
    return applicant.history_months < rule.limit or (
        rule.without_bureau_report and applicant.bureau is None)


def dsr_limit_bps(applicant: Applicant, rules: ReviewRules) -> int:
    """The debt-service limit this applicant is held to: the lowest that applies."""
    limits = [rules.debt_service.limit]
    if is_first_time(applicant):
        limits.append(rules.first_time.limit)
    if is_thin_file(applicant, rules):
        limits.append(rules.thin_file.dsr_max_bps)
    return min(limits)


def _debt_service(applicant: Applicant, rules: ReviewRules,
                  elsewhere: int) -> tuple[Check, int | None, int]:
    payments = applicant.new_payment_minor + applicant.own.monthly_payments_minor + elsewhere
    limit = dsr_limit_bps(applicant, rules)
    dsr = (-(-payments * BPS // applicant.cash_flow_minor)
           if applicant.cash_flow_minor > 0 else None)
    held = dsr is not None and dsr <= limit
    rule = rules.debt_service
    return Check(rule.code, held, rule.action, _pct(dsr), _pct(limit)), dsr, limit


def _concurrent(applicant: Applicant, rules: ReviewRules) -> tuple[Check, int]:
    elsewhere = len(applicant.bureau.open_debts) if applicant.bureau else 0
    count = applicant.own.open_loans + elsewhere + 1
    rule = rules.concurrent_loans
    return Check(rule.code, count <= rule.limit, rule.action, str(count), str(rule.limit)), count


def _cooling_off(rule: Rule, since: dt.date | None, on: dt.date) -> tuple[Check, dt.date | None]:
    until = None if since is None else since + dt.timedelta(days=rule.limit)
    held = until is None or on >= until
    shown = "" if until is None else until.isoformat()
    return Check(rule.code, held, rule.action, shown, f"{rule.limit}d"), (None if held else until)


def _stricter(applicant: Applicant, rules: ReviewRules) -> list[Check]:
    checks = []
    if is_first_time(applicant):
        r = rules.first_time
        checks.append(Check(r.code, r.action is Verdict.PASS, r.action, "0",
                            _pct(r.limit)))
    if is_thin_file(applicant, rules):
        r = rules.thin_file
        checks.append(Check(r.code, r.action is Verdict.PASS, r.action,
                            str(applicant.history_months), str(r.limit)))
    return checks


def review(applicant: Applicant, rules: ReviewRules | None = None) -> CreditReview:
    """Apply every rule to ``applicant`` (see the module doc)."""
    rules = rules or builtin_rules()
    elsewhere = debts_elsewhere_minor(applicant)
    debt, dsr, limit = _debt_service(applicant, rules, elsewhere)
    concurrent, count = _concurrent(applicant, rules)
    bureau_default = applicant.bureau.last_default_on if applicant.bureau else None
    defaults = [d for d in (applicant.own.last_default_on, bureau_default) if d]
    declined, after_decline = _cooling_off(rules.cooling_off_decline,
                                           applicant.own.last_decline_on, applicant.on)
    defaulted, after_default = _cooling_off(rules.cooling_off_default,
                                            max(defaults, default=None), applicant.on)
    checks = (debt, concurrent, declined, defaulted, *_stricter(applicant, rules))
    failed = [c for c in checks if not c.held]
    verdict = max((c.action for c in failed), key=_SEVERITY.__getitem__, default=Verdict.PASS)
    if failed:
        reasons = tuple(Reason(c.code, Effect.HURTS, c.value) for c in failed)
    else:
        reasons = (Reason("credit_review_passed", Effect.HELPS, _pct(dsr)),)
    until = max((d for d in (after_decline, after_default) if d), default=None)
    return CreditReview(verdict, checks, reasons, dsr, limit, elsewhere, count, until)


def explain_review(result: CreditReview, lang: str) -> tuple[str, ...]:
    """The review's reasons in ``lang`` (en or zh-CN)."""
    return tuple(reason_text(r, language(lang)) for r in result.reasons)
