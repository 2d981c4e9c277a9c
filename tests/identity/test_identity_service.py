"""Identity's services on the database (SQLite, and PostgreSQL when configured): users
with Argon2id passwords, tokens that expire and are revoked, sessions, the borrower's
one-time code sent by the local SMS provider, and the audit records each writes."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
from pathlib import Path

import pytest

from dunwell.app.audit import verify
from dunwell.app.channels.outbox import set_channel_address
from dunwell.app.context import Dunwell
from dunwell.app.identity.accounts import add_user, change_role, disable_user, list_users
from dunwell.app.identity.codes import request_code, verify_code
from dunwell.app.identity.sessions import (
    authenticate_session,
    csrf_matches,
    sign_in,
    sign_out,
)
from dunwell.app.identity.tokens import (
    authenticate_token,
    create_token,
    list_tokens,
    revoke_token,
)
from dunwell.compliance.model import Jurisdiction
from dunwell.core.errors import Conflict, Forbidden, InvalidInput, Unauthenticated
from dunwell.identity.model import Role
from dunwell.identity.rules import CODE_ATTEMPTS_MAX

NOW = dt.datetime(2025, 3, 1, 9, 0, tzinfo=dt.UTC)
PASSWORD = "correct horse battery staple"
PHONE = "+8613800000001"


def audit_records(app: Dunwell) -> list[tuple[str, str, dict[str, object]]]:
    with app.uow() as uow:
        return [(r.kind, r.subject, json.loads(r.payload_json)) for r in uow.audit.records()]


def test_the_product_hashes_passwords_at_rfc_9106s_second_setting() -> None:
    """The tests' own processes hash at Argon2id's lowest cost (tests/conftest.py); the
    product's hasher is this one."""
    from argon2 import PasswordHasher, extract_parameters, profiles

    from dunwell.app.identity import hashing

    assert hashing.PASSWORD_PARAMETERS == profiles.RFC_9106_LOW_MEMORY
    made = PasswordHasher.from_parameters(hashing.PASSWORD_PARAMETERS).hash("x")
    assert extract_parameters(made) == profiles.RFC_9106_LOW_MEMORY


def test_a_password_is_kept_as_argon2id_and_signs_in(app: Dunwell) -> None:
    li = add_user(app, name="Li.Na", role="team_lead", password=PASSWORD, staff_id="t-01",
                  now=NOW, by="admin")
    assert (li.name, li.role, li.has_password, li.active) == ("li.na", Role.TEAM_LEAD, True,
                                                              True)
    with app.uow() as uow:
        stored = uow.identity.password_hash(li.user_id)
    assert stored is not None and stored.startswith("$argon2id$") and PASSWORD not in stored
    opened = sign_in(app, name="LI.NA", password=PASSWORD, now=NOW)
    assert opened.principal.name == "li.na" and opened.principal.via == "session"
    auth = authenticate_session(app, session_id=opened.session_id, now=NOW)
    assert auth.principal.staff_id == "t-01"
    csrf_matches(auth, opened.csrf_token)
    with pytest.raises(Forbidden):
        csrf_matches(auth, None)
    with app.uow() as uow:
        session = uow.identity.session(opened.session.session_hash)
    assert session is not None and opened.session_id not in session.session_hash


def test_a_wrong_password_an_unknown_name_and_no_password_answer_alike(app: Dunwell) -> None:
    add_user(app, name="wang", role="manager", password=PASSWORD, now=NOW)
    add_user(app, name="bot", role="manager", now=NOW)  # tokens only
    answers = []
    for name, password in (("wang", "wrong password here"), ("nobody", PASSWORD),
                           ("bot", PASSWORD)):
        with pytest.raises(Unauthenticated) as caught:
            sign_in(app, name=name, password=password, now=NOW)
        answers.append((caught.value.code, caught.value.message))
    assert len(set(answers)) == 1 and answers[0][0] == "sign_in_must_match"
    failed = [(s, p) for kind, s, p in audit_records(app) if kind == "sign_in_failed"]
    assert [s for s, _ in failed] == ["user:wang", "user:unknown", "user:bot"]
    assert all(PASSWORD not in json.dumps(p) and "wrong password" not in json.dumps(p)
               for _, p in failed)


def test_a_session_ends_at_sign_out_and_when_it_expires(app: Dunwell) -> None:
    add_user(app, name="zhao", role="legal_counsel", password=PASSWORD, now=NOW)
    opened = sign_in(app, name="zhao", password=PASSWORD, now=NOW)
    ttl = dt.timedelta(minutes=app.settings.session_ttl_minutes)
    with pytest.raises(Unauthenticated) as caught:
        authenticate_session(app, session_id=opened.session_id, now=NOW + ttl)
    assert caught.value.code == "session_must_be_valid"
    sign_out(app, session_id=opened.session_id, now=NOW)
    sign_out(app, session_id=opened.session_id, now=NOW)  # again: nothing changes
    with pytest.raises(Unauthenticated):
        authenticate_session(app, session_id=opened.session_id, now=NOW)
    assert [k for k, _, _ in audit_records(app)].count("signed_out") == 1


def test_a_token_is_shown_once_stored_hashed_and_authenticates(app: Dunwell) -> None:
    add_user(app, name="ops", role="collector", staff_id="c-01", authority_minor=50_000,
             now=NOW)
    made = create_token(app, name="ops", days=30, label="dialler", now=NOW, by="admin")
    token_id = made.record.token_id
    assert re.fullmatch(rf"dw_{token_id}_[A-Za-z0-9_-]{{43}}", made.token)
    secret = made.token.split("_", 2)[2]
    with app.uow() as uow:
        stored = uow.identity.token(token_id)
    assert stored is not None and secret not in stored[1] and stored[0].prefix == (
        f"dw_{token_id}_{secret[:4]}")
    principal = authenticate_token(app, token=made.token, now=NOW + dt.timedelta(days=1))
    assert (principal.name, principal.role, principal.staff_id, principal.authority_minor,
            principal.via) == ("ops", Role.COLLECTOR, "c-01", 50_000, "token")
    [listed] = list_tokens(app, name="ops")
    assert listed.user_name == "ops" and listed.record.last_used_at is not None
    assert listed.record.label == "dialler"


def test_an_expired_a_revoked_a_forged_token_and_a_disabled_user_are_refused(
        app: Dunwell) -> None:
    add_user(app, name="temp", role="risk_analyst", now=NOW)
    made = create_token(app, name="temp", days=1, now=NOW)
    forged = made.token[:-3] + ("AAA" if not made.token.endswith("AAA") else "BBB")
    refusals = {}
    for label, text, at in (("expired", made.token, NOW + dt.timedelta(days=1)),
                            ("forged", forged, NOW),
                            ("unknown", "dw_999_" + "A" * 43, NOW)):
        with pytest.raises(Unauthenticated) as caught:
            authenticate_token(app, token=text, now=at)
        refusals[label] = caught.value.code
    revoke_token(app, token_id=made.record.token_id, now=NOW, by="admin")
    with pytest.raises(Unauthenticated) as caught:
        authenticate_token(app, token=made.token, now=NOW)
    refusals["revoked"] = caught.value.code
    other = create_token(app, name="temp", now=NOW)
    disable_user(app, name="temp", now=NOW, by="admin")
    with pytest.raises(Unauthenticated) as caught:
        authenticate_token(app, token=other.token, now=NOW)
    refusals["disabled"] = caught.value.code
    assert refusals == {"expired": "token_must_not_be_expired", "forged": "token_must_be_valid",
                        "unknown": "token_must_be_valid", "revoked": "token_must_not_be_revoked",
                        "disabled": "user_must_be_active"}
    with pytest.raises(Conflict):
        create_token(app, name="temp", now=NOW)


def test_role_changes_token_events_and_users_are_in_the_audit_chain(app: Dunwell) -> None:
    add_user(app, name="chen", role="collector", staff_id="c-02", now=NOW, by="admin")
    made = create_token(app, name="chen", now=NOW, by="admin")
    changed = change_role(app, name="chen", role="team_lead", now=NOW, by="admin")
    assert changed.role is Role.TEAM_LEAD
    revoke_token(app, token_id=made.record.token_id, now=NOW, by="admin")
    with pytest.raises(InvalidInput) as caught:
        change_role(app, name="chen", role="borrower", now=NOW)
    assert caught.value.code == "borrower_user_must_name_borrower"
    kinds = [(k, s) for k, s, _ in audit_records(app)]
    assert kinds == [("user_added", "user:chen"), ("token_created", "user:chen"),
                     ("user_role_changed", "user:chen"), ("token_revoked", "user:chen")]
    assert audit_records(app)[2][2] == {"user_id": changed.user_id, "from": "collector",
                                         "to": "team_lead", "by": "admin"}
    assert made.token.split("_", 2)[2] not in json.dumps(audit_records(app))
    assert verify(app).intact
    assert [u.name for u in list_users(app)] == ["chen"]


def test_names_and_borrowers_have_one_user_each(app: Dunwell) -> None:
    add_user(app, name="dup", role="manager", now=NOW)
    add_user(app, name="borrower-5", role="borrower", borrower_id=5, now=NOW)
    for kwargs, code in (({"name": "DUP", "role": "admin"}, "user_name_must_be_unique"),
                         ({"name": "b5", "role": "borrower", "borrower_id": 5},
                          "borrower_user_must_be_unique")):
        with pytest.raises(Conflict) as caught:
            add_user(app, now=NOW, **kwargs)
        assert caught.value.code == code


# --- borrowers' one-time codes ----------------------------------------------------------


@pytest.fixture
def texting(app: Dunwell, tmp_path: Path) -> Dunwell:
    """The book with the local SMS provider writing under ``tmp_path`` and borrower 7 on
    file at :data:`PHONE` (borrower 8 has no phone)."""
    settings = app.settings.model_copy(update={"outbox_dir": tmp_path / "outbox",
                                               "sms_provider": "local"})
    texted = dataclasses.replace(app, settings=settings)
    with texted.uow() as uow:
        for b, language in ((7, "zh-CN"), (8, "en")):
            uow.borrowers.put(borrower_id=b, name=f"Borrower {b}",
                              jurisdiction=Jurisdiction.CN_NIFA, timezone="Asia/Shanghai",
                              language=language)
        uow.commit()
    set_channel_address(texted, borrower_id=7, channel="sms", address=PHONE)
    return texted


def texts(app: Dunwell) -> list[dict[str, object]]:
    path = Path(app.settings.outbox_dir) / "sms.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def last_code(app: Dunwell) -> str:
    found = re.search(r"\d{6}", str(texts(app)[-1]["body"]))
    assert found is not None
    return found.group(0)


def test_a_code_is_texted_in_the_borrowers_language_and_signs_them_in(texting: Dunwell) -> None:
    request_code(texting, phone="+86 138-0000-0001", now=NOW)
    [sms] = texts(texting)
    assert sms["to"] == PHONE and sms["kind"] == "sign_in_code" and sms["language"] == "zh-CN"
    code = last_code(texting)
    assert "验证码" in str(sms["body"])
    with texting.uow() as uow:
        stored = uow.identity.latest_code(7)
    assert stored is not None and code not in stored.code_hash
    opened = verify_code(texting, phone=PHONE, code=code, now=NOW + dt.timedelta(minutes=1))
    assert (opened.principal.role, opened.principal.borrower_id,
            opened.principal.name) == (Role.BORROWER, 7, "borrower-7")
    with pytest.raises(Unauthenticated):  # a code signs in once
        verify_code(texting, phone=PHONE, code=code, now=NOW + dt.timedelta(minutes=2))
    request_code(texting, phone=PHONE, now=NOW + dt.timedelta(minutes=3))
    again = verify_code(texting, phone=PHONE, code=last_code(texting),
                        now=NOW + dt.timedelta(minutes=4))
    assert again.principal.user_id == opened.principal.user_id  # the same user, made once
    records = audit_records(texting)
    assert [k for k, _, _ in records].count("user_added") == 1
    assert PHONE not in json.dumps(records) and code not in json.dumps(records)


def test_an_unknown_number_is_answered_alike_and_texts_nobody(texting: Dunwell) -> None:
    request_code(texting, phone="+8613999999999", now=NOW)
    request_code(texting, phone=PHONE, now=NOW)
    assert len(texts(texting)) == 1
    with pytest.raises(Unauthenticated) as unknown:
        verify_code(texting, phone="+8613999999999", code="123456", now=NOW)
    with pytest.raises(InvalidInput):
        request_code(texting, phone="not a phone", now=NOW)
    assert unknown.value.code == "code_must_be_valid"


def test_a_code_expires_and_allows_five_tries(texting: Dunwell) -> None:
    request_code(texting, phone=PHONE, now=NOW)
    code = last_code(texting)
    wrong = "000000" if code != "000000" else "111111"
    ttl = dt.timedelta(seconds=texting.settings.otp_ttl_seconds)
    with pytest.raises(Unauthenticated) as late:
        verify_code(texting, phone=PHONE, code=code, now=NOW + ttl)
    assert late.value.code == "code_must_be_valid"
    for _ in range(CODE_ATTEMPTS_MAX):
        with pytest.raises(Unauthenticated) as caught:
            verify_code(texting, phone=PHONE, code=wrong, now=NOW)
        assert caught.value.code == "code_must_be_valid"
    with pytest.raises(Unauthenticated) as spent:
        verify_code(texting, phone=PHONE, code=code, now=NOW)  # the right one, too late
    assert spent.value.code == "code_attempts_must_be_within_limit"
    failed = [p for k, _, p in audit_records(texting) if k == "sign_in_failed"]
    assert len(failed) == CODE_ATTEMPTS_MAX + 2


def test_codes_per_hour_are_bounded_per_borrower(texting: Dunwell) -> None:
    per_hour = texting.settings.otp_requests_per_hour
    for minute in range(per_hour + 2):
        request_code(texting, phone=PHONE, now=NOW + dt.timedelta(minutes=minute))
    assert len(texts(texting)) == per_hour
    request_code(texting, phone=PHONE, now=NOW + dt.timedelta(hours=1, minutes=1))
    assert len(texts(texting)) == per_hour + 1
    assert "sign_in_code_withheld" in [k for k, _, _ in audit_records(texting)]


def test_a_disabled_borrower_cannot_sign_in_with_a_code(texting: Dunwell) -> None:
    add_user(texting, name="borrower-7", role="borrower", borrower_id=7, now=NOW)
    disable_user(texting, name="borrower-7", now=NOW)
    request_code(texting, phone=PHONE, now=NOW)
    with pytest.raises(Unauthenticated) as caught:
        verify_code(texting, phone=PHONE, code=last_code(texting), now=NOW)
    assert caught.value.code == "user_must_be_active"
