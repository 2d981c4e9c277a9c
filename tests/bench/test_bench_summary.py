"""The benchmark summary: hand-made bench results in, figures with ratios, targets and
met/missed out, and a well-formed SVG chart. No benchmark is run."""

from __future__ import annotations

import json
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parents[2] / "bench"
if str(BENCH) not in sys.path:
    sys.path.insert(0, str(BENCH))

import summary  # noqa: E402

SVG_NS = "{http://www.w3.org/2000/svg}"


def cob(**over: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "kernel_loans_per_s": 2_000_000.0,
        "rows_loans_per_s": 10_000.0,
        "speedup_kernel_over_rows": 200.0,
        "kernel_s": 0.5,
        "floor_s": 0.1,
        "kernel_over_floor": 5.0,
        "targets": {"speedup_min": 100, "floor_ratio_max": 5},
        "meets_speedup": True,
        "meets_floor": True,
        "postgres": {"skipped": "--skip-postgres"},
        "machine": {"cpus": 2, "python": "3.11"},
    }
    doc.update(over)
    return doc


def cli_start(help_s: float, read_s: float) -> dict[str, Any]:
    return {
        "help_s_median": help_s,
        "baseline_s_median": 0.08,
        "ratio_help_over_baseline": round(help_s / 0.08, 2),
        "target_s": 0.5,
        "meets_target": help_s <= 0.5,
        "read_baseline_s_median": 0.24,
        "reads_meet_target": read_s <= 0.5,
        "reads": {
            "portfolio": {
                "command": "dunwell portfolio",
                "s_median": read_s,
                "ratio_over_sqlalchemy": round(read_s / 0.24, 2),
            },
            "day_status": {
                "command": "dunwell day status",
                "s_median": 0.2,
                "ratio_over_sqlalchemy": 0.83,
            },
        },
    }


def routing(km: float, served: int) -> dict[str, Any]:
    def engine(km: float, served: int) -> dict[str, Any]:
        return {"served": served, "travel_km": km, "solve_s": 1.0}

    return {
        "default": "ortools",
        "sizes": {"visits": 200},
        "ortools": engine(km, served),
        "nearest": engine(316.0, 176),
        "vroom": engine(250.0, 190),
    }


def by_name(s: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f["name"]: f for f in s["figures"]}


def test_every_figure_has_the_documented_fields_even_when_no_bench_ran() -> None:
    s = summary.summarise({})
    assert s["figures"], "every figure is listed, not run or not"
    for f in s["figures"]:
        assert {"name", "value", "unit", "baseline", "ratio", "target", "met"} <= f.keys()
        assert f["status"] == "not run"
        assert f["value"] is None and f["met"] is None
    assert s["counts"]["not run"] == len(s["figures"])
    json.dumps(s)  # the document is plain JSON


def test_ratios_targets_and_met_or_missed_come_from_the_same_run() -> None:
    s = summary.summarise(
        {
            "cob": cob(
                meets_floor=False,
                kernel_over_floor=6.0,
                postgres={
                    "loan_days_per_s": 15_000.0,
                    "ratio_over_day_by_day": 3.0,
                    "target_loan_days_per_s": 50_000,
                    "verify_ok": True,
                    "loans": 100,
                    "days": 3,
                },
                cli_start=cli_start(0.2, 0.6),
            ),
            "field_routing": routing(258.0, 191),
        }
    )
    f = by_name(s)
    k = f["kernel_vs_rows"]
    assert (k["value"], k["baseline"], k["ratio"], k["target"]) == (2e6, 1e4, 200.0, 100)
    assert k["met"] is True and k["score"] == 2.0
    assert f["kernel_vs_floor"]["met"] is False and f["kernel_vs_floor"]["status"] == "missed"
    pg = f["postgres_cob"]
    assert pg["baseline"] == 5_000.0 and pg["ratio"] == 3.0 and pg["met"] is False
    assert pg["score"] == 0.3
    assert f["cli_help"]["met"] is True and f["cli_help"]["ratio"] == 2.5
    assert f["cli_read"]["value"] == 0.6 and f["cli_read"]["met"] is False
    assert f["cli_read"]["note"] == "dunwell portfolio"  # the slowest read
    assert f["routing_served_vs_nearest"]["met"] is True
    assert f["routing_km_vs_nearest"]["met"] is True  # 258 <= 260
    vroom = f["routing_km_vs_vroom"]
    assert vroom["ratio"] == round(258 / 250, 4) and vroom["met"] is False
    assert f["spark_vs_local"]["status"] == "not run"
    assert f["payments"]["note"] == "not run"
    assert s["machine"]["cpus"] == 2
    assert s["counts"]["met"] + s["counts"]["missed"] == 8


def test_a_verify_failure_or_failed_checks_miss_the_target_however_fast() -> None:
    pay = {
        "target": {"posted_per_s": 2500.0, "clients": 16, "workers": 2},
        "baseline": {"posted_per_s": 100.0},
        "speedup_over_baseline": 25.0,
        "ok": False,
    }
    pg = {
        "loan_days_per_s": 90_000.0,
        "baseline_day_by_day": {"loan_days_per_s": 9_000.0},
        "ratio_over_day_by_day": 10.0,
        "verify_ok": False,
    }
    f = by_name(summary.summarise({"payments_http": {"payments_http": pay}, "cob_postgres": pg}))
    assert f["payments"]["ratio"] == 25.0 and f["payments"]["met"] is False
    assert f["postgres_cob"]["met"] is False and f["postgres_cob"]["baseline"] == 9_000.0
    assert f["postgres_cob"]["source"] == "cob_postgres.json"


def test_a_bench_skipped_in_the_run_falls_back_to_its_own_file_and_says_so() -> None:
    own = cli_start(0.3, 0.3)
    s = summary.summarise({"cob": cob(cli_start={"skipped": "--skip-cli"}), "cli_start": own})
    assert by_name(s)["cli_help"]["source"] == "cli_start.json"
    only_skipped = by_name(summary.summarise({"cob": cob(cli_start={"skipped": "--skip-cli"})}))
    assert only_skipped["cli_help"]["status"] == "not run"
    assert only_skipped["cli_help"]["note"] == "skipped: --skip-cli"


def test_decisions_take_the_highest_rate_of_the_standalone_run() -> None:
    og = {
        "in_process": {"cpu_ms_per_decision": 0.5},
        "target_p99_ms": 20,
        "levels": [
            {
                "rate": 100,
                "p50_ms": 3.0,
                "p99_ms": 8.0,
                "meets_target": True,
                "server_cpu_ms_per_request": 1.5,
                "achieved_rps": 100.0,
            },
            {
                "rate": 500,
                "p50_ms": 5.0,
                "p99_ms": 40.0,
                "meets_target": False,
                "server_cpu_ms_per_request": 2.0,
                "achieved_rps": 480.0,
            },
        ],
    }
    f = by_name(summary.summarise({"origination_latency": og}))
    p99 = f["decisions_p99"]
    assert (p99["value"], p99["baseline"], p99["ratio"], p99["met"]) == (40.0, 5.0, 8.0, False)
    assert p99["score"] == 0.5
    cpu = f["decisions_cpu"]
    assert (cpu["value"], cpu["baseline"], cpu["ratio"], cpu["met"]) == (2.0, 0.5, 4.0, False)


def test_the_chart_is_well_formed_svg_with_one_row_a_figure(tmp_path: Path) -> None:
    s = summary.summarise(
        {"cob": cob(cli_start=cli_start(0.2, 0.9)), "field_routing": routing(300.0, 150)}
    )
    root = ET.fromstring(summary.svg(s))
    assert root.tag == f"{SVG_NS}svg"
    texts = [t.text or "" for t in root.iter(f"{SVG_NS}text")]
    for fig in s["figures"]:
        assert fig["label"] in texts
    fills = [r.get("fill") for r in root.iter(f"{SVG_NS}rect")]
    assert summary.COLOURS["met"] in fills and summary.COLOURS["missed"] in fills
    assert len(fills) == sum(f["score"] is not None for f in s["figures"])


def test_write_reads_the_bench_files_and_writes_the_summary_and_chart(tmp_path: Path) -> None:
    (tmp_path / "cli_start.json").write_text(json.dumps(cli_start(0.2, 0.3)))
    (tmp_path / "broken.json").write_text("{not json")
    (tmp_path / "results.json").write_text(json.dumps({"figures": "old"}))
    out = summary.write(tmp_path, cob(), show=False)
    assert "results" not in out["sources"] and "broken" not in out["sources"]
    saved = json.loads((tmp_path / "results.json").read_text())
    assert saved == out and by_name(saved)["cli_help"]["met"] is True
    assert by_name(saved)["kernel_vs_rows"]["source"] == "cob.json"
    ET.parse(tmp_path / "results.svg")
    assert summary.main(["--out-dir", str(tmp_path)]) == 0
