"""The two named stories, as they happened in a run's book: the borrower hit by a
family emergency who agrees an instalment plan after a visit (planted at population
index 0), and the borrower who refuses and ends in court (index 1). Their timelines
come from the book: the guard's decisions on each step, contacts, payments, visits,
plans, complaints and the legal steps (the case timeline).

Repeated events are summarised so a story stays readable under any strategy: the
reminders in one line, each run of calls (attempts on days no more than
:data:`RUN_GAP_DAYS` apart) as "14 calls, 3 answered", and any other event repeated
with the same text on nearby days as one line with its count and last date."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from dunwell.app.lab_read import lab_reader
from dunwell.simulation.lab.book import Book
from dunwell.simulation.lab.metrics import money
from dunwell.simulation.lab.population import STORY_COURT, STORY_PLAN

TITLES = {
    "family_emergency_plan": "A family emergency, a visit, and a plan that fits",
    "refusal_to_court": "Every contact refused, and the claim goes to court",
}
#: Steps the guard allowed that are summarised in one line over the run.
QUIET = ("in_app_reminder", "sms_reminder")
#: Events of the same kind and text at most this many days apart are one line.
RUN_GAP_DAYS = 3
#: A story's lines at most (the summaries keep the whole run well within it).
EVENTS_MAX = 80
#: Contact outcomes that mean the borrower was reached on a call.
ANSWERED = ("conversation", "promise_to_pay", "refused", "hardship_reported")


def extract(book: Book, *, strategy: str, seed: int | None = None) -> list[dict[str, Any]]:
    del seed  # the stories are the same borrowers in every seed's book
    out = []
    for name, index in (("family_emergency_plan", STORY_PLAN), ("refusal_to_court", STORY_COURT)):
        bid = next((b for b, i in book.borrower_index.items() if i == index), None)
        if bid is None:
            continue
        out.append(
            {
                "name": name,
                "strategy": strategy,
                "borrower_id": bid,
                "title": TITLES[name],
                "events": _events(book, bid),
            }
        )
    return out


@dataclass
class _Run:
    """A run of repeated events: first and last date, how many, and (calls) answered."""

    first: dt.date
    last: dt.date
    order: int
    kind: str
    text: str
    count: int = 1
    answered: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)


def _events(book: Book, bid: int) -> list[dict[str, str]]:
    with lab_reader(book.app.engine) as repo:
        timeline = repo.timeline(bid)
        actions = repo.actions_of(bid)
        contacts = repo.contacts_of(bid)
        payments = [p for p in repo.payments() if p[1] == bid]
        complaints = [c for c in repo.complaints() if c[0] == bid]
    events: list[tuple[dt.date, int, str, str]] = []
    reminders = 0
    for on, kind, decision, rule in actions:
        if kind in QUIET and decision == "allow":
            reminders += 1
            continue
        if kind == "call" and decision == "allow":
            continue  # told by the call's contact below
        text = f"{kind.replace('_', ' ')}: {decision}" + (f" ({rule})" if rule else "")
        events.append((on, 1, f"step_{decision}", text))
    for on, channel, outcome in contacts:
        if channel == "call":
            events.append((on, 2, "call", outcome))
    for on, kind, text in timeline:
        events.append((on, 3, kind, text))
    for _lid, _b, on, amount in payments:
        events.append((on, 4, "payment", f"paid {money(amount)} CNY"))
    for _b, on, category in complaints:
        events.append((on, 5, "complaint", f"complaint: {category.replace('_', ' ')}"))
    events.sort(key=lambda e: (e[0], e[1]))
    runs = _summarise(events)
    out = [{"date": r.first.isoformat(), "kind": r.kind, "text": _text(r)} for r in runs]
    if reminders:
        out.insert(
            0,
            {
                "date": events[0][0].isoformat() if events else "",
                "kind": "reminders",
                "text": f"{reminders} reminders sent over the run",
            },
        )
    return out[:EVENTS_MAX]


def _summarise(events: list[tuple[dt.date, int, str, str]]) -> list[_Run]:
    """Consecutive repeats (same kind and text, or any call) within RUN_GAP_DAYS of
    the run's last event are folded into one run."""
    runs: list[_Run] = []
    open_runs: dict[tuple[str, str], _Run] = {}
    for on, order, kind, text in events:
        key = (kind, "" if kind == "call" else text)
        run = open_runs.get(key)
        if run is not None and (on - run.last).days <= RUN_GAP_DAYS:
            run.last, run.count = on, run.count + 1
        else:
            run = _Run(on, on, order, kind, text, count=1)
            runs.append(run)
            open_runs[key] = run
        if kind == "call":
            run.outcomes[text] += 1
            run.answered += text in ANSWERED
    return runs


def _text(run: _Run) -> str:
    until = f" (to {run.last.isoformat()})" if run.last != run.first else ""
    if run.kind == "call":
        if run.count == 1:
            return f"call: {run.text.replace('_', ' ')}"
        said = ", ".join(
            f"{n} {o.replace('_', ' ')}" for o, n in sorted(run.outcomes.items()) if o in ANSWERED
        )
        return (
            f"{run.count} calls, {run.answered} answered"
            + (f" ({said})" if said else "")
            + (f", to {run.last.isoformat()}" if run.last != run.first else "")
        )
    if run.count == 1:
        return run.text
    return f"{run.text} ×{run.count}{until}"
