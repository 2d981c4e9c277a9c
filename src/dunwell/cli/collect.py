"""Collection commands: collect, case, queue, contact, promise."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from dunwell.cli.common import DbOption, app_for, clear_errors, console, now, parse_aware
from dunwell.cli.strategy import resolve
from dunwell.core.dates import parse_date
from dunwell.core.errors import InvalidInput
from dunwell.core.money import format_minor, to_minor

if TYPE_CHECKING:
    from dunwell.app.collections.collect import CollectReport
    from dunwell.app.collections.uplift import UpliftPolicy
    from dunwell.app.collections.views import ArmRow, CaseRow


def collect(
    date: Annotated[str | None, typer.Option("--date", help="Day to plan (default: the "
                                              "book's open date).")] = None,
    champion: Annotated[str, typer.Option(
        help="Strategy for new cases: a built-in name or a YAML file.")] = "humane",
    challenger: Annotated[str | None, typer.Option(
        help="Challenger strategy (name or YAML file), e.g. aggressive.")] = None,
    share: Annotated[int, typer.Option(min=0, max=100,
                                       help="Percent of new cases on the challenger.")] = 0,
    policy: Annotated[Path | None, typer.Option(
        help="Uplift policy directory (`dunwell uplift train`): cases on the ml strategy get "
        "the actions it chooses; the champion becomes ml unless given.")] = None,
    budget: Annotated[int | None, typer.Option(
        min=0, help="With --policy: contacts it may choose today (default: its own).")] = None,
    db: DbOption = None,
) -> None:
    """Open and close cases, propose today's steps, pass each through the compliance
    guard, audit every decision and fill the collectors' call queues."""
    from dunwell.app.collections.collect import Experiment, collect_day
    from dunwell.app.collections.views import arms
    from dunwell.app.day.clock import BookClock, DayStep
    with clear_errors():
        app = app_for(db)
        chosen_policy = _policy(policy, budget)
        if chosen_policy is not None and champion == "humane":
            champion = "ml"
        chosen = dict([resolve(champion)] + ([resolve(challenger)] if challenger else []))
        names = list(chosen)
        exp = Experiment(champion=names[0], challenger=names[1] if challenger else None,
                         share_pct=share)
        with app.uow() as uow:
            day = parse_date(date, field="--date") if date else uow.book.require().business_date
        with Progress(TextColumn(f"collect {day}"), BarColumn(), MofNCompleteColumn(),
                      TextColumn("borrowers"), TimeElapsedColumn(), console=console,
                      transient=True) as bar:
            task = bar.add_task("collect", total=None)
            report = collect_day(app, day, now=BookClock().at(day, DayStep.COLLECT),
                                 experiment=exp, strategies=chosen, policy=chosen_policy,
                                 progress=lambda done, total: bar.update(
                                     task, completed=done, total=total))
        split = arms(app, today=day)
    console.print(summary_table(report))
    console.print(arms_table(split, day))


def _policy(directory: Path | None, budget: int | None) -> UpliftPolicy | None:
    if directory is None:
        return None
    from dunwell.app.collections.uplift import Budget, load_policy

    loaded = load_policy(directory)
    return loaded if budget is None else loaded.with_options(
        budget=Budget(budget, loaded.budget.cost_minor))


def arms_table(arms: list[ArmRow], day: dt.date) -> Table:
    """The champion/challenger split: cases per strategy and arm."""
    table = Table(title=f"champion and challenger on {day}")
    table.add_column("arm")
    table.add_column("strategy", no_wrap=True)
    for col in ("active cases", "opened today", "closed"):
        table.add_column(col, justify="right")
    for a in arms:
        table.add_row(a.variant, a.strategy, str(a.active), str(a.opened_today), str(a.closed))
    return table


def summary_table(report: CollectReport) -> Table:
    title = f"collection run {report.business_date}" + (" (already run)" if report.replayed
                                                        else "")
    table = Table(title=title)
    table.add_column("action")
    decisions = ["allow", "defer", "deny", "internal"]
    if any(d == "withheld" for _, d in report.decisions):
        decisions.append("withheld")  # an uplift policy gave the case nothing today
    for col in decisions:
        table.add_column(col, justify="right")
    kinds = sorted({k for k, _ in report.decisions})
    for kind in kinds:
        table.add_row(kind, *(str(report.decisions.get((kind, d), 0) or "")
                              for d in decisions))
    table.caption = (f"open cases {report.cases_open}, opened {report.cases_opened}, closed "
                     f"{report.cases_closed}; calls queued {report.calls_queued}, unassigned "
                     f"{report.calls_unassigned}; letters issued {report.letters_issued}; "
                     f"referrals proposed for review {report.referrals_proposed}"
                     + ("; held back by " + ", ".join(f"{r} x{n}" for r, n in
                                                      report.rules.most_common(6))
                        if report.rules else ""))
    return table


def case(
    borrower: Annotated[str, typer.Argument(
        help="Borrower id, or `list` for the case list.", metavar="BORROWER|list")],
    status: Annotated[str | None, typer.Option(
        help="With `list`: only cases in this status (open, promise, plan, legal, cured, "
        "paid_off, written_off, closed).")] = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000,
                                       help="With `list`: at most N cases.")] = 50,
    db: DbOption = None,
) -> None:
    """A borrower's cases: status, strategy, timeline and every decision on them; or,
    with `list`, the cases most overdue first."""
    from dunwell.app.collections.views import borrower_cases, case_list
    with clear_errors():
        if borrower == "list":
            rows = case_list(app_for(db), status=status, limit=limit)
            console.print(case_list_table(rows, status))
            return
        if not borrower.isdigit():
            raise InvalidInput(f"{borrower!r} is neither a borrower id nor `list`",
                               code="borrower_id_must_be_a_number")
        borrower_id = int(borrower)
        mine = borrower_cases(app_for(db), borrower_id=borrower_id)
    found, timelines, decisions = mine.cases, mine.timelines, mine.decisions
    for c in found:
        done = [a["step_id"] for a in decisions
                if a["case_id"] == c["case_id"] and a["decision"] in ("allow", "internal")]
        table = Table(title=f"{c['case_id']}: {c['status']} ({c['strategy_name']}@"
                      f"{c['strategy_version']}, {c['variant']}), step "
                      f"{done[-1] if done else '-'}, owner {c['owner'] or '-'}")
        table.add_column("date")
        table.add_column("event")
        table.add_column("what")
        for on, kind, text in timelines[c["case_id"]]:
            table.add_row(on.isoformat(), kind, text)
        console.print(table)
    acts = Table(title=f"decisions for borrower {borrower_id}")
    for col in ("date", "step", "channel", "decision", "rule", "reason"):
        acts.add_column(col)
    for a in decisions[-40:]:
        acts.add_row(a["business_date"].isoformat(), a["step_id"], a["channel"] or "-",
                     a["decision"], a["rule"] or "", a["reason"][:70])
    console.print(acts)


def case_list_table(rows: list[CaseRow], status: str | None) -> Table:
    table = Table(title=f"cases{' (' + status + ')' if status else ''}: {len(rows)} shown, "
                  "most overdue first")
    for col in ("case", "borrower", "status", "DPD", "opened", "strategy", "arm", "owner",
                "broken promises"):
        table.add_column(col, no_wrap=col in ("case", "borrower"),
                         justify="right" if col in ("DPD", "broken promises") else "left")
    for r in rows:
        table.add_row(r.case_id, str(r.borrower_id), r.status, str(r.days_past_due),
                      r.opened_on.isoformat(), r.strategy, r.variant, r.owner or "-",
                      str(r.broken_promises))
    return table


def queue(
    date: Annotated[str | None, typer.Option("--date", help="Business date.")] = None,
    db: DbOption = None,
) -> None:
    """Today's calls per collector, in order, with expected recovery."""
    from dunwell.app.collections.views import call_queue
    with clear_errors():
        calls = call_queue(app_for(db),
                           business_date=parse_date(date, field="--date") if date else None)
    day, rows = calls.business_date, calls.rows
    table = Table(title=f"call queues {day}")
    ids = {"collector": [r["collector_id"] or "unassigned" for r in rows],
           "borrower": [str(r["borrower_id"]) for r in rows],
           "case": [r["case_id"] for r in rows]}
    for col in ("collector", "#", "slot", "borrower", "case", "step", "expected recovery"):
        # ids are never cut: their columns keep the width of the longest id
        width = max((len(v) for v in ids.get(col, [])), default=0)
        table.add_column(col, no_wrap=col in ids, min_width=width or None,
                         overflow="fold", justify="right" if col.startswith("exp") else "left")
    for r in rows:
        table.add_row(r["collector_id"] or "unassigned", str(r["position"] or ""), r["note"],
                      str(r["borrower_id"]), r["case_id"], r["kind"],
                      format_minor(int(r["expected_recovery_minor"]), calls.currency))
    console.print(table)


KeyOption = Annotated[str | None, typer.Option(
    "--key", help="Idempotency key: the same command with the same key is recorded once "
    "(without one, the same content is recognised).")]


def _tags(text: str | None) -> list[str]:
    return [t.strip() for t in (text or "").split(",") if t.strip()]


def contact(
    borrower_id: Annotated[int, typer.Argument(help="Borrower id.")],
    channel: Annotated[str, typer.Option(help="call, sms, email, letter, visit, in_app.")],
    outcome: Annotated[str, typer.Option(help="conversation, no_answer, promise_to_pay, ...")],
    at: Annotated[str, typer.Option(help="When, with offset: 2025-03-01T10:00:00+08:00.")],
    direction: Annotated[str, typer.Option(
        help="outbound (we contacted them: the guard must allow it) or inbound (they "
        "contacted us: always recorded).")] = "outbound",
    tags: Annotated[str | None, typer.Option(
        "--tags", help="What the contact did, comma-separated content tags "
        "(payment_reminder, payment_request, instalment_plan, ...).")] = None,
    staff: Annotated[str | None, typer.Option(
        "--staff", help="Who made the contact; a call or visit by staff without valid "
        "certificates for it that day is refused (docs/training.md).")] = None,
    override_by: Annotated[str | None, typer.Option(
        "--override-by", help="Supervisor who lets a contact the guard refused be "
        "recorded (needs --reason; audited with the rule overridden).")] = None,
    reason: Annotated[str | None, typer.Option(
        "--reason", help="Why the supervisor overrides the guard.")] = None,
    key: KeyOption = None,
    db: DbOption = None,
) -> None:
    """Record what happened on a contact; the guard counts it from now on. An outbound
    contact the guard does not allow at that moment is refused with its rule."""
    from dunwell.app.collections.contacts import Override, log_contact
    with clear_errors():
        if (override_by is None) != (reason is None):
            raise InvalidInput("an override needs both --override-by NAME and --reason TEXT",
                               code="override_must_name_supervisor_and_reason")
        override = None if override_by is None or reason is None else Override(override_by,
                                                                                 reason)
        app = app_for(db)
        with app.uow() as uow:
            done = log_contact(uow, borrower_id=borrower_id, at=parse_aware(at, "--at"),
                               channel=channel, outcome=outcome, direction=direction,
                               content_tags=_tags(tags), staff=staff, override=override,
                               key=key, now=now())
            uow.commit()
    if done.replayed:
        console.print(f"already recorded: {direction} {channel} for borrower {borrower_id} "
                      f"at {at}: {outcome}")
        return
    console.print(f"recorded {direction} {channel} for borrower {borrower_id}: {outcome}"
                  + (f" (guard rule {done.overridden_rule} overridden by {override_by})"
                     if done.overridden_rule else ""))


def promise(
    case_id: Annotated[str, typer.Argument(help="Case id.")],
    amount: Annotated[str, typer.Option(help="Amount promised, e.g. 500.00.")],
    by: Annotated[str, typer.Option(help="Date promised, YYYY-MM-DD.")],
    key: KeyOption = None,
    db: DbOption = None,
) -> None:
    """Record a promise to pay; payment requests pause while it is pending."""
    from dunwell.app.collections.contacts import log_promise
    with clear_errors():
        app = app_for(db)
        with app.uow() as uow:
            info = uow.book.require()
            made = log_promise(uow, case_id=case_id,
                               amount_minor=to_minor(amount, info.currency),
                               due_date=parse_date(by, field="--by"), today=info.business_date,
                               key=key, now=now())
            uow.commit()
    if not made:
        console.print(f"already recorded: promise on {case_id}: {amount} {info.currency} "
                      f"by {by}")
        return
    console.print(f"promise recorded on {case_id}: {amount} {info.currency} by {by}")
