"""The fast front (``dunwell.api.fast``) answers exactly as the application behind it.

A corpus of requests to ``POST /v1/loans/{id}/payments`` and ``POST /v1/applications``
(good ones, replays, conflicting keys, unknown and other borrowers' loans, bad
amounts and currencies, missing and oversized keys, missing, malformed, expired and
revoked tokens, wrong roles, wrong content types, oversized bodies, an ``Origin``
header, malformed JSON...) is sent in order to the application without the front,
then to the same book in a second database with it: every answer must be the same
status, body bytes and headers. The front must also have taken the usual requests
itself (else the comparison would show nothing)."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest

from access import token_for
from applications import merchant_application
from dunwell.api import fast, payments, routes
from dunwell.api.app import create_app
from dunwell.app.cob import close_until
from dunwell.app.identity.tokens import create_token, revoke_token
from dunwell.app.lending.book import LoanRequest, disburse, open_book, register_product
from dunwell.bootstrap import Dunwell, bootstrap
from dunwell.lending.products import builtin_product_texts
from dunwell.settings import Settings

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

JSON = "application/json"
#: Each request: (what, method, path, headers as (name, value) pairs or a token's name
#: to put in Authorization, the body's bytes).
Request = tuple[str, str, str, list[tuple[str, str]], bytes]
Answer = tuple[int, bytes, list[tuple[str, str]]]


def _book(app: Dunwell) -> None:
    """Two borrowers' loans, the first instalments due."""
    with app.uow() as uow:
        open_book(uow, business_date=dt.date(2025, 1, 15), partitions=3, currency="CNY")
        for text in builtin_product_texts():
            register_product(uow, text)
        disburse(uow, [LoanRequest(7, "merchant_annuity_12m", 1_200_000, 12),
                       LoanRequest(8, "merchant_annuity_12m", 900_000, 12)])
        uow.commit()
    close_until(app, dt.date(2025, 2, 17))


def _tokens(app: Dunwell) -> dict[str, str]:
    """One token of each kind the corpus sends, made in the same order each run."""
    made = {"manager": token_for(app, "manager", name="fast-manager"),
            "borrower": token_for(app, "borrower", borrower_id=7),
            "collector": token_for(app, "collector", name="fast-collector"),
            "revoked": token_for(app, "manager", name="fast-revoked")}
    past = dt.datetime.now(dt.UTC) - dt.timedelta(days=3)
    made["expired"] = create_token(app, name="fast-manager", now=past, days=1).token
    late = create_token(app, name="fast-manager", now=dt.datetime.now(dt.UTC))
    made["revoked_late"] = late.token  # revoked once verified: its cache window holds
    made["late_id"] = str(late.record.token_id)
    return made


def _payment(amount: Any = "100.00", currency: Any = "CNY", **more: Any) -> bytes:
    return json.dumps({"amount": amount, "currency": currency, **more}).encode()


def _application(**changes: Any) -> bytes:
    return json.dumps(merchant_application("m-fast", **changes)).encode()


def _corpus() -> list[Request]:
    pay, apps = "/v1/loans/1/payments", "/v1/applications"
    typed = [("content-type", JSON)]

    def p(what: str, body: bytes, key: str | None = "k-1", token: str = "manager",
          path: str = pay, kind: list[tuple[str, str]] = typed,
          more: list[tuple[str, str]] | None = None) -> Request:
        headers = [*kind, *([("idempotency-key", key)] if key is not None else [])]
        headers += [("authorization", f"@{token}")] if token else []
        return (what, "POST", path, headers + (more or []), body)

    def a(what: str, body: bytes, key: str | None = "a-1", token: str = "manager",
          kind: list[tuple[str, str]] = typed,
          more: list[tuple[str, str]] | None = None) -> Request:
        return p(what, body, key, token, apps, kind, more)

    return [
        p("a good payment", _payment()),
        p("its replay", _payment()),
        p("the key again for another amount", _payment("101.00")),
        p("a prepayment", _payment("50.00", kind="prepayment", mode="shorten_term"),
          "k-pre"),
        p("the charset spelled out", _payment("1.00"), "k-cs",
          kind=[("content-type", "application/json; charset=utf-8")]),
        p("the content type in capitals", _payment("1.00"), "k-caps",
          kind=[("content-type", "Application/JSON")]),
        p("an Origin header", _payment("2.00"), "k-origin",
          more=[("origin", "https://elsewhere.example")]),
        p("a query string", _payment("3.00"), "k-query", path=pay + "?x=1"),
        p("a borrower's own loan", _payment("4.00"), "k-own", "borrower"),
        p("another borrower's loan", _payment("4.00"), "k-other", "borrower",
          "/v1/loans/2/payments"),
        p("an unknown loan", _payment(), "k-unknown", path="/v1/loans/999999/payments"),
        p("a loan id of 0", _payment(), "k-zero", path="/v1/loans/0/payments"),
        p("a loan id beyond int64", _payment(), "k-big",
          path="/v1/loans/9223372036854775808/payments"),
        p("a loan id with a leading zero", _payment("5.00"), "k-lead",
          path="/v1/loans/01/payments"),
        p("a negative amount", _payment("-5.00"), "k-neg"),
        p("an amount as a number", _payment(5), "k-num"),
        p("an amount of text", _payment("five"), "k-text"),
        p("too many decimals", _payment("1.234"), "k-dec"),
        p("a zero amount", _payment("0.00"), "k-nought"),
        p("another currency", _payment(currency="USD"), "k-usd"),
        p("a currency in lower case", _payment(currency="cny"), "k-lower"),
        p("an extra field", _payment(note="hi"), "k-extra"),
        p("an unknown kind", _payment(kind="gift"), "k-kind"),
        p("no key", _payment(), None),
        p("an empty key", _payment(), ""),
        p("a key too long", _payment(), "k" * 129),
        p("the key twice", _payment("6.00"), "k-twice", more=[("idempotency-key", "k-2nd")]),
        p("no token", _payment(), "k-none", ""),
        p("an expired token", _payment(), "k-exp", "expired"),
        p("a revoked token", _payment(), "k-rev", "revoked"),
        p("a token revoked after it was verified", _payment("7.00"), "k-late",
          "revoked_late"),
        p("a malformed Authorization", _payment(), "k-basic", "",
          more=[("authorization", "Basic Zm9vOmJhcg==")]),
        p("a bearer without a token", _payment(), "k-empty", "",
          more=[("authorization", "Bearer ")]),
        p("a role the matrix refuses", _payment(), "k-role", "collector"),
        p("text/plain", _payment(), "k-plain", kind=[("content-type", "text/plain")]),
        p("no content type", _payment(), "k-untyped", kind=[]),
        p("a form", b"amount=1&currency=CNY", "k-form",
          kind=[("content-type", "application/x-www-form-urlencoded")]),
        p("a body beyond the limit", _payment(pad="x" * (1024 * 1024)), "k-huge"),
        p("malformed JSON", b'{"amount": "1.00", ', "k-bad"),
        p("an empty body", b"", "k-nothing"),
        p("JSON that is not an object", b'["100.00"]', "k-list"),
        p("a body not in UTF-8", b'{"amount": "\xff"}', "k-latin"),
        p("a payoff", _payment("20000.00", kind="payoff"), "k-payoff"),
        p("a payment after the payoff", _payment("1.00"), "k-after"),
        a("a good application", _application()),
        a("its replay", _application()),
        a("the key again for other data", _application(requested_amount="40000.00")),
        a("the key in the body", _application(idempotency_key="a-body"), None),
        a("the header and the body disagree", _application(idempotency_key="a-x"), "a-y"),
        a("no key at all", _application(), None),
        a("a key too long", _application(), "a" * 129),
        a("a field missing", json.dumps({"currency": "CNY"}).encode(), "a-missing"),
        a("malformed JSON", b"{", "a-bad"),
        a("a record's kind unknown", _application(transactions=[
            {"date": "2024-01-10", "amount": "1.00", "kind": "gift"}]), "a-gift"),
        a("a consumer", _application(applicant={"kind": "consumer", "reference": "c-1",
                                                "name": "Li Wei"},
                                     monthly_income="9000.00",
                                     income_history=["9000.00"] * 6, transactions=[]),
          "a-consumer"),
        a("a borrower", _application(), "a-borrower", "borrower"),
        a("no token", _application(), "a-none", ""),
        a("an expired token", _application(), "a-exp", "expired"),
        a("text/plain", _application(), "a-plain", kind=[("content-type", "text/plain")]),
        a("a body beyond the limit", _application(pad="x" * (1024 * 1024)), "a-huge"),
        a("an Origin header", _application(requested_amount="30000.00"), "a-origin",
          more=[("origin", "https://elsewhere.example")]),
        ("a GET of the payments path", "GET", pay, [("authorization", "@manager")], b""),
    ]


def _answers(app: Dunwell, *, fast_front: bool) -> tuple[list[Answer], int]:
    """Each request's answer, and how many the fast front answered itself."""
    tokens = _tokens(app)
    taken: list[str] = []

    async def pay(*args: Any) -> Any:
        taken.append("payment")
        return await payments.pay(*args)

    async def decide(*args: Any) -> Any:
        taken.append("application")
        return await routes.decide_application(*args)

    answers: list[Answer] = []
    with pytest.MonkeyPatch.context() as patch, TestClient(
            create_app(dunwell=app, fast_front=fast_front)) as client:
        patch.setattr(fast, "pay", pay)
        patch.setattr(fast, "decide_application", decide)
        for name in ("manager", "borrower", "collector", "revoked_late"):  # verified once
            assert client.get("/v1/me", headers={
                "authorization": f"Bearer {tokens[name]}"}).status_code == 200
        revoke_token(app, token_id=int(tokens["late_id"]), now=dt.datetime.now(dt.UTC))
        revoke_token(app, token_id=int(tokens["revoked"].split("_")[1]),
                     now=dt.datetime.now(dt.UTC))
        for _, method, path, headers, body in _corpus():
            sent = [(k, f"Bearer {tokens[v[1:]]}" if v.startswith("@") else v)
                    for k, v in headers]
            r = client.request(method, path, content=body, headers=sent)
            answers.append((r.status_code, r.content, r.headers.multi_items()))
    return answers, len(taken)


@pytest.fixture
def twin_url(db_url: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A second database of this test, on the same backend as ``db_url``."""
    if db_url.startswith("sqlite"):
        path = tmp_path / "twin.sqlite"
        shutil.copyfile(request.getfixturevalue("_sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    pool = request.getfixturevalue("_postgres_schemas")
    schema = pool.take()
    first = re.search(r"search_path=(\w+)", unquote(db_url))
    assert first is not None
    try:
        yield db_url.replace(first.group(1), schema)
    finally:
        pool.give_back(schema)


@pytest.fixture
def books(db_url: str, twin_url: str, _prebuilt_books: Any) -> Iterator[list[Dunwell]]:
    """The same book twice: one for each way of answering."""
    made = []
    for url in (db_url, twin_url):
        _prebuilt_books.fill(url, _book, (), {})
        made.append(bootstrap(Settings(db_url=url, partitions=3, log_level="WARNING")))
    yield made
    for book in made:
        book.engine.dispose()


def test_the_fast_front_answers_every_request_as_the_application_does(
        books: list[Dunwell]) -> None:
    without, none_taken = _answers(books[0], fast_front=False)
    with_front, taken = _answers(books[1], fast_front=True)
    assert none_taken == 0
    assert taken >= 15  # the usual requests (those the application also takes to the end)
    corpus = _corpus()
    for (what, *_), slow, quick in zip(corpus, without, with_front, strict=True):
        assert quick == slow, what
    statuses = {what: status for (what, *_), (status, _, _) in zip(corpus, without,
                                                                    strict=True)}
    assert statuses["a good payment"] == 201 and statuses["its replay"] == 200
    assert statuses["the key again for another amount"] == 409
    assert statuses["another borrower's loan"] == 404
    assert statuses["a role the matrix refuses"] == 403
    assert statuses["a revoked token"] == 401
    assert statuses["a body beyond the limit"] == 413
    assert statuses["a good application"] == 201
