"""Revolving credit lines: the limit, drawdowns against what is available, and the
limit review that follows the borrower's behaviour.

Available = limit - principal still owed on the line's loans: repaying restores it.
A drawdown must fit what is available and stay affordable: the monthly repayments
of the line's open loans plus the new one must keep the debt service ratio within the
term's product limit, on the cash flow the line was approved on.

The review (:func:`review_limit`) is one pure rule per line:

- freeze when a loan is ``freeze_days_past_due`` or more days past due now, or was in
  the look-back window (bucket M2 or worse): no more drawdowns;
- lower by ``lower_pct`` when a loan is past due now or was in the window (M1);
- raise by ``raise_pct`` (up to the line's ceiling) when it has been clean in the
  window, is used (utilisation at least ``raise_utilisation_min_bps``) and its
  limit has not changed for ``months_between_raises`` months;
- otherwise keep. A frozen line stays frozen until a person reviews it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from dunwell.core.dates import add_months
from dunwell.core.money import format_minor
from dunwell.lending.model import Bucket, bucket_for
from dunwell.origination.errors import DrawdownRefused
from dunwell.origination.model import ApplicantKind, Effect, Reason
from dunwell.origination.policy import ReviewRules

BPS = 10_000


class LineStatus(StrEnum):
    ACTIVE = "active"
    FROZEN = "frozen"


class ReviewAction(StrEnum):
    RAISE = "raise"
    LOWER = "lower"
    FREEZE = "freeze"
    KEEP = "keep"


@dataclass(frozen=True, slots=True)
class CreditLine:
    line_id: int
    application_id: int
    applicant_id: int
    borrower_id: int
    kind: ApplicantKind
    currency: str
    limit_minor: int
    limit_max_minor: int  # the ceiling a review may raise the limit to
    grade: str
    annual_rate: Decimal
    status: LineStatus
    cash_flow_minor: int
    existing_payments_minor: int
    opened_on: dt.date
    limit_changed_on: dt.date
    reviewed_on: dt.date | None = None


@dataclass(frozen=True, slots=True)
class Exposure:
    """What a line's open loans owe: principal, and their monthly repayments summed."""

    outstanding_minor: int
    instalments_minor: int


def available_minor(line: CreditLine, exposure: Exposure) -> int:
    return max(0, line.limit_minor - exposure.outstanding_minor)


def check_drawdown(line: CreditLine, exposure: Exposure, *, amount_minor: int) -> None:
    """Refuse a drawdown the line cannot take, saying why and what is possible."""
    if amount_minor <= 0:
        raise DrawdownRefused("amount must be more than 0",
                              code="drawdown_amount_must_be_positive", field="amount")
    if line.status is not LineStatus.ACTIVE:
        raise DrawdownRefused(f"credit line {line.line_id} is {line.status.value}; no "
                              "drawdowns until it is reviewed",
                              code="credit_line_must_be_active", line_id=line.line_id)
    available = available_minor(line, exposure)
    if amount_minor > available:
        have = format_minor(available, line.currency)
        asked = format_minor(amount_minor, line.currency)
        raise DrawdownRefused(f"credit line {line.line_id} has {have} {line.currency} "
                              f"available, less than the {asked} asked for; draw at most "
                              f"{have}",
                              code="drawdown_must_fit_available_limit", field="amount",
                              available_minor=available)


def check_affordable(line: CreditLine, exposure: Exposure, *, new_instalment_minor: int,
                     dsr_max_bps: int) -> None:
    """Refuse a drawdown whose instalments, with the line's open loans', exceed the
    debt-service limit on the cash flow the line was approved on."""
    budget = line.cash_flow_minor * dsr_max_bps // BPS - line.existing_payments_minor
    if exposure.instalments_minor + new_instalment_minor > budget:
        raise DrawdownRefused("the instalments of this drawdown with the line's open loans "
                              "would exceed what the borrower can repay; draw less or choose "
                              "a longer term", code="drawdown_must_be_affordable",
                              field="amount")


@dataclass(frozen=True, slots=True)
class Behaviour:
    """How a line's borrower has behaved, as of the review date."""

    days_past_due_now: int  # the worst of the line's open loans
    worst_bucket_recent: Bucket  # the worst bucket any of its loans reached in the window
    outstanding_minor: int


@dataclass(frozen=True, slots=True)
class LimitReview:
    line_id: int
    action: ReviewAction
    limit_before_minor: int
    limit_after_minor: int
    reasons: tuple[Reason, ...]


def _round_down(amount: int, step_minor: int) -> int:
    return amount // step_minor * step_minor


def review_limit(line: CreditLine, behaviour: Behaviour, *, on: dt.date, rules: ReviewRules,
                 step_minor: int) -> LimitReview:
    """The review's verdict for ``line`` on ``on`` (see the module doc)."""
    def verdict(action: ReviewAction, after: int, *reasons: Reason) -> LimitReview:
        return LimitReview(line.line_id, action, line.limit_minor, after, reasons)

    dpd = behaviour.days_past_due_now
    worst = max(behaviour.worst_bucket_recent, bucket_for(dpd))
    if line.status is LineStatus.FROZEN:
        return verdict(ReviewAction.KEEP, line.limit_minor,
                       Reason("line_frozen", Effect.HURTS, str(dpd)))
    if dpd >= rules.freeze_days_past_due or worst >= bucket_for(rules.freeze_days_past_due):
        return verdict(ReviewAction.FREEZE, line.limit_minor,
                       Reason("days_past_due", Effect.HURTS, worst.label, -100))
    if worst > Bucket.M0:
        lowered = _round_down(line.limit_minor * (100 - rules.lower_pct) // 100, step_minor)
        return verdict(ReviewAction.LOWER, lowered,
                       Reason("days_past_due", Effect.HURTS, worst.label, -50))
    used_bps = behaviour.outstanding_minor * BPS // line.limit_minor if line.limit_minor else 0
    settled = add_months(line.limit_changed_on, rules.months_between_raises) <= on
    room = line.limit_max_minor > line.limit_minor
    if used_bps >= rules.raise_utilisation_min_bps and settled and room:
        raised = min(line.limit_max_minor,
                     _round_down(line.limit_minor * (100 + rules.raise_pct) // 100, step_minor))
        if raised > line.limit_minor:
            return verdict(ReviewAction.RAISE, raised,
                           Reason("repaid_on_time", Effect.HELPS, f"{used_bps / 100:.0f}%"))
    why = ("limit_recently_changed" if not settled else "utilisation_low"
           if used_bps < rules.raise_utilisation_min_bps else "limit_at_ceiling")
    return verdict(ReviewAction.KEEP, line.limit_minor,
                   Reason(why, Effect.HELPS, f"{used_bps / 100:.0f}%"))
