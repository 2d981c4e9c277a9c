"""Identity's services on the in-memory unit of work: the same rules as on the
database, without one (users, tokens, password sessions)."""

from __future__ import annotations

import datetime as dt

import pytest

from dunwell.app.identity.accounts import add_user, change_role, disable_user
from dunwell.app.identity.sessions import authenticate_session, sign_in
from dunwell.app.identity.tokens import authenticate_token, create_token, revoke_token
from dunwell.core.errors import Unauthenticated
from dunwell.identity.model import Role
from fakes.app import fake_app

NOW = dt.datetime(2025, 3, 1, 9, 0, tzinfo=dt.UTC)


def test_a_token_works_until_revoked_and_follows_the_users_role() -> None:
    app = fake_app()
    add_user(app, name="wu", role="collector", staff_id="c-09", now=NOW)
    made = create_token(app, name="wu", days=7, now=NOW)
    assert authenticate_token(app, token=made.token, now=NOW).role is Role.COLLECTOR
    change_role(app, name="wu", role="team_lead", now=NOW)
    assert authenticate_token(app, token=made.token, now=NOW).role is Role.TEAM_LEAD
    revoke_token(app, token_id=made.record.token_id, now=NOW)
    with pytest.raises(Unauthenticated) as caught:
        authenticate_token(app, token=made.token, now=NOW)
    assert caught.value.code == "token_must_not_be_revoked"
    with app.uow() as uow:
        kinds = [r.kind for r in uow.audit.records()]
    assert kinds == ["user_added", "token_created", "user_role_changed", "token_revoked"]


def test_disabling_a_user_ends_their_sessions() -> None:
    app = fake_app()
    add_user(app, name="he", role="manager", password="a long enough password", now=NOW)
    opened = sign_in(app, name="he", password="a long enough password", now=NOW)
    assert authenticate_session(app, session_id=opened.session_id, now=NOW).principal.name == (
        "he")
    disable_user(app, name="he", now=NOW)
    with pytest.raises(Unauthenticated) as caught:
        authenticate_session(app, session_id=opened.session_id, now=NOW)
    assert caught.value.code == "session_must_be_valid"
