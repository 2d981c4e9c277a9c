"""A fake SMS/e-mail provider for the channel tests: a real HTTP server on 127.0.0.1
that speaks the JSON APIs the adapters call, remembers what it actually sent, answers a repeated
``client_ref`` with the first id, and can be told to fail or hang the next requests."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

TOKEN = "test-token"
HANG = 0  # a scripted "status" that holds the answer until released


@dataclass
class FakeProvider:
    base_url: str = ""
    sent: list[dict[str, Any]] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)
    script: list[int] = field(default_factory=list)
    by_ref: dict[str, str] = field(default_factory=dict)
    release: threading.Event = field(default_factory=threading.Event)
    answered: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def fail_next(self, *statuses: int) -> None:
        self.script.extend(statuses)

    def handle(self, path: str, headers: dict[str, str], body: dict[str, Any],
               ) -> tuple[int, dict[str, Any]]:
        with self.lock:
            self.requests.append({"path": path, "headers": headers, "body": body})
            scripted = self.script.pop(0) if self.script else None
        if headers.get("authorization") != f"Bearer {TOKEN}":
            return 401, {"error": "unauthorized"}
        if scripted == HANG:
            self.release.wait(timeout=10)
        elif scripted is not None:
            return scripted, {"error": f"scripted {scripted}"}
        with self.lock:
            ref = body["client_ref"]
            if ref in self.by_ref:
                return 200, {"id": self.by_ref[ref], "status": "duplicate"}
            message_id = f"fake-{len(self.sent) + 1}"
            self.by_ref[ref] = message_id
            self.sent.append({"id": message_id, "path": path, **body})
            return 202, {"id": message_id, "status": "queued"}


def make_handler(fake: FakeProvider) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = json.loads(self.rfile.read(length) or b"{}")
            headers = {k.lower(): v for k, v in self.headers.items()}
            if self.path not in ("/v1/messages", "/v1/emails"):
                status, answer = 404, {"error": "no such endpoint"}
            else:
                status, answer = fake.handle(self.path, headers, body)
            data = json.dumps(answer).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except OSError:  # the client gave up waiting (a timeout test)
                pass
            finally:
                fake.answered.set()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler
