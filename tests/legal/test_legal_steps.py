"""The steps of checking an evidence bundle, one at a time, on a two-file bundle."""

from __future__ import annotations

import io
import json
import zipfile

import pytest

from dunwell.legal.bundle import (
    FORMAT,
    BundleFile,
    Manifest,
    entries_by_name,
    file_problems,
    header_problems,
    manifest_sum_problems,
    open_bundle,
    pack_bundle,
    parse_manifest,
    read_entry,
    read_manifest,
    sha256_hex,
    unlisted_problems,
)
from dunwell.legal.errors import BundleInvalid
from dunwell.legal.evidence import Section, title_of

FILES = (BundleFile("referral.json", b'{"id": 7}', "the referral"),
         BundleFile("letters/one.pdf", b"%PDF letter", "a letter"))
BUNDLE = pack_bundle(FILES, referral_id=7, case_id="case-1", generated_at="t")


def zip_of(entries: dict[str, bytes]) -> zipfile.ZipFile:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return zipfile.ZipFile(io.BytesIO(out.getvalue()))


def test_bytes_that_are_not_a_zip_are_refused_by_name() -> None:
    with pytest.raises(BundleInvalid) as caught:
        open_bundle(b"not a zip")
    assert caught.value.code == "bundle_must_be_a_zip"


def test_the_entries_are_indexed_by_name_and_must_include_a_manifest() -> None:
    assert list(entries_by_name(open_bundle(BUNDLE.zip_bytes))) == [
        "manifest.json", "manifest.sha256", "referral.json", "letters/one.pdf"]
    with pytest.raises(BundleInvalid) as caught:
        entries_by_name(zip_of({"referral.json": b"{}"}))
    assert caught.value.code == "bundle_must_have_manifest"


def test_an_entry_is_read_or_its_problem_named() -> None:
    zf = zip_of({"a.txt": b"hello"})
    assert read_entry(zf, zf.getinfo("a.txt")) == (b"hello", None)
    huge = zipfile.ZipInfo("huge.bin")
    huge.file_size = 2**40
    assert read_entry(zf, huge) == (None, "huge.bin: larger than 268435456 bytes; not read")


def test_a_manifest_that_cannot_be_read_is_refused_not_read_as_empty() -> None:
    zf = zip_of({"manifest.json": b"{}"})
    info = zf.getinfo("manifest.json")
    info.file_size = 2**40
    with pytest.raises(BundleInvalid) as caught:
        read_manifest(zf, {"manifest.json": info})
    assert caught.value.code == "bundle_must_have_manifest"
    assert "larger than" in caught.value.message


def test_the_manifest_checksum_must_be_present_and_name_the_manifest() -> None:
    zf = open_bundle(BUNDLE.zip_bytes)
    present = entries_by_name(zf)
    assert manifest_sum_problems(zf, present, BUNDLE.manifest_sha256) == []
    assert manifest_sum_problems(zf, present, sha256_hex(b"edited")) == [
        "manifest.json does not match manifest.sha256: the manifest was changed"]
    no_sum = zip_of({"manifest.json": b"{}"})
    assert manifest_sum_problems(no_sum, entries_by_name(no_sum), "x") == [
        "manifest.sha256 is missing"]


def test_a_manifest_parses_to_its_format_referral_and_files() -> None:
    manifest = parse_manifest(BUNDLE.manifest_json)
    assert (manifest.format, manifest.referral, len(manifest.files)) == (FORMAT, 7, 2)
    assert manifest.files[0]["name"] == "referral.json"


@pytest.mark.parametrize("text", [b"not json", b"[]", b'{"files": {}}',
                                  b'{"files": ["referral.json"]}',
                                  b'{"files": [{"size": 3}]}'])
def test_a_manifest_of_the_wrong_shape_is_refused_by_name(text: bytes) -> None:
    with pytest.raises(BundleInvalid) as caught:
        parse_manifest(text)
    assert caught.value.code == "bundle_must_have_manifest"


def test_the_header_needs_the_format_and_a_whole_referral_id() -> None:
    assert header_problems(Manifest(FORMAT, 7, ())) == []
    assert header_problems(Manifest("other/2", "7", ())) == [
        f"manifest format is 'other/2', expected {FORMAT}",
        "manifest referral_id is '7', expected a whole number"]
    assert Manifest(FORMAT, True, ()).referral is None


def test_each_listed_file_is_checked_for_presence_size_and_digest() -> None:
    zf = open_bundle(BUNDLE.zip_bytes)
    present = entries_by_name(zf)
    listed = {"name": "referral.json", "size": 9, "sha256": sha256_hex(b'{"id": 7}')}
    assert file_problems(listed, zf, present) == []
    assert file_problems({**listed, "size": 10, "sha256": "0"}, zf, present) == [
        "referral.json: size 9 bytes, manifest says 10",
        "referral.json: SHA-256 differs from the manifest: the file was changed"]
    assert file_problems({"name": "gone.csv"}, zf, present) == [
        "gone.csv: listed in the manifest but missing from the ZIP"]


def test_files_in_the_zip_but_not_in_the_manifest_are_named_in_order() -> None:
    present = ["manifest.json", "manifest.sha256", "b.txt", "a.txt", "listed.pdf"]
    assert unlisted_problems(present, ["listed.pdf"]) == [
        "a.txt: in the ZIP but not listed in the manifest",
        "b.txt: in the ZIP but not listed in the manifest"]


def test_a_bundle_without_a_referral_id_says_so() -> None:
    manifest = json.loads(BUNDLE.manifest_json)
    del manifest["referral_id"]
    assert header_problems(parse_manifest(json.dumps(manifest).encode())) == [
        "manifest referral_id is None, expected a whole number"]


def test_a_section_must_be_one_the_bundle_has_a_title_for() -> None:
    assert title_of("payments", "zh-CN") == "还款记录 Payment history"
    assert title_of("payments", "en") == "Payment history"
    with pytest.raises(ValueError, match="'gossip' has no title"):
        Section("gossip", ("Who",), (), "hearsay")
