"""Credentials for tests that call the API: ``token_headers(app, role)`` makes a user
with ``role`` (through the application's own service, as ``dunwell user add`` does)
and an API token for them, and returns the header that carries it.

    headers = token_headers(app, "manager")
    client.get("/v1/loans/1", headers=headers)

A name that exists already (or a borrower id that already has its user) gets a new
token for that user instead of a second user."""

from __future__ import annotations

import datetime as dt
import itertools

from dunwell.app.context import Dunwell
from dunwell.app.identity.accounts import add_user
from dunwell.app.identity.tokens import create_token
from dunwell.identity.model import Role
from dunwell.identity.rules import borrower_user_name, parse_role

_serial = itertools.count(1)


def token_for(app: Dunwell, role: str | Role, *, name: str | None = None,
              staff_id: str | None = None, borrower_id: int | None = None,
              authority_minor: int | None = None) -> str:
    """A new API token (the whole ``dw_...`` text) for a user with ``role``."""
    chosen = parse_role(role)
    if chosen is Role.BORROWER and borrower_id is None:
        raise ValueError("a borrower's token needs borrower_id=")
    if name is None:
        name = (borrower_user_name(borrower_id) if borrower_id is not None
                else f"{chosen.value.replace('_', '-')}-{next(_serial)}")
    now = dt.datetime.now(dt.UTC)
    with app.uow() as uow:
        exists = uow.identity.find_user(name.lower())
        if exists is None and borrower_id is not None:
            exists = uow.identity.user_of_borrower(borrower_id)
    if exists is None:
        exists = add_user(app, name=name, role=chosen, now=now, staff_id=staff_id,
                          borrower_id=borrower_id, authority_minor=authority_minor,
                          by="tests")
    return create_token(app, name=exists.name, now=now, label="tests", by="tests").token


def token_headers(app: Dunwell, role: str | Role, *, name: str | None = None,
                  staff_id: str | None = None, borrower_id: int | None = None,
                  authority_minor: int | None = None) -> dict[str, str]:
    """``{"Authorization": "Bearer dw_..."}`` for a new user with ``role``."""
    token = token_for(app, role, name=name, staff_id=staff_id, borrower_id=borrower_id,
                      authority_minor=authority_minor)
    return {"Authorization": f"Bearer {token}"}


_by_route_role: dict[tuple[int, Role], dict[str, str]] = {}


def route_headers(app: Dunwell, method: str, template: str) -> dict[str, str]:
    """A token's header for a role the role × route matrix lets call ``method`` on
    ``template`` (a manager's where it may; a borrower is borrower 1); none for a
    route open to all. One user per role and book."""
    from dunwell.identity.matrix import allowed_roles, rule_for

    allowed = allowed_roles(rule_for(method, template))
    if not allowed or allowed == frozenset(Role):
        return {}
    role = Role.MANAGER if Role.MANAGER in allowed else min(allowed)
    key = (id(app), role)
    if key not in _by_route_role:
        _by_route_role[key] = token_headers(
            app, role, borrower_id=1 if role is Role.BORROWER else None)
    return _by_route_role[key]
