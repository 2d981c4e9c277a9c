"""Users: add one (staff with a role, or a borrower), change a role, disable, list.

Each command opens its own unit of work and writes its audit record in it; ``by``
names who did it (the operator's name from the CLI, or the signed-in user)."""

from __future__ import annotations

import datetime as dt

from dunwell.app.audit import record
from dunwell.app.context import Dunwell
from dunwell.app.identity.hashing import hash_password
from dunwell.app.uow import UnitOfWork
from dunwell.core.errors import InvalidInput
from dunwell.core.money import to_minor
from dunwell.identity.model import Role, User
from dunwell.identity.rules import check_links, check_name, check_password, parse_role


def add_user(app: Dunwell, *, name: str, role: str | Role, now: dt.datetime,
             password: str | None = None, staff_id: str | None = None,
             borrower_id: int | None = None, authority_minor: int | None = None,
             by: str = "system") -> User:
    """A new active user. Without ``password`` the user signs in with API tokens only
    (a borrower: with one-time codes)."""
    with app.uow() as uow:
        user = create_user(uow, name=name, role=role, now=now, password=password,
                           staff_id=staff_id, borrower_id=borrower_id,
                           authority_minor=authority_minor, by=by)
        uow.commit()
    return user


def create_user(uow: UnitOfWork, *, name: str, role: str | Role, now: dt.datetime,
                password: str | None = None, staff_id: str | None = None,
                borrower_id: int | None = None, authority_minor: int | None = None,
                by: str = "system") -> User:
    """:func:`add_user` inside the caller's unit of work (it does not commit)."""
    chosen = parse_role(role)
    wanted = check_name(name)
    staff = staff_id.strip() if staff_id is not None and staff_id.strip() else None
    check_links(chosen, staff_id=staff, borrower_id=borrower_id,
                authority_minor=authority_minor)
    hashed = None
    if password is not None:
        check_password(password)
        hashed = hash_password(password)
    user = uow.identity.add_user(name=wanted, role=chosen, password_hash=hashed,
                                 staff_id=staff, borrower_id=borrower_id,
                                 authority_minor=authority_minor, at=now)
    record(uow, at=now, entries=[("user_added", f"user:{user.name}", {
        "user_id": user.user_id, "role": chosen.value, "staff_id": staff,
        "borrower_id": borrower_id, "authority_minor": authority_minor,
        "password": hashed is not None, "by": by})])
    return user


def change_role(app: Dunwell, *, name: str, role: str | Role, now: dt.datetime,
                by: str = "system") -> User:
    """Give user ``name`` another role. A borrower's user stays a borrower and staff
    stay staff: a borrower id and a staff id mean different people."""
    chosen = parse_role(role)
    with app.uow() as uow:
        user = uow.identity.named(check_name(name))
        if chosen is user.role:
            return user
        check_links(chosen, staff_id=user.staff_id, borrower_id=user.borrower_id,
                    authority_minor=user.authority_minor)
        uow.identity.set_role(user.user_id, chosen)
        record(uow, at=now, entries=[("user_role_changed", f"user:{user.name}", {
            "user_id": user.user_id, "from": user.role.value, "to": chosen.value,
            "by": by})])
        changed = uow.identity.user(user.user_id)
        uow.commit()
    return changed


def disable_user(app: Dunwell, *, name: str, now: dt.datetime, by: str = "system") -> User:
    """Disable user ``name``: their tokens stop working and their sessions end."""
    with app.uow() as uow:
        user = uow.identity.named(check_name(name))
        if not user.active:
            return user
        uow.identity.set_active(user.user_id, False)
        uow.identity.end_sessions_of(user.user_id, at=now)
        record(uow, at=now, entries=[("user_disabled", f"user:{user.name}", {
            "user_id": user.user_id, "by": by})])
        disabled = uow.identity.user(user.user_id)
        uow.commit()
    return disabled


def list_users(app: Dunwell) -> list[User]:
    with app.uow() as uow:
        return uow.identity.users()


def authority_minor(app: Dunwell, amount: str) -> int:
    """An approval authority typed in the book's currency (``"5000.00"``), in minor
    units."""
    with app.uow() as uow:
        book = uow.book.get()
    if book is None:
        raise InvalidInput("an approval authority is an amount in the book's currency: open "
                           "the book first (dunwell init)", code="book_must_be_open_for_amount",
                           field="authority")
    return to_minor(amount, book.currency, field="authority")
