"""Who is asking: the signed-in principal of a request.

The route guard installed by ``add_auth`` authenticates every request (an API token
in ``Authorization: Bearer``, or a web session cookie with its CSRF token on unsafe
methods), checks the role × route matrix (``dunwell.identity``) and leaves the
principal on ``request.state.principal``; handlers take it as ``PrincipalDep`` and
apply the object rules."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, FastAPI, Request

from dunwell.core.errors import Unauthenticated
from dunwell.identity.model import Principal


async def current_principal(request: Request) -> Principal:
    principal: Principal | None = getattr(request.state, "principal", None)
    if principal is None:
        raise Unauthenticated("sign in first: send Authorization: Bearer TOKEN "
                              "(dunwell token create NAME) or a session cookie")
    return principal


PrincipalDep = Annotated[Principal, Depends(current_principal)]


def add_auth(api: FastAPI) -> None:
    """Install the route guard on ``api`` (default deny)."""
