"""The lab's world model on its own (no book): common random numbers, pressure and
complaints, plans that fit, and the parameter file's checks."""

from __future__ import annotations

import tomllib
from pathlib import Path

import numpy as np
import pytest

from dunwell.core.errors import InvalidInput
from dunwell.simulation.lab import params as lab_params
from dunwell.simulation.lab.population import STORY_COURT, STORY_PLAN, build, uniforms
from dunwell.simulation.lab.world import World

PARAMS = lab_params.load()


def test_the_same_seed_gives_the_same_people_and_the_same_shocks() -> None:
    a, b = build(PARAMS, size=300, seed=11), build(PARAMS, size=300, seed=11)
    assert a.names == b.names and np.array_equal(a.income_minor, b.income_minor)
    wa, wb = World(a, PARAMS), World(b, PARAMS)
    for day in range(120):
        wa.advance(day)
        wb.advance(day)
        # whatever one world's borrowers are told, the shocks stay the same
        if day % 3 == 0:
            wa.call(5, "call", dpd=4)
        assert np.array_equal(wa.shock, wb.shock)
    assert (wa.shock_started >= 0).sum() > 0


def test_another_seed_gives_other_people() -> None:
    assert build(PARAMS, size=50, seed=1).names[2:] != build(PARAMS, size=50, seed=2).names[2:]


def test_draws_are_uniform_and_keyed_by_borrower_purpose_and_day() -> None:
    idx = np.arange(20_000, dtype=np.int64)
    u = uniforms(3, idx, "pay", 10)
    assert 0.49 < u.mean() < 0.51 and u.min() >= 0 and u.max() < 1
    assert not np.array_equal(u, uniforms(3, idx, "pay", 11))
    assert not np.array_equal(u, uniforms(3, idx, "call", 10))
    assert np.array_equal(u[:10], uniforms(3, idx[:10], "pay", 10))


def _complaints_under(calls_per_week: int) -> int:
    pop = build(PARAMS, size=2_000, seed=5)
    world = World(pop, PARAMS)
    total = 0
    for day in range(60):
        world.advance(day)
        if day % 7 < calls_per_week:
            for i in range(pop.size):
                world.pressure[i] += PARAMS.weight("pressure.weights", "call")
        total += len(world.complainers())
    return total


def test_more_pressure_brings_more_complaints() -> None:
    quiet, some, daily = _complaints_under(0), _complaints_under(2), _complaints_under(7)
    assert quiet < some < daily
    assert daily > 3 * some


def test_pressure_above_tolerance_lowers_the_chance_of_paying() -> None:
    pop = build(PARAMS, size=3_000, seed=9)
    calm, pressed = World(pop, PARAMS), World(pop, PARAMS)
    calm.advance(40)
    pressed.advance(40)
    pressed.pressure[:] = PARAMS["pressure.tolerance"] + 6
    ids = [i for i in range(2, pop.size) if calm.shock[i] == 0]
    paid_calm = sum(calm.pay_share(i, dpd=12, in_plan=False) > 0 for i in ids)
    paid_pressed = sum(pressed.pay_share(i, dpd=12, in_plan=False) > 0 for i in ids)
    assert paid_pressed < paid_calm


def test_a_plan_that_fits_is_kept_more_often_than_one_that_does_not() -> None:
    pop = build(PARAMS, size=3_000, seed=4)
    world = World(pop, PARAMS)
    kept = {1: 0, 0: 0}
    for fits in (1, 0):
        world.plan_fit[:] = fits
        paid = set()
        for day in range(50, 53):  # an instalment's first days
            world.advance(day)
            paid |= {
                i for i in range(2, pop.size) if world.pay_share(i, dpd=day - 50, in_plan=True) > 0
            }
        kept[fits] = len(paid)
    n = pop.size - 2
    assert kept[1] / n == pytest.approx(PARAMS["response.plan_keep_fit"], abs=0.03)
    assert kept[0] / n == pytest.approx(PARAMS["response.plan_keep_unfit"], abs=0.04)


def test_the_story_borrowers_are_planted() -> None:
    pop = build(PARAMS, size=10, seed=1)
    world = World(pop, PARAMS, first_due_day=30)
    for day in range(40):
        world.advance(day)
    assert world.shock[STORY_PLAN] == 2  # family emergency
    assert pop.willingness[STORY_COURT] < PARAMS["payment.unwilling_threshold"]
    assert world.visit(STORY_COURT).outcome in ("refused", "not_at_home")


def test_uncertain_parameters_scale_within_shares() -> None:
    scaled = PARAMS.scaled("population.call_reach", 1.5)
    assert scaled["population.call_reach"] == pytest.approx(0.375)
    assert scaled.digest != PARAMS.digest
    with pytest.raises(InvalidInput) as err:
        PARAMS.scaled("payment.miss_due", 1.5)
    assert err.value.code == "simulation_parameters_must_be_valid"


def _write(tmp_path: Path, edit: str, replace: str) -> Path:
    text = lab_params.default_path().read_text(encoding="utf-8")
    assert edit in text
    path = tmp_path / "p.toml"
    path.write_text(text.replace(edit, replace, 1), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("edit", "replace", "says"),
    [
        ("value = 0.045\n", "value = 0.5\n", "payment.miss_due value 0.5 must lie within"),
        (
            'source = "day-1 delinquency',
            'assumption = "x"\nsource = "day-1 delinquency',
            "exactly one non-empty `source` or `assumption`",
        ),
        ("[payment.cure_hazard]", "[payment.cure_hazard_typo]", "payment.cure_hazard is missing"),
        ('uncertain = true\nsource = "90+', 'uncertain = 1\nsource = "90+', "`uncertain` must be"),
        ("visit = 120.0", "visit = -1.0", "cost.visit must not be negative"),
    ],
)
def test_a_bad_parameter_file_is_refused_with_the_parameter_named(
    tmp_path: Path, edit: str, replace: str, says: str
) -> None:
    with pytest.raises(InvalidInput) as err:
        lab_params.load(_write(tmp_path, edit, replace))
    assert err.value.code == "simulation_parameters_must_be_valid"
    assert says in str(err.value)


def test_a_file_that_is_not_toml_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text("[population\n", encoding="utf-8")
    with pytest.raises(InvalidInput, match="not valid TOML"):
        lab_params.load(path)


def test_every_parameter_has_a_source_or_an_assumption() -> None:
    data = tomllib.loads(lab_params.default_path().read_text(encoding="utf-8"))
    assert data  # loaded and checked by load() at import
    for p in PARAMS.scalars.values():
        assert (p.source is None) != (p.assumption is None), p.name


def test_promises_are_kept_at_the_sourced_rate_and_paid_on_their_date() -> None:
    pop = build(PARAMS, size=3_000, seed=9)
    world = World(pop, PARAMS)
    world.advance(40)
    able = [
        i
        for i in range(2, pop.size)
        if world.shock[i] == 0 and world.willingness[i] >= PARAMS["payment.unwilling_threshold"]
    ]
    for i in able:
        answer = world._promise(i, 3, "test")
        assert answer.promise and answer.promise_days == 3
    kept = [i for i in able if world.promise_due[i] == 43]
    assert abs(len(kept) / len(able) - PARAMS["response.promise_kept"]) < 0.03
    world.advance(43)
    paid = [i for i in kept[:200] if world.pay_share(i, dpd=10, in_plan=False) == 1.0]
    assert len(paid) == len(kept[:200]) - sum(world.shock[i] > 0 for i in kept[:200])
    assert all(world.promise_due[i] == -1 for i in kept[:200])
