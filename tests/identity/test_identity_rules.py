"""The rules of accounts as worked examples: names, roles and links, tokens, codes."""

from __future__ import annotations

import datetime as dt

import pytest

from dunwell.core.errors import DomainError, Forbidden, InvalidInput, Unauthenticated
from dunwell.identity.model import ApiToken, OneTimeCode, Role, User, WebSession
from dunwell.identity.rules import (
    CODE_ATTEMPTS_MAX,
    check_code,
    check_code_format,
    check_csrf,
    check_links,
    check_name,
    check_password,
    check_phone,
    check_session,
    check_token,
    check_token_days,
    format_token,
    parse_role,
    parse_token,
    token_hint,
)

NOW = dt.datetime(2025, 3, 1, 9, 0, tzinfo=dt.UTC)
SECRET = "A" * 43


def code_of(exc: pytest.ExceptionInfo[DomainError]) -> str:
    return exc.value.code


@pytest.mark.parametrize(("typed", "kept"), [("Li.Wei", "li.wei"), (" ops-1 ", "ops-1"),
                                             ("a@b", "a@b")])
def test_names_are_kept_lower_cased(typed: str, kept: str) -> None:
    assert check_name(typed) == kept


@pytest.mark.parametrize("bad", ["", "x", "-lead", "li wei", "名字", "a" * 65, "a/b"])
def test_a_name_outside_the_pattern_is_named(bad: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        check_name(bad)
    assert code_of(caught) == "user_name_must_be_valid"


def test_roles_are_parsed_and_an_unknown_one_lists_the_roles() -> None:
    assert parse_role(" Team_Lead ") is Role.TEAM_LEAD
    with pytest.raises(InvalidInput) as caught:
        parse_role("risk_committee")
    assert code_of(caught) == "role_must_be_known" and "legal_counsel" in caught.value.message


@pytest.mark.parametrize(("role", "links", "code"), [
    (Role.BORROWER, {}, "borrower_user_must_name_borrower"),
    (Role.BORROWER, {"borrower_id": 3, "staff_id": "c-1"},
     "borrower_user_must_not_act_as_staff"),
    (Role.COLLECTOR, {"borrower_id": 3}, "staff_user_must_not_name_borrower"),
    (Role.COLLECTOR, {"staff_id": "c 1"}, "staff_id_must_be_valid"),
    (Role.MANAGER, {"authority_minor": -1}, "authority_must_be_within_limits"),
])
def test_a_user_links_to_a_borrower_or_to_staff_never_both(
        role: Role, links: dict[str, object], code: str) -> None:
    full = {"staff_id": None, "borrower_id": None, "authority_minor": None, **links}
    with pytest.raises(InvalidInput) as caught:
        check_links(role, **full)  # type: ignore[arg-type]
    assert code_of(caught) == code


def test_passwords_have_a_floor_and_a_ceiling() -> None:
    check_password("correct horse battery")
    for bad, code in (("short", "password_must_be_long_enough"),
                      ("x" * 1025, "password_must_be_bounded")):
        with pytest.raises(InvalidInput) as caught:
            check_password(bad)
        assert code_of(caught) == code


def test_a_token_reads_back_as_its_id_and_secret() -> None:
    text = format_token(42, SECRET)
    assert text == f"dw_42_{SECRET}"
    assert parse_token(f" {text} ") == (42, SECRET)
    assert token_hint(42, SECRET) == "dw_42_AAAA"
    for bad in ("", "dw_42", f"dw_0_{SECRET}", f"xx_42_{SECRET}", "dw_42_short"):
        with pytest.raises(Unauthenticated) as caught:
            parse_token(bad)
        assert code_of(caught) == "token_must_be_valid"


def token(**changes: object) -> ApiToken:
    base = {"token_id": 1, "user_id": 1, "label": "", "prefix": "dw_1_AAAA",
            "created_at": NOW - dt.timedelta(days=1), "expires_at": NOW + dt.timedelta(days=1)}
    return ApiToken(**{**base, **changes})  # type: ignore[arg-type]


def user(active: bool = True) -> User:
    return User(user_id=1, name="li", role=Role.COLLECTOR, active=active, created_at=NOW)


@pytest.mark.parametrize(("stored", "owner", "code"), [
    (None, None, "token_must_be_valid"),
    (token(revoked_at=NOW), user(), "token_must_not_be_revoked"),
    (token(expires_at=NOW), user(), "token_must_not_be_expired"),  # expired at that instant
    (token(), user(active=False), "user_must_be_active"),
])
def test_a_token_is_refused_with_its_reason(stored: ApiToken | None, owner: User | None,
                                            code: str) -> None:
    with pytest.raises(Unauthenticated) as caught:
        check_token(stored, owner, at=NOW)
    assert code_of(caught) == code


def test_a_good_token_gives_its_user() -> None:
    assert check_token(token(), user(), at=NOW).name == "li"
    with pytest.raises(InvalidInput):
        check_token_days(0)
    assert check_token_days(3650) == 3650


def test_sessions_end_when_signed_out_or_expired_and_csrf_must_match() -> None:
    live = WebSession("s" * 64, 1, "c" * 64, NOW, NOW + dt.timedelta(hours=8))
    assert check_session(live, at=NOW) is live
    for ended in (None, WebSession("s" * 64, 1, "c" * 64, NOW, NOW),
                  WebSession("s" * 64, 1, "c" * 64, NOW, NOW + dt.timedelta(hours=8),
                             revoked_at=NOW)):
        with pytest.raises(Unauthenticated):
            check_session(ended, at=NOW)
    check_csrf("c" * 64, "c" * 64)
    for given in (None, "d" * 64):
        with pytest.raises(Forbidden) as caught:
            check_csrf("c" * 64, given)
        assert code_of(caught) == "csrf_token_must_match"


def test_codes_and_phone_numbers_have_their_shapes() -> None:
    assert check_code_format(" 123 456 ") == "123456"
    assert check_phone(" +86 138-0000-0001 ") == "+86 138-0000-0001"
    for bad in ("12345", "abcdef", "1234567"):
        with pytest.raises(InvalidInput):
            check_code_format(bad)
    for bad in ("", "call me", "+1"):
        with pytest.raises(InvalidInput):
            check_phone(bad)


def test_a_code_works_until_used_expired_or_tried_too_often() -> None:
    fresh = OneTimeCode(1, 7, "h", NOW, NOW + dt.timedelta(minutes=5))
    assert check_code(fresh, at=NOW) is fresh
    tried = OneTimeCode(1, 7, "h", NOW, NOW + dt.timedelta(minutes=5),
                        attempts=CODE_ATTEMPTS_MAX)
    cases = [(None, "code_must_be_valid"),
             (OneTimeCode(1, 7, "h", NOW, NOW), "code_must_be_valid"),
             (OneTimeCode(1, 7, "h", NOW, NOW + dt.timedelta(minutes=5), used_at=NOW),
              "code_must_be_valid"),
             (tried, "code_attempts_must_be_within_limit")]
    for stored, code in cases:
        with pytest.raises(Unauthenticated) as caught:
            check_code(stored, at=NOW)
        assert code_of(caught) == code
