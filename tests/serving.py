"""The API served for real, by uvicorn on a free 127.0.0.1 port, for tests that need a
browser or a plain HTTP client rather than the in-process test client."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn

from dunwell.api.app import create_app
from dunwell.app.context import Dunwell


@contextmanager
def serve(app: Dunwell) -> Iterator[str]:
    """Serve ``app`` for the ``with`` block; yields its base URL."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(dunwell=app), host="127.0.0.1",
                                           port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(200):
        if server.started:
            break
        time.sleep(0.05)
    assert server.started, "the server did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
