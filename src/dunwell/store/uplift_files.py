"""Uplift policies on disk: one ``vN`` directory per trained version and a manifest.

::

    DIR/manifest.json        {"format": 1, "latest": "v2", "versions": [...]}
    DIR/v1/files.json        the sha256 of every other file of the version
    DIR/v1/policy.json       budget, costs, exploration, seed, the training report
    DIR/v1/uplift.json       arms, languages, horizon, features
    DIR/v1/arm_<arm>.txt     LightGBM's text model of each arm

A new version claims the next free directory (``mkdir`` is the claim) and is never
overwritten; reading checks every checksum, so a file altered or missing is a
:class:`~dunwell.risk.errors.ModelLoadError` naming it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from dunwell.risk.errors import ModelLoadError, ModelVersionNotFound
from dunwell.risk.registry import json_text, parse_json, sha256_of, version_candidates

MANIFEST = "manifest.json"
FILES = "files.json"


def _write(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(text.encode("utf-8"))
    os.replace(tmp, path)


def _manifest(directory: Path) -> dict[str, Any]:
    path = directory / MANIFEST
    if not path.exists():
        return {"format": 1, "kind": "uplift_policy", "versions": []}
    doc = parse_json(path.read_bytes(), str(path))
    if not isinstance(doc, dict) or doc.get("kind") != "uplift_policy":
        raise ModelLoadError(f"{path} is not an uplift policy manifest")
    return doc


def save_version(directory: Path, files: Mapping[str, str], entry: Mapping[str, Any]) -> str:
    """Write ``files`` as a new version of the policy directory; returns its name."""
    directory.mkdir(parents=True, exist_ok=True)
    manifest = _manifest(directory)
    for version in version_candidates(p.name for p in directory.iterdir()):
        try:
            (directory / version).mkdir()
        except FileExistsError:
            continue
        break
    target = directory / version
    for name, text in files.items():
        _write(target / name, text)
    sums = {name: sha256_of(text.encode("utf-8")) for name, text in files.items()}
    _write(target / FILES, json_text(sums))
    manifest["versions"] = [*manifest["versions"], {**entry, "version": version}]
    manifest["latest"] = version
    _write(directory / MANIFEST, json_text(manifest))
    return version


def open_version(directory: Path, version: str | None = None) -> tuple[str, Callable[[str], str]]:
    """The version's name (default: the latest) and a reader of its files, each
    checked against ``files.json``."""
    if not (directory / MANIFEST).exists():
        raise ModelLoadError(
            f"{directory} holds no uplift policy; train one with `dunwell uplift train --out DIR`"
        )
    manifest = _manifest(directory)
    name = version or manifest.get("latest")
    known = [str(v.get("version")) for v in manifest["versions"]]
    if name not in known:
        raise ModelVersionNotFound(
            f"version {name!r} is not in {directory} (known: {', '.join(known)})"
        )
    where = directory / str(name)
    try:
        sums = json.loads((where / FILES).read_bytes())
    except (OSError, ValueError) as exc:
        raise ModelLoadError(f"{where / FILES} cannot be read: {exc}") from None

    def read(file: str) -> str:
        try:
            data = (where / file).read_bytes()
        except OSError as exc:
            raise ModelLoadError(f"{where / file} cannot be read: {exc}") from None
        if sums.get(file) != sha256_of(data):
            raise ModelLoadError(
                f"{where / file} does not match its checksum in {FILES}; "
                "the file was altered or is incomplete"
            )
        return data.decode("utf-8")

    return str(name), read


__all__ = ["open_version", "save_version"]
