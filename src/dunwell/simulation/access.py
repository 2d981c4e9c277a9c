"""The demo's sign-ins: one user per role, each with a password and an API token, so
the pages and the API can be tried as every kind of person the product serves.

Passwords and tokens are drawn afresh for every demo book and printed once; only
their hashes are stored. The borrower signs in to the portal with a one-time code
sent to the phone number on file (the local SMS provider writes it under the
outbox directory), and also gets a token for the API."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from dunwell.app.channels.outbox import set_channel_address
from dunwell.app.context import Dunwell
from dunwell.app.identity.accounts import add_user
from dunwell.app.identity.tokens import create_token
from dunwell.identity.model import Role
from dunwell.identity.rules import borrower_user_name

#: Who signs in as what in the demo: (role, user name, staff id). The staff ids are the
#: demo's own collector, field agent and team, so the object rules have work to show.
DEMO_STAFF = (
    (Role.COLLECTOR, "demo-collector", "c-01"),
    (Role.FIELD_AGENT, "demo-field-agent", "f-01"),
    (Role.TEAM_LEAD, "demo-team-lead", "t-01"),
    (Role.MANAGER, "demo-manager", "m-01"),
    (Role.RISK_ANALYST, "demo-risk-analyst", "r-01"),
    (Role.COMPLIANCE_OFFICER, "demo-compliance", "k-01"),
    (Role.LEGAL_COUNSEL, "demo-legal-counsel", "l-01"),
    (Role.ADMIN, "demo-admin", None),
)
#: The demo borrower's phone number on file (a reserved-looking test number).
DEMO_BORROWER_PHONE = "+8613800000001"
#: Days a demo token lasts.
TOKEN_DAYS = 30


@dataclass(frozen=True, slots=True)
class DemoSignIn:
    role: Role
    user: str
    #: The password for the web sign-in (None for the borrower: one-time codes).
    password: str | None
    token: str
    #: What the user is linked to: a staff id or "borrower N (phone)".
    linked: str


def seed_demo_sign_ins(app: Dunwell, *, borrower_id: int, field_agent: str = "f-01",
                       now: dt.datetime | None = None) -> list[DemoSignIn]:
    """Create the demo's users (one per role) and a token for each; the borrower is
    ``borrower_id``, reachable at :data:`DEMO_BORROWER_PHONE`, and the field agent
    works as ``field_agent``."""
    at = now or dt.datetime.now(dt.UTC)
    out: list[DemoSignIn] = []
    for role, name, listed in DEMO_STAFF:
        staff_id = field_agent if role is Role.FIELD_AGENT else listed
        password = secrets.token_urlsafe(12)
        add_user(app, name=name, role=role, now=at, password=password, staff_id=staff_id,
                 by="demo")
        token = create_token(app, name=name, now=at, days=TOKEN_DAYS, label="demo",
                             by="demo").token
        out.append(DemoSignIn(role, name, password, token, staff_id or ""))
    set_channel_address(app, borrower_id=borrower_id, channel="sms",
                        address=DEMO_BORROWER_PHONE)
    user = add_user(app, name=borrower_user_name(borrower_id), role=Role.BORROWER, now=at,
                    borrower_id=borrower_id, by="demo")
    token = create_token(app, name=user.name, now=at, days=TOKEN_DAYS, label="demo",
                         by="demo").token
    out.append(DemoSignIn(Role.BORROWER, user.name, None, token,
                          f"borrower {borrower_id} ({DEMO_BORROWER_PHONE})"))
    return out
