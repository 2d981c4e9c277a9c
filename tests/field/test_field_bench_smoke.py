"""The field routing benchmark keeps working at a tiny size: both routers run on the
same seeded city, each result is checked against windows, shifts and capacity
inside the benchmark, and the figures land in one JSON line. No timing assertions."""

from __future__ import annotations

import json
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench"
if str(BENCH) not in sys.path:
    sys.path.insert(0, str(BENCH))

import field_routing  # noqa: E402


def test_the_same_seed_builds_the_same_city() -> None:
    sizes = field_routing.Sizes(visits=12, agents=2, time_limit_s=1)
    assert field_routing.build_problem(sizes) == field_routing.build_problem(sizes)
    problem = field_routing.build_problem(sizes)
    assert len(problem.stops) == 12 and len(problem.vehicles) == 2
    assert all(s.allowed_agents for s in problem.stops)


def test_quick_run_reports_both_routers_and_their_ratios(tmp_path: Path, capsys) -> None:
    out = tmp_path / "field.json"
    assert field_routing.main(["--quick", "--out", str(out)]) == 0
    result = json.loads(out.read_text(encoding="utf-8"))
    for name in ("nearest", "ortools"):
        figures = result[name]
        assert figures["served"] + figures["unserved"] == field_routing.QUICK.visits
        assert figures["served"] > 0 and figures["travel_km"] > 0
    assert result["travel_ratio_ortools_over_nearest"] > 0
    assert isinstance(result["meets_target"], bool)
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1]) == result
