"""A finished run measured from its book (payments, cases, contacts, the guard's
decisions, complaints, plans, visits, legal steps, bucket history), in the shape of the
result document's ``runs[*]`` (docs/simulation.md, "Metrics").

Everything is counted over the measured days, ``start`` to ``end``: the book's warm-up
before ``start`` (the borrowers drawing down) is left out, except in the roll rates and
vintages, which follow each loan from its disbursement.

Definitions:

* **recovered** — payments received while the borrower had a collection case open
  (from its opening date to its closing date);
* **recovery_rate** — recovered / (recovered + what the borrowers with cases still owe
  on instalments already due at the end);
* **contacts** — outbound contacts recorded (messages, calls, letters, visits);
  **contacts_per_case** over the cases opened;
* **cost** — each allowed step at its kind's cost (``[cost]`` in parameters.toml),
  visits done at the visit cost, and each approved legal referral at the legal cost;
* **cures** — cases closed cured or paid off; **plans_kept** — plans not broken;
* **violations** — outbound contacts on steps the guard did not allow (must be 0);
  **denials** — steps the guard denied or deferred, by rule in ``denials_by_rule``
  (steps the ml policy withheld and internal steps are not denials);
* **visit_roi** — payments within 30 days after a visit that met the borrower, over
  the visits' cost (None when no visit was done); **cost_per_unit_recovered** is None
  when nothing was recovered.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from decimal import Decimal
from typing import Any

from dunwell.app.context import Dunwell
from dunwell.app.lab_read import lab_reader
from dunwell.core.dates import to_day
from dunwell.core.errors import DomainError
from dunwell.lending.model import LoanStatus
from dunwell.simulation.lab.params import Parameters

CURED = ("cured", "paid_off")
#: The guard's decisions that refuse a step (a step the ml policy withheld, or an
#: internal step the guard does not judge, is not a denial).
GUARD_REFUSALS = ("deny", "defer")
MET = ("delivered_in_person", "promise_to_pay", "hardship_reported", "refused")
VISIT_ROI_DAYS = 30
#: Bucket numbers: 0 current, 1 = 1-30 dpd, 2 = 31-60, 3 = 61-90, 4 = 91+.
ROLLS = (
    ("current_to_1_30", 0),
    ("1_30_to_31_60", 1),
    ("31_60_to_61_90", 2),
    ("61_90_to_90_plus", 3),
)
MONTH_DAYS = 30


class LabBookUnsound(DomainError):
    """A run's book does not verify: the lab stops and says which checks failed."""

    code = "simulate_book_must_verify"


def money(minor: int) -> str:
    return str((Decimal(minor) / 100).quantize(Decimal("0.01")))


def rate(x: float) -> float:
    return round(float(x), 4)


def _cost_key(kind: str, channel: str | None) -> str | None:
    if kind == "negotiation_offer":
        return "offer"
    if kind == "education":
        return "education"
    if kind == "legal_review":
        return None
    if kind == "field_visit":
        return None  # counted per visit done
    return {
        "sms": "sms",
        "in_app": "in_app",
        "email": "email",
        "call": "call",
        "letter": "letter",
    }.get(channel or "")


def measure(
    app: Dunwell,
    *,
    strategy: str,
    seed: int,
    start: dt.date,
    end: dt.date,
    params: Parameters,
    overdue: dict[dt.date, int] | None = None,
) -> dict[str, Any]:
    with lab_reader(app.engine) as repo:
        cases = repo.cases()
        payments = repo.payments()
        loans = repo.loans()
        owed_by_loan = repo.overdue_by_loan(to_day(end) + 1)
        contacts = [c for c in repo.contacts() if c[1][:10] >= start.isoformat()]
        not_allowed = repo.contacts_not_allowed()
        decisions = repo.decisions(since=start)
        complaints = [c for c in repo.complaints() if c[1] >= start]
        plans = [p for p in repo.plans() if p[2] >= start]
        visits = [v for v in repo.visits() if v[1] >= start]
        referrals = [r for r in repo.referrals() if r[3] >= start]
        buckets = repo.bucket_changes()
    all_cases = cases
    cases = [c for c in all_cases if c[3] is None or c[3] >= start]  # open in the window
    unit = {k: round(v * 100) for k, v in params.weights["cost"].items()}
    # recovered: payments inside an open case's dates, in the window
    spans: dict[int, list[tuple[dt.date, dt.date]]] = defaultdict(list)
    for _c, bid, opened, closed, _s in cases:
        spans[bid].append((max(opened, start), closed or end))
    daily_recovered: Counter[dt.date] = Counter()
    for _lid, bid, on, amount in payments:
        if on >= start and any(a <= on <= b for a, b in spans.get(bid, ())):
            daily_recovered[on] += amount
    recovered = sum(daily_recovered.values())
    open_codes = {int(s) for s in LoanStatus if s.is_open}
    owed = sum(
        owed_by_loan.get(lid, 0)
        for lid, bid, _p, _d, status in loans
        if bid in spans and status in open_codes
    )
    recovery_rate = recovered / (recovered + owed) if recovered + owed else 0.0
    # cost, denials
    cost = 0
    denials_by_rule: Counter[str] = Counter()
    for kind, channel, decision, rule, n in decisions:
        if decision == "allow":
            key = _cost_key(kind, channel)
            cost += unit.get(key, 0) * n if key else 0
        elif decision in GUARD_REFUSALS:  # not the policy's own "withheld", nor "internal"
            denials_by_rule[rule or decision] += n
    done = [v for v in visits if v[2] == "done"]
    visit_cost = unit["visit"] * len(done)
    approved = [r for r in referrals if r[2] not in ("proposed", "not_eligible", "rejected")]
    cost += visit_cost + unit["legal"] * len(approved)
    after_visit = _after_visits(done, payments)
    contacts_n = len(contacts)
    metrics = {
        "recovered": money(recovered),
        "recovery_rate": rate(recovery_rate),
        "contacts": contacts_n,
        "contacts_per_case": round(contacts_n / len(cases), 2) if cases else 0.0,
        "complaints": len(complaints),
        "cost": money(cost),
        "cost_per_unit_recovered": rate(cost / recovered) if recovered else None,
        "cures": sum(1 for c in cases if c[4] in CURED and c[3] is not None),
        "plans_made": len(plans),
        "plans_kept": sum(1 for p in plans if p[3] != "broken"),
        "visits": len(done),
        "visit_roi": round(after_visit / visit_cost, 2) if visit_cost else None,
        "violations": not_allowed,
        "denials": sum(denials_by_rule.values()),
    }
    return {
        "strategy": strategy,
        "seed": seed,
        "metrics": metrics,
        "denials_by_rule": dict(sorted(denials_by_rule.items())),
        "roll_rates": roll_rates(loans, buckets),
        "vintages": vintages(loans, buckets, end),
        "daily": daily(
            start,
            end,
            daily_recovered,
            contacts,
            complaints,
            all_cases,
            loans,
            overdue_series=overdue,
        ),
        "seconds": 0.0,
    }


def _after_visits(
    done: list[tuple[int, dt.date, str, str | None]], payments: list[tuple[int, int, dt.date, int]]
) -> int:
    """Payments within VISIT_ROI_DAYS after a visit that met the borrower."""
    met_days: dict[int, list[dt.date]] = defaultdict(list)
    for bid, on, _s, outcome in done:
        if outcome in MET:
            met_days[bid].append(on)
    return sum(
        amount
        for _l, bid, on, amount in payments
        if any(0 <= (on - d).days <= VISIT_ROI_DAYS for d in met_days.get(bid, ()))
    )


def roll_rates(
    loans: list[tuple[int, int, int, int, int]], changes: list[tuple[int, dt.date, int, int]]
) -> dict[str, float]:
    """For each bucket: the share of loans ever in it that reached the next one."""
    ever: dict[int, set[int]] = defaultdict(set)
    for lid, *_ in loans:
        ever[0].add(lid)
    for lid, _d, _b, after in changes:
        for k in range(1, after + 1):
            ever[k].add(lid)
    out = {}
    for name, b in ROLLS:
        base = len(ever[b])
        out[name] = rate(len(ever[b + 1]) / base) if base else 0.0
    return out


def vintages(
    loans: list[tuple[int, int, int, int, int]],
    changes: list[tuple[int, dt.date, int, int]],
    end: dt.date,
) -> dict[str, list[float]]:
    """Per disbursement month: the share of its principal 30+ days past due (bucket 2
    or more) at month-on-book 1..n (30-day months), up to the run's end."""
    history: dict[int, list[tuple[dt.date, int]]] = defaultdict(list)
    for lid, on, _b, after in changes:
        history[lid].append((on, after))
    groups: dict[str, list[tuple[int, int, dt.date]]] = defaultdict(list)
    for lid, _bid, principal, day, _s in loans:
        disbursed = dt.date(1970, 1, 1) + dt.timedelta(days=day)
        groups[disbursed.strftime("%Y-%m")].append((lid, principal, disbursed))
    out: dict[str, list[float]] = {}
    for month, members in sorted(groups.items()):
        total = sum(p for _l, p, _d in members) or 1
        first = min(d for _l, _p, d in members)
        curve = []
        for mob in range(1, (end - first).days // MONTH_DAYS + 1):
            bad = 0
            for lid, principal, disbursed in members:
                at = disbursed + dt.timedelta(days=MONTH_DAYS * mob)
                bucket = 0
                for on, after in history.get(lid, ()):
                    if on > at:
                        break
                    bucket = after
                bad += principal if bucket >= 2 else 0
            curve.append(rate(bad / total))
        out[month] = curve
    return out


def daily(
    start: dt.date,
    end: dt.date,
    recovered: Counter[dt.date],
    contacts: list[tuple[int, str, str, str, int | None]],
    complaints: list[tuple[int, dt.date, str]],
    cases: list[tuple[str, int, dt.date, dt.date | None, str]],
    loans: list[tuple[int, int, int, int, int]],
    overdue_series: dict[dt.date, int] | None,
) -> dict[str, list[Any]]:
    days = [start + dt.timedelta(days=k) for k in range((end - start).days + 1)]
    by_contact: Counter[dt.date] = Counter(
        dt.date.fromisoformat(ts[:10]) for _b, ts, *_ in contacts
    )
    by_complaint: Counter[dt.date] = Counter(d for _b, d, _c in complaints)
    opened: Counter[dt.date] = Counter(o for _c, _b, o, _x, _s in cases if o >= start)
    closed: Counter[dt.date] = Counter(
        x for _c, _b, _o, x, _s in cases if x is not None and x >= start
    )
    open_now = sum(1 for _c, _b, o, x, _s in cases if o < start and (x is None or x >= start))
    open_cases = []
    for d in days:
        open_now += opened[d] - closed[d]
        open_cases.append(open_now)
    del loans
    series = overdue_series or {}
    return {
        "dates": [d.isoformat() for d in days],
        "recovered": [money(recovered[d]) for d in days],
        "contacts": [by_contact[d] for d in days],
        "complaints": [by_complaint[d] for d in days],
        "open_cases": open_cases,
        "overdue_balance": [money(series.get(d, 0)) for d in days],
    }
