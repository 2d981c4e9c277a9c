"""Evidence bundle checks under hostile uploads: a ZIP bomb is refused from its
directory before anything is extracted, too many members or too many bytes likewise,
an upload beyond the limit is 413, and the check runs off the event loop so other
requests are answered while it works."""

from __future__ import annotations

import asyncio
import dataclasses
import io
import random
import threading
import warnings
import zipfile
from pathlib import Path
from typing import Any

import httpx
import pytest

from access import token_headers
from dunwell.api import legal as legal_api
from dunwell.api.app import create_app
from dunwell.app.legal.evidence import (
    ZipBounds,
    check_zip_bounds,
    verify_bundle_file,
    verify_bundle_upload,
)
from dunwell.bootstrap import Dunwell
from dunwell.core.errors import InvalidInput
from dunwell.legal.bundle import BundleFile, pack_bundle

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

pytestmark = pytest.mark.sqlite_only(reason=(
    "a ZIP's bounds are checked before anything is read from or written to the database"))

ZIP = {"Content-Type": "application/zip"}


def bomb(member_bytes: int = 64 * 1024 * 1024, members: int = 1) -> bytes:
    """A small ZIP of zeros that expands ~1000 times."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for k in range(members):
            zf.writestr(f"zeros-{k}.bin", b"\0" * member_bytes)
    return buf.getvalue()


def many_members(count: int) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for k in range(count):
            zf.writestr(f"f{k}.txt", b"x")
    return buf.getvalue()


def genuine() -> bytes:
    return pack_bundle([BundleFile("a.csv", b"loan,amount\n1,100.00\n", "A section")],
                       referral_id=1, case_id="C-1",
                       generated_at="2025-01-15T10:00:00+08:00").zip_bytes


def shaped(r: Any, status: int, code: str) -> dict[str, Any]:
    assert r.status_code == status, r.text
    body: dict[str, Any] = r.json()
    assert {"error", "message", "field"} <= set(body) and body["error"] == code, body
    return body


def test_a_zip_bomb_is_refused_from_its_directory_at_once(
        client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    """Refused from the central directory: no member is ever opened to be read."""
    data = bomb()
    assert len(data) < 200_000
    opened: list[str] = []
    real_open = zipfile.ZipFile.open

    def recording_open(self: zipfile.ZipFile, name: Any, *args: Any, **kwargs: Any) -> Any:
        opened.append(str(getattr(name, "filename", name)))
        return real_open(self, name, *args, **kwargs)

    monkeypatch.setattr(zipfile.ZipFile, "open", recording_open)
    r = client.post("/v1/legal/bundles/verify", content=data, headers=ZIP)
    assert "more than 200 times" in shaped(r, 400, "bundle_must_be_bounded")["message"]
    assert opened == []


def test_a_zip_of_too_many_members_is_refused(app: Dunwell) -> None:
    few = dataclasses.replace(
        app, settings=app.settings.model_copy(update={"bundle_members_max": 50}))
    with TestClient(create_app(dunwell=few), headers=token_headers(few, "manager")) as http:
        r = http.post("/v1/legal/bundles/verify", content=many_members(51), headers=ZIP)
    assert "51 files, more than 50" in shaped(r, 400, "bundle_must_be_bounded")["message"]


def test_a_zip_expanding_beyond_the_total_is_refused(app: Dunwell) -> None:
    tight = dataclasses.replace(
        app, settings=app.settings.model_copy(update={"bundle_uncompressed_bytes_max": 4096}))
    with TestClient(create_app(dunwell=tight), headers=token_headers(tight, "manager")) as http:
        r = http.post("/v1/legal/bundles/verify", content=bomb(member_bytes=5000),
                      headers=ZIP)
    assert "expands to 5000 bytes" in shaped(r, 400, "bundle_must_be_bounded")["message"]


def test_an_upload_beyond_the_bundle_limit_is_413(app: Dunwell) -> None:
    small = dataclasses.replace(
        app, settings=app.settings.model_copy(update={"bundle_upload_bytes_max": 4096}))
    with TestClient(create_app(dunwell=small), headers=token_headers(small, "manager")) as http:
        r = http.post("/v1/legal/bundles/verify", content=b"PK" + b"\0" * 5000, headers=ZIP)
        shaped(r, 413, "request_body_must_be_bounded")
        ok = http.post("/v1/legal/bundles/verify", content=genuine(), headers=ZIP)
    assert ok.status_code == 200, ok.text


def test_the_bundle_route_takes_more_than_the_general_body_limit(client: TestClient) -> None:
    """A bundle of 2 MiB (beyond the 1 MiB of other routes) is read and checked."""
    payload = random.Random(7).randbytes(2 * 1024 * 1024)  # does not compress
    data = pack_bundle([BundleFile("big.bin", payload, "Bulk")], referral_id=1,
                       case_id="C-1", generated_at="2025-01-15T10:00:00+08:00").zip_bytes
    assert len(data) > 1024 * 1024
    r = client.post("/v1/legal/bundles/verify", content=data, headers=ZIP)
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["files_checked"] == 1 and out["problems"] == [] and out["registered"] is False


def test_not_a_zip_is_still_a_clear_400(client: TestClient) -> None:
    r = client.post("/v1/legal/bundles/verify", content=b"not a zip", headers=ZIP)
    shaped(r, 400, "bundle_must_be_a_zip")


def test_the_command_line_check_holds_the_same_bounds(tmp_path: Path) -> None:
    path = tmp_path / "bomb.zip"
    path.write_bytes(bomb())
    with pytest.raises(InvalidInput) as caught:
        verify_bundle_file(path)
    assert caught.value.code == "bundle_must_be_bounded"
    fine = tmp_path / "bundle.zip"
    fine.write_bytes(genuine())
    check_zip_bounds(fine, ZipBounds())
    assert verify_bundle_file(fine).intact


def test_the_check_runs_off_the_event_loop(app: Dunwell,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """While one check works, another request is answered: the check waits until the
    other request has its answer, which it could never get if the check held the event
    loop (then the check gives up waiting and the test fails; no clock is compared)."""
    real = verify_bundle_upload
    other_answered = threading.Event()
    check_started = threading.Event()
    seen: list[bool] = []

    def waiting(path: Path, *, bounds: ZipBounds) -> Any:
        check_started.set()
        seen.append(other_answered.wait(timeout=120))
        return real(path, bounds=bounds)

    monkeypatch.setattr(legal_api, "verify_bundle_upload", waiting)
    api = create_app(dunwell=app)

    async def race() -> tuple[int, int]:
        transport = httpx.ASGITransport(app=api)
        async with httpx.AsyncClient(transport=transport, base_url="http://t",
                                     headers=token_headers(app, "legal_counsel")) as http:
            check = asyncio.create_task(
                http.post("/v1/legal/bundles/verify", content=genuine(), headers=ZIP))
            while not check_started.is_set() and not check.done():
                await asyncio.sleep(0.01)
            other = await http.get("/v1/nowhere")
            other_answered.set()
            checked = await check
        return other.status_code, checked.status_code

    other_status, status = asyncio.run(race())
    assert other_status == 404
    assert status == 200
    assert seen == [True]  # the other request was answered while the check was working
