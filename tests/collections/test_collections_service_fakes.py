"""Collections on the in-memory book: the guard's decisions on operators' contacts,
a borrower's STOP and stated preferences, the case list, and each step of the daily
run (choose the arms, check the date, read the day, plan the case, propose its steps,
decide each step, finish the day) — no database."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import replace

import pytest

from dunwell.app.collections import calls, collect, contacts, views
from dunwell.app.context import Dunwell
from dunwell.app.lending.book import LoanRequest, disburse, open_book, register_product
from dunwell.channels.model import MessageChannel
from dunwell.collections.errors import ContactRefused
from dunwell.collections.model import ActionKind, CaseStatus, ProposedStep
from dunwell.collections.strategy import builtin_strategies
from dunwell.compliance.model import Channel, Flag, Jurisdiction
from dunwell.core.dates import from_day
from dunwell.core.errors import DomainError
from dunwell.lending.loans import LoanState
from dunwell.lending.products import builtin_product_texts
from fakes.app import fake_app
from fakes.collections import collections_data

START = dt.date(2025, 1, 1)
SHANGHAI = dt.timezone(dt.timedelta(hours=8))


def code_of(fn: Callable[..., object], *args: object, **kwargs: object) -> str:
    with pytest.raises(DomainError) as err:
        fn(*args, **kwargs)
    return err.value.code


def at(day: dt.date, hour: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=SHANGHAI)


@pytest.fixture
def app() -> Dunwell:
    return fake_app()


def lend(app: Dunwell, *borrowers: int, flags: tuple[Flag, ...] = ()) -> dict[int, LoanState]:
    """A book opened on ``START`` with one loan of 10,000.00 to each borrower, each
    with a contact profile in Shanghai."""
    with app.uow() as uow:
        open_book(uow, business_date=START, partitions=1, currency="CNY")
        product = register_product(uow, builtin_product_texts()[0])
        loans = disburse(uow, [LoanRequest(b, product.code, 1_000_000, product.term_months_min)
                               for b in borrowers])
        for b in borrowers:
            uow.borrowers.put(borrower_id=b, name=f"Borrower {b}",
                              jurisdiction=Jurisdiction.CN_NIFA, timezone="Asia/Shanghai",
                              language="zh-CN", flags=flags)
        uow.commit()
    return {loan.borrower_id: loan for loan in loans}


def first_due(loan: LoanState) -> dt.date:
    return from_day(loan.installments[0].due_day)


def open_on(app: Dunwell, day: dt.date) -> None:
    with app.uow() as uow:
        uow.book.advance(day)
        uow.commit()


def run(app: Dunwell, day: dt.date) -> collect.CollectReport:
    open_on(app, day)
    return collect.collect_day(app, day, now=at(day, 9))


# --- operators' contacts ------------------------------------------------------------


def log(app: Dunwell, *, hour: int = 10, direction: str = "outbound",
        override: contacts.Override | None = None,
        key: str | None = None) -> contacts.ContactRecord:
    with app.uow() as uow:
        done = contacts.log_contact(uow, borrower_id=1, at=at(START, hour), channel="call",
                                    outcome="no_answer", direction=direction,
                                    content_tags=["payment_reminder"], override=override,
                                    key=key, now=at(START, hour))
        uow.commit()
    return done


def test_a_call_at_night_is_refused_with_its_rule_and_nothing_is_recorded(
        app: Dunwell) -> None:
    lend(app, 1)
    with pytest.raises(ContactRefused) as refused:
        log(app, hour=23)
    assert refused.value.code == "contact_must_pass_guard"
    assert collections_data(app.db.state).contacts == []  # type: ignore[attr-defined]


def test_a_supervisor_override_records_the_contact_and_audits_the_rule(app: Dunwell) -> None:
    lend(app, 1)
    done = log(app, hour=23, override=contacts.Override("Wang", "the borrower asked"))
    assert done.overridden_rule is not None and not done.replayed
    with app.uow() as uow:
        kinds = [r.kind for r in uow.audit.records()]
    assert kinds == ["guard_override", "contact"]


def test_an_inbound_contact_is_always_recorded_and_the_same_contact_is_a_replay(
        app: Dunwell) -> None:
    lend(app, 1)
    first = log(app, hour=23, direction="inbound")
    again = log(app, hour=23, direction="inbound")
    assert (first.replayed, first.verdict, again.replayed) == (False, None, True)
    assert len(collections_data(app.db.state).contacts) == 1  # type: ignore[attr-defined]


def test_a_contact_for_a_borrower_without_a_profile_is_not_found(app: Dunwell) -> None:
    lend(app, 1)
    with app.uow() as uow:
        assert code_of(contacts.log_contact, uow, borrower_id=9, at=at(START, 10),
                       channel="call", outcome="no_answer", now=at(START, 10)) == (
            "borrower_must_exist")


def test_stop_by_sms_opts_the_borrower_out_of_sms_once(app: Dunwell) -> None:
    lend(app, 1)
    with app.uow() as uow:
        uow.channel_facts.set_address(1, MessageChannel.SMS, "+8613800000001")
        uow.commit()
    first = contacts.record_inbound_message(app, channel="sms", text="STOP",
                                            at=at(START, 10), now=at(START, 10),
                                            sender="+8613800000001")
    again = contacts.record_inbound_message(app, channel="sms", text="STOP",
                                            at=at(START, 10), now=at(START, 10),
                                            sender="+8613800000001")
    assert (first.opted_out, first.flag_changed, first.replayed) == (True, True, False)
    assert (again.flag_changed, again.replayed) == (False, True)
    with app.uow() as uow:
        assert Flag.OPT_OUT_SMS in uow.borrowers.get(1).borrower.flags
    assert code_of(contacts.record_inbound_message, app, channel="sms", text="hi",
                   at=at(START, 10), now=at(START, 10), sender="+860000") == (
        "sender_must_be_known")


def test_preferences_keep_what_is_not_given_and_the_guard_obeys_them(app: Dunwell) -> None:
    lend(app, 1)
    stored = contacts.set_contact_preferences(app, borrower_id=1,
                                              no_contact_before=dt.time(10), channels=["sms"],
                                              now=at(START, 9))
    again = contacts.set_contact_preferences(app, borrower_id=1, language="en", now=at(START, 9))
    assert stored.contact_preferences.no_contact_before == dt.time(10)
    assert again.contact_preferences.no_contact_before == dt.time(10)
    assert (again.preferred_channels, again.language) == (stored.preferred_channels, "en")
    with app.uow() as uow:
        profile = uow.borrowers.get(1)
    verdict = contacts.judge_contact(profile, [], at=at(START, 12),
                                     channel=Channel.CALL,
                                     content_tags=["payment_reminder"])
    assert not verdict.allowed  # they asked for SMS only
    assert code_of(contacts.set_contact_preferences, app, borrower_id=1, language="english",
                   now=at(START, 9)) == "language_must_be_a_tag"


# --- the case list ------------------------------------------------------------------


def test_the_case_list_shows_the_most_overdue_first_and_filters_by_status(
        app: Dunwell) -> None:
    loans = lend(app, 1, 2)
    day = first_due(loans[1]) + dt.timedelta(days=1)
    run(app, day)
    with app.uow() as uow:  # a person marks borrower 2's case cured
        view = uow.cases.get(f"case-2-{day:%Y%m%d}")
        uow.cases.save(replace(view, status=CaseStatus.CURED), day)
        uow.commit()
    assert [r.borrower_id for r in views.case_list(app)] == [1, 2]
    assert [r.borrower_id for r in views.case_list(app, status="open")] == [1]
    assert [r.borrower_id for r in views.case_list(app, status="cured")] == [2]
    assert code_of(views.case_list, app, status="lost") == "case_status_must_be_known"
    assert code_of(views.case_list, app, limit=0) == "case_list_must_be_bounded"
    (arm,) = views.arms(app, today=day)
    assert (arm.variant, arm.active, arm.opened_today, arm.closed) == ("champion", 1, 2, 1)
    mine = views.borrower_cases(app, borrower_id=1)
    assert [c["borrower_id"] for c in mine.cases] == [1]
    assert code_of(views.borrower_cases, app, borrower_id=9) == "case_must_exist"


# --- the daily run, step by step ----------------------------------------------------


def test_the_arms_are_named_strategies_and_an_unknown_one_is_refused() -> None:
    arms = collect.choose_arms(collect.Experiment(challenger="aggressive", share_pct=50), None)
    assert (arms.champion.name, arms.challenger.name) == ("humane", "aggressive")
    alone = collect.choose_arms(collect.Experiment(), None)
    assert alone.challenger is alone.champion
    assert code_of(collect.choose_arms, collect.Experiment(champion="nope"), None) == (
        "strategy_must_exist")


def test_a_day_after_the_open_date_is_refused(app: Dunwell) -> None:
    lend(app, 1)
    with app.uow() as uow:
        assert collect.require_open(uow, START) == "CNY"
        assert code_of(collect.require_open, uow, START + dt.timedelta(days=1)) == (
            "collect_date_must_not_be_after_open_date")


def test_the_day_reads_every_borrower_with_an_open_loan(app: Dunwell) -> None:
    loans = lend(app, 1, 2)
    day = first_due(loans[1]) + dt.timedelta(days=3)
    with app.uow() as uow:
        facts = collect.read_day(uow, day, currency="CNY", last_run=None)
    assert facts.borrower_ids == [1, 2] and set(facts.profiles) == {1, 2}
    (loan,) = facts.facts[1]
    assert loan.days_past_due == 3 and loan.overdue_minor > 0
    assert facts.next_due[1] > day


def plan(app: Dunwell, day: dt.date, bid: int = 1) -> tuple[collect.DayFacts,
                                                           collect.CollectReport]:
    report = collect.CollectReport(day)
    with app.uow() as uow:
        facts = collect.read_day(uow, day, currency="CNY", last_run=None)
        case = collect.plan_case(uow, facts, arms=collect.choose_arms(collect.Experiment(), None),
                                 bid=bid, profile=facts.profiles[bid], report=report)
        uow.commit()
    assert case is not None
    return facts, report


def test_an_overdue_borrower_gets_a_case_with_the_champion_strategy(app: Dunwell) -> None:
    loans = lend(app, 1)
    day = first_due(loans[1]) + dt.timedelta(days=2)
    _, report = plan(app, day)
    with app.uow() as uow:
        (stored,) = uow.cases.active().values()
    assert (report.cases_opened, report.cases_closed) == (1, 0)
    assert (stored.view.status, stored.strategy_name, stored.view.variant) == (
        CaseStatus.OPEN, "humane", "champion")
    _, again = plan(app, day)  # the case exists: it is updated, not opened again
    assert again.cases_opened == 0


def test_a_borrower_due_within_five_days_gets_the_pre_due_steps_only(app: Dunwell) -> None:
    loans = lend(app, 1)
    arms = collect.choose_arms(collect.Experiment(), None)
    for days_before, expected in ((collect.PRE_DUE_DAYS + 1, False),
                                  (collect.PRE_DUE_DAYS - 2, True)):
        day = first_due(loans[1]) - dt.timedelta(days=days_before)
        report = collect.CollectReport(day)
        with app.uow() as uow:
            facts = collect.read_day(uow, day, currency="CNY", last_run=None)
            steps = collect.steps_for(uow, facts, arms=arms, bid=1, profile=facts.profiles[1],
                                      case=None, report=report)
        assert bool(steps) is expected, days_before
        assert all(s.case_id.startswith("pre-") for s in steps)
        assert report.cases_open == 0


def test_steps_whose_window_passed_without_a_run_are_recorded_as_skipped(
        app: Dunwell) -> None:
    loans = lend(app, 1)
    due = first_due(loans[1])
    run(app, due + dt.timedelta(days=1))
    later = due + dt.timedelta(days=20)
    open_on(app, later)
    arms = collect.choose_arms(collect.Experiment(), None)
    report = collect.CollectReport(later)
    with app.uow() as uow:
        facts = collect.read_day(uow, later, currency="CNY", last_run=due + dt.timedelta(days=1))
        case = collect.plan_case(uow, facts, arms=arms, bid=1, profile=facts.profiles[1],
                                 report=report)
        collect.steps_for(uow, facts, arms=arms, bid=1, profile=facts.profiles[1], case=case,
                          report=report)
        skipped = [a for a in uow.actions.on_date(later) if a["decision"] == "skipped"]
    assert report.steps_missed == len(skipped) > 0
    assert report.cases_open == 1


def step(kind: ActionKind, channel: str | None, *, planned: dt.time = dt.time(10),
         tags: tuple[str, ...] = ("payment_reminder",)) -> ProposedStep:
    humane = builtin_strategies()["humane"]
    return ProposedStep(case_id="pre-1", borrower_id="1", kind=kind, channel=channel,
                        recipient=None if channel is None else "borrower",
                        planned_time=planned, content_tags=tags, priority=1, step_id="s1",
                        segment_id="seg", due_date=START, occurrence=1,
                        strategy_name=humane.name, strategy_version=humane.version,
                        reason="test")


def decide(app: Dunwell, proposed: ProposedStep,
           flags: tuple[Flag, ...] = ()) -> tuple[dict[str, object], collect.CollectReport,
                                                  collect.DayWork]:
    loans = lend(app, 1, flags=flags)
    proposed = replace(proposed, due_date=first_due(loans[1]))  # what the reminder is about
    report, work = collect.CollectReport(START), collect.DayWork()
    with app.uow() as uow:
        facts = collect.read_day(uow, START, currency="CNY", last_run=None)
        action_id = collect.decide_step(app, uow, facts, proposed, bid=1,
                                        profile=facts.profiles[1], case=None,
                                        now=at(START, 9), report=report, work=work)
        (row,) = [a for a in uow.actions.on_date(START) if a["action_id"] == action_id]
        uow.commit()
    return row, report, work


def test_an_allowed_sms_step_is_recorded_audited_and_queued_as_a_message(
        app: Dunwell) -> None:
    row, report, work = decide(app, step(ActionKind.SMS_REMINDER, "sms"))
    assert (row["decision"], row["status"], row["variant"]) == ("allow", "planned", "champion")
    assert report.decisions == {("sms_reminder", "allow"): 1}
    assert [kind for kind, _, _ in work.audit] == ["guard_decision"]
    with app.uow() as uow:
        (message,) = uow.outbox.recent()
    assert (message.kind, message.action_id, message.case_id) == (
        "sms_reminder", row["action_id"], None)  # a pre-due view is no case


def test_a_denied_step_counts_its_rule_and_sends_nothing(app: Dunwell) -> None:
    row, report, work = decide(app, step(ActionKind.SMS_REMINDER, "sms"),
                               flags=(Flag.OPT_OUT_SMS,))
    assert row["decision"] == "deny" and row["rule"] in report.rules
    assert work.calls == []
    with app.uow() as uow:
        assert uow.outbox.recent() == []


def test_an_allowed_call_waits_for_the_queues_and_an_internal_step_has_no_verdict(
        app: Dunwell) -> None:
    row, _, work = decide(app, step(ActionKind.CALL, "call"))
    assert [action_id for _, action_id in work.calls] == [row["action_id"]]
    internal = fake_app()
    row, report, work = decide(internal, step(ActionKind.CALL_QUEUE, None, tags=()))
    assert (row["decision"], row["reason"]) == ("internal", "test")
    assert report.decisions == {("call_queue", "internal"): 1} and work.calls == []


def test_finishing_the_day_records_the_run_and_a_second_run_replays_it(app: Dunwell) -> None:
    loans = lend(app, 1)
    day = first_due(loans[1]) + dt.timedelta(days=1)
    first = run(app, day)
    with app.uow() as uow:
        (entry,) = [r for r in uow.audit.records() if r.kind == "guard_decision"]
        assert uow.actions.run_summary(day) == first.to_json()
    again = collect.collect_day(app, day, now=at(day, 10))
    assert again.replayed and again.to_json() == first.to_json()
    assert entry.subject == "borrower:1"


def test_the_calls_go_to_qualified_collectors_and_the_owner_is_recorded(
        app: Dunwell) -> None:
    loans = lend(app, 1)
    with app.uow() as uow:
        uow.actions.put_collector("c-1", "Zhou", 10, "09:00", "18:00")
        uow.commit()
    due = first_due(loans[1])
    for k in range(1, 4):
        report = run(app, due + dt.timedelta(days=k))
    assert (report.calls_queued, report.calls_unassigned) == (1, 0)
    queue = views.call_queue(app, business_date=due + dt.timedelta(days=3))
    assert [(r["collector_id"], r["position"]) for r in queue.rows] == [("c-1", 1)]
    assert views.case_list(app)[0].owner == "c-1"


def test_a_call_without_a_guard_window_runs_from_its_planned_time_to_eight_pm(
        app: Dunwell) -> None:
    loans = lend(app, 1)
    day = first_due(loans[1]) + dt.timedelta(days=3)
    with app.uow() as uow:
        facts = collect.read_day(uow, day, currency="CNY", last_run=None)
    verdict = contacts.judge_contact(facts.profiles[1], [], at=at(day, 10),
                                     channel=Channel.CALL, content_tags=["payment_reminder"])
    task = calls.call_task(step(ActionKind.CALL, "call"), replace(verdict, window=None),
                           facts.facts[1], None)
    assert (task.window_start, task.window_end) == (dt.time(10), dt.time(20))
    assert (task.days_past_due, task.balance_minor) == (3, facts.facts[1][0].overdue_minor)
    assert task.case_id == "pre-1" and task.broken_promises == 0


def test_no_calls_queue_nothing(app: Dunwell) -> None:
    lend(app, 1)
    with app.uow() as uow:
        assert calls.queue_calls(uow.training, uow.actions, uow.cases, [], START) == (0, 0)


def test_finishing_a_day_writes_its_audit_trail_and_records_the_run(app: Dunwell) -> None:
    lend(app, 1)
    report = collect.CollectReport(START, cases_open=3)
    work = collect.DayWork(audit=[("guard_decision", "borrower:1", {"decision": "allow"})])
    with app.uow() as uow:
        collect.finish_day(app, uow, START, now=at(START, 9), report=report, work=work)
        uow.commit()
    with app.uow() as uow:
        assert [r.subject for r in uow.audit.records()] == ["borrower:1"]
        assert uow.actions.run_summary(START) == report.to_json()
        assert uow.actions.last_run_before(START + dt.timedelta(days=1)) == START
    assert (report.letters_issued, report.referrals_proposed, report.calls_queued) == (0, 0, 0)
