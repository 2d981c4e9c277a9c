"""The evidence bundle's container: a ZIP of the original files, a manifest listing
each file's name, size, SHA-256 and description, and the manifest's own checksum.

Layout::

    manifest.json     {"format": "dunwell-evidence-bundle/1", "referral_id", "case_id",
                       "generated_at", "files": [{"name", "size", "sha256",
                       "description"}, ...]}
    manifest.sha256   "<sha256 of manifest.json>  manifest.json\\n"
    <every file the manifest lists>

:func:`verify_bundle` re-checks all of it: the manifest's checksum, every listed
file's size and digest, and that nothing is missing or added. Pure: bytes in, bytes
or findings out; entries carry a fixed timestamp so the same files give the same ZIP.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass

from dunwell.legal.errors import BundleInvalid

FORMAT = "dunwell-evidence-bundle/1"
MANIFEST = "manifest.json"
MANIFEST_SUM = "manifest.sha256"
#: The timestamp every ZIP entry carries (ZIP's epoch), so bytes depend on content only.
ZIP_TIME = (1980, 1, 1, 0, 0, 0)
#: Bounds on what verification reads: a bundle is a few files of a few megabytes.
FILES_MAX = 10_000
FILE_BYTES_MAX = 256 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class BundleFile:
    name: str  # path inside the ZIP, forward slashes
    data: bytes
    description: str


@dataclass(frozen=True, slots=True)
class ManifestEntry:
    name: str
    size: int
    sha256: str
    description: str


@dataclass(frozen=True, slots=True)
class PackedBundle:
    zip_bytes: bytes
    manifest_json: bytes
    manifest_sha256: str
    entries: tuple[ManifestEntry, ...]

    @property
    def zip_sha256(self) -> str:
        return sha256_hex(self.zip_bytes)


@dataclass(frozen=True, slots=True)
class BundleCheck:
    """What verification found; ``problems`` is empty when the bundle is intact."""

    manifest_sha256: str
    referral_id: int | None
    files_checked: int
    problems: tuple[str, ...]

    @property
    def intact(self) -> bool:
        return not self.problems


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _check_name(name: str) -> None:
    if (not name or name.startswith("/") or "\\" in name or ".." in name.split("/")
            or name in (MANIFEST, MANIFEST_SUM)):
        raise BundleInvalid(f"bundle file name {name!r} is not a plain relative path",
                            code="bundle_file_names_must_be_relative")


def pack_bundle(files: Sequence[BundleFile], *, referral_id: int, case_id: str,
                generated_at: str) -> PackedBundle:
    """The ZIP (manifest first, then the files in the order given)."""
    names = [f.name for f in files]
    for name in names:
        _check_name(name)
    if len(set(names)) != len(names):
        raise BundleInvalid("bundle file names must be unique",
                            code="bundle_file_names_must_be_unique")
    entries = tuple(ManifestEntry(f.name, len(f.data), sha256_hex(f.data), f.description)
                    for f in files)
    manifest = {"format": FORMAT, "referral_id": referral_id, "case_id": case_id,
                "generated_at": generated_at,
                "files": [{"name": e.name, "size": e.size, "sha256": e.sha256,
                           "description": e.description} for e in entries]}
    manifest_json = (json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True)
                     + "\n").encode("utf-8")
    digest = sha256_hex(manifest_json)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in ((MANIFEST, manifest_json),
                           (MANIFEST_SUM, f"{digest}  {MANIFEST}\n".encode()),
                           *((f.name, f.data) for f in files)):
            info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, data)
    return PackedBundle(buf.getvalue(), manifest_json, digest, entries)


def verify_bundle(zip_bytes: bytes) -> BundleCheck:
    """Re-check a bundle ZIP; every problem found is listed (nothing stops at the first)."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(zip_bytes))
    except zipfile.BadZipFile:
        raise BundleInvalid("the file is not a ZIP archive; pass the bundle's .zip file",
                            code="bundle_must_be_a_zip") from None
    with zf:
        infos = zf.infolist()
        if len(infos) > FILES_MAX:
            raise BundleInvalid(f"the bundle holds {len(infos)} files, more than {FILES_MAX}",
                                code="bundle_must_be_bounded")
        present = {i.filename: i for i in infos}
        if MANIFEST not in present:
            raise BundleInvalid("the ZIP has no manifest.json: it is not an evidence bundle",
                                code="bundle_must_have_manifest")
        problems: list[str] = []

        def read(name: str) -> bytes | None:
            info = present[name]
            if info.file_size > FILE_BYTES_MAX:
                problems.append(f"{name}: larger than {FILE_BYTES_MAX} bytes; not read")
                return None
            try:
                return zf.read(name)
            except (zipfile.BadZipFile, OSError) as exc:  # CRC mismatch and the like
                problems.append(f"{name}: cannot be read ({exc})")
                return None

        manifest_json = read(MANIFEST) or b""
        digest = sha256_hex(manifest_json)
        if MANIFEST_SUM not in present:
            problems.append("manifest.sha256 is missing")
        else:
            line = (read(MANIFEST_SUM) or b"").decode("utf-8", "replace").split()
            if not line or line[0] != digest:
                problems.append("manifest.json does not match manifest.sha256: the manifest "
                                "was changed")
        try:
            manifest = json.loads(manifest_json)
            listed = manifest["files"]
            referral_id = manifest.get("referral_id")
        except (ValueError, KeyError, TypeError):
            raise BundleInvalid("manifest.json does not parse as a bundle manifest",
                                code="bundle_must_have_manifest") from None
        if manifest.get("format") != FORMAT:
            problems.append(f"manifest format is {manifest.get('format')!r}, expected {FORMAT}")
        seen: set[str] = set()
        for entry in listed:
            name = str(entry.get("name"))
            seen.add(name)
            if name not in present:
                problems.append(f"{name}: listed in the manifest but missing from the ZIP")
                continue
            data = read(name)
            if data is None:
                continue
            if len(data) != entry.get("size"):
                problems.append(f"{name}: size {len(data)} bytes, manifest says "
                                f"{entry.get('size')}")
            if sha256_hex(data) != entry.get("sha256"):
                problems.append(f"{name}: SHA-256 differs from the manifest: the file was "
                                "changed")
        for name in sorted(set(present) - seen - {MANIFEST, MANIFEST_SUM}):
            problems.append(f"{name}: in the ZIP but not listed in the manifest")
    return BundleCheck(digest, referral_id if isinstance(referral_id, int) else None,
                       len(seen), tuple(problems))
