"""What a collection run is asked to try (the champion/challenger experiment) and what
it reports: counts of cases, decisions, calls, letters and referrals, kept as JSON so
a second run of the same day returns the first one's report."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Experiment:
    """Champion/challenger: ``challenger`` gets about ``share_pct`` % of new cases."""

    champion: str = "humane"
    challenger: str | None = None
    share_pct: int = 0
    name: str = "default"
    seed: int = 0


@dataclass
class CollectReport:
    business_date: dt.date
    replayed: bool = False
    cases_open: int = 0
    cases_opened: int = 0
    cases_closed: int = 0
    decisions: Counter[tuple[str, str]] = field(default_factory=Counter)  # (kind, decision)
    rules: Counter[str] = field(default_factory=Counter)  # rules that deferred or denied
    calls_queued: int = 0
    calls_unassigned: int = 0
    letters_issued: int = 0
    referrals_proposed: int = 0  # for a person to approve or reject
    steps_missed: int = 0  # whole window fell in days without a run: recorded as skipped

    def to_json(self) -> dict[str, object]:
        return {"cases_open": self.cases_open, "cases_opened": self.cases_opened,
                "cases_closed": self.cases_closed, "calls_queued": self.calls_queued,
                "calls_unassigned": self.calls_unassigned,
                "letters_issued": self.letters_issued,
                "referrals_proposed": self.referrals_proposed,
                "steps_missed": self.steps_missed,
                "decisions": [[k, d, n] for (k, d), n in sorted(self.decisions.items())],
                "rules": sorted(self.rules.items())}

    @classmethod
    def from_json(cls, day: dt.date, data: dict[str, object]) -> CollectReport:
        rep = cls(day, replayed=True)
        for key in ("cases_open", "cases_opened", "cases_closed", "calls_queued",
                    "calls_unassigned"):
            setattr(rep, key, data[key])
        for key in ("letters_issued", "referrals_proposed", "steps_missed"):
            setattr(rep, key, int(data.get(key, 0)))  # type: ignore[call-overload]
        rep.decisions = Counter({(k, d): n for k, d, n in data["decisions"]})  # type: ignore[attr-defined]
        rep.rules = Counter(dict(data["rules"]))  # type: ignore[call-overload]
        return rep


__all__ = ["CollectReport", "Experiment"]
