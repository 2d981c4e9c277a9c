"""Users and API tokens: ``dunwell user add|list|role|disable`` and ``dunwell token
create|list|revoke``.

``user add`` reads the password from standard input when it is not a terminal and
not empty (``printf '%s' "$PASSWORD" | dunwell user add li.na --role team_lead``);
otherwise the user signs in with API tokens only. ``token create`` prints exactly one
line, the token, which is never shown again. Every change is in the audit log, named
as done by the operating-system user who ran the command."""

from __future__ import annotations

import datetime as dt
import getpass
import sys
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from dunwell.cli.common import DbOption, app_for, clear_errors, console, now

if TYPE_CHECKING:
    from dunwell.identity.model import ApiToken

user_app = typer.Typer(help="Users and their roles: add, list, change a role, disable.",
                       no_args_is_help=True)
token_app = typer.Typer(help="API tokens: create (shown once), list, revoke.",
                        no_args_is_help=True)


def operator() -> str:
    """Who ran the command, as the audit log names them."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def password_from_stdin() -> str | None:
    """The password piped in (one trailing line break dropped), or None at a terminal
    or when nothing was piped."""
    if sys.stdin is None or sys.stdin.isatty():
        return None
    text = sys.stdin.read()
    text = text[:-2] if text.endswith("\r\n") else text[:-1] if text.endswith("\n") else text
    return text or None


def _when(at: dt.datetime | None) -> str:
    return "-" if at is None else at.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M")


@user_app.command("add")
def add(
    name: Annotated[str, typer.Argument(help="User name: 2-64 of a-z 0-9 . _ - @.")],
    role: Annotated[str, typer.Option("--role", help="borrower, collector, field_agent, "
                                      "team_lead, manager, risk_analyst, compliance_officer, "
                                      "legal_counsel or admin.")],
    staff_id: Annotated[str | None, typer.Option(
        "--staff-id", help="The staff id cases, queues and visits are assigned to.")] = None,
    borrower_id: Annotated[int | None, typer.Option(
        "--borrower-id", help="For a borrower: the borrower id they sign in as.")] = None,
    authority: Annotated[str | None, typer.Option(
        "--authority", metavar="AMOUNT",
        help="The most this user may approve, in the book's currency (e.g. 5000.00); "
        "default: the role's own limit.")] = None,
    db: DbOption = None,
) -> None:
    """Add a user (a password piped on standard input enables password sign-in)."""
    from dunwell.app.identity.accounts import add_user, authority_minor

    password = password_from_stdin()
    with clear_errors():
        app = app_for(db)
        limit = None if authority is None else authority_minor(app, authority)
        user = add_user(app, name=name, role=role, password=password, staff_id=staff_id,
                        borrower_id=borrower_id, authority_minor=limit, now=now(),
                        by=operator())
    links = [f"staff {user.staff_id}"] if user.staff_id else []
    links += [f"borrower {user.borrower_id}"] if user.borrower_id is not None else []
    console.print(f"user {user.name} added: {user.role.value}"
                  + (f" ({', '.join(links)})" if links else "")
                  + ("; password set" if user.has_password
                     else "; no password: create a token with `dunwell token create "
                          f"{user.name}`"))


@user_app.command("list")
def list_(db: DbOption = None) -> None:
    """Every user: role, links, authority, whether a password is set, active."""
    from dunwell.app.identity.accounts import list_users

    with clear_errors():
        users = list_users(app_for(db))
    table = Table(title=f"users ({len(users)})")
    for col in ("id", "name", "role", "staff id", "borrower id", "authority (minor)",
                "password", "active", "created (UTC)"):
        table.add_column(col)
    for u in users:
        table.add_row(str(u.user_id), u.name, u.role.value, u.staff_id or "-",
                      "-" if u.borrower_id is None else str(u.borrower_id),
                      "role's" if u.authority_minor is None else str(u.authority_minor),
                      "yes" if u.has_password else "no", "yes" if u.active else "no",
                      _when(u.created_at))
    console.print(table)


@user_app.command("role")
def role(
    name: Annotated[str, typer.Argument(help="User name.")],
    new_role: Annotated[str, typer.Argument(metavar="ROLE", help="The new role.")],
    db: DbOption = None,
) -> None:
    """Give a user another role (recorded in the audit log)."""
    from dunwell.app.identity.accounts import change_role

    with clear_errors():
        user = change_role(app_for(db), name=name, role=new_role, now=now(), by=operator())
    console.print(f"{user.name} is now {user.role.value}")


@user_app.command("disable")
def disable(
    name: Annotated[str, typer.Argument(help="User name.")],
    db: DbOption = None,
) -> None:
    """Disable a user: their tokens stop working and their sessions end."""
    from dunwell.app.identity.accounts import disable_user

    with clear_errors():
        user = disable_user(app_for(db), name=name, now=now(), by=operator())
    console.print(f"user {user.name} disabled: their tokens and sessions no longer work")


@token_app.command("create")
def create(
    name: Annotated[str, typer.Argument(help="The user the token acts as.")],
    expires_days: Annotated[int | None, typer.Option(
        "--expires-days", metavar="N", help="Days the token works (default: "
        "DUNWELL_TOKEN_TTL_DAYS, 90).")] = None,
    label: Annotated[str, typer.Option(
        "--label", metavar="L", help="What the token is for, shown in listings.")] = "",
    db: DbOption = None,
) -> None:
    """Create an API token and print it: one line, shown this once."""
    from dunwell.app.identity.tokens import create_token

    with clear_errors():
        made = create_token(app_for(db), name=name, days=expires_days, label=label,
                            now=now(), by=operator())
    typer.echo(made.token)


def _status(token: ApiToken, at: dt.datetime) -> str:
    if token.revoked_at is not None:
        return f"revoked {_when(token.revoked_at)}"
    return "active" if token.usable_at(at) else "expired"


@token_app.command("list")
def list_tokens(
    user: Annotated[str | None, typer.Option("--user", help="Only this user's tokens.")] = None,
    db: DbOption = None,
) -> None:
    """Tokens (never their secrets): user, label, prefix, expiry, last use, status."""
    from dunwell.app.identity.tokens import list_tokens as listing

    with clear_errors():
        tokens = listing(app_for(db), name=user)
    at = now()
    table = Table(title=f"API tokens ({len(tokens)})")
    for col in ("id", "user", "label", "prefix", "created (UTC)", "expires (UTC)",
                "last used (UTC)", "status"):
        table.add_column(col)
    for t in tokens:
        r = t.record
        table.add_row(str(r.token_id), t.user_name, r.label or "-", f"{r.prefix}...",
                      _when(r.created_at), _when(r.expires_at), _when(r.last_used_at),
                      _status(r, at))
    console.print(table)


@token_app.command("revoke")
def revoke(
    token_id: Annotated[int, typer.Argument(metavar="ID", help="The token's id (token list).")],
    db: DbOption = None,
) -> None:
    """Revoke an API token: it stops working at once."""
    from dunwell.app.identity.tokens import revoke_token

    with clear_errors():
        token = revoke_token(app_for(db), token_id=token_id, now=now(), by=operator())
    console.print(f"token {token.token_id} ({token.prefix}...) revoked")
