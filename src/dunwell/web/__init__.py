"""The web app: server-rendered pages for the people who do the work — the
collector's workbench (``/work``), the field agent's day (``/field``), the manager's
dashboard (``/dashboard``), the compliance officer's complaints queue
(``/complaints``) — and the borrower's portal (``/portal``), in zh-CN and en.

Pages call the application layer like the API does; they sit behind the same route
guard and role × route matrix (``dunwell.identity.matrix``), and their forms carry
the session's CSRF token. Assets (CSS, the chart library, scripts) are served by the
app itself from ``/static/web``: nothing comes from another host."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

#: The package's static assets, served at ``STATIC_PATH``.
STATIC_DIR = Path(__file__).parent / "static"
STATIC_PATH = "/static/web"


def add_web(api: FastAPI) -> None:
    """Mount the pages and their assets on ``api``."""
    from dunwell.web import complaints, dashboard, field_view, home, portal, workbench

    api.mount(STATIC_PATH, StaticFiles(directory=STATIC_DIR), name="web-static")
    for module in (home, portal, workbench, field_view, dashboard, complaints):
        api.include_router(module.router)
