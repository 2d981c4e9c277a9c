"""``dunwell simulate``'s engine: for each strategy and seed, a fresh book seeded
through the real services (:mod:`.book`), then the real day loop (``run_until``)
with the simulated borrowers acting in its hooks:

* ``after_collect`` — the world moves on a day (shocks, recovery, pressure fading);
  the borrowers answer the contacts the morning's run allowed (messages delivered,
  calls answered or not, promises), and those who disclose a hardship are assessed
  and offered a plan through negotiation;
* ``after_field_plan`` — the agents work the routed visits (outcomes recorded through
  the field service; hardship met with a plan), then the borrowers pay what the
  world says they pay through ``receive_payments`` (one batch a day), and some complain;
* ``after_day`` — legal: a person approves the referrals the strategy queued, and the
  claims go to court on a fixed timetable (filed, hearing, judgment).

Each hook is one unit of work per day for the bulk of its work (contacts, payments),
with one query per day for what it reads. At the end the book is verified (an
unsound book fails the run) and measured (:mod:`.metrics`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from dunwell.app.collections.collect import Experiment
from dunwell.app.collections.contacts import NewContact, record_contacts, record_promise
from dunwell.app.complaints.service import record_complaint
from dunwell.app.day.loop import DayOptions, run_until
from dunwell.app.field.visits import record_visit_outcome
from dunwell.app.legal.cases import record_legal_event
from dunwell.app.legal.referrals import approve_referral, review_queue
from dunwell.app.lending.payments import PaymentRequest, receive_payments
from dunwell.app.lending.verify import verify_book
from dunwell.app.negotiation.service import (
    accept_offer,
    approve_offer,
    assess_hardship,
    make_offers,
)
from dunwell.core.dates import to_day
from dunwell.core.errors import DomainError, InvalidInput
from dunwell.core.money import format_minor
from dunwell.field.model import VisitStatus
from dunwell.field.routing import NearestNeighbourRouter
from dunwell.negotiation.model import PlanStatus
from dunwell.simulation.lab import book as lab_book
from dunwell.simulation.lab import metrics as lab_metrics
from dunwell.simulation.lab import stories as lab_stories
from dunwell.simulation.lab.params import Parameters
from dunwell.simulation.lab.population import Population, build
from dunwell.simulation.lab.world import SHOCKS, World
from dunwell.simulation.training import MANAGER

ZONE = ZoneInfo("Asia/Shanghai")
BUILTIN = ("humane", "aggressive")
ML = "ml"
#: Days from a referral's approval to each court step, and each step's cost (minor).
COURT_STEPS = (("filed", 14, 150_000), ("hearing", 45, 0), ("judgment", 75, 0))
LEGAL_APPROVER_ROLE = "legal_counsel"
#: A day's contacts: the kinds the borrowers answer as messages.
MESSAGE_CHANNELS = ("sms", "in_app", "email", "letter")

Progress = Callable[[str, int, dt.date], None]


class StrategyUnavailable(InvalidInput):
    """A strategy the lab cannot run yet (e.g. the ML policy's module is missing)."""

    code = "simulate_strategy_must_be_available"


@dataclass(frozen=True)
class LabSettings:
    borrowers: int
    days: int
    seeds: tuple[int, ...]
    strategies: tuple[str, ...]
    start: dt.date
    params: Parameters
    db_url: str | None = None
    #: Days before ``start`` the book opens, the borrowers drawing down over them.
    warmup_days: int = lab_book.WARMUP_DAYS


def opened_on(settings: LabSettings) -> dt.date:
    """The day each run's book opens: ``warmup_days`` before the measured start."""
    return settings.start - dt.timedelta(days=settings.warmup_days)


def days_per_run(settings: LabSettings) -> int:
    """Business days one run closes (the warm-up and the measured days)."""
    return settings.warmup_days + settings.days


@dataclass(frozen=True)
class StrategyPlan:
    """How the day loop runs one strategy: its experiment and any extra options."""

    name: str
    experiment: Experiment
    options: dict[str, Any] = field(default_factory=dict)


def plan_for(name: str, settings: LabSettings, seed: int) -> StrategyPlan:
    """The day loop's set-up for a strategy. ``humane`` and ``aggressive`` are the
    built-in collection strategies; ``ml`` is the uplift policy trained on a history
    book of another seed (``dunwell.app.collections.uplift``)."""
    if name in BUILTIN:
        return StrategyPlan(name, Experiment(champion=name, name=f"lab-{name}", seed=seed))
    if name == ML:
        return train_ml_plan(settings, seed)
    raise InvalidInput(
        f"unknown strategy {name!r}; use humane, aggressive or ml",
        code="simulate_strategy_must_be_known",
        field="strategies",
    )


#: The ml policy's history book: this seed offset, and its daily contact budget per
#: hundred borrowers (the ladders' contacts are a few per borrower a month).
ML_HISTORY_SEED_OFFSET = 10_000
ML_CONTACTS_PER_100_BORROWERS = 6
#: The history book has at least this many borrowers (uplift needs enough case-days
#: without contact to learn against).
ML_HISTORY_MIN_BORROWERS = 150


class MlHistoryTooSmall(InvalidInput):
    """The history book gave too little to train the uplift policy on."""

    code = "simulate_ml_history_must_be_large_enough"


def train_ml_plan(
    settings: LabSettings,
    seed: int,
    *,
    workdir: Path | None = None,
    progress: Progress | None = None,
) -> StrategyPlan:
    """Train the uplift policy on a history book of another seed (the same days, and the
    same size or :data:`ML_HISTORY_MIN_BORROWERS`, whichever is larger), run with the
    exploring policy (randomised arms); the trained policy then chooses the ``ml``
    cases' actions under a daily contact budget for the run's size."""
    try:
        from dunwell.app.collections.uplift import UpliftPolicy, train_uplift_policy
        from dunwell.collections.prioritise import Budget
    except ImportError as exc:
        raise StrategyUnavailable(
            "the ml strategy needs the uplift policy (dunwell.app.collections.uplift, "
            "dunwell.risk.uplift, dunwell.collections.prioritise), which this installation "
            "does not have; run --strategies humane,aggressive",
            code="simulate_strategy_must_be_available",
            field="strategies",
        ) from exc
    budget = Budget(contacts=max(1, settings.borrowers * ML_CONTACTS_PER_100_BORROWERS // 100))
    if workdir is None:  # only checking that the strategy is available
        return StrategyPlan(ML, Experiment(champion=ML, name="lab-ml", seed=seed))
    history_seed = seed + ML_HISTORY_SEED_OFFSET
    wide = replace(settings, borrowers=max(settings.borrowers, ML_HISTORY_MIN_BORROWERS))
    explore_budget = Budget(contacts=max(1, wide.borrowers * ML_CONTACTS_PER_100_BORROWERS // 100))
    explore = StrategyPlan(
        "ml-history",
        Experiment(champion=ML, name="lab-ml-history", seed=history_seed),
        {"policy": UpliftPolicy.exploring(seed=history_seed, budget=explore_budget)},
    )
    history = _run_book(
        wide, explore, history_seed, workdir=workdir, progress=progress, label="ml-history"
    )
    try:
        policy = train_uplift_policy(history.book.app, seed=history_seed, budget=budget)
    except InvalidInput as exc:
        raise MlHistoryTooSmall(
            f"the ml policy could not be trained on the {wide.borrowers}-borrower, "
            f"{days_per_run(wide)}-day history book ({exc}); run more --borrowers or --days",
            code="simulate_ml_history_must_be_large_enough",
            field="borrowers",
        ) from exc
    finally:
        history.book.app.engine.dispose()
    return StrategyPlan(ML, Experiment(champion=ML, name="lab-ml", seed=seed), {"policy": policy})


def _budgeted(policy: Any, settings: LabSettings) -> Any:
    """The trained policy with the daily contact budget of this run's size."""
    from dunwell.collections.prioritise import Budget

    contacts = max(1, settings.borrowers * ML_CONTACTS_PER_100_BORROWERS // 100)
    return policy.with_options(budget=Budget(contacts=contacts))


@dataclass
class RunResult:
    strategy: str
    seed: int
    run: dict[str, Any]
    stories: list[dict[str, Any]]
    url: str
    plan: StrategyPlan | None = None  # the ml run's trained plan


@dataclass
class _Track:
    """What the run remembers between days beyond the book: referral approval dates."""

    approved_on: dict[int, dt.date] = field(default_factory=dict)
    steps_done: dict[int, int] = field(default_factory=dict)


class Borrowers:
    """The simulated borrowers' side of the day loop's hooks for one run."""

    def __init__(
        self,
        book: lab_book.Book,
        world: World,
        opened: dt.date,
        cohorts: Sequence[list[int]] = (),
    ):
        self.book, self.app, self.world, self.opened = book, book.app, world, opened
        self.track = _Track()
        self.cohorts = cohorts
        self.overdue: dict[dt.date, int] = {}  # overdue balance each day, before payments

    # --- hooks -----------------------------------------------------------------------
    def morning(self, today: dt.date) -> None:
        day = (today - self.opened).days
        if 0 <= day < len(self.cohorts) and self.cohorts[day]:
            lab_book.originate(self.book, self.world.pop, self.cohorts[day], today=today)
        self.world.advance(day)
        hardship = self._answer_contacts(today)
        for case_id, i, source in hardship:
            self._plan(case_id, i, today, source)

    def midday(self, today: dt.date) -> None:
        self._visits(today)
        self._payments(today)
        self._complaints(today)

    def evening(self, today: dt.date) -> None:
        self._legal(today)

    # --- contacts ----------------------------------------------------------------------
    def _answer_contacts(self, today: dt.date) -> list[tuple[str, int, str]]:
        world, index = self.world, self.book.borrower_index
        hardship: list[tuple[str, int, str]] = []
        answered: list[NewContact] = []  # written together, before the next promise
        with self.app.uow() as uow:
            planned = [
                a
                for a in uow.actions.on_date(today)
                if a["decision"] == "allow" and a["channel"] in (*MESSAGE_CHANNELS, "call")
            ]
            dpd = self._dpd_today(uow, today)
            for a in planned:
                bid = int(a["borrower_id"])
                i = index.get(bid)
                if i is None:
                    continue
                at = dt.datetime.fromisoformat(a["planned_at"]).replace(tzinfo=ZONE)
                days = dpd.get(i, -1)
                if a["channel"] == "call":
                    ans = world.call(i, a["kind"], dpd=days, attempt=int(a["action_id"]))
                else:
                    ans = world.message(i, a["channel"], a["kind"], dpd=days)
                answered.append(
                    NewContact(
                        borrower_id=bid,
                        at=at,
                        channel=a["channel"],
                        outcome=ans.outcome,
                        action_id=int(a["action_id"]),
                        now=at,
                    )
                )
                case_id = str(a["case_id"])
                if case_id.startswith("pre-"):
                    continue
                if ans.promise:
                    record_contacts(uow, answered)  # the audit chain keeps the answers' order
                    answered.clear()
                    owed = self._overdue(uow, bid, today)
                    with contextlib.suppress(DomainError):  # a pending promise stands
                        record_promise(
                            uow,
                            case_id=case_id,
                            amount_minor=owed,
                            due_date=today + dt.timedelta(days=ans.promise_days),
                            today=today,
                            now=at,
                        )
                if ans.hardship:
                    hardship.append(
                        (case_id, i, "collector" if a["channel"] == "call" else "borrower")
                    )
            record_contacts(uow, answered)
            uow.commit()
        return hardship

    def _dpd_today(self, uow: Any, today: dt.date) -> dict[int, int]:
        """Days past due per borrower index (oldest unpaid instalment), one query."""
        day = to_day(today)
        loans = self.book.loan_index
        return {
            loans[lid]: day - due
            for lid, _n, due, _owed in uow.loans.due_for_payment(day)
            if lid in loans
        }

    def _overdue(self, uow: Any, bid: int, today: dt.date) -> int:
        facts, _ = uow.loan_facts.facts(today, [bid], only=True)
        return max(1, sum(int(loan.overdue_minor) for loan in facts.get(bid, [])))

    # --- negotiation -------------------------------------------------------------------
    def _plan(self, case_id: str, i: int, today: dt.date, source: str) -> None:
        """The borrower tells of the shock; an assessment at their true budget, the best
        affordable offer approved and accepted."""
        world = self.world
        at = dt.datetime.combine(today, dt.time(15, 0), tzinfo=ZONE)
        budget = world.budget_minor(i)
        expenses = budget * 55 // 100
        reason = SHOCKS[int(world.shock[i])]
        try:
            assess_hardship(
                self.app,
                case_id=case_id,
                reason=reason if reason != "none" else "other",
                monthly_income_minor=max(1, budget),
                essential_expenses_minor=expenses,
                other_debt_payments_minor=0,
                evidence=(),
                vulnerable=False,
                source=source,
                now=at,
            )
            offers = make_offers(self.app, case_id=case_id, business_date=today)
            if not offers:
                return
            best = offers[0]
            approve_offer(
                self.app,
                offer_id=best.offer_id,
                approver_id=f"{best.offer.approval_role.value}-1",
                role=best.offer.approval_role.value,
                now=at,
            )
            accept_offer(self.app, offer_id=best.offer_id, now=at)
        except DomainError:
            return  # refused by a rule (e.g. an open plan): the book says why
        world.take_plan(i, best.offer.monthly_payment_minor)

    # --- visits ------------------------------------------------------------------------
    def _visits(self, today: dt.date) -> None:
        index = self.book.borrower_index
        with self.app.uow() as uow:
            planned = [v for v in uow.field.visits_on(today) if v.status is VisitStatus.PLANNED]
            if not planned:
                return
            addresses = uow.field.addresses([v.borrower_id for v in planned])
            owed = {v.borrower_id: self._overdue(uow, v.borrower_id, today) for v in planned}
        for visit in planned:
            i = index.get(visit.borrower_id)
            place = addresses.get(visit.borrower_id)
            if i is None or place is None or place.location is None:
                continue
            ans = self.world.visit(i)
            at = visit.eta or dt.datetime.combine(today, dt.time(14, 0), tzinfo=ZONE)
            promise = owed.get(visit.borrower_id) if ans.promise else None
            with contextlib.suppress(DomainError):
                record_visit_outcome(
                    self.app,
                    visit_id=visit.visit_id,
                    outcome=ans.outcome,
                    at=at,
                    latitude=place.location.latitude,
                    longitude=place.location.longitude,
                    note="lab visit",
                    promise_amount_minor=promise,
                    promise_due=today + dt.timedelta(days=ans.promise_days) if promise else None,
                )
            if ans.hardship:
                self._plan(visit.case_id, i, today, "field_agent")

    # --- payments ----------------------------------------------------------------------
    def _payments(self, today: dt.date) -> None:
        world, loans = self.world, self.book.loan_index
        day = to_day(today)
        with self.app.uow() as uow:
            due = uow.loans.due_for_payment(day)
            in_plan = {p.loan_id for p in uow.negotiation.plans(status=PlanStatus.ACTIVE)}
            self.overdue[today] = sum(owed for _l, _n, due_day, owed in due if due_day < day)
            paid = []
            for loan_id, _n, due_day, owed in due:
                i = loans.get(loan_id)
                if i is None:
                    continue
                share = world.pay_share(i, dpd=day - due_day, in_plan=loan_id in in_plan)
                amount = int(owed * share)
                if amount <= 0:
                    continue
                paid.append(
                    PaymentRequest(
                        loan_id, format_minor(amount, "CNY"), "CNY", f"lab:{loan_id}:{today}"
                    )
                )
            # one batch: the same rows and receipts as receive_payment one by one
            receive_payments(uow, paid, settings=self.app.settings, providers=self.app.providers)
            uow.commit()

    # --- complaints --------------------------------------------------------------------
    def _complaints(self, today: dt.date) -> None:
        who = self.world.complainers()
        if len(who) == 0:
            return
        ids = {i: bid for bid, i in self.book.borrower_index.items()}
        at = dt.datetime.combine(today, dt.time(19, 0), tzinfo=ZONE)
        for i in who.tolist():
            bid = ids.get(int(i))
            if bid is None:
                continue
            category = self.world.complaint_category(int(i))
            record_complaint(
                self.app,
                borrower_id=bid,
                channel="call",
                category=category,
                text=f"simulated borrower: {category.replace('_', ' ')}",
                now=at,
            )

    # --- legal ------------------------------------------------------------------------
    def _legal(self, today: dt.date) -> None:
        at = dt.datetime.combine(today, dt.time(17, 0), tzinfo=ZONE)
        track = self.track
        with self.app.uow() as uow:
            for ref in review_queue(uow):
                with contextlib.suppress(DomainError):
                    approve_referral(
                        uow,
                        referral_id=ref.referral_id,
                        approver=MANAGER,
                        role=LEGAL_APPROVER_ROLE,
                        note="every contact tried; no plan, no payment",
                        business_date=today,
                        now=at,
                    )
                    track.approved_on[ref.referral_id] = today
                    track.steps_done[ref.referral_id] = 0
            for rid, approved in list(track.approved_on.items()):
                k = track.steps_done[rid]
                if k >= len(COURT_STEPS):
                    continue
                event, after, cost = COURT_STEPS[k]
                if (today - approved).days < after:
                    continue
                ref = uow.legal.get(rid)
                try:
                    record_legal_event(
                        uow,
                        referral_id=rid,
                        event=event,
                        on=today,
                        cost_minor=cost,
                        recorded_by=MANAGER,
                        now=at,
                        court="成都市武侯区人民法院" if event == "filed" else "",
                        note=f"lab: {event}",
                    )
                except DomainError:
                    track.steps_done[rid] = len(COURT_STEPS)  # the case left legal
                    continue
                track.steps_done[rid] = k + 1
                i = self.book.borrower_index.get(int(ref.borrower_id))
                if event == "filed" and i is not None:
                    self.world.legal(i)
            uow.commit()


@dataclass
class _Ran:
    book: lab_book.Book
    people: Borrowers
    url: str
    end: dt.date


def _run_book(
    settings: LabSettings,
    plan: StrategyPlan,
    seed: int,
    *,
    workdir: Path,
    progress: Progress | None,
    population: Population | None = None,
    label: str | None = None,
) -> _Ran:
    """A fresh book for ``plan`` on ``seed``'s population, run through the day loop."""
    name = label or plan.name
    pop = population or build(settings.params, size=settings.borrowers, seed=seed)
    url = lab_book.run_url(settings.db_url, workdir, name, seed)
    opened = opened_on(settings)
    book = lab_book.open_lab_book(pop, url=url, opened=opened)
    world = World(pop, settings.params, first_due_day=30)
    people = Borrowers(book, world, opened, lab_book.cohorts(pop, settings.warmup_days))

    def evening(today: dt.date) -> None:
        people.evening(today)
        if progress is not None:
            progress(name, seed, today)

    options = DayOptions(
        experiment=plan.experiment,
        router=NearestNeighbourRouter(),
        model=None,
        model_missing_reason="the lab runs without a model",
        dispatch=True,
        after_collect=people.morning,
        after_field_plan=people.midday,
        after_day=evening,
        **plan.options,
    )
    end = settings.start + dt.timedelta(days=settings.days - 1)
    run_until(book.app, end, options)
    check = verify_book(book.app)
    if not check.ok:
        failed = [c.name for c in check.checks if not c.ok]
        raise lab_metrics.LabBookUnsound(
            f"the {name} book for seed {seed} does not verify after the run: "
            f"{', '.join(failed)}; run `dunwell book verify --db {url}` for the offenders",
            code="simulate_book_must_verify",
        )
    return _Ran(book, people, url, end)


def run_one(
    settings: LabSettings,
    strategy: str,
    seed: int,
    *,
    workdir: Path,
    progress: Progress | None = None,
    population: Population | None = None,
    trained: StrategyPlan | None = None,
) -> RunResult:
    """One strategy on one seed: a fresh book, the day loop with the borrowers, the
    book verified and measured. ``trained`` is an ml plan already trained (its policy
    is reused; otherwise ``ml`` trains its own on seed + 10000)."""
    began = time.perf_counter()
    if strategy == ML:
        base = trained or train_ml_plan(settings, seed, workdir=workdir, progress=progress)
        plan = StrategyPlan(
            ML,
            Experiment(champion=ML, name="lab-ml", seed=seed),
            {**base.options, "policy": _budgeted(base.options["policy"], settings)},
        )
    else:
        plan = plan_for(strategy, settings, seed)
    ran = _run_book(settings, plan, seed, workdir=workdir, progress=progress, population=population)
    run = lab_metrics.measure(
        ran.book.app,
        strategy=strategy,
        seed=seed,
        start=settings.start,
        end=ran.end,
        params=settings.params,
        overdue=ran.people.overdue,
    )
    story = lab_stories.extract(ran.book, strategy=strategy, seed=seed)
    run["seconds"] = round(time.perf_counter() - began, 3)
    ran.book.app.engine.dispose()
    return RunResult(strategy, seed, run, story, ran.url, plan if strategy == ML else None)


def run_lab(
    settings: LabSettings,
    *,
    workdir: Path | None = None,
    progress: Progress | None = None,
    jobs: int = 1,
) -> tuple[list[RunResult], Path]:
    """Every (strategy, seed) run; the ml plan is checked before any run starts. With
    ``jobs`` above 1 the runs go to that many worker processes (each run is its own
    book, so the results are the same; the progress then advances a run at a time)."""
    for name in settings.strategies:
        plan_for(name, settings, settings.seeds[0])
    where = workdir or Path(tempfile.mkdtemp(prefix="dunwell-lab-"))
    order = [(seed, strategy) for seed in settings.seeds for strategy in settings.strategies]
    if jobs > 1:
        return _run_lab_in_pool(settings, order, where, progress, jobs), where
    trained: StrategyPlan | None = None
    if ML in settings.strategies:
        # first, so a policy that cannot be trained stops the lab before any run; one
        # policy for every seed, trained on the first seed's history book
        trained = train_ml_plan(settings, settings.seeds[0], workdir=where, progress=progress)
    results = []
    pops = {
        seed: build(settings.params, size=settings.borrowers, seed=seed) for seed in settings.seeds
    }
    for seed, strategy in order:
        results.append(
            run_one(
                settings,
                strategy,
                seed,
                workdir=where,
                progress=progress,
                population=pops[seed],
                trained=trained,
            )
        )
    return results, where


def _run_lab_in_pool(
    settings: LabSettings,
    order: list[tuple[int, str]],
    where: Path,
    progress: Progress | None,
    jobs: int,
) -> list[RunResult]:
    """The runs on ``jobs`` worker processes. The ml history book is the first task and
    the other strategies' runs follow it at once, so no worker waits for the training;
    the ml runs are queued when the policy is trained. A policy that cannot be trained
    cancels every run not yet started and raises its error."""
    import multiprocessing
    from concurrent.futures import Future, ProcessPoolExecutor

    def advance(label: str, seed: int) -> None:
        if progress is not None:
            for day in range(days_per_run(settings)):
                progress(label, seed, opened_on(settings) + dt.timedelta(days=day))

    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=jobs, mp_context=spawn) as pool:
        training: Future[StrategyPlan] | None = None
        if ML in settings.strategies:
            training = pool.submit(train_ml_plan, settings, settings.seeds[0], workdir=where)
        futures: dict[tuple[int, str], Future[RunResult]] = {
            (seed, strategy): pool.submit(run_one, settings, strategy, seed, workdir=where)
            for seed, strategy in order
            if strategy != ML
        }
        if training is not None:
            try:
                trained = training.result()
            except BaseException:
                pool.shutdown(wait=True, cancel_futures=True)
                raise
            advance("ml-history", settings.seeds[0] + ML_HISTORY_SEED_OFFSET)
            for seed, strategy in order:
                if strategy == ML:
                    futures[(seed, strategy)] = pool.submit(
                        run_one, settings, strategy, seed, workdir=where, trained=trained
                    )
        results = []
        for seed, strategy in order:
            results.append(futures[(seed, strategy)].result())
            advance(strategy, seed)
        return results


def runs_closed(settings: LabSettings) -> int:
    """Runs :func:`run_lab` closes: each strategy per seed, and one ml history book."""
    return len(settings.strategies) * len(settings.seeds) + (ML in settings.strategies)


#: How far a story's legal track got: the timeline kinds, in order.
LEGAL_PROGRESS = ("legal_referral", "legal_filed", "legal_hearing", "legal_judgment")
#: The strategy whose run of the first seed tells the family-emergency story.
PLAN_STORY_STRATEGY = "humane"


def pick_stories(results: Sequence[RunResult]) -> list[dict[str, Any]]:
    """The two named stories, once each: the family emergency from the humane run of
    the first seed (the first strategy's when humane did not run), and the refusal
    from the run of the first seed where the refuser got furthest towards court
    (judgment > hearing > filed > referral; the first strategy on a tie)."""
    if not results:
        return []
    first = results[0].seed
    runs = [r for r in results if r.seed == first]
    out: list[dict[str, Any]] = []
    plan_run = next((r for r in runs if r.strategy == PLAN_STORY_STRATEGY), runs[0])
    out += [s for s in plan_run.stories if s["name"] == "family_emergency_plan"]
    court = [s for r in runs for s in r.stories if s["name"] == "refusal_to_court"]
    if court:
        out.append(max(court, key=lambda s: (_legal_progress(s), -court.index(s))))
    return out


def _legal_progress(story: dict[str, Any]) -> int:
    reached = 0
    for e in story["events"]:
        for k, kind in enumerate(LEGAL_PROGRESS, start=1):
            if e["kind"] == kind or (k == 1 and "legal referral" in e["text"]):
                reached = max(reached, k)
    return reached


def settings_json(settings: LabSettings) -> dict[str, Any]:
    from dunwell import __version__

    return {
        "borrowers": settings.borrowers,
        "days": settings.days,
        "seeds": list(settings.seeds),
        "strategies": list(settings.strategies),
        "start": settings.start.isoformat(),
        "currency": "CNY",
        "parameters_file": Path(settings.params.path).name,
        "parameters_digest": settings.params.digest,
        "dunwell_version": __version__,
    }


def strategies_seen(results: Sequence[RunResult]) -> list[str]:
    seen: list[str] = []
    for r in results:
        if r.strategy not in seen:
            seen.append(r.strategy)
    return seen
