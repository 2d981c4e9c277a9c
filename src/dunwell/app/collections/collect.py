"""The daily collection run: cases from loan facts, the strategy's proposals, the
compliance guard's verdicts, the audit trail and the collectors' call queues — one
transaction for one business date.

``collect_day(D)`` plans day D on the open book (after COB of D-1): days past due
are counted as of D. Running it again for a date already planned changes nothing.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from dunwell.app.audit import record
from dunwell.app.channels.outbox import enqueue_for_step
from dunwell.app.collections.calls import CALL_KINDS, call_task, queue_calls
from dunwell.app.collections.contacts import judge_contact
from dunwell.app.collections.offers import offer_for_step
from dunwell.app.collections.run_report import CollectReport, Experiment
from dunwell.app.context import Dunwell
from dunwell.app.legal.referrals import queue_legal_reviews
from dunwell.app.letters.service import issue_letters_for_day
from dunwell.app.negotiation.service import monitor_plans
from dunwell.app.uow import UnitOfWork
from dunwell.collections.cases import apply_promise, open_or_update, pre_due_view
from dunwell.collections.engine import choose_strategy, missed_steps, propose
from dunwell.collections.model import CaseLoan, CaseView, PastAction, ProposedStep, TimelineEntry
from dunwell.collections.promises import evaluate_promise
from dunwell.collections.queues import CallTask
from dunwell.collections.strategy import Strategy, builtin_strategies
from dunwell.compliance.model import (
    Channel,
    ContactEvent,
    Decision,
    Recipient,
    Verdict,
)
from dunwell.core.errors import InvalidInput
from dunwell.store.borrowers_repo import BorrowerProfile
from dunwell.store.collections_repo import StoredCase

if TYPE_CHECKING:  # the repositories' interfaces, for the type checker
    from dunwell.app.collections.uplift import UpliftPolicy
    from dunwell.store.borrowers_repo import LoanFactsRepository
    from dunwell.store.collections_repo import CaseRepository

#: Borrowers not yet overdue get the strategy's pre-due steps this many days ahead.
PRE_DUE_DAYS = 5
#: Days after a promise's date before an unpaid promise counts as broken.
PROMISE_GRACE_DAYS = 1
#: Borrowers one run plans at the most: a bound on one transaction's work.
BORROWERS_PER_RUN_MAX = 2_000_000

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Arms:
    """The experiment's strategies: new cases go to the champion or the challenger."""

    champion: Strategy
    challenger: Strategy
    experiment: Experiment

    def strategy_of(self, case: CaseView) -> Strategy:
        return self.challenger if case.variant == "challenger" else self.champion


@dataclass(frozen=True)
class DayFacts:
    """What one run reads before it plans anyone: the active cases, the loan facts and
    risk scores, and each borrower's profile, ladder history and contacts."""

    business_date: dt.date
    currency: str
    last_run: dt.date | None
    active: dict[int, StoredCase]
    facts: dict[int, list[CaseLoan]]
    next_due: dict[int, dt.date]
    scores: dict[int, float]
    profiles: dict[int, BorrowerProfile]
    history: dict[int, list[PastAction]]
    contacts: dict[int, list[ContactEvent]]

    @property
    def borrower_ids(self) -> list[int]:
        return sorted(self.facts)


@dataclass
class DayWork:
    """What the run gathers while it plans borrowers, written once each: the cases
    to save and their timeline entries (before any step is decided), the audit entries
    and the allowed calls to queue (at the end)."""

    audit: list[tuple[str, str, dict[str, object]]] = field(default_factory=list)
    calls: list[tuple[CallTask, int]] = field(default_factory=list)
    cases: list[CaseView] = field(default_factory=list)
    timeline: list[TimelineEntry] = field(default_factory=list)

    def write_cases(self, uow: UnitOfWork, business_date: dt.date) -> None:
        """The day's case saves, then their timeline entries, one statement each."""
        uow.cases.save_many(self.cases, business_date)
        uow.cases.add_timeline(self.timeline)
        self.cases, self.timeline = [], []


@dataclass
class Planned:
    """One borrower's day once the case is planned: the rows of the ladder steps
    missed since the last run, and today's steps."""

    bid: int
    profile: BorrowerProfile
    case: CaseView | None
    skipped: list[dict[str, object]]
    steps: list[ProposedStep]


def collect_day(app: Dunwell, business_date: dt.date, *, now: dt.datetime,
                experiment: Experiment | None = None,
                strategies: dict[str, Strategy] | None = None,
                progress: Progress | None = None,
                policy: UpliftPolicy | None = None) -> CollectReport:
    """Plan ``business_date``; ``strategies`` adds to (or overrides) the built-in ones
    by name, for the experiment's champion and challenger. With ``policy``, the steps
    of the cases on its strategy (``ml``) are chosen by expected uplift under its
    budget before the guard decides them (:mod:`dunwell.app.collections.uplift`)."""
    arms = choose_arms(experiment or Experiment(), strategies)
    report = CollectReport(business_date)
    with app.uow() as uow:
        currency = require_open(uow, business_date)
        done = uow.actions.run_summary(business_date)
        if done is not None:
            return CollectReport.from_json(business_date, done)
        last_run = uow.actions.last_run_before(business_date)
        monitor_plans(uow, business_date=business_date, now=now)  # plans kept, broken, done
        day = read_day(uow, business_date, currency=currency, last_run=last_run, lean=True)
        work = DayWork()
        ids = day.borrower_ids
        planned = []
        for k, bid in enumerate(ids):
            profile = day.profiles.get(bid)
            if profile is not None:
                case = plan_case(uow, day, arms=arms, bid=bid, profile=profile, report=report,
                                 work=work)
                skipped: list[dict[str, object]] = []
                steps = steps_for(uow, day, arms=arms, bid=bid, profile=profile, case=case,
                                  report=report, skipped=skipped)
                planned.append(Planned(bid, profile, case, skipped, steps))
            if progress is not None:
                progress(k + 1, len(ids))
        work.write_cases(uow, business_date)
        # the contact history the guard judges by: of the borrowers with steps today
        # (every planned borrower's, for the policy's features)
        day = replace(day, contacts=uow.actions.contacts_for(
            [p.bid for p in planned if p.steps or policy is not None]))
        if policy is None:  # each borrower's missed steps, then their steps decided
            decide_steps(app, uow, day, [(p, [(step, None) for step in p.steps])
                                         for p in planned],
                now=now, report=report, work=work)
        else:  # every borrower's steps chosen among at once, after the missed ones
            uow.actions.add_many([row for p in planned for row in p.skipped])
            pending = [(p.bid, p.profile, p.case, p.steps) for p in planned]
            by_bid = {p.bid: p for p in planned}
            decide_steps(app, uow, day, [
                (by_bid[bid], [(step, note)])
                for bid, _, _, step, note in policy.plan(uow, day, pending, report)],
                now=now, report=report, work=work, skipped_written=True)
        finish_day(app, uow, business_date, now=now, report=report, work=work)
        uow.commit()
    return report


def choose_arms(experiment: Experiment, strategies: dict[str, Strategy] | None) -> Arms:
    """The champion and challenger by name, among the built-in strategies and
    ``strategies``; without a challenger, the champion plays both arms."""
    known = {**builtin_strategies(), **(strategies or {})}
    champion = _strategy(known, experiment.champion)
    challenger = _strategy(known, experiment.challenger) if experiment.challenger else champion
    return Arms(champion, challenger, experiment)


def require_open(uow: UnitOfWork, business_date: dt.date) -> str:
    """The book's currency, once ``business_date`` is not after the book's open date."""
    info = uow.book.require()
    if business_date > info.business_date:
        raise InvalidInput(
            f"the book is open on {info.business_date}; close the days before "
            f"{business_date} first (`dunwell cob --until`)",
            code="collect_date_must_not_be_after_open_date")
    return info.currency


def read_day(uow: UnitOfWork, business_date: dt.date, *, currency: str,
             last_run: dt.date | None, lean: bool = False) -> DayFacts:
    """Everything the run reads up front, for at most :data:`BORROWERS_PER_RUN_MAX`
    borrowers (those with open loans, and those with an active case). The ladder
    history is each borrower's steps for the due dates the ladder can count from
    today (:func:`ladder_since`). ``lean`` reads the profiles only of the borrowers
    the run may plan (:func:`may_plan`: the others get no case and no step) and leaves
    the contact histories to be read later, for the borrowers who get steps."""
    active = uow.cases.active()
    facts, next_due = uow.loan_facts.facts(business_date, list(active))
    ids = sorted(facts)
    if len(ids) > BORROWERS_PER_RUN_MAX:
        raise InvalidInput(
            f"{len(ids)} borrowers to plan is more than one run takes "
            f"({BORROWERS_PER_RUN_MAX}); raise BORROWERS_PER_RUN_MAX knowingly",
            code="collect_run_must_be_bounded")
    wanted = ([bid for bid in ids if may_plan(bid, active, facts, next_due, business_date)]
              if lean else ids)
    return DayFacts(business_date, currency, last_run, active, facts, next_due,
                    uow.loan_facts.risk_scores(), uow.borrowers.many(wanted),
                    uow.actions.done_for(ids, ladder_since(facts, business_date)),
                    {} if lean else uow.actions.contacts_for(ids))


def may_plan(bid: int, active: dict[int, StoredCase], facts: dict[int, list[CaseLoan]],
             next_due: dict[int, dt.date], today: dt.date) -> bool:
    """Whether the run may give the borrower a case or a step today: an active case,
    a loan overdue (a case opens), or an instalment due within :data:`PRE_DUE_DAYS`
    (the pre-due steps). Any other borrower gets neither (:func:`plan_case` opens no
    case, :func:`steps_for` proposes nothing)."""
    if bid in active or any(loan.is_overdue for loan in facts.get(bid, ())):
        return True
    due = next_due.get(bid)
    return due is not None and (due - today).days <= PRE_DUE_DAYS


def ladder_since(facts: dict[int, list[CaseLoan]], today: dt.date) -> dict[int, dt.date]:
    """Per borrower, the earliest due date their ladder can count from today: the
    engine's anchor is ``today`` less the case's days past due (the most of its
    loans'), or the next due date (today or later), so steps for earlier due dates
    are never asked about (:func:`dunwell.collections.engine.ladder_anchor`)."""
    return {bid: today - dt.timedelta(days=max(0, *(ln.days_past_due for ln in loans)))
            for bid, loans in facts.items()}


def plan_case(uow: UnitOfWork, day: DayFacts, *, arms: Arms, bid: int,
              profile: BorrowerProfile, report: CollectReport,
              work: DayWork | None = None) -> CaseView | None:
    """Open, update or close the borrower's case from the day's loan facts (judging
    its pending promise first); a new case gets its strategy and arm. The case as it
    stands after today, or None when the borrower has none. With ``work``, the case
    and its timeline entries are gathered there to be written with the day's others
    (:meth:`DayWork.write_cases`); without, they are written now."""
    stored = day.active.get(bid)
    score = day.scores.get(bid)
    existing = None
    timeline = work.timeline if work is not None else None
    if stored is not None:
        existing = replace(stored.view, flags=_flags(profile), risk_score=score)
        existing = _settle_promise(existing, uow.loan_facts, uow.cases, bid, day.business_date,
                                   day.currency, timeline)
    change = open_or_update(existing, str(bid), day.facts[bid], day.business_date)
    case = change.case
    if case is None:
        return None
    if existing is None and case.status.is_active:
        exp = arms.experiment
        strategy, variant = choose_strategy(
            case, champion=arms.champion, challenger=arms.challenger, experiment=exp.name,
            challenger_share_pct=exp.share_pct if exp.challenger else 0, seed=exp.seed)
        case = replace(case, strategy_name=strategy.name, strategy_version=strategy.version,
                       variant=variant, flags=_flags(profile), risk_score=score)
        report.cases_opened += 1
    if existing is not None or case.status.is_active:
        if work is None:
            uow.cases.save(case, day.business_date)
            uow.cases.add_timeline(change.timeline)
        else:
            work.cases.append(case)
            work.timeline.extend(change.timeline)
        if existing is not None and not case.status.is_active:
            report.cases_closed += 1
    return case


def steps_for(uow: UnitOfWork, day: DayFacts, *, arms: Arms, bid: int,
              profile: BorrowerProfile, case: CaseView | None,
              report: CollectReport,
              skipped: list[dict[str, object]] | None = None) -> list[ProposedStep]:
    """Today's steps: the case's strategy's (recording as skipped the steps whose whole
    window fell in days without a run — into ``skipped`` when given, to be written with
    the day's other actions), or the champion's pre-due steps for a borrower whose next
    instalment is due within :data:`PRE_DUE_DAYS`."""
    history = day.history.get(bid, [])
    if case is not None and case.status.is_active:
        report.cases_open += 1
        strategy = arms.strategy_of(case)
        if day.last_run is not None:
            for gone in missed_steps(case, strategy, day.business_date, day.last_run, history):
                row = _skipped_row(gone, bid, day.business_date, case.variant)
                if skipped is None:
                    uow.actions.add(row)
                else:
                    skipped.append(row)
                report.steps_missed += 1
        return propose(case, strategy, day.business_date, history)
    due = day.next_due.get(bid)
    if due is None or (due - day.business_date).days > PRE_DUE_DAYS:
        return []
    view = pre_due_view(str(bid), day.facts[bid], due, flags=_flags(profile),
                        risk_score=day.scores.get(bid))
    return propose(view, arms.champion, day.business_date, history)


def decide_steps(app: Dunwell, uow: UnitOfWork, day: DayFacts,
                 planned: list[tuple[Planned, list[tuple[ProposedStep, str | None]]]],
                 *, now: dt.datetime, report: CollectReport, work: DayWork,
                 skipped_written: bool = False) -> None:
    """:func:`decide_step` of many steps, each borrower's missed steps first (unless
    ``skipped_written``): every verdict is judged, the actions are written with one
    batched statement (in the order one by one would write them), then each step gets
    its message, offers and call with its action's id."""
    rows: list[dict[str, object]] = []
    judged = []
    for p, steps in planned:
        if not skipped_written:
            rows.extend(p.skipped)
        for step, note in steps:
            verdict, row = judge_step(day, step, bid=p.bid, profile=p.profile, case=p.case,
                                      note=note)
            judged.append((len(rows), p, step, verdict, note))
            rows.append(row)
    ids = uow.actions.add_many(rows)
    for at, p, step, verdict, note in judged:
        after_step(app, uow, day, step, verdict, action_id=ids[at], bid=p.bid,
                   profile=p.profile, case=p.case, now=now, report=report, work=work,
                   note=note)


def judge_step(day: DayFacts, step: ProposedStep, *, bid: int, profile: BorrowerProfile,
               case: CaseView | None,
               note: str | None = None) -> tuple[Verdict | None, dict[str, object]]:
    """The guard's verdict on one step and the action row recording it (``note``, why
    a policy chose the step, precedes the guard's reason)."""
    verdict = _judge(step, profile, day.contacts.get(bid, []), day.business_date)
    arm = case.variant if case is not None and case.status.is_active else None
    row = _action_row(step, verdict, bid, day.business_date, arm or "champion")
    if note is not None:
        row["reason"] = f"{note}; guard: {row['reason']}"
    return verdict, row


def decide_step(app: Dunwell, uow: UnitOfWork, day: DayFacts, step: ProposedStep, *, bid: int,
                profile: BorrowerProfile, case: CaseView | None, now: dt.datetime,
                report: CollectReport, work: DayWork, note: str | None = None) -> int:
    """Pass one step through the guard and record the verdict as an action (and an
    audit entry); an allowed step gets its message, its plan offers or its place in
    the call queues. ``note`` (why a policy chose the step) precedes the guard's
    reason in the action and goes into the audit entry. Returns the action's id."""
    verdict, row = judge_step(day, step, bid=bid, profile=profile, case=case, note=note)
    action_id = uow.actions.add(row)
    after_step(app, uow, day, step, verdict, action_id=action_id, bid=bid, profile=profile,
               case=case, now=now, report=report, work=work, note=note)
    return action_id


def after_step(app: Dunwell, uow: UnitOfWork, day: DayFacts, step: ProposedStep,
               verdict: Verdict | None, *, action_id: int, bid: int, profile: BorrowerProfile,
               case: CaseView | None, now: dt.datetime, report: CollectReport, work: DayWork,
               note: str | None = None) -> None:
    """What follows a step's recorded verdict: the report, the audit entry, and for an
    allowed step its message, its plan offers or its place in the call queues."""
    decision = _decision(step, verdict)
    report.decisions[(step.kind.value, decision)] += 1
    if verdict is not None and verdict.rule and not verdict.allowed:
        report.rules[verdict.rule] += 1
    work.audit.append(("guard_decision", f"borrower:{bid}", {
        "action_id": action_id, "case_id": step.case_id, "kind": step.kind.value,
        "channel": step.channel, "step_id": step.step_id, "decision": decision,
        "rule": verdict.rule if verdict else None,
        "reason": verdict.reason if verdict else "internal step",
        "strategy": f"{step.strategy_name}@{step.strategy_version}",
        "business_date": day.business_date.isoformat(),
        **({"policy": note} if note is not None else {})}))
    enqueue_for_step(uow, app.settings, providers=app.providers, step=step, verdict=verdict,
                     action_id=action_id, profile=profile, business_date=day.business_date,
                     now=now)
    offer_for_step(uow, step=step, verdict=verdict, business_date=day.business_date,
                   now=now)  # plan offers for an allowed negotiation_offer
    if verdict is not None and verdict.allowed and step.kind.value in CALL_KINDS:
        work.calls.append((call_task(step, verdict, day.facts[bid], case), action_id))


def finish_day(app: Dunwell, uow: UnitOfWork, business_date: dt.date, *, now: dt.datetime,
               report: CollectReport, work: DayWork) -> None:
    """After every borrower: fill the call queues, issue the day's letters, propose
    legal referrals for review, write the audit trail and record the run."""
    report.calls_queued, report.calls_unassigned = queue_calls(
        uow.training, uow.actions, uow.cases, work.calls, business_date)
    report.letters_issued = issue_letters_for_day(
        uow, templates=app.providers.templates(), business_date=business_date, now=now,
        settings=app.settings)
    report.referrals_proposed = sum(
        r.status.value == "proposed"
        for r in queue_legal_reviews(uow, business_date=business_date, now=now))
    record(uow, at=now, entries=work.audit)
    uow.actions.add_run(business_date, report.to_json())


def _strategy(strategies: dict[str, Strategy], name: str) -> Strategy:
    if name not in strategies:
        raise InvalidInput(f"unknown strategy {name!r}; use one of {', '.join(strategies)}",
                           code="strategy_must_exist")
    return strategies[name]


def _flags(profile: BorrowerProfile) -> frozenset[str]:
    return frozenset(f.value for f in profile.borrower.flags)


def _settle_promise(case: CaseView, facts: LoanFactsRepository, cases: CaseRepository,
                    bid: int, today: dt.date, currency: str,
                    timeline: list[TimelineEntry] | None = None) -> CaseView:
    ptp = case.open_promise
    if ptp is None:
        return case
    judged = evaluate_promise(ptp, facts.payments_since(bid, ptp.created_on), today,
                              PROMISE_GRACE_DAYS)
    if judged.status is ptp.status:
        return case
    cases.resolve_promise(case.case_id, judged)
    change = apply_promise(case, judged, today, currency=currency)
    if timeline is None:
        cases.add_timeline(change.timeline)
    else:
        timeline.extend(change.timeline)
    return change.case or case


def _judge(step: ProposedStep, profile: BorrowerProfile, contacts: list[ContactEvent],
           day: dt.date) -> Verdict | None:
    """The guard's verdict on a step that reaches the borrower; None for internal steps."""
    if step.channel is None or step.recipient is None:
        return None
    return judge_contact(
        profile, contacts,
        at=dt.datetime.combine(day, step.planned_time, tzinfo=ZoneInfo(profile.borrower.timezone)),
        channel=Channel(step.channel), recipient=Recipient(step.recipient),
        content_tags=step.content_tags)


def _decision(step: ProposedStep, verdict: Verdict | None) -> str:
    return "internal" if verdict is None else verdict.decision.value


def _action_row(step: ProposedStep, verdict: Verdict | None, bid: int, day: dt.date,
                variant: str | None) -> dict[str, object]:
    window = verdict.window if verdict is not None else None
    return {
        "case_id": step.case_id, "borrower_id": bid, "business_date": day,
        "kind": step.kind.value, "channel": step.channel, "recipient": step.recipient,
        "tags_json": json.dumps(list(step.content_tags)),
        "planned_at": f"{day.isoformat()}T{step.planned_time.isoformat('minutes')}",
        "strategy": f"{step.strategy_name}@{step.strategy_version}", "variant": variant,
        "segment_id": step.segment_id, "step_id": step.step_id, "due_date": step.due_date,
        "occurrence": step.occurrence, "decision": _decision(step, verdict),
        "rule": verdict.rule if verdict is not None else None,
        "reason": verdict.reason if verdict is not None else step.reason,
        "window_start": window.starts_at.isoformat() if window else None,
        "window_end": window.ends_at.isoformat() if window else None,
        "defer_until": verdict.defer_until.isoformat()
        if verdict is not None and verdict.defer_until else None,
        "status": "planned" if verdict is None or verdict.decision is Decision.ALLOW
        else verdict.decision.value,
    }


def _skipped_row(step: ProposedStep, bid: int, day: dt.date,
                 variant: str | None) -> dict[str, object]:
    """A step that can no longer be done because no run happened while it was due."""
    return {**_action_row(step, None, bid, day, variant), "decision": "skipped",
            "status": "skipped", "reason": step.reason}


__all__ = ["CollectReport", "Experiment", "PastAction", "collect_day"]
