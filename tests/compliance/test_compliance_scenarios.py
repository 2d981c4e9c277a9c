"""Every worked scenario under scenarios/*.jsonl, judged by the guard.

Each line carries ``expected`` (allow or deny), ``rule`` (the deciding rule id, null
for an allow) and a ``description``; ``expected_defer_until`` pins the earliest
moment for some deferrals. The evaluator ignores these keys.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from dunwell.compliance import Decision, Jurisdiction, decide, parse_scenario
from dunwell.compliance.packs import PACKS

SCENARIOS = Path(__file__).parent / "scenarios"


def load() -> list[tuple[str, str, dict[str, Any]]]:
    rows = []
    for path in sorted(SCENARIOS.glob("*.jsonl")):
        for text in path.read_text(encoding="utf-8").splitlines():
            if text.strip():
                rows.append((path.name, text, json.loads(text)))
    return rows


ROWS = load()


@pytest.mark.parametrize(("file", "text", "row"), ROWS, ids=[r[2]["id"] for r in ROWS])
def test_the_guard_decides_each_scenario_as_expected(
    file: str, text: str, row: dict[str, Any]
) -> None:
    scenario = parse_scenario(text)
    verdict = decide(scenario.action, scenario.history, scenario.borrower, scenario.jurisdiction)
    decision = "allow" if verdict.allowed else "deny"
    assert (decision, verdict.rule) == (row["expected"], row["rule"]), verdict.reason
    if verdict.decision is Decision.DEFER:
        assert verdict.defer_until is not None and verdict.defer_until > scenario.action.ts
    if "expected_defer_until" in row:
        assert verdict.defer_until == dt.datetime.fromisoformat(row["expected_defer_until"])


def test_there_are_at_least_sixty_scenarios_with_unique_ids_and_a_description() -> None:
    ids = [row["id"] for _, _, row in ROWS]
    assert len(ids) >= 60
    assert len(set(ids)) == len(ids)
    for _, _, row in ROWS:
        assert row["description"] and row["expected"] in ("allow", "deny")
        assert (row["rule"] is None) == (row["expected"] == "allow")


def test_every_expected_rule_belongs_to_its_scenario_pack() -> None:
    for _, _, row in ROWS:
        if row["rule"] is not None:
            pack = PACKS[Jurisdiction(row["jurisdiction"])]
            assert row["rule"] in {rule.id for rule in pack.rules}, row["id"]


def test_each_pack_has_allowed_and_denied_scenarios() -> None:
    for jurisdiction in Jurisdiction:
        expected = {row["expected"] for _, _, row in ROWS if row["jurisdiction"] == jurisdiction}
        assert expected == {"allow", "deny"}
