"""Signing in over HTTP: a staff session with its cookies and CSRF token, signing out,
and a borrower signing in with a texted code (the API and the page)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

from dunwell.api.app import create_app
from dunwell.app.channels.outbox import set_channel_address
from dunwell.app.context import Dunwell
from dunwell.app.identity.accounts import add_user
from dunwell.compliance.model import Jurisdiction

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

PASSWORD = "correct horse battery staple"
PHONE = "+8613800000001"


@pytest.fixture
def book(app: Dunwell, tmp_path: Path) -> Dunwell:
    """Texts go to the local provider under ``tmp_path``; borrower 7 is on file at
    :data:`PHONE`; a team lead signs in with a password."""
    settings = app.settings.model_copy(update={"outbox_dir": tmp_path / "outbox"})
    texted = dataclasses.replace(app, settings=settings)
    with texted.uow() as uow:
        uow.borrowers.put(borrower_id=7, name="Borrower 7", jurisdiction=Jurisdiction.CN_NIFA,
                          timezone="Asia/Shanghai", language="en")
        uow.commit()
    set_channel_address(texted, borrower_id=7, channel="sms", address=PHONE)
    add_user(texted, name="li.na", role="team_lead", password=PASSWORD, staff_id="t-01",
             now=dt.datetime.now(dt.UTC))
    return texted


@pytest.fixture
def client(book: Dunwell) -> Iterator[TestClient]:
    # https, so the Secure cookies come back as a browser would send them
    with TestClient(create_app(dunwell=book), base_url="https://testserver") as http:
        yield http


def last_code(book: Dunwell) -> str:
    lines = (Path(book.settings.outbox_dir) / "sms.jsonl").read_text("utf-8").splitlines()
    found = re.search(r"\d{6}", json.loads(lines[-1])["body"])
    assert found is not None
    return found.group(0)


def test_a_session_sets_hardened_cookies_and_answers_who_am_i(client: TestClient) -> None:
    r = client.post("/v1/sessions", json={"name": "Li.Na", "password": PASSWORD})
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["user"] == {"user_id": 1, "name": "li.na", "role": "team_lead",
                            "borrower_id": None, "staff_id": "t-01", "authority_minor": None,
                            "via": "session"}
    cookies = r.headers.get_list("set-cookie")
    session = next(c for c in cookies if c.startswith("dunwell_session="))
    csrf = next(c for c in cookies if c.startswith("dunwell_csrf="))
    for flag in ("HttpOnly", "Secure", "SameSite=lax", "Path=/"):
        assert flag.lower() in session.lower(), session
    assert "httponly" not in csrf.lower() and f"dunwell_csrf={body['csrf_token']}" in csrf
    me = client.get("/v1/me")
    assert me.json()["name"] == "li.na" and me.json()["via"] == "session"


def test_a_change_on_a_session_needs_the_csrf_token(client: TestClient) -> None:
    csrf = client.post("/v1/sessions", json={"name": "li.na", "password": PASSWORD}
                       ).json()["csrf_token"]
    bare = client.post("/v1/legal/referrals", json={})
    assert (bare.status_code, bare.json()["error"]) == (403, "csrf_token_must_match")
    wrong = client.post("/v1/legal/referrals", json={}, headers={"X-CSRF-Token": "x" * 43})
    assert wrong.json()["error"] == "csrf_token_must_match"
    right = client.post("/v1/legal/referrals", json={}, headers={"X-CSRF-Token": csrf})
    assert right.status_code == 422  # past the guard: the body is what is wrong now


def test_signing_out_ends_the_session(client: TestClient) -> None:
    csrf = client.post("/v1/sessions", json={"name": "li.na", "password": PASSWORD}
                       ).json()["csrf_token"]
    kept = dict(client.cookies)
    out = client.delete("/v1/sessions", headers={"X-CSRF-Token": csrf})
    assert out.status_code == 204
    assert client.get("/v1/me").status_code == 401  # the cookies were cleared
    client.cookies.update(kept)
    again = client.get("/v1/me")  # and the old cookie no longer works
    assert (again.status_code, again.json()["error"]) == (401, "session_must_be_valid")


def test_a_wrong_password_is_401_in_the_error_shape(client: TestClient) -> None:
    r = client.post("/v1/sessions", json={"name": "li.na", "password": "not the password"})
    assert (r.status_code, r.json()["error"]) == (401, "sign_in_must_match")
    assert "set-cookie" not in r.headers


def test_a_code_is_asked_for_alike_for_known_and_unknown_numbers(client: TestClient,
                                                                  book: Dunwell) -> None:
    known = client.post("/v1/portal/codes", json={"phone": PHONE})
    unknown = client.post("/v1/portal/codes", json={"phone": "+8613999999999"})
    assert known.status_code == unknown.status_code == 202
    assert known.json() == unknown.json()
    wrong = client.post("/v1/portal/sessions", json={"phone": PHONE, "code": "12345x"})
    assert (wrong.status_code, wrong.json()["error"]) == (400, "code_must_be_six_digits")
    r = client.post("/v1/portal/sessions", json={"phone": PHONE, "code": last_code(book)})
    assert r.status_code == 201, r.text
    assert r.json()["user"]["role"] == "borrower" and r.json()["user"]["borrower_id"] == 7
    assert client.get("/v1/me").json()["name"] == "borrower-7"


def test_a_borrower_signs_in_on_the_page_and_reaches_the_portal(client: TestClient,
                                                                book: Dunwell) -> None:
    form = client.get("/portal/sign-in", params={"next": "/portal/hardship"})
    assert form.status_code == 200 and "Mobile number" in form.text
    step = client.post("/portal/sign-in", data={"phone": PHONE, "next": "/portal/hardship"})
    assert step.status_code == 200 and 'name="code"' in step.text
    typo = client.post("/portal/sign-in", data={"phone": PHONE, "code": "000000"
                                                 if last_code(book) != "000000" else "111111"})
    assert typo.status_code == 401 and 'role="alert"' in typo.text
    done = client.post("/portal/sign-in", data={"phone": PHONE, "code": last_code(book),
                                                "next": "/portal/hardship"},
                       follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/portal/hardship"
    assert client.get("/portal/hardship").status_code == 200
    away = client.post("/portal/sign-in", data={"phone": PHONE, "next": "//evil.example/"})
    assert 'value="/portal/hardship"' in away.text  # no redirect off the site


def test_a_form_post_on_a_session_carries_the_csrf_field(client: TestClient,
                                                         book: Dunwell) -> None:
    client.post("/v1/portal/codes", json={"phone": PHONE})
    csrf = client.post("/v1/portal/sessions", json={"phone": PHONE, "code": last_code(book)}
                       ).json()["csrf_token"]
    fields = {"code": "ABCD-EFGH-JKMN-PQRS", "reason": "illness", "income": "100.00",
              "expenses": "50.00"}
    bare = client.post("/portal/hardship", data=fields)
    assert (bare.status_code, bare.json()["error"]) == (403, "csrf_token_must_match")
    signed = client.post("/portal/hardship", data={**fields, "csrf_token": csrf})
    assert signed.status_code not in (401, 403), signed.text  # the form itself answers
