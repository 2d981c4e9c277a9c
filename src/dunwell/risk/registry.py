"""The model registry on disk: one directory per trained version, and a manifest.

::

    DIR/manifest.json         {"format": 1, "latest": "v2", "versions": [...]}
    DIR/v1/model.json         family, schema, calibration, data sha256, metrics,
                              options, and the sha256 of every artifact below
    DIR/v1/scorecard.json     bins, WOE, coefficients, points  (scorecard family)
    DIR/v1/gbm.txt            LightGBM's text model            (gbm family)
    DIR/v1/reference.json     training distributions for PSI
    DIR/v1/report.json, report.html

Versions are never overwritten: a new training claims the next ``vN`` directory.
Loading checks the format and every artifact's checksum; anything missing, altered
or unreadable is a :class:`ModelLoadError`.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from dunwell.risk.calibration import Calibrator
from dunwell.risk.credit_model import CreditModel
from dunwell.risk.errors import ModelLoadError, ModelVersionNotFound
from dunwell.risk.gbm import Gbm
from dunwell.risk.model import Family, Schema
from dunwell.risk.monitor import Reference
from dunwell.risk.report import render_html
from dunwell.risk.scorecard import Scorecard
from dunwell.risk.training import Trained

FORMAT = 1
MANIFEST = "manifest.json"
MODEL = "model.json"
MAX_VERSIONS = 10_000
_VERSION = re.compile(r"^v(\d+)$")


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _write(path: Path, text: str) -> str:
    data = text.encode("utf-8")
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
    return _sha(data)


def _json(doc: Any) -> str:
    return json.dumps(doc, ensure_ascii=False, indent=1, allow_nan=False) + "\n"


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelLoadError(f"{path} does not exist") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelLoadError(f"{path} cannot be read: {exc}") from None


def _claim(directory: Path) -> tuple[str, Path]:
    taken = [int(m.group(1)) for p in directory.iterdir() if (m := _VERSION.match(p.name))]
    start = max(taken, default=0) + 1
    for n in range(start, start + MAX_VERSIONS):
        target = directory / f"v{n}"
        try:
            target.mkdir()
        except FileExistsError:
            continue
        return f"v{n}", target
    raise ModelLoadError(f"{directory} has no free version number")


def _manifest(directory: Path) -> dict[str, Any]:
    path = directory / MANIFEST
    if not path.exists():
        return {"format": FORMAT, "versions": []}
    doc = _read_json(path)
    if not isinstance(doc, dict) or not isinstance(doc.get("versions"), list):
        raise ModelLoadError(f"{path} is not a model manifest")
    return doc


def save(trained: Trained, directory: Path, *, created_at: str | None = None,
         provenance: Mapping[str, Any] | None = None) -> str:
    """Write a new version and make it the latest; returns its name (``v1``...).
    ``created_at`` and ``provenance`` (seed, source file...) are recorded as given."""
    model = trained.model
    directory.mkdir(parents=True, exist_ok=True)
    _manifest(directory)
    version, target = _claim(directory)
    model.version = version
    files: dict[str, str] = {}
    if model.scorecard is not None:
        files["scorecard.json"] = _write(target / "scorecard.json",
                                         _json(model.scorecard.to_json()))
    else:
        assert model.gbm is not None
        files["gbm.txt"] = _write(target / "gbm.txt", model.gbm.to_text())
    assert model.reference is not None
    files["reference.json"] = _write(target / "reference.json",
                                     _json(model.reference.to_json()))
    report = {**trained.report, "version": version, "created_at": created_at}
    _write(target / "report.json", _json(report))
    _write(target / "report.html", render_html(report))
    doc = {"format": FORMAT, "version": version, "family": model.family.value,
           "created_at": created_at, "schema": model.schema.to_json(),
           "calibration": model.calibrator.to_json(), "files": files,
           "provenance": dict(provenance or {}), **model.meta}
    _write(target / MODEL, _json(doc))
    manifest = _manifest(directory)
    manifest["versions"].append({
        "version": version, "family": model.family.value, "created_at": created_at,
        "data_sha256": model.meta.get("data_sha256"), "target": model.meta.get("target"),
        "metrics": model.meta.get("metrics")})
    manifest["latest"] = version
    _write(directory / MANIFEST, _json(manifest))
    return version


def resolve(path: Path, version: str | None = None) -> Path:
    """The directory of ``version`` (default: the latest) under a registry, or ``path``
    itself when it is already one version's directory."""
    if (path / MANIFEST).exists():
        manifest = _read_json(path / MANIFEST)
        name = version or manifest.get("latest")
        known = [v.get("version") for v in manifest.get("versions", [])]
        if name not in known:
            raise ModelVersionNotFound(
                f"version {name!r} is not in {path / MANIFEST} (known: {', '.join(known)})")
        return path / str(name)
    if (path / MODEL).exists() and version is None:
        return path
    if not path.exists():
        raise ModelLoadError(f"{path} does not exist; train a model there first")
    raise ModelLoadError(f"{path} holds no model ({MANIFEST} or {MODEL} is missing)")


def versions(path: Path) -> list[dict[str, Any]]:
    return list(_read_json(path / MANIFEST).get("versions", []))


def _artifact(where: Path, name: str, files: dict[str, str]) -> str:
    try:
        data = (where / name).read_bytes()
    except OSError as exc:
        raise ModelLoadError(f"{where / name} cannot be read: {exc.strerror}") from None
    if files.get(name) != _sha(data):
        raise ModelLoadError(f"{where / name} does not match the checksum in {MODEL}; "
                             "the artifact was altered or is incomplete")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise ModelLoadError(f"{where / name} is not UTF-8 text") from None


def load_model(path: str | os.PathLike[str], version: str | None = None) -> CreditModel:
    """Load a model: a registry directory (latest or ``version``) or a version's own."""
    where = resolve(Path(path), version)
    doc = _read_json(where / MODEL)
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        found = doc.get("format") if isinstance(doc, dict) else None
        raise ModelLoadError(f"{where / MODEL} has format {found!r}; "
                             f"this version of dunwell reads format {FORMAT}")
    try:
        files = dict(doc["files"])
        schema = Schema.from_json(doc["schema"])
        family = Family(doc["family"])
        calibrator = Calibrator.from_json(doc["calibration"])
        reference = Reference.from_json(json.loads(_artifact(where, "reference.json", files)))
        scorecard = gbm = None
        if family is Family.SCORECARD:
            scorecard = Scorecard.from_json(json.loads(_artifact(where, "scorecard.json", files)))
        else:
            gbm = Gbm.from_text(_artifact(where, "gbm.txt", files), schema)
    except ModelLoadError:
        raise
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelLoadError(f"{where} holds an incomplete model: {exc!r}") from None
    meta = {k: v for k, v in doc.items()
            if k not in {"schema", "calibration", "files", "format", "family", "version"}}
    return CreditModel(schema=schema, family=family, calibrator=calibrator,
                       scorecard=scorecard, gbm=gbm, reference=reference,
                       version=str(doc.get("version")), meta=meta)


def read_report(path: str | os.PathLike[str], version: str | None = None) -> dict[str, Any]:
    doc = _read_json(resolve(Path(path), version) / "report.json")
    if not isinstance(doc, dict):
        raise ModelLoadError(f"{path}: report.json is not a JSON object")
    return doc
