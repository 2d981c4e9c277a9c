"""The model registry's format: one directory per trained version, and a manifest.

::

    DIR/manifest.json         {"format": 1, "latest": "v2", "versions": [...]}
    DIR/v1/model.json         family, schema, calibration, preprocessing (sentinel
                              codes, clipping bounds, missing indicators), data
                              sha256, metrics, options, and the sha256 of every
                              artifact below
    DIR/v1/scorecard.json     bins, WOE, coefficients, points  (scorecard family)
    DIR/v1/gbm.txt            LightGBM's text model            (gbm family)
    DIR/v1/reference.json     training distributions for PSI
    DIR/v1/report.json, report.html

Versions are never overwritten: a new training claims the next ``vN`` directory.
Loading checks the format and every artifact's checksum; anything missing, altered
or unreadable is a :class:`ModelLoadError`.

This module is the format only, as data: the files a version consists of, the
manifest's entries, and a model rebuilt from the bytes read back. Reading and writing
the files is the store's (:mod:`dunwell.store.model_files`).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from dunwell.risk.calibration import Calibrator
from dunwell.risk.credit_model import CreditModel
from dunwell.risk.errors import ModelLoadError, ModelVersionNotFound
from dunwell.risk.gbm import Gbm
from dunwell.risk.model import Family, Schema
from dunwell.risk.monitor import Reference
from dunwell.risk.report import render_html
from dunwell.risk.robust import Prep
from dunwell.risk.scorecard import Scorecard
from dunwell.risk.training import Trained

FORMAT = 1
MANIFEST = "manifest.json"
MODEL = "model.json"
REPORT = "report.json"
MAX_VERSIONS = 10_000
_VERSION = re.compile(r"^v(\d+)$")
#: Keys of model.json that are not the model's free-form metadata.
_NOT_META = frozenset({"schema", "calibration", "files", "format", "family", "version",
                       "preprocessing"})

#: Reads one artifact of a version by name; raises :class:`ModelLoadError` when it cannot.
ReadArtifact = Callable[[str], bytes]


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def json_text(doc: Any) -> str:
    """A registry document as written: indented, non-ASCII kept, no NaN."""
    return json.dumps(doc, ensure_ascii=False, indent=1, allow_nan=False) + "\n"


def parse_json(data: bytes, where: str) -> Any:
    """A registry document read back from ``where``."""
    try:
        return json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelLoadError(f"{where} cannot be read: {exc}") from None


def version_candidates(names: Iterable[str]) -> Iterator[str]:
    """The version names a new training may claim, in order: after the highest of
    ``names`` (the registry's entries), at most :data:`MAX_VERSIONS` of them."""
    taken = [int(m.group(1)) for name in names if (m := _VERSION.match(name))]
    start = max(taken, default=0) + 1
    return (f"v{n}" for n in range(start, start + MAX_VERSIONS))


def new_manifest() -> dict[str, Any]:
    return {"format": FORMAT, "versions": []}


def check_manifest(doc: Any, where: str) -> dict[str, Any]:
    """``doc`` when it is a manifest, or a :class:`ModelLoadError` naming ``where``."""
    if not isinstance(doc, dict) or not isinstance(doc.get("versions"), list):
        raise ModelLoadError(f"{where} is not a model manifest")
    return doc


def version_files(trained: Trained, version: str, *, created_at: str | None,
                  provenance: Mapping[str, Any] | None) -> dict[str, str]:
    """Every file of a new ``version``, name -> text, in the order to write them
    (``model.json`` last, with the checksums of the artifacts before it). The trained
    model is named ``version`` from now on."""
    model = trained.model
    model.version = version
    artifacts: dict[str, str] = {}
    if model.scorecard is not None:
        artifacts["scorecard.json"] = json_text(model.scorecard.to_json())
    else:
        assert model.gbm is not None
        artifacts["gbm.txt"] = model.gbm.to_text()
    assert model.reference is not None
    artifacts["reference.json"] = json_text(model.reference.to_json())
    report = {**trained.report, "version": version, "created_at": created_at}
    doc = {"format": FORMAT, "version": version, "family": model.family.value,
           "created_at": created_at, "schema": model.schema.to_json(),
           "calibration": model.calibrator.to_json(),
           **({"preprocessing": model.prep.to_json()} if model.prep is not None else {}),
           "files": {name: sha256_of(text.encode("utf-8")) for name, text in artifacts.items()},
           "provenance": dict(provenance or {}), **model.meta}
    return {**artifacts, REPORT: json_text(report), "report.html": render_html(report),
            MODEL: json_text(doc)}


def with_version(manifest: Mapping[str, Any], trained: Trained, version: str, *,
                 created_at: str | None) -> dict[str, Any]:
    """``manifest`` with ``version`` added and made the latest."""
    model = trained.model
    entry = {"version": version, "family": model.family.value, "created_at": created_at,
             "data_sha256": model.meta.get("data_sha256"), "target": model.meta.get("target"),
             "metrics": model.meta.get("metrics")}
    return {**manifest, "versions": [*manifest["versions"], entry], "latest": version}


def pick_version(manifest: Mapping[str, Any], version: str | None, where: str) -> str:
    """``version`` (default: the latest) when the manifest at ``where`` lists it."""
    name = version or manifest.get("latest")
    known = [v.get("version") for v in manifest.get("versions", [])]
    if name not in known:
        raise ModelVersionNotFound(
            f"version {name!r} is not in {where} (known: {', '.join(known)})")
    return str(name)


def checked_artifact(data: bytes, name: str, files: Mapping[str, str], where: str) -> str:
    """An artifact's text, when it matches the checksum ``model.json`` recorded."""
    if files.get(name) != sha256_of(data):
        raise ModelLoadError(f"{where} does not match the checksum in {MODEL}; "
                             "the artifact was altered or is incomplete")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise ModelLoadError(f"{where} is not UTF-8 text") from None


def model_from(doc: Any, read: ReadArtifact, where: str) -> CreditModel:
    """The model a version's ``model.json`` (``doc``) describes, its artifacts read by
    ``read`` and checked against their checksums; ``where`` names the version."""
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        found = doc.get("format") if isinstance(doc, dict) else None
        raise ModelLoadError(f"{where}/{MODEL} has format {found!r}; "
                             f"this version of dunwell reads format {FORMAT}")
    try:
        files = dict(doc["files"])

        def artifact(name: str) -> str:
            return checked_artifact(read(name), name, files, f"{where}/{name}")

        schema = Schema.from_json(doc["schema"])
        family = Family(doc["family"])
        calibrator = Calibrator.from_json(doc["calibration"])
        prep = Prep.from_json(doc["preprocessing"]) if "preprocessing" in doc else None
        features = prep.features(schema) if prep is not None else schema
        reference = Reference.from_json(json.loads(artifact("reference.json")))
        scorecard = gbm = None
        if family is Family.SCORECARD:
            scorecard = Scorecard.from_json(json.loads(artifact("scorecard.json")))
        else:
            gbm = Gbm.from_text(artifact("gbm.txt"), features)
    except ModelLoadError:
        raise
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelLoadError(f"{where} holds an incomplete model: {exc!r}") from None
    meta = {k: v for k, v in doc.items() if k not in _NOT_META}
    return CreditModel(schema=schema, family=family, calibrator=calibrator,
                       scorecard=scorecard, gbm=gbm, reference=reference,
                       version=str(doc.get("version")), meta=meta, prep=prep)
