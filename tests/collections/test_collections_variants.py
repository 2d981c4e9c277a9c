"""Champion/challenger: reproducible, close to the share, sticky per case."""

from __future__ import annotations

from dataclasses import replace

import pytest

from dunwell.collections.engine import assign_variant, choose_strategy
from dunwell.collections.model import CaseStatus, CaseView
from dunwell.collections.strategy import builtin_strategies
from dunwell.core.errors import InvalidInput

KEYS = [f"case-{n:05d}" for n in range(10_000)]


def test_the_same_key_experiment_and_seed_always_get_the_same_arm() -> None:
    first = [assign_variant(key, "ladder-2025q2", 20, seed=7) for key in KEYS]
    again = [assign_variant(key, "ladder-2025q2", 20, seed=7) for key in KEYS]
    assert first == again


def test_about_the_challenger_share_of_10000_keys_get_the_challenger() -> None:
    for share in (5, 20, 50):
        challengers = sum(
            assign_variant(key, "ladder-2025q2", share, seed=7) == "challenger" for key in KEYS
        )
        assert abs(challengers - share * 100) <= 150, (share, challengers)


def test_a_different_seed_or_experiment_reshuffles_the_arms() -> None:
    base = [assign_variant(key, "ladder", 50, seed=1) for key in KEYS[:1000]]
    other_seed = [assign_variant(key, "ladder", 50, seed=2) for key in KEYS[:1000]]
    other_name = [assign_variant(key, "tone", 50, seed=1) for key in KEYS[:1000]]
    assert base != other_seed and base != other_name


def test_shares_of_0_and_100_put_everyone_in_one_arm() -> None:
    assert {assign_variant(key, "x", 0, seed=3) for key in KEYS[:500]} == {"champion"}
    assert {assign_variant(key, "x", 100, seed=3) for key in KEYS[:500]} == {"challenger"}


def test_raising_the_share_only_moves_champions_to_the_challenger() -> None:
    at_10 = {key for key in KEYS if assign_variant(key, "x", 10, seed=3) == "challenger"}
    at_30 = {key for key in KEYS if assign_variant(key, "x", 30, seed=3) == "challenger"}
    assert at_10 <= at_30


def test_a_share_outside_0_to_100_is_rejected() -> None:
    with pytest.raises(InvalidInput) as caught:
        assign_variant("case-1", "x", 101, seed=3)
    assert caught.value.code == "challenger_share_must_be_a_percentage"


def test_the_variant_recorded_on_a_case_wins_over_a_new_assignment() -> None:
    humane, aggressive = builtin_strategies()["humane"], builtin_strategies()["aggressive"]
    case = CaseView("case-00042", "b-42", CaseStatus.OPEN, ())

    def choose(view: CaseView) -> tuple[str, str]:
        strategy, variant = choose_strategy(
            view,
            champion=humane,
            challenger=aggressive,
            experiment="x",
            challenger_share_pct=0,
            seed=3,
        )
        return strategy.name, variant

    assert choose(case) == ("humane", "champion")
    assert choose(replace(case, variant="challenger")) == ("aggressive", "challenger")
