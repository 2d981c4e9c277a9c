"""The API's interactive documentation, served without a network: ``/docs`` (Swagger UI)
and ``/redoc`` (ReDoc) load their JavaScript, CSS and icon from ``/static/docs``, the
files that the ``fastapi-offline`` package installs (its copies of the official
``swagger-ui-dist`` and ``redoc`` standalone builds), never from a CDN. ReDoc uses the
browser's own fonts instead of Google's, Swagger UI asks no online validator, and both
pages carry a ``Content-Security-Policy`` that keeps images and fonts to this server
(ReDoc's sidebar would otherwise fetch its maker's logo from the maker's CDN; without
it the link reads "API docs by Redocly" alone). Neither page reaches another host, so
both render on an air-gapped machine."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

#: The package whose ``static`` directory holds the pages' assets.
ASSETS_PACKAGE = "fastapi_offline"
#: Where the assets are served.
ASSETS_PATH = "/static/docs"
SWAGGER_JS = "swagger-ui-bundle.js"
SWAGGER_CSS = "swagger-ui.css"
REDOC_JS = "redoc.standalone.js"
FAVICON = "favicon.png"
DOCS_PATH = "/docs"
REDOC_PATH = "/redoc"
OAUTH2_REDIRECT_PATH = "/docs/oauth2-redirect"
#: Images and fonts from this server (or inline) only: the pages' scripts and styles
#: are already local, and nothing else they might load is needed.
PAGE_POLICY = "img-src 'self' data:; font-src 'self' data:"


def assets_directory() -> Path:
    """The installed directory of Swagger UI's and ReDoc's files."""
    directory = Path(str(files(ASSETS_PACKAGE).joinpath("static")))
    missing = [name for name in (SWAGGER_JS, SWAGGER_CSS, REDOC_JS, FAVICON)
               if not (directory / name).is_file()]
    if missing:
        raise RuntimeError(f"the {ASSETS_PACKAGE} package lacks {', '.join(missing)} in "
                           f"{directory}; reinstall it (pip install fastapi-offline)")
    return directory


def local_only(page: HTMLResponse) -> HTMLResponse:
    """``page`` with the policy that keeps its images and fonts to this server."""
    page.headers["Content-Security-Policy"] = PAGE_POLICY
    return page


def add_docs(api: FastAPI) -> None:
    """Serve ``/docs``, its OAuth2 redirect and ``/redoc`` from the local assets; ``api``
    is made with ``docs_url=None, redoc_url=None`` so FastAPI's CDN pages stay off."""
    api.mount(ASSETS_PATH, StaticFiles(directory=assets_directory()), name="docs-assets")
    openapi_url = api.openapi_url or "/openapi.json"
    # the pages read the app from the request, not from this closure: FastAPI keeps a
    # process-wide cache of the endpoints it has classified, and an endpoint holding
    # ``api`` would keep every app ever built alive (a test suite builds hundreds)

    def asset(request: Request, name: str) -> str:
        return f"{request.scope.get('root_path', '')}{ASSETS_PATH}/{name}"

    @api.get(DOCS_PATH, include_in_schema=False)
    async def swagger_ui(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return local_only(get_swagger_ui_html(
            openapi_url=f"{root}{openapi_url}", title=f"{request.app.title} - Swagger UI",
            oauth2_redirect_url=f"{root}{OAUTH2_REDIRECT_PATH}",
            swagger_js_url=asset(request, SWAGGER_JS), swagger_css_url=asset(request, SWAGGER_CSS),
            swagger_favicon_url=asset(request, FAVICON),
            swagger_ui_parameters={"validatorUrl": None,
                                   **(request.app.swagger_ui_parameters or {})}))

    @api.get(OAUTH2_REDIRECT_PATH, include_in_schema=False)
    async def swagger_ui_oauth2_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    @api.get(REDOC_PATH, include_in_schema=False)
    async def redoc(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return local_only(get_redoc_html(
            openapi_url=f"{root}{openapi_url}", title=f"{request.app.title} - ReDoc",
            redoc_js_url=asset(request, REDOC_JS), redoc_favicon_url=asset(request, FAVICON),
            with_google_fonts=False))
