"""Certificates: an agent may visit on a date only holding a certificate valid on
that date in each of communication skills, legal knowledge and privacy. A
certificate is valid from its issue date through its expiry date inclusive."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dunwell.core.errors import InvalidInput
from dunwell.field.errors import AgentNotCertified
from dunwell.field.model import Certificate, Subject
from dunwell.field.rules import certificate_numbers, certification_gaps, require_certified

ISSUED = dt.date(2026, 1, 1)
EXPIRES = dt.date(2026, 11, 24)


def full_set(expires: dt.date = EXPIRES) -> list[Certificate]:
    return [Certificate("a-1", s, f"N-{s.value}", ISSUED, expires) for s in Subject]


def test_a_certificate_expiring_on_the_visit_date_still_counts() -> None:
    assert certification_gaps(full_set(), EXPIRES) == ()


def test_the_day_after_expiry_every_subject_is_named_as_expired() -> None:
    gaps = certification_gaps(full_set(), EXPIRES + dt.timedelta(days=1))
    assert [(g.subject, g.status, g.date) for g in gaps] == [
        (Subject.COMMUNICATION_SKILLS, "expired", EXPIRES),
        (Subject.LEGAL_KNOWLEDGE, "expired", EXPIRES),
        (Subject.PRIVACY, "expired", EXPIRES)]


def test_a_certificate_is_not_valid_before_its_issue_date() -> None:
    gaps = certification_gaps(full_set(), ISSUED - dt.timedelta(days=1))
    assert {g.status for g in gaps} == {"not_yet_valid"}


def test_one_missing_subject_is_enough_to_refuse_and_the_error_names_it() -> None:
    certs = [c for c in full_set() if c.subject is not Subject.PRIVACY]
    with pytest.raises(AgentNotCertified) as err:
        require_certified("a-1", certs, dt.date(2026, 6, 1))
    assert err.value.code == "agent_must_hold_valid_certificates"
    assert err.value.details["subjects"] == ["privacy"]
    assert "privacy (missing)" in err.value.message


def test_a_renewed_certificate_covers_the_gap_left_by_the_expired_one() -> None:
    certs = [*full_set(), Certificate("a-1", Subject.PRIVACY, "N-privacy-2",
                                      EXPIRES + dt.timedelta(days=1), dt.date(2027, 11, 24))]
    day = EXPIRES + dt.timedelta(days=3)
    assert [g.subject for g in certification_gaps(certs, day)] == [
        Subject.COMMUNICATION_SKILLS, Subject.LEGAL_KNOWLEDGE]
    assert certificate_numbers(certs, day) == "N-privacy-2"


def test_a_certificate_cannot_expire_before_it_is_issued() -> None:
    with pytest.raises(InvalidInput) as err:
        Certificate("a-1", Subject.PRIVACY, "N", ISSUED, ISSUED - dt.timedelta(days=1))
    assert err.value.code == "certificate_must_expire_after_issue"


@given(expiries=st.lists(st.dates(dt.date(2026, 1, 1), dt.date(2027, 12, 31)), min_size=3,
                         max_size=3),
       day=st.dates(dt.date(2025, 6, 1), dt.date(2028, 6, 1)))
def test_certified_exactly_when_every_subject_is_valid_that_day(expiries: list[dt.date],
                                                               day: dt.date) -> None:
    certs = [Certificate("a-1", s, f"N{k}", ISSUED, e)
             for k, (s, e) in enumerate(zip(Subject, expiries, strict=True))]
    expected_gaps = {s for s, e in zip(Subject, expiries, strict=True)
                     if not ISSUED <= day <= e}
    assert {g.subject for g in certification_gaps(certs, day)} == expected_gaps
