"""Which cases no segment serves. Gaps are allowed (such a case gets no proposal);
:func:`coverage_gaps` lists them so a strategy author sees them before a case does."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations, pairwise
from typing import Final

from dunwell.collections.ladder import Segment, Strategy

#: Flags named by the segments beyond this many are not combined (2**n cells).
COMBINED_FLAGS_MAX: Final = 8


@dataclass(frozen=True, slots=True)
class CoverageGap:
    """Cases on days ``day_min..day_max`` with a score in ``score_band`` (None: no
    score), an outstanding balance in the range, and exactly ``flags`` of the flags the
    strategy names, that no segment serves."""

    day_min: int
    day_max: int
    score_band: tuple[float, float] | None
    balance_min_minor: int
    balance_max_minor: int | None
    flags: frozenset[str]

    def __str__(self) -> str:
        if self.score_band is None:
            score = "unscored"
        else:
            lo, hi = self.score_band
            score = f"score [{lo}, {hi}{']' if hi >= 1 else ')'}"
        top = "" if self.balance_max_minor is None else str(self.balance_max_minor)
        flags = ", ".join(sorted(self.flags)) or "none"
        return (
            f"days {self.day_min}..{self.day_max}, {score}, balance "
            f"{self.balance_min_minor}..{top}, flags [{flags}]"
        )


def coverage_gaps(
    strategy: Strategy, *, day_min: int | None = None, day_max: int | None = None
) -> list[CoverageGap]:
    """Every uncovered region between ``day_min`` and ``day_max`` (by default the
    span of the strategy's segments), day ranges merged."""
    segments = strategy.segments
    first = day_min if day_min is not None else min(s.day_min for s in segments)
    last = day_max if day_max is not None else max(s.day_max for s in segments)
    edges = [s.day_min for s in segments] + [s.day_max + 1 for s in segments]
    day_cuts = _cuts(edges, first, last + 1)
    gaps: list[CoverageGap] = []
    for band in _score_cells(segments):
        for lo_balance, hi_balance in _balance_cells(segments):
            for flags in _flag_sets(segments):
                gaps += _day_gaps(segments, day_cuts, band, lo_balance, hi_balance, flags)
    return gaps


def _day_gaps(
    segments: tuple[Segment, ...],
    day_cuts: list[int],
    band: tuple[float, float] | None,
    lo_balance: int,
    hi_balance: int | None,
    flags: frozenset[str],
) -> list[CoverageGap]:
    score = None if band is None else band[0]
    gaps: list[CoverageGap] = []
    for start, stop in pairwise(day_cuts):
        served = any(
            s.matches(day=start, score=score, balance_minor=lo_balance, flags=flags)
            for s in segments
        )
        if served:
            continue
        first = start
        if gaps and gaps[-1].day_max == start - 1:
            first = gaps.pop().day_min
        gaps.append(CoverageGap(first, stop - 1, band, lo_balance, hi_balance, flags))
    return gaps


def _cuts(points: list[int], first: int, stop: int) -> list[int]:
    return sorted({first, stop} | {p for p in points if first < p < stop})


def _score_cells(segments: tuple[Segment, ...]) -> list[tuple[float, float] | None]:
    edges = sorted({0.0, 1.0} | {e for s in segments if s.score_band for e in s.score_band})
    cells: list[tuple[float, float] | None] = [None]
    cells += [(lo, hi) for lo, hi in pairwise(edges)]
    return cells


def _balance_cells(segments: tuple[Segment, ...]) -> list[tuple[int, int | None]]:
    points = {0} | {s.balance_min_minor for s in segments}
    points |= {s.balance_max_minor + 1 for s in segments if s.balance_max_minor is not None}
    edges = sorted(points)
    cells: list[tuple[int, int | None]] = [(lo, hi - 1) for lo, hi in pairwise(edges)]
    return [*cells, (edges[-1], None)]


def _flag_sets(segments: tuple[Segment, ...]) -> list[frozenset[str]]:
    named: set[str] = set()
    for s in segments:
        named |= s.flags_required | s.flags_any | s.flags_excluded
    ordered = sorted(named)[:COMBINED_FLAGS_MAX]
    return [
        frozenset(combo) for size in range(len(ordered) + 1)
        for combo in combinations(ordered, size)
    ]  # fmt: skip
