"""The model registry on disk: the files of :mod:`dunwell.risk.registry`'s format.

A new version claims the next free ``vN`` directory (``mkdir`` is the claim, so two
trainings never share one) and each file is written whole or not at all (written
beside its name, then renamed). Reading turns a missing or unreadable file into a
:class:`~dunwell.risk.errors.ModelLoadError` naming it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from dunwell.risk.credit_model import CreditModel
from dunwell.risk.errors import ModelLoadError
from dunwell.risk.registry import (
    MANIFEST,
    MODEL,
    REPORT,
    ReadArtifact,
    check_manifest,
    json_text,
    model_from,
    new_manifest,
    parse_json,
    pick_version,
    version_candidates,
    version_files,
    with_version,
)
from dunwell.risk.training import Trained

__all__ = ["MANIFEST", "is_registry", "load_model", "read_report", "resolve", "save",
           "versions"]


def _write(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(text.encode("utf-8"))
    os.replace(tmp, path)


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise ModelLoadError(f"{path} does not exist") from None
    except OSError as exc:
        raise ModelLoadError(f"{path} cannot be read: {exc}") from None


def _read_json(path: Path) -> Any:
    return parse_json(_read(path), str(path))


def _claim(directory: Path) -> tuple[str, Path]:
    for version in version_candidates(p.name for p in directory.iterdir()):
        target = directory / version
        try:
            target.mkdir()
        except FileExistsError:
            continue
        return version, target
    raise ModelLoadError(f"{directory} has no free version number")


def _manifest(directory: Path) -> dict[str, Any]:
    path = directory / MANIFEST
    if not path.exists():
        return new_manifest()
    return check_manifest(_read_json(path), str(path))


def is_registry(path: Path) -> bool:
    """Whether ``path`` holds a registry (a manifest of versions)."""
    return (path / MANIFEST).exists()


def save(trained: Trained, directory: Path, *, created_at: str | None = None,
         provenance: Mapping[str, Any] | None = None) -> str:
    """Write a new version and make it the latest; returns its name (``v1``...).
    ``created_at`` and ``provenance`` (seed, source file...) are recorded as given."""
    directory.mkdir(parents=True, exist_ok=True)
    _manifest(directory)
    version, target = _claim(directory)
    for name, text in version_files(trained, version, created_at=created_at,
                                    provenance=provenance).items():
        _write(target / name, text)
    manifest = with_version(_manifest(directory), trained, version, created_at=created_at)
    _write(directory / MANIFEST, json_text(manifest))
    return version


def resolve(path: Path, version: str | None = None) -> Path:
    """The directory of ``version`` (default: the latest) under a registry, or ``path``
    itself when it is already one version's directory."""
    if is_registry(path):
        where = path / MANIFEST
        return path / pick_version(_read_json(where), version, str(where))
    if (path / MODEL).exists() and version is None:
        return path
    if not path.exists():
        raise ModelLoadError(f"{path} does not exist; train a model there first")
    raise ModelLoadError(f"{path} holds no model ({MANIFEST} or {MODEL} is missing)")


def versions(path: Path) -> list[dict[str, Any]]:
    return list(_read_json(path / MANIFEST).get("versions", []))


def _artifact_reader(where: Path) -> ReadArtifact:
    def read(name: str) -> bytes:
        try:
            return (where / name).read_bytes()
        except OSError as exc:
            raise ModelLoadError(f"{where / name} cannot be read: {exc.strerror}") from None

    return read


def load_model(path: str | os.PathLike[str], version: str | None = None) -> CreditModel:
    """Load a model: a registry directory (latest or ``version``) or a version's own."""
    where = resolve(Path(path), version)
    return model_from(_read_json(where / MODEL), _artifact_reader(where), str(where))


def read_report(path: str | os.PathLike[str], version: str | None = None) -> dict[str, Any]:
    doc = _read_json(resolve(Path(path), version) / REPORT)
    if not isinstance(doc, dict):
        raise ModelLoadError(f"{path}: {REPORT} is not a JSON object")
    return doc
