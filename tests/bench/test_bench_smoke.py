"""The COB benchmark keeps working: tiny sizes, no timing assertions, no PostgreSQL."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"
if str(BENCH) not in sys.path:
    sys.path.insert(0, str(BENCH))

import cli_start  # noqa: E402
import cob_kernel  # noqa: E402
import field_routing  # noqa: E402
import origination_latency  # noqa: E402
import run_all  # noqa: E402
import simulation  # noqa: E402
from portfolio import build_portfolio, describe  # noqa: E402


def test_the_synthetic_book_has_late_loans_paid_ahead_loans_and_a_mix_of_terms() -> None:
    p = build_portfolio(3_000, seed=1)
    facts = describe(p)
    assert facts["loans"] == 3_000
    assert 0.08 < facts["share_past_due"] < 0.2
    assert facts["share_with_penalty"] > 0
    assert facts["share_paid_ahead"] > 0
    assert len(set(p.product_index.tolist())) == 4


def test_the_kernel_benchmark_checks_the_kernel_against_the_rules_and_reports_rates() -> None:
    result = cob_kernel.run(cob_kernel.Sizes(loans=600, sample=150, reps=1, row_reps=1))
    assert result["agreement"]["sample_loans_changed"] == 150
    assert result["paths"]["loans_charged_penalty_or_fee"] > 0
    for key in ("kernel_loans_per_s", "rows_loans_per_s", "speedup_kernel_over_rows",
                "kernel_over_floor"):
        assert result[key] > 0


#: ``--quick``'s sizes shrunk further: every figure still runs its whole path (the
#: origination load against a served app, the routing solvers, the lab's day loop with
#: a short warm-up, the COB floor), on the fewest requests, visits and borrowers that do.
TINY = {
    origination_latency: origination_latency.Sizes(
        rate=20, seconds=0.5, warmup_seconds=0.25, connections=2),
    field_routing: field_routing.Sizes(visits=8, agents=2, time_limit_s=1),
    simulation: simulation.Sizes(borrowers=30, days=5, baseline_borrowers=10,
                                 floor_loans=30, floor_days=1, warmup_days=10),
}


@pytest.fixture(scope="module")
def cli_start_quick(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """``bench/cli_start.py --quick``'s JSON, run once for the module: its subprocesses
    are most of the smoke tests' time, and run_all's own run of it is the same call."""
    out = tmp_path_factory.mktemp("cli_start") / "cli_start.json"
    assert cli_start.main(["--quick", "--out", str(out)]) == 0
    result: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    return result


def test_run_all_quick_writes_one_json_line_with_a_profile(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch, cli_start_quick: dict[str, Any]) -> None:
    for module, sizes in TINY.items():
        monkeypatch.setattr(module, "QUICK", sizes)

    def quick_cli_start(sizes: cli_start.Sizes) -> dict[str, Any]:
        assert sizes == cli_start.QUICK
        return cli_start_quick

    monkeypatch.setattr(cli_start, "run", quick_cli_start)
    out = tmp_path / "cob.json"
    code = run_all.main(["--quick", "--skip-postgres", "--loans", "800", "--sample", "100",
                         "--reps", "1", "--profile", "always", "--out", str(out)])
    assert code == 0
    result = json.loads(out.read_text(encoding="utf-8"))
    assert result["postgres"] == {"skipped": "--skip-postgres"}
    assert result["profile"]["sections"]
    assert result["simulation"]["sizes"]["borrowers"] == 30
    assert result["origination"]["sizes"]["rate"] == 20
    assert result["cli_start"] == cli_start_quick
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1]) == result


def test_the_cli_start_benchmark_times_the_help_against_its_baseline(
        cli_start_quick: dict[str, Any]) -> None:
    result = cli_start_quick
    assert result["sizes"] == {"runs": 1, "loans": 8}
    assert result["help_s_median"] > 0
    assert result["baseline_s_median"] > 0
    assert result["ratio_help_over_baseline"] > 0
    assert set(result["reads"]) == {"portfolio", "book_verify", "day_status"}
    assert all(read["ratio_over_sqlalchemy"] > 0 for read in result["reads"].values())
