"""``dunwell risk``: the train/score contract of DESIGN.md §4 end to end, and bad
input as one line ``error: ... [code]`` with exit code 2."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dunwell.cli.main import app

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "taiwan_sample.csv"
#: The contract, not the search: the first candidate only (the search and its budget are
#: tested in test_risk_robust.py), on three folds.
FAST = ["--max-rounds", "150", "--threads", "1", "--budget", "0.1", "--folds", "3"]


def dunwell(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "dunwell.cli.main", *args],
                          capture_output=True, text=True, timeout=300, check=False)


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("risk") / "models"
    done = dunwell("risk", "train", "--csv", str(SAMPLE), "--target", "DEFAULT",
                   "--out", str(out), *FAST)
    assert done.returncode == 0, done.stderr
    assert "trained" in done.stdout
    return out


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.slow
def test_train_then_score_writes_every_input_row_with_a_probability(
        model_dir: Path, tmp_path: Path) -> None:
    scored = tmp_path / "scored.csv"
    done = dunwell("risk", "score", "--model", str(model_dir), "--csv", str(SAMPLE),
                   "--out", str(scored))
    assert done.returncode == 0, done.stderr
    with SAMPLE.open(newline="") as f:
        given = list(csv.reader(f))
    with scored.open(newline="") as f:
        got = list(csv.reader(f))
    assert got[0] == [*given[0], "score"]
    assert len(got) == len(given) == 3001
    assert all(row[:-1] == original for row, original in zip(got[1:], given[1:], strict=True))
    scores = [float(row[-1]) for row in got[1:]]
    assert all(0.0 < s < 1.0 for s in scores)
    assert (model_dir / "v1" / "report.html").read_text().startswith("<!doctype html>")


def test_scoring_a_file_without_the_target_works(model_dir: Path, tmp_path: Path) -> None:
    lines = SAMPLE.read_text().splitlines()
    header = lines[0].split(",")
    at = header.index("DEFAULT")
    no_target = tmp_path / "applicants.csv"
    no_target.write_text("\n".join(",".join(c for k, c in enumerate(line.split(",")) if k != at)
                                   for line in lines[:51]) + "\n")
    code, out, err = run("risk", "score", "--model", str(model_dir), "--csv", str(no_target),
                         "--out", str(tmp_path / "out.csv"))
    assert code == 0, err
    assert "scored 50 rows with v1" in out


def test_report_and_monitor_print_tables(model_dir: Path) -> None:
    code, out, _ = run("risk", "report", "--model", str(model_dir))
    assert code == 0
    for heading in ("Held-out metrics", "Lift and gain by decile", "Calibration",
                    "Feature importance"):
        assert heading in out
    code, out, _ = run("risk", "monitor", "--model", str(model_dir), "--csv", str(SAMPLE),
                       "--json")
    assert code == 0
    drifts = json.loads(out)
    assert drifts[0]["name"] == "score" and drifts[0]["psi"] == 0.0
    code, out, _ = run("risk", "report", "--model", str(model_dir), "--json")
    assert json.loads(out)["version"] == "v1"


def test_a_missing_column_at_scoring_is_refused_naming_it(model_dir: Path,
                                                          tmp_path: Path) -> None:
    rows = SAMPLE.read_text().splitlines()[:21]
    header = rows[0].split(",")
    at = header.index("PAY_0")
    bad = tmp_path / "bad.csv"
    bad.write_text("\n".join(",".join(c for k, c in enumerate(r.split(",")) if k != at)
                             for r in rows) + "\n")
    code, _, err = run("risk", "score", "--model", str(model_dir), "--csv", str(bad),
                       "--out", str(tmp_path / "o.csv"))
    assert code == 2
    assert err.strip() == ("error: column 'PAY_0' is missing; the model was trained with it "
                           "[risk_column_must_be_present]")


def test_junk_in_a_numeric_column_at_scoring_names_column_and_line(
        model_dir: Path, tmp_path: Path) -> None:
    rows = SAMPLE.read_text().splitlines()[:6]
    header = rows[0].split(",")
    cells = rows[3].split(",")
    cells[header.index("LIMIT_BAL")] = "lots"
    rows[3] = ",".join(cells)
    bad = tmp_path / "junk.csv"
    bad.write_text("\n".join(rows) + "\n")
    code, _, err = run("risk", "score", "--model", str(model_dir), "--csv", str(bad),
                       "--out", str(tmp_path / "o.csv"))
    assert code == 2
    assert err.strip() == ("error: column 'LIMIT_BAL' must be numeric; line 4 holds 'lots' "
                           "[risk_column_must_be_numeric]")


@pytest.mark.parametrize(("content", "code"), [
    ("", "risk_csv_must_have_rows"),
    ("a,b,DEFAULT\n", "risk_csv_must_have_rows"),
    ("a,b,DEFAULT\n" + "".join(f"{k},{k % 7},0\n" for k in range(60)),
     "risk_target_must_have_two_classes"),
    ("a,b,DEFAULT\n" + "".join(f"{k},{k % 7},{'x' if k == 3 else k % 2}\n" for k in range(60)),
     "risk_target_must_be_binary"),
    ("a,b,OTHER\n1,2,0\n", "risk_target_column_must_exist"),
    ("a,b,DEFAULT\n1,2,0\n1,2,3,1\n", "risk_csv_rows_must_match_header"),
    ("a,a,DEFAULT\n1,2,0\n", "risk_csv_columns_must_be_unique"),
])
def test_bad_training_data_is_one_clear_line(tmp_path: Path, content: str, code: str) -> None:
    data = tmp_path / "train.csv"
    data.write_text(content)
    exit_code, _, err = run("risk", "train", "--csv", str(data), "--target", "DEFAULT",
                            "--out", str(tmp_path / "m"))
    assert exit_code == 2
    assert err.startswith("error: ") and err.strip().endswith(f"[{code}]")
    assert len(err.strip().splitlines()) == 1
    assert not (tmp_path / "m").exists()


@pytest.mark.parametrize(("args", "code"), [
    (["--family", "forest"], "risk_family_must_be_known"),
    (["--monotone", "LIMIT_BAL=up"], "risk_monotone_must_be_valid"),
    (["--monotone", "NOPE=+1"], "risk_monotone_column_must_be_a_feature"),
    (["--calibration", "beta"], "risk_calibration_must_be_known"),
    (["--drop", "NOPE"], "risk_option_column_must_exist"),
])
def test_bad_options_are_refused_before_training(tmp_path: Path, args: list[str],
                                                 code: str) -> None:
    exit_code, _, err = run("risk", "train", "--csv", str(SAMPLE), "--target", "DEFAULT",
                            "--out", str(tmp_path / "m"), *args)
    assert exit_code == 2
    assert err.strip().endswith(f"[{code}]")


def test_a_directory_without_a_model_is_a_clear_error(tmp_path: Path) -> None:
    code, _, err = run("risk", "score", "--model", str(tmp_path), "--csv", str(SAMPLE),
                       "--out", str(tmp_path / "o.csv"))
    assert code == 2
    assert "holds no model" in err and "[risk_model_artifact_must_load]" in err


def test_evaluate_reports_auc_and_ks_per_fold(tmp_path: Path) -> None:
    code, out, err = run("risk", "evaluate", "--csv", str(SAMPLE), "--target", "DEFAULT",
                         "--folds", "2", "--family", "scorecard", "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert [f["fold"] for f in doc["folds"]] == [1, 2]
    assert doc["summary"]["auc_mean"] > 0.7 and doc["summary"]["ks_mean"] > 0.3
    code, _, err = run("risk", "evaluate", "--csv", str(SAMPLE), "--target", "DEFAULT",
                       "--folds", "1")
    assert code == 2 and "[risk_folds_must_be_in_range]" in err
