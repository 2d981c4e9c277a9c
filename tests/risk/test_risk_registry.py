"""The model registry: versions side by side, the training fingerprint and schema
recorded, and artifacts that fail to load refused with a clear error."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

from dunwell.risk import TrainOptions, train
from dunwell.risk.errors import ModelLoadError, ModelVersionNotFound
from dunwell.risk.registry import (
    MAX_VERSIONS,
    check_manifest,
    checked_artifact,
    model_from,
    parse_json,
    pick_version,
    sha256_of,
    version_candidates,
)
from dunwell.risk.tabular import fingerprint, read_frame
from dunwell.store.model_files import load_model, read_report, versions
from dunwell.store.model_files import save as save_model

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "taiwan_sample.csv"


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = SAMPLE.read_bytes()
    frame = read_frame(data)
    out = tmp_path_factory.mktemp("registry") / "models"
    for family in ("scorecard", "gbm"):
        trained = train(frame, target="DEFAULT",
                        options=TrainOptions(family=family, max_rounds=100, threads=1,
                                             early_stopping_rounds=20),
                        data_sha256=fingerprint(data), rng=np.random.default_rng(1))
        save_model(trained, out, created_at="2025-03-01T09:00:00+00:00",
                   provenance={"seed": 1})
    return out


def test_each_training_adds_a_version_and_the_latest_is_loaded(registry: Path) -> None:
    assert [v["version"] for v in versions(registry)] == ["v1", "v2"]
    assert json.loads((registry / "manifest.json").read_text())["latest"] == "v2"
    assert load_model(registry).version == "v2"
    assert load_model(registry).family.value == "gbm"
    assert load_model(registry, "v1").family.value == "scorecard"
    assert load_model(registry / "v1").version == "v1"
    assert sorted(p.name for p in (registry / "v1").iterdir()) == [
        "model.json", "reference.json", "report.html", "report.json", "scorecard.json"]
    assert (registry / "v2" / "gbm.txt").read_text().startswith("tree")


def test_the_version_records_data_fingerprint_schema_and_metrics(registry: Path) -> None:
    doc = json.loads((registry / "v1" / "model.json").read_text())
    assert doc["data_sha256"] == hashlib.sha256(SAMPLE.read_bytes()).hexdigest()
    assert doc["target"] == "DEFAULT" and doc["rows"] == 3000
    features = {f["name"]: f for f in doc["schema"]["features"]}
    assert features["LIMIT_BAL"]["kind"] == "numeric"
    assert features["AGE"]["dtype"] == "int64"
    assert features["LIMIT_BAL"]["dtype"] == "float64"
    assert {"auc", "ks", "gini", "brier"} <= set(doc["metrics"])
    assert doc["created_at"] == "2025-03-01T09:00:00+00:00"


def test_a_loaded_model_scores_exactly_like_the_one_just_trained(registry: Path) -> None:
    frame = read_frame(SAMPLE.read_bytes()).head(100)
    again = load_model(registry, "v2")
    first = again.score_frame(frame)
    assert np.array_equal(first, load_model(registry, "v2").score_frame(frame))
    assert read_report(registry, "v1")["family"] == "scorecard"


def test_an_unknown_version_is_named(registry: Path) -> None:
    with pytest.raises(ModelVersionNotFound, match="'v9'"):
        load_model(registry, "v9")


def test_an_altered_artifact_is_refused(registry: Path, tmp_path: Path) -> None:
    copy = tmp_path / "v1"
    copy.mkdir()
    for p in (registry / "v1").iterdir():
        (copy / p.name).write_bytes(p.read_bytes())
    card = json.loads((copy / "scorecard.json").read_text())
    card["intercept"] += 1.0
    (copy / "scorecard.json").write_text(json.dumps(card))
    with pytest.raises(ModelLoadError, match="does not match the checksum"):
        load_model(copy)
    (copy / "scorecard.json").unlink()
    with pytest.raises(ModelLoadError, match=r"scorecard\.json cannot be read"):
        load_model(copy)
    (copy / "model.json").write_text("{not json")
    with pytest.raises(ModelLoadError, match=r"model\.json cannot be read"):
        load_model(copy)


def test_a_missing_directory_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ModelLoadError, match="does not exist") as err:
        load_model(tmp_path / "nowhere")
    assert err.value.code == "risk_model_artifact_must_load"


# the format, as data: no files


def test_a_new_version_follows_the_highest_taken() -> None:
    assert next(version_candidates([])) == "v1"
    assert next(version_candidates(["v1", "v3", "manifest.json", "v2.tmp", "vx"])) == "v4"
    assert len(list(version_candidates(["v1"]))) == MAX_VERSIONS


def test_a_version_is_picked_from_the_manifest_or_named() -> None:
    manifest = {"format": 1, "latest": "v2", "versions": [{"version": "v1"}, {"version": "v2"}]}
    assert pick_version(manifest, None, "DIR/manifest.json") == "v2"
    assert pick_version(manifest, "v1", "DIR/manifest.json") == "v1"
    with pytest.raises(ModelVersionNotFound, match=r"'v3' is not in DIR/manifest.json"):
        pick_version(manifest, "v3", "DIR/manifest.json")


@pytest.mark.parametrize("doc", [[], {"versions": "v1"}, {"format": 1}])
def test_a_document_that_is_not_a_manifest_is_refused(doc: object) -> None:
    with pytest.raises(ModelLoadError, match="is not a model manifest"):
        check_manifest(doc, "DIR/manifest.json")


def test_bytes_that_are_not_json_in_utf8_are_refused_naming_where() -> None:
    assert parse_json(b'{"a": 1}', "x.json") == {"a": 1}
    for data in (b"\xff{}", b"{not json"):
        with pytest.raises(ModelLoadError, match=r"x\.json cannot be read"):
            parse_json(data, "x.json")


def test_an_artifact_is_checked_against_its_checksum() -> None:
    files = {"gbm.txt": sha256_of(b"tree")}
    assert checked_artifact(b"tree", "gbm.txt", files, "v1/gbm.txt") == "tree"
    with pytest.raises(ModelLoadError, match="does not match the checksum"):
        checked_artifact(b"tree!", "gbm.txt", files, "v1/gbm.txt")


def test_a_model_document_of_another_format_is_refused() -> None:
    def nothing(name: str) -> bytes:
        raise AssertionError(f"{name} is not read")

    with pytest.raises(ModelLoadError, match="has format 2"):
        model_from({"format": 2}, nothing, "DIR/v1")
    with pytest.raises(ModelLoadError, match="holds an incomplete model"):
        model_from({"format": 1, "files": {}}, nothing, "DIR/v1")
