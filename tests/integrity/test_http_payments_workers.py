"""Payments over HTTP with several server processes: ``dunwell serve --workers 2`` on
PostgreSQL. The same key sent at once to both workers posts once (one 201, the rest
200 replays); many payments on a few loans from concurrent clients, with the server
killed once, lose nothing and post nothing twice; ``book verify`` passes. On SQLite
``--workers`` is refused (one writer)."""

from __future__ import annotations

import os
import sys
import tempfile
import threading
import uuid
from collections import Counter
from pathlib import Path

import httpx
import pytest
from integrity_books import PG_ENV, fresh_url
from typer.testing import CliRunner

from dunwell.cli.main import app as cli

BENCH = Path(__file__).resolve().parents[2] / "bench"
if str(BENCH) not in sys.path:
    sys.path.insert(0, str(BENCH))

import stress_payments  # noqa: E402

needs_pg = pytest.mark.skipif(not os.environ.get(PG_ENV),
                              reason=f"several server processes need PostgreSQL: set {PG_ENV}")
WORKERS = 2
#: Clients sending the same key at the same moment.
RACERS = 6
#: A hang guard, not a deadline: a busy machine may hold a request for a minute.
HANG_S = 600


def test_workers_on_sqlite_are_refused(tmp_path: Path) -> None:
    book = tmp_path / "book.sqlite"
    result = CliRunner().invoke(cli, ["serve", "--dev", "--workers", "2", "--db",
                                      f"sqlite:///{book}"])
    assert result.exit_code == 2, result.output
    assert "[workers_must_use_postgresql]" in result.output
    assert "serving" not in result.output


@pytest.mark.slow
@needs_pg
def test_one_key_raced_across_workers_posts_once(tmp_path: Path) -> None:
    with fresh_url("postgres") as url:
        token = stress_payments.prepare_book(url, 4)
        server = stress_payments.Server(url, stress_payments.free_port(),
                                        tmp_path / "server.log", WORKERS)
        server.start()
        try:
            statuses = _race(f"http://{stress_payments.HOST}:{server.port}", token,
                             keys=[f"race-{uuid.uuid4().hex[:8]}-{k}" for k in range(8)])
        finally:
            server.stop()
        keys = stress_payments.count_keys(url, [])
        code, report = stress_payments.verify(url)
    for key, seen in statuses.items():
        assert seen == Counter({201: 1, 200: RACERS - 1}), (key, seen)
    assert keys["duplicated"] == 0 and keys["payments_in_table"] == len(statuses)
    assert code == 0 and report["ok"], report


def _race(base: str, token: str, keys: list[str]) -> dict[str, Counter[int]]:
    """Each key sent by ``RACERS`` clients released together (the keys spread over
    the book's loans, two keys a loan); the statuses each key got."""
    statuses: dict[str, Counter[int]] = {key: Counter() for key in keys}
    lock = threading.Lock()
    for k, key in enumerate(keys):
        start = threading.Barrier(RACERS)

        def send(key: str = key, loan: int = k % 4 + 1, start: threading.Barrier = start) -> None:
            with httpx.Client(headers={"Authorization": f"Bearer {token}"}) as client:
                start.wait(timeout=HANG_S)
                for _ in range(20):  # a 503 (loan busy) is sent again, same key
                    r = client.post(f"{base}/v1/loans/{loan}/payments",
                                    json={"amount": "12.34", "currency": "CNY"},
                                    headers={"Idempotency-Key": key}, timeout=HANG_S)
                    if r.status_code != 503:
                        break
                with lock:
                    statuses[key][r.status_code] += 1

        threads = [threading.Thread(target=send) for _ in range(RACERS)]
        for th in threads:
            th.start()
        for th in threads:
            th.join(timeout=2 * HANG_S)
    return statuses


@pytest.mark.slow
@needs_pg
def test_payments_on_few_loans_across_workers_with_a_kill_post_exactly_once() -> None:
    sizes = stress_payments.Sizes(payments=160, clients=8, kills=1, loans=6, conflicts=3)
    with fresh_url("postgres") as url, tempfile.TemporaryDirectory() as logs:
        result = stress_payments.run(sizes, url, workers=WORKERS, log_dir=Path(logs))
    assert result["kills_survived"] == sizes.kills
    assert (result["lost"], result["duplicated"], result["amount_changed"]) == (0, 0, 0)
    assert result["payments_in_table"] == sizes.payments
    assert result["conflicts_409"] == sizes.conflicts
    assert result["resent_replayed"] == result["resent"]
    assert result["unexpected"] == [] and result["gave_up"] == 0
    assert result["verify_exit"] == 0 and result["verify_ok"], result["verify_failed_checks"]
