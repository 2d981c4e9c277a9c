"""The two named stories, as they happened in a run's book: the borrower hit by a
family emergency who agrees an instalment plan after a visit (planted at population
index 0), and the borrower who refuses and ends in court (index 1). Their timelines
come from the book: the guard's decisions on each step, contacts, payments, visits,
plans, complaints and the legal steps (the case timeline)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from dunwell.app.lab_read import lab_reader
from dunwell.simulation.lab.book import Book
from dunwell.simulation.lab.metrics import money
from dunwell.simulation.lab.population import STORY_COURT, STORY_PLAN

TITLES = {
    "family_emergency_plan": "A family emergency, a visit, and a plan that fits",
    "refusal_to_court": "Every contact refused, and the claim goes to court",
}
#: Steps the guard allowed that are worth a line in a story (reminders are summarised).
QUIET = ("in_app_reminder", "sms_reminder")
EVENTS_MAX = 60


def extract(book: Book, *, strategy: str) -> list[dict[str, Any]]:
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


def _events(book: Book, bid: int) -> list[dict[str, str]]:
    with lab_reader(book.app.engine) as repo:
        timeline = repo.timeline(bid)
        actions = repo.actions_of(bid)
        payments = [p for p in repo.payments() if p[1] == bid]
        complaints = [c for c in repo.complaints() if c[0] == bid]
    events: list[tuple[dt.date, int, str, str]] = []
    reminders = 0
    for on, kind, decision, rule in actions:
        if kind in QUIET and decision == "allow":
            reminders += 1
            continue
        text = f"{kind.replace('_', ' ')}: {decision}" + (f" ({rule})" if rule else "")
        events.append((on, 1, f"step_{decision}", text))
    for on, kind, text in timeline:
        events.append((on, 2, kind, text))
    for _lid, _b, on, amount in payments:
        events.append((on, 3, "payment", f"paid {money(amount)} CNY"))
    for _b, on, category in complaints:
        events.append((on, 4, "complaint", f"complaint: {category.replace('_', ' ')}"))
    events.sort(key=lambda e: (e[0], e[1]))
    out = [
        {"date": on.isoformat(), "kind": kind, "text": text}
        for on, _o, kind, text in events[:EVENTS_MAX]
    ]
    if reminders:
        out.insert(
            0,
            {
                "date": events[0][0].isoformat() if events else "",
                "kind": "reminders",
                "text": f"{reminders} reminders sent over the run",
            },
        )
    return out
