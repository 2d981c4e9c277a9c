"""Log lines never carry a known phone number, e-mail address, name, postal address
or coordinates, whatever key or message they come under, in either log format."""

from __future__ import annotations

import json

import pytest

from dunwell.app import logs

PHONE, EMAIL, NAME = "13812345678", "zhang.wei@example.com", "张伟"
ADDRESS = "成都市武侯区人民南路四段12号3栋201室"


@pytest.mark.parametrize("fmt", ["json", "console"])
def test_a_log_line_never_carries_personal_data(fmt: str,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    logs.configure(fmt=fmt, level="INFO")
    try:
        log = logs.get("tests.masking")
        log.info(f"sms to {PHONE} bounced; wrote to {EMAIL} instead", to_address=PHONE,
                 name=NAME, address=ADDRESS, latitude=30.612345, longitude=104.067891,
                 payload={"borrower_name": NAME, "email": EMAIL, "notes": [f"call {PHONE}"]},
                 business_date="2025-01-15", loan_id=7)
        line = capsys.readouterr().err
    finally:
        logs.configure(fmt="console", level="WARNING")
    if fmt == "json":  # read it as text, not \u escapes, so a name would show
        line = json.dumps(json.loads(line), ensure_ascii=False)
    for secret in (PHONE, EMAIL, NAME, ADDRESS, "30.612345", "104.067891", "人民南路"):
        assert secret not in line, secret
    for kept in ("138****5678", "z***@example.com", "张*", "成都市武侯区", "2025-01-15"):
        assert kept in line, kept
