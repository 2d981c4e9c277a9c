"""Referral rules as data and the pure eligibility check.

``referral.toml`` holds the thresholds (days past due, amount per currency, contact
attempts, an in-person visit or delivered letter), whether repayment offers must have
been made and have ended first, the protected borrower flags and the roles that may
approve. :func:`check_eligibility` judges one case's facts and
returns *every* criterion that fails, each with a reason a reviewer can read.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Any

from dunwell.core.errors import InvalidInput
from dunwell.core.money import format_minor
from dunwell.legal.errors import ReferralRulesInvalid
from dunwell.legal.model import (
    Criterion,
    DemandSettings,
    Eligibility,
    Failure,
    ReferralFacts,
    ReferralRules,
)

#: Flags a borrower may carry that the rules know (DESIGN.md §4).
KNOWN_FLAGS = frozenset({
    "cease_contact", "disputed", "hardship_plan", "vulnerable", "bankruptcy", "deceased",
    "breathing_space", "time_barred", "attorney_represented", "employer_prohibits_contact",
    "lost_contact", "opt_out_sms", "opt_out_email", "opt_out_call", "opt_out_visit",
})  # fmt: skip
#: Protected flags the rules file may not drop: the law forbids referring these.
REQUIRED_PROTECTED = frozenset({"deceased", "bankruptcy", "breathing_space", "time_barred"})
#: Case statuses from which a referral can be made (collections' CaseStatus values).
REFERABLE_STATUSES = frozenset({"open", "promise", "plan"})


def _get(data: Mapping[str, Any], key: str, kind: type, where: str = "") -> Any:
    value = data.get(key)
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ReferralRulesInvalid(
            f"referral rules: {where}{key} must be a {kind.__name__}, got {value!r}",
            field=f"{where}{key}")
    return value


def load_rules(text: str) -> ReferralRules:
    """Parse and check a rules file; the message names the first bad field."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ReferralRulesInvalid(f"referral rules do not parse ({exc})") from None
    dpd = _get(data, "days_past_due_min", int)
    attempts = _get(data, "contact_attempts_min", int)
    if dpd < 1 or attempts < 0:
        raise ReferralRulesInvalid("days_past_due_min must be >= 1 and contact_attempts_min "
                                   ">= 0", field="days_past_due_min")
    flags = frozenset(str(f) for f in _get(data, "protected_flags", list))
    unknown = sorted(flags - KNOWN_FLAGS)
    if unknown:
        raise ReferralRulesInvalid(f"protected_flags names unknown flags {unknown}",
                                   field="protected_flags")
    missing = sorted(REQUIRED_PROTECTED - flags)
    if missing:
        raise ReferralRulesInvalid(
            f"protected_flags must include {missing}: referring such borrowers is unlawful",
            field="protected_flags")
    roles = frozenset(str(r) for r in _get(data, "approver_roles", list))
    if not roles:
        raise ReferralRulesInvalid("approver_roles must name at least one role",
                                   field="approver_roles")
    amounts: dict[str, int] = {}
    for currency, value in _get(data, "amount_min_minor", dict).items():
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise ReferralRulesInvalid(
                f"amount_min_minor.{currency} must be a whole number of minor units >= 0",
                field=f"amount_min_minor.{currency}")
        amounts[str(currency)] = value
    d = _get(data, "demand", dict)
    demand = DemandSettings(
        response_days=_get(d, "response_days", int, "demand."),
        sender_zh=_get(d, "sender_zh", str, "demand."),
        sender_en=_get(d, "sender_en", str, "demand."),
        contact_phone=_get(d, "contact_phone", str, "demand."),
        contact_email=_get(d, "contact_email", str, "demand."))
    if demand.response_days < 7:
        raise ReferralRulesInvalid("demand.response_days must give the borrower at least 7 days",
                                   field="demand.response_days")
    offers = data.get("repayment_offers_required", True)
    if not isinstance(offers, bool):
        raise ReferralRulesInvalid("repayment_offers_required must be true or false",
                                   field="repayment_offers_required")
    return ReferralRules(
        days_past_due_min=dpd, contact_attempts_min=attempts,
        in_person_or_letter_required=_get(data, "in_person_or_letter_required", bool),
        protected_flags=flags, approver_roles=roles, amount_min_minor=amounts, demand=demand,
        offers_required=offers)


@cache
def builtin_rules() -> ReferralRules:
    """The rules shipped in ``dunwell/legal/referral.toml``."""
    text = resources.files("dunwell.legal").joinpath("referral.toml").read_text("utf-8")
    return load_rules(text)


def check_eligibility(facts: ReferralFacts, rules: ReferralRules) -> Eligibility:
    """Every criterion ``facts`` fail under ``rules``, in a fixed order (empty: eligible)."""
    out: list[Failure] = []
    if facts.case_status not in REFERABLE_STATUSES:
        out.append(Failure(Criterion.CASE_ACTIVE,
                           f"case {facts.case_id} is {facts.case_status}; only an open case "
                           "(open, promise or plan) can be referred"))
    protected = sorted(facts.flags & rules.protected_flags)
    if protected:
        out.append(Failure(Criterion.PROTECTED,
                           f"the borrower is flagged {', '.join(protected)}: legal action is "
                           "not allowed; handle the case through the care process"))
    if facts.plan_in_good_standing:
        out.append(Failure(Criterion.PLAN,
                           "a repayment plan is in good standing; a borrower keeping to a "
                           "plan is not referred"))
    if facts.promise_pending:
        out.append(Failure(Criterion.PROMISE,
                           "a promise to pay is pending; wait until it is kept or broken"))
    if facts.days_past_due < rules.days_past_due_min:
        out.append(Failure(Criterion.DAYS_PAST_DUE,
                           f"{facts.days_past_due} days past due is below the "
                           f"{rules.days_past_due_min} the rules require"))
    threshold = rules.amount_min_minor.get(facts.currency)
    if threshold is None:
        out.append(Failure(Criterion.AMOUNT,
                           f"no amount threshold is set for {facts.currency}; add one to the "
                           "referral rules first"))
    elif facts.outstanding_minor < threshold:
        out.append(Failure(Criterion.AMOUNT,
                           f"outstanding {_money(facts.outstanding_minor, facts.currency)} is "
                           f"below the {_money(threshold, facts.currency)} threshold"))
    if facts.contact_attempts < rules.contact_attempts_min:
        out.append(Failure(Criterion.CONTACT_ATTEMPTS,
                           f"{facts.contact_attempts} contact attempts over the case's life; "
                           f"the rules require {rules.contact_attempts_min} before a referral"))
    if rules.in_person_or_letter_required and not (facts.in_person_visits
                                                   or facts.letters_delivered):
        out.append(Failure(Criterion.IN_PERSON_OR_LETTER,
                           "no in-person visit and no delivered letter: the borrower must "
                           "have been reached in person or in writing first"))
    if rules.offers_required:
        offers = _offers_failure(facts)
        if offers is not None:
            out.append(Failure(Criterion.OFFERS, offers))
    return Eligibility(tuple(out))


def _offers_failure(facts: ReferralFacts) -> str | None:
    """Why the repayment-offer criterion fails (None: it holds). It holds when offers
    were made and none is still open (each lapsed, was refused, superseded or accepted
    into a plan since broken), or when none was possible and the reason is recorded."""
    if facts.offers_open:
        return (f"{facts.offers_open} repayment offer(s) still open until "
                f"{facts.offers_open_until}: wait until they lapse or the borrower refuses "
                "them")
    if facts.offers_made or facts.no_offer_reason:
        return None
    return ("no repayment offer was made on the case and none is recorded as impossible: "
            "make affordable offers first (the strategy's plan-offer step, or `dunwell "
            "offers CASE` after a hardship assessment) and refer only once they have lapsed "
            "or been refused")


def _money(minor: int, currency: str) -> str:
    try:
        return f"{format_minor(minor, currency)} {currency}"
    except InvalidInput:  # a currency the book does not know
        return f"{minor} minor units of {currency}"
