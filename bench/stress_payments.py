"""Payments over HTTP while the server is killed: none lost, none posted twice.

Opens a book on PostgreSQL (a fresh schema, dropped afterwards, unless ``--keep``)
with a few hundred loans, starts the real ``dunwell serve`` on 127.0.0.1 as a
subprocess, and sends ``POST /v1/loans/{id}/payments`` from concurrent clients
(threads with keep-alive httpx clients). Each payment has its own idempotency key;
one in ten is sent again after it was answered (expect 200, a replay) and a few keys
are sent again with another amount (expect 409). The server is SIGKILLed at seeded
random moments and started again; clients send the same request again after a
connection error or a 503, with the same key, so a payment whose answer was lost
with the server becomes a replay.

Afterwards ``dunwell book verify`` must pass and the payments table must hold every
key exactly once with its first amount: lost 0, duplicated 0. Prints payments/s,
kills survived, lost and duplicated, and writes ``bench/out/stress.json``.

    .venv/bin/python bench/stress_payments.py --db postgresql+psycopg://.../test
        [--payments 10000 --clients 16 --kills 10 --seed 29]

Every loop is bounded: a payment is sent at most ``SENDS_MAX`` times and gives up
after ``JOB_SECONDS_MAX``; the server must answer within ``START_TIMEOUT_S`` of a
start.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import queue
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import httpx
import sqlalchemy as sa
from sqlalchemy.engine import make_url

HOST = "127.0.0.1"
OUT = Path(__file__).resolve().parent / "out" / "stress.json"
START = dt.date(2025, 1, 15)
START_TIMEOUT_S = 90.0
REQUEST_TIMEOUT_S = 15.0
SENDS_MAX = 2_000
JOB_SECONDS_MAX = 300.0
BACKOFF_CAP_S = 0.5
DEFAULT_DB = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@dataclass(frozen=True)
class Sizes:
    payments: int = 10_000
    clients: int = 16
    kills: int = 10
    loans: int = 400
    resend_share: float = 0.10
    conflicts: int = 10
    seed: int = 29


SMALL = Sizes(payments=300, clients=8, kills=2, loans=40, conflicts=3)


@dataclass(frozen=True)
class Job:
    key: str
    loan_id: int
    amount_minor: int
    resend: bool  # sent again after its answer: expect a replay
    conflict: bool  # sent again with another amount: expect 409


@dataclass
class Tally:
    """What the clients saw, summed over threads (guarded by ``lock``)."""

    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    first: Counter[int] = field(default_factory=Counter)  # status of each job's answer
    resent: Counter[int] = field(default_factory=Counter)
    conflicting: Counter[int] = field(default_factory=Counter)
    connection_retries: int = 0
    busy_retries: int = 0
    gave_up: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    done: int = 0


def money(minor: int) -> str:
    return f"{minor // 100}.{minor % 100:02d}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def plan(sizes: Sizes) -> list[Job]:
    rng = random.Random(sizes.seed)
    run = uuid.uuid4().hex[:8]
    conflicts = set(rng.sample(range(sizes.payments), min(sizes.conflicts, sizes.payments)))
    return [Job(key=f"stress-{run}-{i}", loan_id=rng.randint(1, sizes.loans),
                amount_minor=rng.randint(100, 3_000),
                resend=rng.random() < sizes.resend_share, conflict=i in conflicts)
            for i in range(sizes.payments)]


def prepare_book(db_url: str, loans: int) -> str:
    """Open the book, disburse ``loans`` loans of 500,000.00 (far more than the run
    pays, so no loan closes) and close the first 35 days; the API token of the manager
    the clients post payments as."""
    from dunwell.app.cob import close_until
    from dunwell.app.identity.accounts import add_user
    from dunwell.app.identity.tokens import create_token
    from dunwell.app.lending.book import LoanRequest, disburse, open_book, register_product
    from dunwell.bootstrap import bootstrap
    from dunwell.lending.products import builtin_product_texts
    from dunwell.settings import Settings

    app = bootstrap(Settings(db_url=db_url, log_level="WARNING", partitions=8))
    with app.uow() as uow:
        open_book(uow, business_date=START, partitions=8, currency="CNY")
        for text in builtin_product_texts():
            register_product(uow, text)
        disburse(uow, [LoanRequest(k + 1, "merchant_annuity_12m", 50_000_000, 12)
                       for k in range(loans)])
        uow.commit()
    close_until(app, START + dt.timedelta(days=34))
    now = dt.datetime.now(dt.UTC)
    add_user(app, name="stress-manager", role="manager", now=now, by="bench")
    token = create_token(app, name="stress-manager", now=now, days=1, by="bench").token
    app.engine.dispose()
    return token


class Server:
    """``dunwell serve`` as a subprocess that can be killed and started again."""

    def __init__(self, db_url: str, port: int, log: Path, workers: int = 1) -> None:
        self.db_url, self.port, self.log, self.workers = db_url, port, log, workers
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self) -> None:
        cmd = [sys.executable, "-m", "dunwell.cli.main", "serve", "--host", HOST, "--port",
               str(self.port), "--db", self.db_url, "--dev"]  # development secrets
        if self.workers > 1:
            cmd += ["--workers", str(self.workers)]
        env = {**os.environ, "DUNWELL_LOG_LEVEL": "WARNING"}
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env,
                                         start_new_session=True)
        self.starts += 1
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                tail = self.log.read_text(errors="replace")[-2000:]
                raise RuntimeError(f"the server exited with {self.proc.returncode}: {tail}")
            try:
                with socket.create_connection((HOST, self.port), timeout=0.5) as s:
                    s.sendall(b"GET /openapi.json HTTP/1.1\r\nHost: x\r\n"
                              b"Connection: close\r\n\r\n")
                    if s.recv(16).startswith(b"HTTP/1.1 200"):
                        return
            except OSError:
                time.sleep(0.1)
        self.kill()
        raise RuntimeError(f"the server did not answer within {START_TIMEOUT_S:.0f} s")

    def kill(self) -> None:
        """SIGKILL the server and its workers (one process group)."""
        if self.proc is None or self.proc.poll() is not None:
            return
        with suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=30)

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.kill()


def send(client: httpx.Client, base: str, job: Job, amount_minor: int, tally: Tally) -> int:
    """POST one payment until the server answers it (not 503); its status code, or 0
    when it gave up."""
    body = {"amount": money(amount_minor), "currency": "CNY", "kind": "regular"}
    headers = {"Idempotency-Key": job.key}
    deadline = time.monotonic() + JOB_SECONDS_MAX
    pause = 0.02
    for _ in range(SENDS_MAX):
        if time.monotonic() > deadline:
            break
        try:
            r = client.post(f"{base}/v1/loans/{job.loan_id}/payments", json=body,
                            headers=headers, timeout=REQUEST_TIMEOUT_S)
        except httpx.TransportError:
            with tally.lock:
                tally.connection_retries += 1
            time.sleep(pause)
            pause = min(BACKOFF_CAP_S, pause * 2)
            continue
        if r.status_code == 503:
            with tally.lock:
                tally.busy_retries += 1
            wait = float(r.headers.get("Retry-After", "0") or 0)
            time.sleep(min(BACKOFF_CAP_S, max(wait, pause)))
            pause = min(BACKOFF_CAP_S, pause * 2)
            continue
        return r.status_code
    with tally.lock:
        tally.gave_up.append(job.key)
    return 0


def client_loop(base: str, jobs: queue.Queue[Job], tally: Tally, token: str) -> None:
    with httpx.Client(headers={"Authorization": f"Bearer {token}"}) as client:
        while True:
            try:
                job = jobs.get_nowait()
            except queue.Empty:
                return
            status = send(client, base, job, job.amount_minor, tally)
            resent = send(client, base, job, job.amount_minor, tally) if job.resend else None
            other = send(client, base, job, job.amount_minor + 1, tally) if job.conflict else None
            with tally.lock:
                tally.first[status] += 1
                if status not in (200, 201):
                    tally.unexpected.append(f"{job.key}: {status}")
                if resent is not None:
                    tally.resent[resent] += 1
                    if resent != 200:
                        tally.unexpected.append(f"{job.key} sent again: {resent}")
                if other is not None:
                    tally.conflicting[other] += 1
                    if other != 409:
                        tally.unexpected.append(f"{job.key} with another amount: {other}")
                tally.done += 1


def killer(server: Server, sizes: Sizes, tally: Tally, stop: threading.Event,
           survived: list[float]) -> None:
    """SIGKILL the server when the run reaches seeded random points, then start it."""
    rng = random.Random(sizes.seed + 1)
    top = max(2, sizes.payments * 9 // 10)
    points = sorted(rng.sample(range(1, top), min(sizes.kills, top - 1)))
    for point in points:
        while not stop.is_set():
            with tally.lock:
                if tally.done >= point:
                    break
            time.sleep(0.01)
        if stop.is_set():
            return
        time.sleep(rng.uniform(0, 0.2))  # land anywhere within a request
        began = time.monotonic()
        server.kill()
        server.start()
        survived.append(time.monotonic() - began)


def verify(db_url: str) -> tuple[int, dict[str, Any]]:
    out = subprocess.run([sys.executable, "-m", "dunwell.cli.main", "book", "verify", "--json",
                          "--db", db_url], capture_output=True, text=True, timeout=600,
                         check=False)
    try:
        report = json.loads(out.stdout)
    except json.JSONDecodeError:
        report = {"ok": False, "output": out.stdout[-2000:] + out.stderr[-2000:]}
    return out.returncode, report


class Keyed(Protocol):
    """A payment sent: its key and first amount."""

    @property
    def key(self) -> str: ...

    @property
    def amount_minor(self) -> int: ...


def count_keys(db_url: str, jobs: Sequence[Keyed]) -> dict[str, int]:
    """Lost (a key missing), duplicated (a key or its entry twice) and amount changed."""
    engine = sa.create_engine(db_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(sa.text(
                "SELECT idempotency_key, count(*), min(amount_minor), max(amount_minor), "
                "count(DISTINCT entry_id) FROM payments GROUP BY idempotency_key")).all()
    finally:
        engine.dispose()
    seen = {r[0]: r for r in rows}
    lost = sum(1 for j in jobs if j.key not in seen)
    duplicated = sum(1 for r in rows if r[1] > 1 or r[4] > 1)
    changed = sum(1 for j in jobs if j.key in seen
                  and (seen[j.key][2], seen[j.key][3]) != (j.amount_minor, j.amount_minor))
    strays = len(set(seen) - {j.key for j in jobs})
    return {"lost": lost, "duplicated": duplicated, "amount_changed": changed,
            "keys_not_sent": strays, "payments_in_table": sum(r[1] for r in rows)}


def run(sizes: Sizes, db_url: str, *, workers: int = 1,
        log_dir: Path | None = None) -> dict[str, Any]:
    """The whole stress run on the (empty) database at ``db_url``; returns the figures."""
    token = prepare_book(db_url, sizes.loans)
    jobs = plan(sizes)
    work: queue.Queue[Job] = queue.Queue()
    for job in jobs:
        work.put(job)
    tally = Tally()
    port = free_port()
    with tempfile.TemporaryDirectory(dir=log_dir) as tmp:
        server = Server(db_url, port, Path(tmp) / "server.log", workers)
        server.start()
        stop = threading.Event()
        survived: list[float] = []
        base = f"http://{HOST}:{port}"
        clients = [threading.Thread(target=client_loop, args=(base, work, tally, token),
                                    daemon=True)
                   for _ in range(sizes.clients)]
        kill_thread = threading.Thread(target=killer, args=(server, sizes, tally, stop, survived),
                                       daemon=True)
        began = time.monotonic()
        for th in clients:
            th.start()
        kill_thread.start()
        for th in clients:
            th.join(timeout=JOB_SECONDS_MAX * 4 + sizes.payments)
        elapsed = time.monotonic() - began
        stop.set()
        kill_thread.join(timeout=START_TIMEOUT_S * 2)
        server.stop()
        hung = sum(th.is_alive() for th in clients)
    verify_code, report = verify(db_url)
    keys = count_keys(db_url, jobs)
    posted = tally.first[201] + tally.first[200]
    return {
        "payments": sizes.payments, "clients": sizes.clients, "loans": sizes.loans,
        "seed": sizes.seed, "workers": workers,
        "elapsed_s": round(elapsed, 2),
        "payments_per_s": round(posted / elapsed, 1) if elapsed else 0.0,
        "kills_planned": sizes.kills, "kills_survived": len(survived),
        "restart_s_max": round(max(survived, default=0.0), 2),
        "answered_201": tally.first[201], "answered_200_after_lost_answer": tally.first[200],
        "resent": sum(tally.resent.values()), "resent_replayed": tally.resent[200],
        "conflicts": sum(tally.conflicting.values()), "conflicts_409": tally.conflicting[409],
        "connection_retries": tally.connection_retries, "busy_retries": tally.busy_retries,
        "gave_up": len(tally.gave_up), "unexpected": tally.unexpected[:20],
        "clients_hung": hung,
        **keys,
        "verify_exit": verify_code, "verify_ok": bool(report.get("ok")),
        "verify_failed_checks": [c for c in report.get("checks", []) if not c.get("ok")],
    }


@contextmanager
def fresh_schema(base_url: str) -> Iterator[str]:
    """A new schema in the database at ``base_url`` for one run, dropped afterwards."""
    base = make_url(base_url)
    schema = f"stress_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(base)
    try:
        with admin.begin() as conn:
            conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
        yield base.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
            hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        admin.dispose()


def passed(result: dict[str, Any]) -> bool:
    return (result["lost"] == 0 and result["duplicated"] == 0 and result["amount_changed"] == 0
            and result["verify_ok"] and result["verify_exit"] == 0 and not result["unexpected"]
            and result["gave_up"] == 0 and result["clients_hung"] == 0)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", default=os.environ.get("DUNWELL_STRESS_POSTGRES_URL", DEFAULT_DB),
                    help="PostgreSQL URL; the run uses a fresh schema in it")
    ap.add_argument("--payments", type=int, default=Sizes.payments)
    ap.add_argument("--clients", type=int, default=Sizes.clients)
    ap.add_argument("--kills", type=int, default=Sizes.kills)
    ap.add_argument("--loans", type=int, default=Sizes.loans)
    ap.add_argument("--conflicts", type=int, default=Sizes.conflicts)
    ap.add_argument("--seed", type=int, default=Sizes.seed)
    ap.add_argument("--workers", type=int, default=1, help="server worker processes")
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args(argv)
    sizes = Sizes(payments=args.payments, clients=args.clients, kills=args.kills,
                  loans=args.loans, conflicts=args.conflicts, seed=args.seed)
    with fresh_schema(args.db) as url:
        result = run(sizes, url, workers=args.workers)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"stress_payments": result}, indent=2) + "\n")
    print(f"payments {result['payments']} from {result['clients']} clients in "
          f"{result['elapsed_s']} s: {result['payments_per_s']} payments/s")
    print(f"kills survived {result['kills_survived']} of {result['kills_planned']}; "
          f"lost {result['lost']}; duplicated {result['duplicated']}; "
          f"replays {result['resent_replayed']}/{result['resent']}; "
          f"conflicts 409 {result['conflicts_409']}/{result['conflicts']}; "
          f"book verify {'ok' if result['verify_ok'] else 'FAILED'}")
    print(f"wrote {args.out}")
    return 0 if passed(result) else 1


if __name__ == "__main__":
    raise SystemExit(main())
