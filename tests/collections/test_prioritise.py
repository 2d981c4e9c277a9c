"""The day's choice under a contact budget: by value per cost, least intrusive on
near-ties, nothing without positive value, required steps always, exploration arms."""

from __future__ import annotations

import pytest

from dunwell.collections.prioritise import Budget, Candidate, choose, preferred
from dunwell.core.errors import InvalidInput


def cand(case: str, arm: str, value: int, cost: int, **kw: object) -> Candidate:
    return Candidate(case, arm, value, cost, uplift_bps=value, **kw)  # type: ignore[arg-type]


def test_a_higher_uplift_case_is_chosen_over_a_lower_one() -> None:
    sel = choose([cand("a", "call", 1_000, 500), cand("b", "call", 5_000, 500)],
                 Budget(contacts=1), currency="CNY")
    assert [c.case_key for c in sel.chosen] == ["b"]
    assert "budget is spent" in sel.withheld["a"]
    assert sel.reason("b").startswith("chosen call")


def test_the_contact_budget_and_the_cost_budget_are_respected() -> None:
    many = [cand(f"c{k:02d}", "call", 2_000 + k, 500) for k in range(20)]
    by_count = choose(many, Budget(contacts=7), currency="CNY")
    assert by_count.contacts == 7 == len(by_count.chosen)
    assert {c.case_key for c in by_count.chosen} == {f"c{k:02d}" for k in range(13, 20)}
    by_cost = choose(many, Budget(cost_minor=1_600), currency="CNY")
    assert by_cost.cost_minor <= 1_600 and len(by_cost.chosen) == 3


def test_a_case_that_no_longer_fits_gets_a_cheaper_option() -> None:
    sel = choose([cand("a", "visit", 20_000, 5_000), cand("a", "reminder", 600, 5)],
                 Budget(cost_minor=1_000), currency="CNY")
    assert [(c.case_key, c.arm) for c in sel.chosen] == [("a", "reminder")]
    assert "visit did not fit" in sel.reason("a")


def test_the_less_intrusive_action_is_preferred_when_its_value_is_close() -> None:
    close = [cand("a", "visit", 10_000, 5_000), cand("a", "reminder", 4_700, 5)]
    sel = choose(close, Budget(), currency="CNY")
    assert [c.arm for c in sel.chosen] == ["reminder"]
    assert "less intrusive than visit" in sel.reason("a")  # visit nets 50.00, reminder 46.95
    tie = [cand("a", "call", 3_000, 500), cand("a", "letter", 2_800, 300)]
    assert preferred(tie, 10).arm == "letter"
    clearly = [cand("a", "call", 9_000, 500), cand("a", "reminder", 1_000, 5)]
    assert preferred(clearly, 10).arm == "call"
    near = [cand("a", "call", 3_100, 500), cand("a", "reminder", 2_450, 5)]
    sel = choose(near, Budget(), currency="CNY", tie_pct=10)
    assert [c.arm for c in sel.chosen] == ["reminder"]


def test_less_intrusive_wins_an_exact_tie() -> None:
    tie = [cand("a", "call", 1_500, 500), cand("a", "offer", 1_500, 500),
           cand("a", "letter", 1_300, 300)]
    assert preferred(tie, 0).arm == "letter"


def test_no_positive_value_means_nothing_today() -> None:
    sel = choose([cand("a", "call", 400, 500), cand("a", "reminder", -20, 5)], Budget(),
                 currency="CNY")
    assert sel.chosen == []
    assert sel.withheld["a"].startswith("nothing today: no action is worth its cost")


def test_required_steps_are_kept_and_do_not_stop_the_case_choosing() -> None:
    sel = choose([Candidate("a", "internal", 0, 0, contact=False, required=True, ref=3),
                  cand("a", "call", 5_000, 500, ref=1)], Budget(contacts=1), currency="CNY")
    assert sorted((c.arm, c.ref) for c in sel.chosen) == [("call", 1), ("internal", 3)]
    assert sel.contacts == 1


def test_exploration_arms_are_given_as_drawn() -> None:
    options = [cand("a", "call", 100, 500), cand("a", "reminder", 9_000, 5),
               cand("b", "call", 9_000, 500)]
    sel = choose(options, Budget(), currency="CNY", explore={"a": "call", "b": "none"})
    assert [(c.case_key, c.arm) for c in sel.chosen] == [("a", "call")]
    assert sel.reason("a").startswith("exploration: randomised arm call")
    assert "no contact today" in sel.withheld["b"]


def test_the_choice_does_not_depend_on_the_input_order() -> None:
    items = [cand(f"c{k}", arm, 1_000 + 37 * k % 900, cost)
             for k in range(12) for arm, cost in (("call", 500), ("reminder", 5))]
    a = choose(items, Budget(contacts=5), currency="CNY")
    b = choose(list(reversed(items)), Budget(contacts=5), currency="CNY")
    assert sorted((c.case_key, c.arm) for c in a.chosen) == sorted(
        (c.case_key, c.arm) for c in b.chosen)


def test_bad_limits_are_refused() -> None:
    with pytest.raises(InvalidInput) as err:
        Budget(contacts=-1)
    assert err.value.code == "contact_budget_must_not_be_negative"
    with pytest.raises(InvalidInput) as err:
        choose([], Budget(), currency="CNY", tie_pct=100)
    assert err.value.code == "tie_pct_must_be_a_percentage"
