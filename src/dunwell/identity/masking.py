"""Masking of personal data: names, phone numbers, e-mail, postal addresses,
coordinates and identity numbers, as API responses, pages and logs show them to
someone who may not see them in full.

=================  ======================  ===========================================
what               in full                 masked
=================  ======================  ===========================================
name               Zhang San, 张伟          Z** S**, 张*
phone              13812345678             138****5678
e-mail             alice@example.com       a***@example.com
postal address     成都市武侯区人民南路4号    成都市武侯区 (the district, nothing finer)
coordinates        30.65861, 104.06472     30.66, 104.06 in responses (about a
                                           kilometre); dropped from logs
identity number    110105199001011234      **************1234
=================  ======================  ===========================================

Who sees what in full is the object rules' ``contact`` reach
(:func:`dunwell.identity.objects.sees_contact_in_full`): the borrower themself, and the
field agent with a visit to them. Logs never carry any of it in full:
:func:`mask_log_fields` masks every value under a personal key (:data:`LOG_KEYS`) and
any phone number or e-mail address written into other text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

#: Decimal places masked coordinates keep (0.01 degree is about 1.1 km).
COORDINATE_PLACES = 2
#: How deep :func:`mask_log_fields` follows nested mappings and lists.
LOG_DEPTH_MAX = 6
DROPPED = "[dropped]"


class Personal(StrEnum):
    NAME = "name"
    PHONE = "phone"
    EMAIL = "email"
    ADDRESS = "address"
    COORDINATE = "coordinate"
    ID_NUMBER = "id_number"


#: Log keys whose values are personal data, and what kind.
LOG_KEYS: Mapping[str, Personal] = {
    **dict.fromkeys(("name", "borrower_name", "full_name", "addressee", "recipient_name"),
                    Personal.NAME),
    **dict.fromkeys(("phone", "phone_number", "mobile", "msisdn", "tel"), Personal.PHONE),
    **dict.fromkeys(("email", "email_address", "e_mail"), Personal.EMAIL),
    **dict.fromkeys(("address", "to_address", "postal_address", "home_address",
                     "address_text"), Personal.ADDRESS),
    **dict.fromkeys(("latitude", "longitude", "lat", "lon", "lng"), Personal.COORDINATE),
    **dict.fromkeys(("id_number", "national_id", "id_card", "identity_number"),
                    Personal.ID_NUMBER),
}

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
#: Phone numbers inside free text: Chinese mobile numbers (with or without +86, spaced
#: or not) and international numbers written with a leading +. Dates and ids do not
#: match.
_PHONE_IN_TEXT = re.compile(
    r"(?<![\w+])(?:(?:\+?86[ \-]?)?1[3-9]\d[ \-]?\d{4}[ \-]?\d{4}|\+\d[\d \-]{7,16}\d)(?!\w)")
_EMAIL_IN_TEXT = re.compile(r"[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)+")
#: Where a Chinese address's district level ends, finest first tried last.
_DISTRICT_MARKS = ("区", "县", "旗")
_CITY_MARKS = ("市", "州", "盟")


def mask_name(name: str) -> str:
    """``张伟`` -> ``张*``; ``Zhang San`` -> ``Z** S**`` (the length is not shown)."""
    text = " ".join(name.split())
    if not text:
        return ""
    if " " not in text and _CJK.search(text):
        return text[0] + "*" * max(1, len(text) - 1)
    return " ".join(word[0] + "**" for word in text.split(" "))


def mask_phone(phone: str) -> str:
    """``13812345678`` -> ``138****5678``; ``+86 138 1234 5678`` -> ``+86 138****5678``;
    a short number keeps only its last four digits."""
    digits = re.sub(r"\D", "", phone)
    prefix = ""
    if phone.strip().startswith("+86") and len(digits) == 13:
        prefix, digits = "+86 ", digits[2:]
    elif phone.strip().startswith("+"):
        prefix = "+"
    if len(digits) >= 11:
        return f"{prefix}{digits[:3]}****{digits[-4:]}"
    if len(digits) > 4:
        return f"{prefix}****{digits[-4:]}"
    return "*" * len(digits)


def mask_email(email: str) -> str:
    """``alice@example.com`` -> ``a***@example.com``."""
    local, at, domain = email.strip().rpartition("@")
    if not at or not local:
        return "***"
    return f"{local[0]}***@{domain}"


def mask_address(address: str) -> str:
    """The address to its district: ``成都市武侯区人民南路4号`` -> ``成都市武侯区``;
    ``12 High Street, Camden, London NW1 8XX`` -> ``Camden, London`` (the street line
    and every word with a digit dropped); ``***`` when no district can be told. A
    message's address (an e-mail, a phone number) is masked as one."""
    text = address.strip()
    if "@" in text:  # a channel's address: an e-mail
        return mask_email(text)
    if re.fullmatch(r"\+?[\d \-()]{7,}", text):  # or a phone number
        return mask_phone(text)
    if _CJK.search(text):
        return _chinese_district(text)
    parts = [p.strip() for p in text.split(",") if p.strip()]
    kept = [" ".join(w for w in p.split() if not any(ch.isdigit() for ch in w))
            for p in parts[1:]]
    kept = [p for p in kept if p]
    return ", ".join(kept) if kept else "***"


def _chinese_district(text: str) -> str:
    compact = text.replace(" ", "")
    for marks in (_DISTRICT_MARKS, _CITY_MARKS):
        ends = [compact.find(m) for m in marks if compact.find(m) > 0]
        if ends:
            return compact[:min(ends) + 1]
    return "***"


def mask_coordinate(value: float | None) -> float | None:
    """A latitude or longitude rounded to about a kilometre."""
    return None if value is None else round(value, COORDINATE_PLACES)


def mask_id_number(number: str) -> str:
    """``110105199001011234`` -> ``**************1234``."""
    text = number.strip()
    return "*" * max(0, len(text) - 4) + text[-4:] if len(text) > 4 else "*" * len(text)


def mask(kind: Personal, value: Any) -> Any:
    """``value`` masked as personal data of ``kind`` (None stays None)."""
    if value is None:
        return None
    if kind is Personal.COORDINATE:
        return mask_coordinate(float(value)) if isinstance(value, int | float) else DROPPED
    text = str(value)
    return {Personal.NAME: mask_name, Personal.PHONE: mask_phone,
            Personal.EMAIL: mask_email, Personal.ADDRESS: mask_address,
            Personal.ID_NUMBER: mask_id_number}[kind](text)


def scrub_text(text: str) -> str:
    """Free text with every e-mail address and phone-like run of digits masked."""
    out = _EMAIL_IN_TEXT.sub(lambda m: mask_email(m.group()), text)
    return _PHONE_IN_TEXT.sub(lambda m: mask_phone(m.group()), out)


def mask_log_fields(data: Mapping[str, Any], depth: int = 0) -> dict[str, Any]:
    """A log event's fields with personal data masked: values under a personal key
    (:data:`LOG_KEYS`, any case) masked by their kind — coordinates dropped — and phone
    numbers and e-mail addresses inside any other text masked."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        kind = LOG_KEYS.get(str(key).lower())
        if kind is Personal.COORDINATE:
            out[key] = DROPPED
        elif kind is not None and isinstance(value, str):
            out[key] = mask(kind, value)
        elif kind is not None and value is not None and not isinstance(value, Mapping | list
                                                                       | tuple):
            out[key] = mask(kind, str(value))
        else:
            out[key] = _scrub(value, depth)
    return out


def _scrub(value: Any, depth: int) -> Any:
    if depth >= LOG_DEPTH_MAX:
        return value
    if isinstance(value, str):
        return scrub_text(value)
    if isinstance(value, Mapping):
        return mask_log_fields(value, depth + 1)
    if isinstance(value, list | tuple):
        return [_scrub(v, depth + 1) for v in value]
    return value


@dataclass(frozen=True, slots=True)
class Contact:
    """A borrower's personal data as a response shows it."""

    borrower_id: int
    name: str
    phone: str | None = None
    email: str | None = None
    address: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    masked: bool = False

    def masked_copy(self) -> Contact:
        """The same contact as someone without the full view sees it."""
        if self.masked:
            return self
        return replace(
            self, name=mask_name(self.name),
            phone=None if self.phone is None else mask_phone(self.phone),
            email=None if self.email is None else mask_email(self.email),
            address=None if self.address is None else mask_address(self.address),
            latitude=mask_coordinate(self.latitude), longitude=mask_coordinate(self.longitude),
            masked=True)


def shown(contact: Contact, *, in_full: bool) -> Contact:
    """``contact`` as shown: in full, or masked."""
    return contact if in_full else contact.masked_copy()
