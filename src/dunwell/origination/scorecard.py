"""The built-in credit model: a transparent points scorecard read from
``scorecard.toml`` (the file documents the format and the odds-to-PD formula).

It implements :class:`dunwell.origination.ports.CreditModel` and is the default until
a trained model is configured.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources

from dunwell.core.errors import InvalidInput
from dunwell.origination.model import ApplicantKind, Effect, Reason

UNITS = ("count", "bps", "pct")


@dataclass(frozen=True, slots=True)
class Characteristic:
    feature: str
    unit: str
    bins: tuple[tuple[int, int], ...]  # (upper bound, exclusive; points), ascending bounds
    otherwise: int

    @property
    def best(self) -> int:
        return max(self.otherwise, *(p for _, p in self.bins))

    def points(self, value: int) -> int:
        for upper, pts in self.bins:
            if value < upper:
                return pts
        return self.otherwise


@dataclass(frozen=True, slots=True)
class Card:
    base_points: int
    base_odds: int
    points_to_double_odds: int
    characteristics: tuple[Characteristic, ...]

    def probability(self, points: int) -> float:
        doublings = (points - self.base_points) / self.points_to_double_odds
        odds = self.base_odds * math.pow(2.0, doublings)
        return 1.0 / (1.0 + odds)


def show(value: int, unit: str) -> str:
    """A feature value as the applicant reads it: 820 bps -> "8.2%", 250 pct -> "2.5x"."""
    if unit == "bps":
        return f"{value / 100:.1f}%"
    if unit == "pct":
        return f"{value / 100:.1f}x"
    return str(value)


@dataclass(frozen=True, slots=True)
class Scorecard:
    name: str
    cards: Mapping[ApplicantKind, Card]

    def points(self, features: Mapping[str, object]) -> tuple[int, list[Reason]]:
        card = self.cards[ApplicantKind(str(features["kind"]))]
        total = 0
        reasons: list[Reason] = []
        for ch in card.characteristics:
            raw = features[ch.feature]
            assert isinstance(raw, int), f"feature {ch.feature} must be an int, got {raw!r}"
            pts, best = ch.points(raw), ch.best
            total += pts
            effect = Effect.HELPS if pts == best else Effect.HURTS
            reasons.append(Reason(ch.feature, effect, show(raw, ch.unit), pts - best))
        hurts = sorted((r for r in reasons if r.effect is Effect.HURTS), key=lambda r: r.impact)
        helps = [r for r in reasons if r.effect is Effect.HELPS]
        return total, hurts + helps

    def score(self, features: Mapping[str, object]) -> tuple[float, list[Reason]]:
        total, reasons = self.points(features)
        card = self.cards[ApplicantKind(str(features["kind"]))]
        return card.probability(total), reasons


def _bad(message: str) -> InvalidInput:
    return InvalidInput(f"scorecard: {message}", code="scorecard_must_be_valid")


def _characteristic(raw: object, where: str) -> Characteristic:
    if not isinstance(raw, dict):
        raise _bad(f"{where} must be a table with feature, unit, bins and otherwise")
    feature, unit, bins = raw.get("feature"), raw.get("unit"), raw.get("bins")
    otherwise = raw.get("otherwise")
    if not isinstance(feature, str) or unit not in UNITS or not isinstance(otherwise, int):
        raise _bad(f"{where} needs feature, unit (one of {', '.join(UNITS)}) and otherwise")
    if not isinstance(bins, list) or not all(
            isinstance(b, list) and len(b) == 2 and all(isinstance(x, int) for x in b)
            for b in bins):
        raise _bad(f"{where}.bins must be a list of [upper bound, points] pairs")
    pairs = tuple((int(b[0]), int(b[1])) for b in bins)
    if [u for u, _ in pairs] != sorted({u for u, _ in pairs}):
        raise _bad(f"{where}.bins must have rising upper bounds")
    return Characteristic(feature, str(unit), pairs, otherwise)


def load_scorecard(text: str) -> Scorecard:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise _bad(f"does not parse ({exc})") from None
    cards: dict[ApplicantKind, Card] = {}
    for kind in ApplicantKind:
        raw = data.get(kind.value)
        if not isinstance(raw, dict):
            raise _bad(f"needs a [{kind.value}] card")
        nums = [raw.get(k) for k in ("base_points", "base_odds", "points_to_double_odds")]
        if not all(isinstance(n, int) and n > 0 for n in nums):
            raise _bad(f"[{kind.value}] needs positive base_points, base_odds and "
                       "points_to_double_odds")
        chars = raw.get("characteristics")
        if not isinstance(chars, list) or not chars:
            raise _bad(f"[{kind.value}] needs characteristics")
        base, odds, pdo = (int(n) for n in nums if isinstance(n, int))
        cards[kind] = Card(base, odds, pdo, tuple(
            _characteristic(c, f"{kind.value}.characteristics.{k}") for k, c in enumerate(chars)))
    name = data.get("name")
    if not isinstance(name, str) or not name:
        raise _bad("needs a name")
    return Scorecard(name, cards)


@cache
def builtin_scorecard() -> Scorecard:
    text = resources.files("dunwell.origination").joinpath("scorecard.toml").read_text("utf-8")
    return load_scorecard(text)
