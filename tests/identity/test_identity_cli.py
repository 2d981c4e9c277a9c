"""``dunwell user`` and ``dunwell token`` as an administrator uses them, on SQLite and
PostgreSQL: a password piped in, a token printed as one line that then works, listings
that never show a secret, and exit 2 with the code on bad input."""

from __future__ import annotations

import datetime as dt
import re

from typer.testing import CliRunner

from dunwell.app.identity.sessions import sign_in
from dunwell.app.identity.tokens import authenticate_token
from dunwell.app.lending.book import open_book
from dunwell.bootstrap import Dunwell
from dunwell.cli.main import app as cli
from dunwell.core.errors import Unauthenticated

runner = CliRunner()
PASSWORD = "correct horse battery staple"


def dunwell(db_url: str, *args: str, stdin: str | None = None) -> tuple[int, str]:
    result = runner.invoke(cli, [*args, "--db", db_url], input=stdin)
    return result.exit_code, result.output


def test_a_user_added_with_a_piped_password_signs_in(app: Dunwell, db_url: str,
                                                     wide_console: None) -> None:
    with app.uow() as uow:
        open_book(uow, business_date=dt.date(2025, 1, 15), partitions=2, currency="CNY")
        uow.commit()
    code, out = dunwell(db_url, "user", "add", "Li.Na", "--role", "team_lead", "--staff-id",
                        "t-01", "--authority", "5000.00", stdin=PASSWORD + "\n")
    assert code == 0, out
    assert "user li.na added: team_lead (staff t-01); password set" in out
    assert sign_in(app, name="li.na", password=PASSWORD,
                   now=dt.datetime.now(dt.UTC)).principal.authority_minor == 500_000
    code, out = dunwell(db_url, "user", "add", "bot", "--role", "manager")
    assert code == 0 and "no password" in out
    code, out = dunwell(db_url, "user", "list")
    assert code == 0 and "li.na" in out and "500000" in out and PASSWORD not in out
    code, out = dunwell(db_url, "user", "role", "bot", "risk_analyst")
    assert (code, out.strip()) == (0, "bot is now risk_analyst")


def test_a_token_is_one_line_that_works_until_revoked(app: Dunwell, db_url: str,
                                                      wide_console: None) -> None:
    assert dunwell(db_url, "user", "add", "ops", "--role", "collector")[0] == 0
    code, out = dunwell(db_url, "token", "create", "ops", "--expires-days", "7", "--label",
                        "dialler")
    assert code == 0 and out.count("\n") == 1
    token = out.strip()
    assert re.fullmatch(r"dw_1_[A-Za-z0-9_-]{43}", token)
    at = dt.datetime.now(dt.UTC)
    assert authenticate_token(app, token=token, now=at).name == "ops"
    code, out = dunwell(db_url, "token", "list")
    assert code == 0 and "dialler" in out and "active" in out
    assert token not in out and token.split("_", 2)[2][4:] not in out
    code, out = dunwell(db_url, "token", "revoke", "1")
    assert code == 0 and "token 1" in out and "revoked" in out
    try:
        authenticate_token(app, token=token, now=at)
        raise AssertionError("a revoked token still works")
    except Unauthenticated as exc:
        assert exc.code == "token_must_not_be_revoked"
    code, out = dunwell(db_url, "user", "disable", "ops")
    assert code == 0 and "disabled" in out


def test_bad_input_exits_2_naming_what_to_fix(app: Dunwell, db_url: str) -> None:
    for args, wanted in ((("user", "add", "x y", "--role", "manager"), "user_name_must_be_valid"),
                         (("user", "add", "kim", "--role", "king"), "role_must_be_known"),
                         (("user", "add", "b1", "--role", "borrower"),
                          "borrower_user_must_name_borrower"),
                         (("user", "add", "kim", "--role", "manager", "--authority", "5"),
                          "book_must_be_open_for_amount"),
                         (("token", "create", "nobody"), "user_must_exist"),
                         (("token", "create", "kim", "--expires-days", "0"),
                          "token_days_must_be_within_limits"),
                         (("token", "revoke", "42"), "token_must_exist"),
                         (("user", "role", "nobody", "admin"), "user_must_exist")):
        if args[:2] == ("token", "create") and args[2] == "kim":
            assert dunwell(db_url, "user", "add", "kim", "--role", "manager")[0] == 0
        code, out = dunwell(db_url, *args)
        assert code == 2 and f"[{wanted}]" in out, (args, out)
    code, out = dunwell(db_url, "user", "add", "short", "--role", "admin", stdin="short")
    assert code == 2 and "[password_must_be_long_enough]" in out
