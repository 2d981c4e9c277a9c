"""The evidence bundle's ZIP: a manifest of names, sizes and SHA-256 digests with its
own checksum; verification finds a changed, missing or added file and an edited
manifest."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile

import pytest

from dunwell.legal.bundle import BundleFile, pack_bundle, verify_bundle
from dunwell.legal.errors import BundleInvalid

FILES = (BundleFile("evidence.pdf", b"%PDF-1.4 pretend", "the bundle as one PDF"),
         BundleFile("sections/01_contract_terms.csv", "借款,本金\n1,600000\n".encode(),
                    "contract terms"),
         BundleFile("letters/DW-20250301-000001.pdf", b"%PDF letter", "a letter"))


def packed() -> bytes:
    return pack_bundle(FILES, referral_id=7, case_id="case-1",
                       generated_at="2025-06-01T09:00:00+00:00").zip_bytes


def rewrite(zip_bytes: bytes, changes: dict[str, bytes | None]) -> bytes:
    """A copy of the ZIP with some entries replaced (None: removed) or added."""
    src = zipfile.ZipFile(io.BytesIO(zip_bytes))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            if info.filename in changes:
                data = changes[info.filename]
                if data is not None:
                    dst.writestr(info.filename, data)
            else:
                dst.writestr(info.filename, src.read(info.filename))
        for name, data in changes.items():
            if name not in src.namelist() and data is not None:
                dst.writestr(name, data)
    return out.getvalue()


def test_the_manifest_lists_every_file_with_size_and_sha256() -> None:
    bundle = pack_bundle(FILES, referral_id=7, case_id="case-1", generated_at="t")
    zf = zipfile.ZipFile(io.BytesIO(bundle.zip_bytes))
    assert zf.namelist()[:2] == ["manifest.json", "manifest.sha256"]
    manifest = json.loads(zf.read("manifest.json"))
    assert manifest["referral_id"] == 7
    first = manifest["files"][1]
    assert first == {"name": "sections/01_contract_terms.csv", "size": 23,  # 4 CJK x 3 bytes
                     "sha256": hashlib.sha256("借款,本金\n1,600000\n".encode()).hexdigest(),
                     "description": "contract terms"}
    assert zf.read("manifest.sha256").decode() == (
        hashlib.sha256(zf.read("manifest.json")).hexdigest() + "  manifest.json\n")
    assert bundle.manifest_sha256 == hashlib.sha256(bundle.manifest_json).hexdigest()


def test_an_untouched_bundle_verifies_and_packing_is_deterministic() -> None:
    check = verify_bundle(packed())
    assert check.intact and check.files_checked == 3 and check.referral_id == 7
    assert packed() == packed()


def test_a_changed_file_is_detected() -> None:
    tampered = rewrite(packed(), {"sections/01_contract_terms.csv": "借款,本金\n1,1\n".encode()})
    check = verify_bundle(tampered)
    assert not check.intact
    assert any("01_contract_terms.csv" in p and "changed" in p for p in check.problems)


def test_a_missing_or_added_file_is_detected() -> None:
    check = verify_bundle(rewrite(packed(), {"letters/DW-20250301-000001.pdf": None,
                                             "extra.txt": b"slipped in"}))
    assert any("missing from the ZIP" in p for p in check.problems)
    assert any("extra.txt" in p and "not listed" in p for p in check.problems)


def test_an_edited_manifest_is_detected_by_its_checksum() -> None:
    zf = zipfile.ZipFile(io.BytesIO(packed()))
    manifest = json.loads(zf.read("manifest.json"))
    manifest["files"][0]["description"] = "something else"
    check = verify_bundle(rewrite(packed(), {"manifest.json": json.dumps(manifest).encode()}))
    assert any("manifest.sha256" in p for p in check.problems)


def test_a_file_that_is_not_a_bundle_is_a_clear_error() -> None:
    with pytest.raises(BundleInvalid) as err:
        verify_bundle(b"not a zip")
    assert err.value.code == "bundle_must_be_a_zip"
    with pytest.raises(BundleInvalid) as err:
        verify_bundle(rewrite(packed(), {"manifest.json": None}))
    assert err.value.code == "bundle_must_have_manifest"


def test_file_names_must_be_plain_relative_paths() -> None:
    with pytest.raises(BundleInvalid):
        pack_bundle((BundleFile("../etc/passwd", b"", "x"),), referral_id=1, case_id="c",
                    generated_at="t")
