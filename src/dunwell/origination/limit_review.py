"""Limit reviews that follow the business: the repayment rule of
:func:`dunwell.origination.credit_line.review_limit` (freeze, lower, raise or keep on
days past due and utilisation), extended with the evidence a line's borrower keeps
sending — fresh records, the early-warning score, the share of instalments paid on
time. Rules as data: ``[review]`` and ``[limit_review]`` in ``policy.toml``.

In order:

1. a frozen line, or one the repayment rule freezes: that verdict stands;
2. **decrease** by ``review.lower_pct`` when the repayment rule lowers, when the
   early-warning score is at or above ``early_warning_lower_bps``, or when recent
   turnover (the mean of the last ``recent_months`` months of the records' span) has
   fallen ``turnover_drop_pct`` or more below the ``baseline_months`` before them —
   every cause a reason; **never below what is already drawn** (a decrease that the
   drawn amount stops becomes a hold, reason ``limit_at_drawn``);
3. **increase** only when the repayment rule would raise *and* the evidence agrees:
   records fresh (fewer than ``records_stale_days`` from the end of the last month
   with a record to the review), at most ``gap_months_raise_max`` months without records in the
   baseline window, the early-warning score below ``early_warning_raise_max_bps``,
   and at least ``on_time_raise_min_bps`` of instalments paid on time; the raise is
   capped by the grade's ``limit_multiple_pct`` of recent monthly turnover. Each
   failed condition is a reason for the **hold**;
4. otherwise the repayment rule's verdict (hold).

A missing piece of evidence (no records, no score, no instalments due yet) blocks a
raise and causes no decrease. The verdict is the same :class:`LimitReview` the
repayment rule returns, so the shell stores and applies it as before.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from dunwell.core.errors import InvalidInput
from dunwell.core.money import format_minor
from dunwell.origination.credit_line import (
    Behaviour,
    CreditLine,
    LimitReview,
    LineStatus,
    ReviewAction,
    review_limit,
)
from dunwell.origination.features import monthly_series, next_month
from dunwell.origination.model import Effect, MonthSummary, Reason
from dunwell.origination.policy import Policy
from dunwell.origination.wording import language, reason_text

BPS = 10_000


@dataclass(frozen=True, slots=True)
class EvidenceRules:
    records_stale_days: int
    recent_months: int
    baseline_months: int
    turnover_drop_pct: int
    early_warning_lower_bps: int
    early_warning_raise_max_bps: int
    on_time_raise_min_bps: int
    gap_months_raise_max: int


FIELDS = ("records_stale_days", "recent_months", "baseline_months", "turnover_drop_pct",
          "early_warning_lower_bps", "early_warning_raise_max_bps", "on_time_raise_min_bps",
          "gap_months_raise_max")


def load_evidence_rules(text: str) -> EvidenceRules:
    """The ``[limit_review]`` table of a policy file, checked."""
    try:
        table: Any = tomllib.loads(text).get("limit_review")
    except tomllib.TOMLDecodeError as exc:
        raise InvalidInput(f"policy TOML does not parse ({exc})",
                           code="policy_must_be_valid") from None
    if not isinstance(table, dict):
        raise InvalidInput("policy must have a [limit_review] table",
                           code="policy_must_be_valid", field="limit_review")
    values = []
    for name in FIELDS:
        value = table.get(name)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise InvalidInput(f"limit_review.{name} must be a whole number >= 0, got "
                               f"{value!r}", code="policy_must_be_valid",
                               field=f"limit_review.{name}")
        values.append(value)
    rules = EvidenceRules(*values)
    if rules.recent_months < 1 or rules.baseline_months < 1:
        raise InvalidInput("limit_review.recent_months and baseline_months must be >= 1",
                           code="policy_must_be_valid", field="limit_review")
    return rules


@cache
def builtin_evidence_rules() -> EvidenceRules:
    text = resources.files("dunwell.origination").joinpath("policy.toml").read_text("utf-8")
    return load_evidence_rules(text)


@dataclass(frozen=True, slots=True)
class Evidence:
    """What a line's borrower has shown since: monthly totals of their records
    (sales for a merchant, income for a consumer; quiet months may be absent), the
    early-warning score (probability of default, bps) and the share of instalments
    due in the look-back window paid on time (bps); None when there is none."""

    months: tuple[MonthSummary, ...] = ()
    early_warning_bps: int | None = None
    on_time_bps: int | None = None


@dataclass(frozen=True, slots=True)
class Turnover:
    recent_minor: int  # mean per month
    baseline_minor: int | None  # mean per month; None without months before the recent ones
    last_month: dt.date
    gap_months: int  # months without records in the baseline and recent window

    @property
    def change_pct(self) -> int | None:
        if not self.baseline_minor or self.baseline_minor <= 0:
            return None
        return (self.recent_minor - self.baseline_minor) * 100 // self.baseline_minor


def turnover(months: Sequence[MonthSummary], rules: EvidenceRules) -> Turnover | None:
    """Recent against baseline turnover over the records' span (None: no records)."""
    present = {m.month for m in months if m.sales_count or m.refunds_count or m.sales_minor}
    series = monthly_series([m for m in months if m.month in present])
    if not series:
        return None
    nets = [s.net_minor for s in series]
    recent = nets[-rules.recent_months:]
    before = nets[:-rules.recent_months][-rules.baseline_months:]
    window = series[-(rules.recent_months + rules.baseline_months):]
    return Turnover(sum(recent) // len(recent),
                    sum(before) // len(before) if before else None, series[-1].month,
                    sum(s.month not in present for s in window))


def _lowered(line: CreditLine, review_pct: int, step_minor: int) -> int:
    return line.limit_minor * (100 - review_pct) // 100 // step_minor * step_minor


def decrease_reasons(evidence: Evidence, flow: Turnover | None,
                     rules: EvidenceRules) -> list[Reason]:
    reasons = []
    score = evidence.early_warning_bps
    if score is not None and score >= rules.early_warning_lower_bps:
        reasons.append(Reason("early_warning_high", Effect.HURTS, f"{score / 100:.1f}%"))
    change = flow.change_pct if flow else None
    if change is not None and change <= -rules.turnover_drop_pct:
        reasons.append(Reason("turnover_fell", Effect.HURTS, f"{-change}%"))
    return reasons


def raise_blockers(evidence: Evidence, flow: Turnover | None, *, on: dt.date,
                   rules: EvidenceRules) -> list[Reason]:
    """Why the evidence does not support a raise (empty: it does)."""
    blockers = []
    if flow is None or (on - next_month(flow.last_month)).days >= rules.records_stale_days:
        shown = "-" if flow is None else flow.last_month.strftime("%Y-%m")
        blockers.append(Reason("records_stale", Effect.HURTS, shown))
    elif flow.gap_months > rules.gap_months_raise_max:
        blockers.append(Reason("records_gaps", Effect.HURTS, str(flow.gap_months)))
    score = evidence.early_warning_bps
    if score is None or score >= rules.early_warning_raise_max_bps:
        shown = "-" if score is None else f"{score / 100:.1f}%"
        blockers.append(Reason("early_warning_elevated", Effect.HURTS, shown))
    on_time = evidence.on_time_bps
    if on_time is None or on_time < rules.on_time_raise_min_bps:
        shown = "-" if on_time is None else f"{on_time / 100:.0f}%"
        blockers.append(Reason("on_time_share_low", Effect.HURTS, shown))
    return blockers


def _decrease(line: CreditLine, behaviour: Behaviour, base: LimitReview,
              reasons: list[Reason], *, policy: Policy, step_minor: int) -> LimitReview:
    lowered = (base.limit_after_minor if base.action is ReviewAction.LOWER
               else _lowered(line, policy.review.lower_pct, step_minor))
    drawn = behaviour.outstanding_minor
    after = min(line.limit_minor, max(lowered, drawn))
    why = (*base.reasons, *reasons) if base.action is ReviewAction.LOWER else tuple(reasons)
    if after >= line.limit_minor:
        return LimitReview(line.line_id, ReviewAction.KEEP, line.limit_minor, line.limit_minor,
                           (*why, Reason("limit_at_drawn", Effect.HURTS,
                                                   format_minor(drawn, line.currency))))
    return LimitReview(line.line_id, ReviewAction.LOWER, line.limit_minor, after, why)


def _increase(line: CreditLine, base: LimitReview, flow: Turnover | None, *,
              policy: Policy, step_minor: int) -> LimitReview:
    multiple = policy.grade(line.grade).limit_multiple_pct
    cap = (flow.recent_minor * multiple // 100 // step_minor * step_minor) if flow else 0
    after = min(base.limit_after_minor, max(cap, line.limit_minor))
    if after <= line.limit_minor:
        return LimitReview(line.line_id, ReviewAction.KEEP, line.limit_minor, line.limit_minor,
                           (Reason("turnover_caps_limit", Effect.HURTS,
                                                  format_minor(cap, line.currency)),))
    return LimitReview(line.line_id, ReviewAction.RAISE, line.limit_minor, after, base.reasons)


def review_line(line: CreditLine, behaviour: Behaviour, evidence: Evidence, *, on: dt.date,
                policy: Policy, step_minor: int,
                rules: EvidenceRules | None = None) -> LimitReview:
    """The review's verdict for ``line`` on ``on`` (see the module doc)."""
    rules = rules or builtin_evidence_rules()
    base = review_limit(line, behaviour, on=on, rules=policy.review, step_minor=step_minor)
    if line.status is LineStatus.FROZEN or base.action is ReviewAction.FREEZE:
        return base
    flow = turnover(evidence.months, rules)
    lower = decrease_reasons(evidence, flow, rules)
    if base.action is ReviewAction.LOWER or lower:
        return _decrease(line, behaviour, base, lower, policy=policy, step_minor=step_minor)
    if base.action is ReviewAction.RAISE:
        blockers = raise_blockers(evidence, flow, on=on, rules=rules)
        if blockers:
            return LimitReview(line.line_id, ReviewAction.KEEP, line.limit_minor,
                               line.limit_minor, tuple(blockers))
        return _increase(line, base, flow, policy=policy, step_minor=step_minor)
    return base


def explain_limit_review(result: LimitReview, lang: str) -> tuple[str, ...]:
    """The review's reasons in the borrower's language (en or zh-CN)."""
    return tuple(reason_text(r, language(lang)) for r in result.reasons)

