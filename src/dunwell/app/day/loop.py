"""The lender's day: one loop runs the book business date by business date.

For the book's open date D the steps run in this order, each recorded in
``day_steps`` when it ends, so a second run skips what is done and a run killed half
way resumes at the first step not done:

1. ``collect`` — the collection run: plan monitoring (plans kept, broken, done), cases
   and their strategies, every proposed step judged by the compliance guard, messages
   written to the outbox, call queues, the day's letters, and the legal reviews queued
   for a person (``app.collect.collect_day``);
2. ``dispatch`` — the outbox sends the day's messages on the book's clock, not the wall
   clock (``app.outbox.dispatch_outbox``);
3. ``field_plan`` — the visits the guard allowed, assigned to certified agents and
   routed (``app.field_plan.plan_visits``);
3b. ``late_dispatch`` — the outbox again in the evening, for what the day's work
   queued after the first dispatch (receipts, plan confirmations after visits);
4. ``cob`` — close of business for D (``app.cob_runner.close_day``); the book moves to
   D+1;
5. ``verify`` — the reconciliation (``app.lending.verify.verify_book_since_mark``: the
   full report, reading only the journal lines added since the last clean check); an
   unsound book stops the loop before anything else happens;
6. ``score`` — the early-warning model registered in the settings scores the current
   loans as of D+1, so tomorrow's collection run sees who needs help before they fall
   behind;
7. ``limits`` — the limit review: every active credit line not yet reviewed on D+1
   is reviewed with the fresh scores, the borrower's records and repayments
   (``app.origination.review_limits``); each verdict is recorded with its reasons.

Seen from a business date, that is the order docs/operations.md gives: close the
previous day, verify, score, then the day's collection run, dispatch, letters, field
plan, plan monitoring and legal queue.

Every step judges "now" by the **book's clock**: the business date at the step's time
of day (:class:`BookClock`), so a book replayed months later behaves as it did then.
Hooks let a caller act between steps — the demo's simulated borrowers answer, pay and
receive visits there.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dunwell.app import logs
from dunwell.app.context import Dunwell
from dunwell.app.day.clock import BookClock, DayStep
from dunwell.core.errors import DomainError, InvalidInput
from dunwell.store.day_repo import StepRecord as StepRecord  # what status() returns

if TYPE_CHECKING:  # each step's service is imported when the step runs, so the
    # commands that only read the loop's record (or the book's date) start light
    from dunwell.app.collections.collect import Experiment
    from dunwell.app.collections.uplift import UpliftPolicy
    from dunwell.field.routing import Router

log = logs.get(__name__)

#: The most business dates one ``day run`` goes through: a typo in a year should not
#: run for hours.
DAYS_PER_RUN_MAX = 3660
#: Messages one dispatch claims at once, and the most claims in one day (a bound).
DISPATCH_BATCH = 1_000
DISPATCH_BATCHES_MAX = 100


STEPS: tuple[DayStep, ...] = tuple(DayStep)


class StepStatus(StrEnum):
    DONE = "done"
    SKIPPED = "skipped"  # nothing to do, or not configured: the reason is recorded
    FAILED = "failed"


@dataclass(frozen=True)
class ScoringModel:
    """A loaded early-warning model and the name its scores are stored under."""

    model: Any
    name: str


Hook = Callable[[dt.date], None]


@dataclass(frozen=True)
class DayOptions:
    """What the loop uses. ``router=None`` skips field planning and ``model=None``
    skips scoring, each recorded with its reason; ``policy`` chooses the steps of
    cases on the ``ml`` strategy by uplift (:mod:`dunwell.app.collections.uplift`)."""

    clock: BookClock = field(default_factory=BookClock)
    experiment: Experiment | None = None
    router: Router | None = None
    model: ScoringModel | None = None
    model_missing_reason: str = "no early-warning model is registered"
    dispatch: bool = True
    rng: random.Random | None = None
    after_collect: Hook | None = None
    after_field_plan: Hook | None = None
    after_day: Hook | None = None
    policy: UpliftPolicy | None = None


@dataclass
class DayReport:
    business_date: dt.date
    steps: dict[str, StepRecord]


class BookNotSound(DomainError):
    """``verify`` found the book unsound after COB: the loop stops."""

    code = "book_must_verify_after_cob"


def registered_model(model_dir: Path) -> tuple[ScoringModel | None, str]:
    """The latest model version registered in ``model_dir``, or None and why not."""
    from dunwell.app.risk import is_registry, load_model

    if not is_registry(model_dir):
        return None, (f"no early-warning model is registered in {model_dir}; train one "
                      "(`dunwell demo` does) or set DUNWELL_EARLY_WARNING_MODEL_DIR")
    model = load_model(model_dir)
    return ScoringModel(model, f"early_warning@{model.version}"), ""


def open_date(app: Dunwell) -> dt.date:
    with app.uow() as uow:
        return uow.book.require().business_date


def book_now(app: Dunwell, step: DayStep, clock: BookClock | None = None) -> dt.datetime:
    """"Now" on the book's clock: its open date at the time of day ``step`` happens.
    Commands use it unless told another time, so a book worked days after its date
    judges windows as it would have on the day."""
    return (clock or BookClock()).at(open_date(app), step)


def parse_now(app: Dunwell, text: str | None, step: DayStep,
              parse: Callable[[str], dt.datetime]) -> dt.datetime:
    """A command's ``--now``: absent, the book's clock; ``wall``, the wall clock; else
    the ISO timestamp given (parsed by ``parse``)."""
    if text is None:
        return book_now(app, step)
    if text == "wall":
        return dt.datetime.now(dt.UTC)
    return parse(text)


def run_until(app: Dunwell, until: dt.date, options: DayOptions | None = None,
              progress: Callable[[dt.date, str, int, int], None] | None = None,
              ) -> list[DayReport]:
    """Run every business date from the book's open date through ``until``."""
    options = options or DayOptions()
    start = open_date(app)
    days = (until - start).days + 1
    if days > DAYS_PER_RUN_MAX:
        raise InvalidInput(f"{days} business days is more than one run takes "
                           f"({DAYS_PER_RUN_MAX}); run in smaller steps",
                           code="day_run_must_be_bounded")
    reports = []
    for k in range(max(days, 0)):
        day = start + dt.timedelta(days=k)

        def tick(step: str, done: int, day: dt.date = day) -> None:
            if progress is not None:
                progress(day, step, done, len(STEPS))

        reports.append(run_day(app, day, options, tick))
    return reports


def run_day(app: Dunwell, business_date: dt.date, options: DayOptions,
            tick: Callable[[str, int], None] | None = None) -> DayReport:
    """Run the steps of ``business_date`` not done yet (it must be the open date, or a
    date whose steps were interrupted before its close)."""
    with app.uow() as uow:
        done = uow.day.steps_on(business_date)
        info = uow.book.require()
    if business_date > info.business_date:
        raise InvalidInput(f"the book is open on {info.business_date}; run the days before "
                           f"{business_date} first", code="day_must_be_open_date")
    closed = business_date < info.business_date
    for k, step in enumerate(STEPS):
        record = done.get(step.value)
        if record is not None and record.status != StepStatus.FAILED:
            if tick is not None:
                tick(step.value, k + 1)
            continue
        if closed and step in (DayStep.COLLECT, DayStep.DISPATCH, DayStep.FIELD_PLAN,
                               DayStep.LATE_DISPATCH):
            status, detail = StepStatus.SKIPPED, {
                "reason": f"the book had already moved past {business_date}"}
        else:
            status, detail = _run_step(app, business_date, step, options)
        _record(app, business_date, step, status, detail, options.clock)
        log.info("day.step", business_date=str(business_date), step=step.value,
                 status=status.value)
        if tick is not None:
            tick(step.value, k + 1)
        if step is DayStep.VERIFY and status is StepStatus.FAILED:
            raise BookNotSound(f"the book does not verify after closing {business_date}: "
                               f"{detail.get('failed')}; run `dunwell book verify` for the "
                               "offenders. The loop stops here", code="book_must_verify_after_cob")
        _hook(options, step, business_date)
    with app.uow() as uow:
        steps = uow.day.steps_on(business_date)
    return DayReport(business_date, steps)


def _hook(options: DayOptions, step: DayStep, day: dt.date) -> None:
    hook = {DayStep.COLLECT: options.after_collect,
            DayStep.FIELD_PLAN: options.after_field_plan,
            DayStep.SCORE: options.after_day}.get(step)
    if hook is not None:
        hook(day)


def _record(app: Dunwell, day: dt.date, step: DayStep, status: StepStatus,
            detail: dict[str, Any], clock: BookClock) -> None:
    with app.uow() as uow:
        uow.day.record(business_date=day, step=step.value, status=status.value,
                       detail=detail, finished_at=clock.at(day, step))
        uow.commit()


def _run_step(app: Dunwell, day: dt.date, step: DayStep,
              options: DayOptions) -> tuple[StepStatus, dict[str, Any]]:
    now = options.clock.at(day, step)
    if step is DayStep.LIMIT_REVIEW:
        return _limit_review(app)
    if step is DayStep.COLLECT:
        from dunwell.app.collections.collect import collect_day

        rep = collect_day(app, day, now=now, experiment=options.experiment,
                          policy=options.policy)
        return StepStatus.DONE, {
            "cases_open": rep.cases_open, "cases_opened": rep.cases_opened,
            "cases_closed": rep.cases_closed, "calls_queued": rep.calls_queued,
            "letters_issued": rep.letters_issued,
            "referrals_proposed": rep.referrals_proposed,
            "allowed": sum(n for (_, d), n in rep.decisions.items() if d == "allow"),
            "deferred_or_denied": sum(n for (_, d), n in rep.decisions.items()
                                      if d in ("defer", "deny"))}
    if step in (DayStep.DISPATCH, DayStep.LATE_DISPATCH):
        if not options.dispatch:
            return StepStatus.SKIPPED, {"reason": "dispatch is turned off for this run"}
        return _dispatch(app, now, options.rng)
    if step is DayStep.FIELD_PLAN:
        if options.router is None:
            return StepStatus.SKIPPED, {"reason": "no router configured"}
        from dunwell.app.field.plan import plan_visits

        plan = plan_visits(app, plan_date=day, router=options.router, now=now)
        return StepStatus.DONE, {"candidates": plan.candidates, "planned": plan.planned}
    if step is DayStep.COB:
        from dunwell.app.cob import close_day

        cob = close_day(app, day)
        return StepStatus.DONE, {"loans": cob.loans_closed, "postings": cob.postings,
                                 "events": cob.events}
    if step is DayStep.VERIFY:
        from dunwell.app.lending.verify import verify_book_since_mark

        check = verify_book_since_mark(app)
        failed = [c.name for c in check.checks if not c.ok]
        return (StepStatus.DONE if check.ok else StepStatus.FAILED), {"failed": failed}
    if options.model is None:
        return StepStatus.SKIPPED, {"reason": options.model_missing_reason}
    from dunwell.app.risk import score_book

    scored = score_book(app, day + dt.timedelta(days=1), options.model.model,
                        model_name=options.model.name)
    return StepStatus.DONE, {"model": options.model.name, "loans_scored": scored}


def _limit_review(app: Dunwell) -> tuple[StepStatus, dict[str, Any]]:
    from dunwell.app.origination.service import review_limits

    with app.uow() as uow:
        reviews = review_limits(uow)
        uow.commit()
    actions: dict[str, int] = {}
    for review in reviews:
        actions[review.action.value] = actions.get(review.action.value, 0) + 1
    return StepStatus.DONE, {"lines_reviewed": len(reviews), "actions": actions}


def _dispatch(app: Dunwell, now: dt.datetime,
              rng: random.Random | None) -> tuple[StepStatus, dict[str, Any]]:
    from dunwell.app.channels.outbox import dispatch_outbox

    outcomes: dict[str, int] = {}
    for _ in range(DISPATCH_BATCHES_MAX):
        sent = dispatch_outbox(app, now=now, limit=DISPATCH_BATCH, rng=rng)
        for result in sent.results:
            outcomes[result.outcome] = outcomes.get(result.outcome, 0) + 1
        if sent.claimed < DISPATCH_BATCH:
            break
    return StepStatus.DONE, {"messages": outcomes}


def status(app: Dunwell, *, days: int) -> list[StepRecord]:
    """The recorded steps of the last ``days`` business dates."""
    with app.uow() as uow:
        return uow.day.recent(days)
