"""Uplift: who pays *because of* which collection action, not just who pays.

A T-learner: one LightGBM classifier per arm (``none`` = no contact that day, and
each action group that has enough history), each estimating P(the borrower pays
within ``horizon_days`` | the case's features, that arm). The uplift of an arm is
its probability minus ``none``'s. Value is the caller's business (balance × uplift,
see :mod:`dunwell.collections.prioritise`).

Features come from :func:`features` on a :class:`CaseState` — the same function for
the training rows reconstructed from a book's history and for the cases of a day's
collection run, so the two can never drift apart. Evaluation on held-out rows is the
Qini curve per arm (treated = that arm, control = ``none``): :func:`qini`.

Pure: no I/O, no clock and no random draws (LightGBM is seeded, single-threaded and
deterministic; the hold-out split hashes a key with SHA-256).
"""

# float-ok: probabilities and features, not money

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np

from dunwell.risk.errors import ModelLoadError, RiskInputError

Array = np.ndarray[Any, Any]

NONE: Final = "none"
#: Arms from the least to the most intrusive (Abe et al.: choose the less intrusive
#: action when it does about as well).
ARMS: Final = ("none", "help", "reminder", "letter", "offer", "call", "visit")
INTRUSIVENESS: Final = {arm: k for k, arm in enumerate(ARMS)}
#: Collection step kinds (``ActionKind`` values) and the arm each belongs to.
ARM_OF_KIND: Final = {
    "in_app_reminder": "reminder",
    "sms_reminder": "reminder",
    "email_reminder": "reminder",
    "call": "call",
    "call_queue": "call",
    "letter": "letter",
    "field_visit": "visit",
    "negotiation_offer": "offer",
    "hardship_outreach": "help",
    "education": "help",
}
#: The arm of a contact recorded on a channel.
ARM_OF_CHANNEL: Final = {
    "sms": "reminder",
    "email": "reminder",
    "in_app": "reminder",
    "call": "call",
    "letter": "letter",
    "visit": "visit",
}
FEATURES: Final = (
    "dpd",
    "log_overdue",
    "log_outstanding",
    "overdue_share",
    "payments_30d",
    "log_paid_30d",
    "days_since_payment",
    "messages_7d",
    "calls_7d",
    "calls_30d",
    "letters_30d",
    "visits_60d",
    "outbound_30d",
    "conversations_30d",
    "days_since_conversation",
    "no_answer_30d",
    "broken_promises",
    "pending_promise",
    "hardship",
    "vulnerable",
    "language",
)
CAP_DAYS: Final = 120
#: An arm gets a model only with at least this many rows, positives and negatives.
MIN_ROWS: Final = 60
MIN_CLASS: Final = 8
FORMAT: Final = 1


@dataclass(frozen=True, slots=True)
class Contact:
    """A contact before the decision day: its day, channel, direction and outcome."""

    on: dt.date
    channel: str
    direction: str
    outcome: str


@dataclass(frozen=True, slots=True)
class CaseState:
    """What is known of a borrower's case on the morning of a decision day."""

    dpd: int
    overdue_minor: int
    outstanding_minor: int
    payments: tuple[tuple[dt.date, int], ...] = ()  # (day, amount) before the day
    contacts: tuple[Contact, ...] = ()  # before the day
    broken_promises: int = 0
    pending_promise: bool = False
    flags: frozenset[str] = frozenset()
    language: str = ""


def _days(today: dt.date, day: dt.date) -> int:
    return (today - day).days


def features(state: CaseState, today: dt.date, languages: Sequence[str]) -> list[float]:
    """The feature row of :data:`FEATURES` for ``state`` on ``today``; ``language`` is
    the index of the borrower's language in ``languages`` (NaN when not there)."""
    paid = [(d, a) for d, a in state.payments if 0 < _days(today, d) <= 30]
    last_paid = max((d for d, _ in state.payments if d < today), default=None)
    recent = [c for c in state.contacts if c.on < today]
    out = [c for c in recent if c.direction == "outbound"]

    def count(days: int, pred: Callable[[Contact], bool]) -> float:
        return float(sum(1 for c in out if _days(today, c.on) <= days and pred(c)))

    talks = [c for c in recent if c.outcome in ("conversation", "promise_to_pay")]
    last_talk = max((c.on for c in talks), default=None)
    overdue, outstanding = max(0, state.overdue_minor), max(0, state.outstanding_minor)
    lang = languages.index(state.language) if state.language in languages else math.nan
    return [
        float(state.dpd),
        math.log1p(overdue),
        math.log1p(outstanding),
        overdue / outstanding if outstanding else 0.0,
        float(len(paid)),
        math.log1p(sum(a for _, a in paid)),
        float(min(CAP_DAYS, _days(today, last_paid))) if last_paid else float(CAP_DAYS),
        count(7, lambda c: ARM_OF_CHANNEL.get(c.channel) == "reminder"),
        count(7, lambda c: c.channel == "call"),
        count(30, lambda c: c.channel == "call"),
        count(30, lambda c: c.channel == "letter"),
        count(60, lambda c: c.channel == "visit"),
        count(30, lambda c: True),
        float(sum(1 for c in talks if _days(today, c.on) <= 30)),
        float(min(CAP_DAYS, _days(today, last_talk))) if last_talk else float(CAP_DAYS),
        count(30, lambda c: c.outcome == "no_answer"),
        float(state.broken_promises),
        float(state.pending_promise),
        float("hardship_plan" in state.flags),
        float("vulnerable" in state.flags),
        lang,
    ]


def holdout(keys: Sequence[str], share_pct: int, seed: int) -> Array:
    """A boolean mask: True for about ``share_pct`` % of ``keys`` (SHA-256 of seed and
    key, so all rows of one key fall on the same side)."""
    if not 0 <= share_pct < 100:
        raise RiskInputError(
            f"the hold-out share must be 0..99 %, got {share_pct}",
            code="uplift_holdout_must_be_a_percentage",
        )
    out = np.zeros(len(keys), dtype=bool)
    for k, key in enumerate(keys):
        digest = hashlib.sha256(f"{seed}\x1fholdout\x1f{key}".encode()).digest()
        out[k] = int.from_bytes(digest[:8], "big") % 10_000 < share_pct * 100
    return out


def _params(rows: int, seed: int) -> dict[str, Any]:
    return {
        "objective": "binary",
        "learning_rate": 0.05,
        "num_leaves": 15,
        "max_depth": 5,
        "min_child_samples": max(20, rows // 100),
        "lambda_l2": 10.0,
        "feature_fraction": 0.9,
        "seed": seed,
        "deterministic": True,
        "force_row_wise": True,
        "num_threads": 1,
        "verbose": -1,
    }


@dataclass(frozen=True)
class UpliftModel:
    """P(pay within the horizon | features, arm) for each arm that has a model."""

    boosters: Mapping[str, Any]
    languages: tuple[str, ...]
    horizon_days: int
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def arms(self) -> tuple[str, ...]:
        """The arms it can score, least intrusive first (``none`` always among them)."""
        return tuple(a for a in ARMS if a in self.boosters)

    def matrix(self, states: Sequence[CaseState], today: dt.date) -> Array:
        rows = [features(s, today, self.languages) for s in states]
        return np.array(rows, dtype=np.float64).reshape(len(rows), len(FEATURES))

    def predict(self, x: Array) -> dict[str, Array]:
        """P(pay) for each arm, one value per row of ``x``."""
        if len(x) == 0:
            return {arm: np.zeros(0) for arm in self.arms}
        return {
            arm: np.asarray(self.boosters[arm].predict(x, num_threads=1), dtype=np.float64)
            for arm in self.arms
        }

    def uplift(self, x: Array) -> dict[str, Array]:
        """P(pay | arm) − P(pay | none) for each arm but ``none``."""
        p = self.predict(x)
        return {arm: p[arm] - p[NONE] for arm in self.arms if arm != NONE}

    def to_files(self) -> dict[str, str]:
        """The model as text files: one LightGBM model per arm and ``uplift.json``."""
        files = {f"arm_{arm}.txt": str(self.boosters[arm].model_to_string()) for arm in self.arms}
        doc = {
            "format": FORMAT,
            "arms": list(self.arms),
            "languages": list(self.languages),
            "horizon_days": self.horizon_days,
            "features": list(FEATURES),
            "meta": self.meta,
        }
        files["uplift.json"] = json.dumps(doc, ensure_ascii=False, indent=1, allow_nan=False) + "\n"
        return files

    @staticmethod
    def from_files(read: Callable[[str], str]) -> UpliftModel:
        import lightgbm as lgb

        try:
            doc = json.loads(read("uplift.json"))
            if doc.get("format") != FORMAT or list(doc["features"]) != list(FEATURES):
                raise ModelLoadError(
                    f"uplift.json has format {doc.get('format')!r} or other features; this "
                    f"version of dunwell reads format {FORMAT}; train the policy again"
                )
            boosters = {arm: lgb.Booster(model_str=read(f"arm_{arm}.txt")) for arm in doc["arms"]}
            return UpliftModel(
                boosters,
                tuple(doc["languages"]),
                int(doc["horizon_days"]),
                dict(doc.get("meta", {})),
            )
        except ModelLoadError:
            raise
        except (KeyError, TypeError, ValueError, lgb.basic.LightGBMError) as exc:
            raise ModelLoadError(f"the uplift model cannot be read: {exc!r}") from None


def fit_uplift(
    x: Array,
    arms: Sequence[str],
    y: Array,
    *,
    languages: Sequence[str],
    horizon_days: int,
    seed: int,
    rounds: int = 150,
    min_rows: int = MIN_ROWS,
) -> UpliftModel:
    """One classifier per arm with at least ``min_rows`` rows and :data:`MIN_CLASS`
    payers and non-payers; ``none`` must qualify."""
    import lightgbm as lgb

    arm_array = np.asarray(arms)
    boosters: dict[str, Any] = {}
    skipped: dict[str, str] = {}
    for arm in ARMS:
        mask = arm_array == arm
        rows, pos = int(mask.sum()), int(y[mask].sum())
        if rows < min_rows or min(pos, rows - pos) < MIN_CLASS:
            skipped[arm] = f"{rows} rows, {pos} paid"
            continue
        data = lgb.Dataset(
            x[mask],
            label=y[mask],
            feature_name=list(FEATURES),
            categorical_feature=["language"],
            free_raw_data=True,
        )
        boosters[arm] = lgb.train(_params(rows, seed), data, num_boost_round=rounds)
    if NONE not in boosters:
        raise RiskInputError(
            f"the history has too few days without contact to learn uplift against "
            f"({skipped.get(NONE)}; need {min_rows} rows with {MIN_CLASS} payers and "
            "non-payers); run longer or keep an exploration share",
            code="uplift_history_must_have_untreated_days",
        )
    meta = {"skipped_arms": skipped, "rows": {a: int((arm_array == a).sum()) for a in ARMS}}
    return UpliftModel(boosters, tuple(languages), horizon_days, meta)


@dataclass(frozen=True)
class Qini:
    """The Qini curve of one arm against ``none`` on held-out rows.

    ``coefficient``: area between the model's curve and the random line, divided by
    the same area for the perfect ordering (1 = perfect, 0 = random, < 0 = worse);
    ``area``: the area between the model's curve and the random line per row²
    (incremental payers per row); ``top_uplift``: observed uplift (pay rate treated −
    control) in the top 30 % by predicted uplift; ``ate``: observed over all rows."""

    arm: str
    treated: int
    control: int
    coefficient: float
    area: float
    top_uplift: float
    ate: float

    def to_json(self) -> dict[str, Any]:
        return {
            "arm": self.arm,
            "treated": self.treated,
            "control": self.control,
            "qini_coefficient": round(self.coefficient, 4),
            "qini_area": round(self.area, 6),
            "top30_uplift": round(self.top_uplift, 4),
            "ate": round(self.ate, 4),
        }


def _qini_curve(score: Array, treated: Array, y: Array) -> Array:
    order = np.argsort(-score, kind="stable")
    t, yy = treated[order], y[order]
    yt, yc = np.cumsum(yy * t), np.cumsum(yy * (1 - t))
    nt, nc = np.cumsum(t), np.cumsum(1 - t)
    ratio = np.divide(nt, nc, out=np.zeros_like(nt, dtype=np.float64), where=nc > 0)
    return np.concatenate([[0.0], yt - yc * ratio])


def _rate(y: Array, mask: Array) -> float:
    return float(y[mask].mean()) if mask.any() else 0.0


def qini(arm: str, score: Array, treated: Array, y: Array) -> Qini:
    """The Qini figures of ``score`` (predicted uplift) for rows treated with ``arm``
    (``treated`` 1) or not contacted (0), ``y`` 1 when the borrower paid."""
    t, yy = treated.astype(np.float64), y.astype(np.float64)
    n = len(t)
    if n == 0 or t.sum() == 0 or t.sum() == n:
        return Qini(arm, int(t.sum()), int(n - t.sum()), 0.0, 0.0, 0.0, 0.0)
    curve = _qini_curve(score, t, yy)
    line = np.linspace(0.0, curve[-1], n + 1)
    area = float(np.trapezoid(curve - line)) / (n * n)
    best = _qini_curve(yy * (2 * t - 1) + 1e-9 * score, t, yy)
    best_area = float(np.trapezoid(best - line)) / (n * n)
    top = np.zeros(n, dtype=bool)
    top[np.argsort(-score, kind="stable")[: max(1, int(0.3 * n))]] = True
    tb = t.astype(bool)
    return Qini(
        arm,
        int(t.sum()),
        int(n - t.sum()),
        area / best_area if best_area > 0 else 0.0,
        area,
        _rate(yy, top & tb) - _rate(yy, top & ~tb),
        _rate(yy, tb) - _rate(yy, ~tb),
    )


def evaluate(model: UpliftModel, x: Array, arms: Sequence[str], y: Array) -> list[Qini]:
    """:func:`qini` for each modelled arm on held-out rows ``x``."""
    arm_array = np.asarray(arms)
    lift = model.uplift(x)
    out = []
    for arm, score in lift.items():
        mask = (arm_array == arm) | (arm_array == NONE)
        out.append(qini(arm, score[mask], (arm_array[mask] == arm).astype(np.float64), y[mask]))
    return out
