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
from collections.abc import Iterable, Mapping, Sequence
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


def open_bundle(zip_bytes: bytes) -> zipfile.ZipFile:
    """The ZIP archive, or a named refusal when the bytes are not one."""
    try:
        return zipfile.ZipFile(io.BytesIO(zip_bytes))
    except zipfile.BadZipFile:
        raise BundleInvalid("the file is not a ZIP archive; pass the bundle's .zip file",
                            code="bundle_must_be_a_zip") from None


def entries_by_name(zf: zipfile.ZipFile) -> dict[str, zipfile.ZipInfo]:
    """The ZIP's entries by name: at most :data:`FILES_MAX`, a manifest among them."""
    infos = zf.infolist()
    if len(infos) > FILES_MAX:
        raise BundleInvalid(f"the bundle holds {len(infos)} files, more than {FILES_MAX}",
                            code="bundle_must_be_bounded")
    present = {i.filename: i for i in infos}
    if MANIFEST not in present:
        raise BundleInvalid("the ZIP has no manifest.json: it is not an evidence bundle",
                            code="bundle_must_have_manifest")
    return present


def read_entry(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> tuple[bytes | None, str | None]:
    """An entry's bytes, or why it was not read (larger than :data:`FILE_BYTES_MAX`,
    or unreadable): a problem to list, not a stop."""
    if info.file_size > FILE_BYTES_MAX:
        return None, f"{info.filename}: larger than {FILE_BYTES_MAX} bytes; not read"
    try:
        return zf.read(info), None
    except (zipfile.BadZipFile, OSError) as exc:  # CRC mismatch and the like
        return None, f"{info.filename}: cannot be read ({exc})"


def read_manifest(zf: zipfile.ZipFile, present: Mapping[str, zipfile.ZipInfo]) -> bytes:
    """manifest.json's bytes; a manifest that cannot be read is not a bundle to check."""
    manifest_json, problem = read_entry(zf, present[MANIFEST])
    if manifest_json is None:
        raise BundleInvalid(f"manifest.json cannot be read: {problem}",
                            code="bundle_must_have_manifest")
    return manifest_json


def manifest_sum_problems(zf: zipfile.ZipFile, present: Mapping[str, zipfile.ZipInfo],
                          digest: str) -> list[str]:
    """Whether manifest.sha256 is there and names ``digest``, the manifest's own."""
    if MANIFEST_SUM not in present:
        return ["manifest.sha256 is missing"]
    data, problem = read_entry(zf, present[MANIFEST_SUM])
    problems = [problem] if problem else []
    line = (data or b"").decode("utf-8", "replace").split()
    if not line or line[0] != digest:
        problems.append("manifest.json does not match manifest.sha256: the manifest was "
                        "changed")
    return problems


@dataclass(frozen=True, slots=True)
class Manifest:
    """manifest.json as read: its format, referral and listed files (each a JSON object
    with at least a name)."""

    format: object
    referral_id: object
    files: tuple[Mapping[str, object], ...]

    @property
    def referral(self) -> int | None:
        """The referral id when it is a whole number (anything else is a problem found)."""
        value = self.referral_id
        return value if isinstance(value, int) and not isinstance(value, bool) else None


def parse_manifest(manifest_json: bytes) -> Manifest:
    """The manifest, or a named refusal when it is not one: not JSON, not an object, or
    ``files`` not a list of objects each with a name."""
    not_a_manifest = BundleInvalid("manifest.json does not parse as a bundle manifest",
                                   code="bundle_must_have_manifest")
    try:
        manifest = json.loads(manifest_json)
    except ValueError:
        raise not_a_manifest from None
    files = manifest.get("files") if isinstance(manifest, dict) else None
    if not isinstance(files, list) or not all(
            isinstance(f, dict) and isinstance(f.get("name"), str) for f in files):
        raise not_a_manifest
    return Manifest(manifest.get("format"), manifest.get("referral_id"), tuple(files))


def header_problems(manifest: Manifest) -> list[str]:
    """The manifest's format, and a referral id that is a whole number."""
    problems = []
    if manifest.format != FORMAT:
        problems.append(f"manifest format is {manifest.format!r}, expected {FORMAT}")
    if manifest.referral is None:
        problems.append(f"manifest referral_id is {manifest.referral_id!r}, expected a "
                        "whole number")
    return problems


def file_problems(entry: Mapping[str, object], zf: zipfile.ZipFile,
                  present: Mapping[str, zipfile.ZipInfo]) -> list[str]:
    """Whether one listed file is in the ZIP with the size and digest listed."""
    name = str(entry["name"])
    if name not in present:
        return [f"{name}: listed in the manifest but missing from the ZIP"]
    data, problem = read_entry(zf, present[name])
    if data is None:
        return [str(problem)]
    problems = []
    if len(data) != entry.get("size"):
        problems.append(f"{name}: size {len(data)} bytes, manifest says {entry.get('size')}")
    if sha256_hex(data) != entry.get("sha256"):
        problems.append(f"{name}: SHA-256 differs from the manifest: the file was changed")
    return problems


def unlisted_problems(present: Iterable[str], listed: Iterable[str]) -> list[str]:
    """Files in the ZIP the manifest does not list."""
    extra = set(present) - set(listed) - {MANIFEST, MANIFEST_SUM}
    return [f"{name}: in the ZIP but not listed in the manifest" for name in sorted(extra)]


def verify_bundle(zip_bytes: bytes) -> BundleCheck:
    """Re-check a bundle ZIP; every problem found is listed (nothing stops at the first)."""
    with open_bundle(zip_bytes) as zf:
        present = entries_by_name(zf)
        manifest_json = read_manifest(zf, present)
        digest = sha256_hex(manifest_json)
        problems = manifest_sum_problems(zf, present, digest)
        manifest = parse_manifest(manifest_json)
        problems += header_problems(manifest)
        for entry in manifest.files:
            problems += file_problems(entry, zf, present)
        listed = {str(entry["name"]) for entry in manifest.files}
        problems += unlisted_problems(present, listed)
    return BundleCheck(digest, manifest.referral, len(listed), tuple(problems))
