"""An application that is no longer used is freed: nothing process-wide (FastAPI's
cache of the endpoints it has classified among them) keeps it alive. A test suite, or
anything else that builds an app per book, would otherwise hold every app it built."""

from __future__ import annotations

import gc
import warnings
import weakref

import pytest

from access import token_headers
from dunwell.api.app import create_app
from dunwell.bootstrap import Dunwell

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

pytestmark = pytest.mark.sqlite_only(reason="the app's lifetime does not depend on the store")


def test_an_app_served_and_dropped_is_freed(app: Dunwell) -> None:
    manager = token_headers(app, "manager")

    def serve_once() -> weakref.ref[object]:
        api = create_app(dunwell=app)
        with TestClient(api) as client:
            for path in ("/docs", "/redoc", "/docs/oauth2-redirect", "/openapi.json"):
                assert client.get(path).status_code == 200, path
            assert client.get("/v1/me", headers=manager).status_code == 200
            assert client.get("/sign-in").status_code == 200
        return weakref.ref(api)

    gone = serve_once()
    gc.collect()
    assert gone() is None, [type(r).__name__ for r in gc.get_referrers(gone())]
