"""The interactive docs work without a network: ``/docs`` and ``/redoc`` name only
this server's own URLs, each asset they name is served here with its type, the
schema they read still answers, and (where Debian's chromium is installed) Swagger UI
and ReDoc render the API's operations in a browser that may reach nothing but the
server on 127.0.0.1."""

from __future__ import annotations

import importlib.util
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient

from dunwell.api.app import create_app
from dunwell.api.docs import ASSETS_PATH, PAGE_POLICY
from dunwell.bootstrap import Dunwell
from serving import serve

if TYPE_CHECKING:
    from playwright.sync_api import Page, Route

pytestmark = pytest.mark.sqlite_only(reason=(
    "the docs pages and their assets are served without the database"))

CHROMIUM = Path("/usr/bin/chromium")
needs_chromium = pytest.mark.skipif(
    not CHROMIUM.exists() or importlib.util.find_spec("playwright") is None,
    reason="needs Debian's chromium (apt install chromium) and playwright")

#: The content type each kind of reference must be served with.
TYPE_BY_KIND = {"script": "javascript", "stylesheet": "text/css", "icon": "image/",
                "spec": "application/json"}


class References(HTMLParser):
    """Every URL a page loads: scripts, stylesheets, icons and ReDoc's ``spec-url``."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = {key: value or "" for key, value in attrs}
        if tag == "script" and named.get("src"):
            self.found.append(("script", named["src"]))
        elif tag == "link" and named.get("href"):
            rel = named.get("rel", "")
            self.found.append(("icon" if "icon" in rel else "stylesheet", named["href"]))
        elif tag == "redoc" and named.get("spec-url"):
            self.found.append(("spec", named["spec-url"]))


def references(html: str) -> list[tuple[str, str]]:
    parser = References()
    parser.feed(html)
    # Swagger UI is told the schema's URL in its inline script
    parser.found += [("spec", url) for url in re.findall(r"\burl: '([^']+)'", html)]
    return parser.found


def is_local(url: str) -> bool:
    parts = urlsplit(url)
    return not parts.scheme and not parts.netloc and url.startswith("/")


@pytest.mark.parametrize(("page", "kinds"), [
    ("/docs", {"script", "stylesheet", "icon", "spec"}),
    ("/redoc", {"script", "icon", "spec"}),
])
def test_each_page_loads_only_this_servers_assets(client: TestClient, page: str,
                                                  kinds: set[str]) -> None:
    answer = client.get(page)
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/html")
    found = references(answer.text)
    assert {kind for kind, _ in found} == kinds
    assert [url for _, url in found if not is_local(url)] == []
    assert not re.search(r"https?://", answer.text), "no other host is named anywhere"
    assert answer.headers["content-security-policy"] == PAGE_POLICY
    for kind, url in found:
        asset = client.get(url)
        assert asset.status_code == 200, url
        assert TYPE_BY_KIND[kind] in asset.headers["content-type"], (url, asset.headers)
        assert asset.content, url


def test_the_assets_are_the_official_builds(client: TestClient) -> None:
    swagger = client.get(f"{ASSETS_PATH}/swagger-ui-bundle.js").text
    redoc = client.get(f"{ASSETS_PATH}/redoc.standalone.js").text
    assert "SwaggerUIBundle" in swagger
    assert "Redoc" in redoc


def test_the_schema_still_answers_without_the_docs_pages_in_it(client: TestClient) -> None:
    answer = client.get("/openapi.json")
    assert answer.status_code == 200
    paths = answer.json()["paths"]
    assert "/v1/applications" in paths
    assert not [p for p in paths if p.startswith(("/docs", "/redoc", "/static"))]


def test_an_unknown_asset_is_the_usual_404(client: TestClient) -> None:
    answer = client.get(f"{ASSETS_PATH}/missing.js")
    assert answer.status_code == 404
    assert answer.json()["error"] == "route_must_exist"


def test_the_oauth2_redirect_page_is_served(client: TestClient) -> None:
    answer = client.get("/docs/oauth2-redirect")
    assert answer.status_code == 200
    assert "swaggerUIRedirectOauth2" in answer.text


def test_behind_a_proxy_prefix_the_pages_name_the_prefixed_urls(app: Dunwell) -> None:
    with TestClient(create_app(dunwell=app), root_path="/lending") as prefixed:
        for page in ("/docs", "/redoc"):
            urls = [url for _, url in references(prefixed.get(page).text)]
            assert urls and all(url.startswith("/lending/") for url in urls), urls


@pytest.fixture
def served(app: Dunwell) -> Iterator[str]:
    """The app served by uvicorn on a free 127.0.0.1 port, for the test's duration."""
    with serve(app) as url:
        yield url


@pytest.fixture
def offline_page(served: str, chromium: Any) -> tuple[Page, list[str]]:
    """A chromium page that may reach only ``served``; the URLs it was refused."""
    refused: list[str] = []

    def only_this_server(route: Route) -> None:
        if route.request.url.startswith(f"{served}/"):
            route.continue_()
        else:
            refused.append(route.request.url)
            route.abort()

    page = chromium.new_page()
    page.route("**/*", only_this_server)
    return page, refused


def operations_shown(page: Page, selector: str) -> list[Any]:
    page.wait_for_selector(selector, timeout=30_000)
    return page.locator(selector).all_inner_texts()


@needs_chromium
def test_swagger_ui_renders_the_operations_offline(
        offline_page: tuple[Page, list[str]], served: str) -> None:
    page, refused = offline_page
    page.goto(f"{served}/docs")
    operations = operations_shown(page, ".opblock-summary")
    assert len(operations) > 10
    assert any("/v1/applications" in text for text in operations)
    assert "Dunwell" in page.inner_text(".info .title")
    assert refused == []


@needs_chromium
def test_redoc_renders_the_operations_offline(
        offline_page: tuple[Page, list[str]], served: str) -> None:
    page, refused = offline_page
    page.goto(f"{served}/redoc")
    operations = operations_shown(page, "[data-section-id^='operation/']")
    assert len(operations) > 10
    assert "/v1/applications" in page.inner_text("body")
    assert refused == []
