"""Masking personal data: each kind as shown masked, and logs that never carry it."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dunwell.identity.masking import (
    DROPPED,
    Contact,
    mask_address,
    mask_email,
    mask_id_number,
    mask_log_fields,
    mask_name,
    mask_phone,
    scrub_text,
    shown,
)


@pytest.mark.parametrize(("name", "masked"), [
    ("张伟", "张*"), ("欧阳娜娜", "欧***"), ("Zhang San", "Z** S**"), ("Alice Brown", "A** B**"),
    ("  li   na ", "l** n**"), ("", "")])
def test_names(name: str, masked: str) -> None:
    assert mask_name(name) == masked


@pytest.mark.parametrize(("phone", "masked"), [
    ("13812345678", "138****5678"), ("+86 138 1234 5678", "+86 138****5678"),
    ("138-1234-5678", "138****5678"), ("+44 7700 900123", "+447****0123"),
    ("0207946", "****7946"), ("123", "***")])
def test_phones(phone: str, masked: str) -> None:
    assert mask_phone(phone) == masked


def test_email_and_identity_numbers() -> None:
    assert mask_email("alice@example.com") == "a***@example.com"
    assert mask_email("nonsense") == "***"
    assert mask_id_number("110105199001011234") == "**************1234"


@pytest.mark.parametrize(("address", "masked"), [
    ("四川省成都市武侯区人民南路四段1号", "四川省成都市武侯区"),
    ("成都市锦江区123号5栋1201室", "成都市锦江区"),
    ("成都市 1 号", "成都市"),
    ("大理白族自治州大理市下关镇", "大理白族自治州"),
    ("12 High Street, Camden, London NW1 8XX", "Camden, London"),
    ("somewhere", "***"),
    ("alice@example.com", "a***@example.com"),  # a message's to_address
    ("+86 13812345678", "+86 138****5678"),
])
def test_addresses_keep_the_district_and_nothing_finer(address: str, masked: str) -> None:
    assert mask_address(address) == masked


def test_a_contact_masked_shows_nothing_finer_than_a_district_and_a_kilometre() -> None:
    full = Contact(7, "张伟", phone="13812345678", email="zw@example.com",
                   address="成都市武侯区人民南路4号", latitude=30.658612, longitude=104.064718)
    assert shown(full, in_full=True) is full
    masked = shown(full, in_full=False)
    assert (masked.name, masked.phone, masked.email, masked.address) == (
        "张*", "138****5678", "z***@example.com", "成都市武侯区")
    assert (masked.latitude, masked.longitude, masked.masked) == (30.66, 104.06, True)
    assert masked.masked_copy() is masked


def test_log_fields_are_masked_by_key_and_phones_are_scrubbed_from_any_text() -> None:
    event = {"event": "sms sent to 13812345678", "to_address": "13812345678",
             "name": "张伟", "latitude": 30.65, "business_date": "2026-11-24",
             "payload": {"borrower_name": "Alice Brown", "email": "alice@example.com",
                         "notes": ["reach alice@example.com or +86 138 1234 5678"]},
             "loan_id": 13812345678}
    out = mask_log_fields(event)
    text = repr({k: v for k, v in out.items() if k != "loan_id"})
    for secret in ("13812345678", "138 1234 5678", "张伟", "Alice Brown", "alice@example.com",
                   "30.65"):
        assert secret not in text
    assert out["latitude"] == DROPPED and out["business_date"] == "2026-11-24"
    assert out["loan_id"] == 13812345678  # numbers that are not text stay as they are


@given(st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True), st.text(max_size=30))
def test_no_mobile_number_survives_scrubbing(phone: str, around: str) -> None:
    clean = around.replace("1", "").replace("+", "")
    assert phone not in scrub_text(f"{clean} {phone} {clean}")
