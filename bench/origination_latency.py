"""Origination latency: the real server under an open-loop load of applications.

Starts ``dunwell serve`` (uvicorn, one process, a SQLite file in a temporary
directory) as a subprocess, then sends ``POST /v1/applications`` at a fixed rate over
keep-alive connections (asyncio streams), each a distinct application: merchants with
a year of transaction records, consumers with income history, a few thin files and
over-indebted ones. Latency runs from each request's *scheduled* send time to the last
byte of its response, so time spent queued behind a slow response counts. The
warm-up's requests are sent but not counted. Reports p50/p95/p99/max, the achieved
throughput and the server's CPU time per request.

    .venv/bin/python bench/origination_latency.py [--rate 500 --seconds 15]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import gc
import json
import math
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

HOST = "127.0.0.1"
TARGET_P99_MS = 20.0
START_TIMEOUT_S = 60.0
BUSINESS_DATE = dt.date(2025, 1, 15)


@dataclass(frozen=True)
class Sizes:
    rate: int = 500  # requests per second, open loop
    seconds: float = 15.0  # measured
    warmup_seconds: float = 3.0  # sent first, not counted
    connections: int = 32
    seed: int = 11


QUICK = Sizes(rate=100, seconds=2.0, warmup_seconds=1.0, connections=8)


def prepare_book(db_url: str) -> str:
    """Open the book and make the manager the load signs in as; their API token."""
    from dunwell.app.identity.accounts import add_user
    from dunwell.app.identity.tokens import create_token
    from dunwell.app.lending.book import open_book, register_product
    from dunwell.bootstrap import bootstrap
    from dunwell.lending.products import builtin_product_texts
    from dunwell.settings import Settings

    app = bootstrap(Settings(db_url=db_url, log_level="WARNING"))
    with app.uow() as uow:
        open_book(uow, business_date=BUSINESS_DATE, partitions=8, currency="CNY")
        for text in builtin_product_texts():
            register_product(uow, text)
        uow.commit()
    now = dt.datetime.now(dt.UTC)
    add_user(app, name="bench-manager", role="manager", now=now, by="bench")
    token = create_token(app, name="bench-manager", now=now, days=1, by="bench").token
    app.engine.dispose()
    return token


def money(minor: int) -> str:
    return f"{minor // 100}.{minor % 100:02d}"


def merchant_body(i: int, rng: random.Random) -> dict[str, Any]:
    months = rng.choice((12, 12, 12, 18, 24)) if rng.random() > 0.05 else rng.randint(1, 2)
    base = rng.randint(2_000_000, 20_000_000)  # monthly sales, fen
    growth = rng.uniform(-0.03, 0.05)
    season = rng.uniform(0.0, 0.4)
    refund_share = rng.choice((0.005, 0.01, 0.02, 0.05, 0.12))
    records = []
    first = dt.date(2024, 12, 1)
    for back in range(months, 0, -1):
        m = (first.month - back) % 12 + 1
        y = first.year + (first.month - back - 1) // 12
        level = base * (1 + growth) ** (months - back) * (1 + season * ((m % 12) in (10, 11, 0)))
        for day in (2, 6, 9, 13, 16, 20, 23, 27):
            amount = int(level / 8 * rng.uniform(0.7, 1.3))
            records.append({"date": f"{y}-{m:02d}-{day:02d}", "amount": money(amount),
                            "kind": "sale"})
        if rng.random() < 0.8:
            records.append({"date": f"{y}-{m:02d}-15", "kind": "refund",
                            "amount": money(max(100, int(level * refund_share)))})
    expenses = int(base * rng.uniform(0.35, 0.7))
    debts = int((base - expenses) * rng.choice((0.0, 0.05, 0.15, 0.3, 0.55)))
    return {"applicant": {"kind": "merchant", "reference": f"m-{i:06d}",
                          "name": f"Merchant {i}", "language": rng.choice(("en", "zh-CN"))},
            "currency": "CNY", "requested_amount": money(rng.randint(100, 3000) * 10_000),
            "term_months": rng.choice((12, 12, 3, 1)), "purpose": rng.choice(
                ("working_capital", "inventory", "equipment")),
            "monthly_expenses": money(expenses), "existing_debt_payments": money(debts),
            "transactions": records}


def consumer_body(i: int, rng: random.Random) -> dict[str, Any]:
    income = rng.randint(400_000, 3_000_000)
    months = rng.choice((2, 6, 12, 12, 12))
    wobble = rng.choice((0.02, 0.1, 0.3))
    history = [money(int(income * rng.uniform(1 - wobble, 1 + wobble))) for _ in range(months)]
    return {"applicant": {"kind": "consumer", "reference": f"c-{i:06d}",
                          "name": f"Customer {i}", "language": rng.choice(("en", "zh-CN"))},
            "currency": "CNY", "requested_amount": money(rng.randint(20, 800) * 10_000),
            "term_months": rng.choice((6, 6, 1)), "purpose": rng.choice(
                ("personal", "education", "medical")),
            "monthly_income": money(income), "monthly_expenses": money(
                int(income * rng.uniform(0.3, 0.8))),
            "existing_debt_payments": money(int(income * rng.choice((0.0, 0.1, 0.3, 0.6)))),
            "income_history": history}


def requests_for(count: int, port: int, seed: int, token: str = "") -> list[bytes]:
    rng = random.Random(seed)
    auth = f"Authorization: Bearer {token}\r\n" if token else ""
    out = []
    for i in range(count):
        body = merchant_body(i, rng) if rng.random() < 0.7 else consumer_body(i, rng)
        data = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
        head = (f"POST /v1/applications HTTP/1.1\r\nHost: {HOST}:{port}\r\n"
                f"Content-Type: application/json\r\nIdempotency-Key: bench-{seed}-{i}\r\n"
                f"{auth}Content-Length: {len(data)}\r\n\r\n").encode()
        out.append(head + data)
    return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def start_server(db_url: str, port: int, log: Path) -> subprocess.Popen[bytes]:
    cmd = [sys.executable, "-m", "dunwell.cli.main", "serve", "--host", HOST, "--port",
           str(port), "--db", db_url, "--dev"]  # a throwaway book on development secrets
    env = {**os.environ, "DUNWELL_LOG_LEVEL": "WARNING"}
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env)
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited with {proc.returncode}: "
                               f"{log.read_text(errors='replace')[-2000:]}")
        try:
            with socket.create_connection((HOST, port), timeout=0.5) as s:
                s.sendall(b"GET /openapi.json HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                if s.recv(16).startswith(b"HTTP/1.1 200"):
                    return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError(f"the server did not answer within {START_TIMEOUT_S:.0f} s")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def drive(port: int, requests: list[bytes], sizes: Sizes,
                tick: Callable[[int], None]) -> list[tuple[float, float, int, bytes]]:
    """Send ``requests`` open-loop at ``sizes.rate``; (due, done, status, body) each."""
    loop = asyncio.get_running_loop()
    idle: asyncio.Queue[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = asyncio.Queue()
    for _ in range(sizes.connections):
        idle.put_nowait(await asyncio.open_connection(HOST, port))
    results: list[tuple[float, float, int, bytes]] = []

    async def one(request: bytes, due: float) -> None:
        reader, writer = await idle.get()
        writer.write(request)
        head = await reader.readuntil(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n"):
            if line[:15].lower() == b"content-length:":
                length = int(line[15:])
        body = await reader.readexactly(length)
        results.append((due, loop.time(), int(head[9:12]), body))
        idle.put_nowait((reader, writer))
        tick(1)

    start = loop.time() + 0.05
    tasks = []
    for i, request in enumerate(requests):
        due = start + i / sizes.rate
        delay = due - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(request, due)))
    await asyncio.gather(*tasks)
    while not idle.empty():
        idle.get_nowait()[1].close()
    return results


def percentile(sorted_ms: list[float], q: float) -> float:
    if not sorted_ms:
        return float("nan")
    rank = math.ceil(q * len(sorted_ms))  # nearest rank
    return sorted_ms[min(len(sorted_ms), max(1, rank)) - 1]


def run(sizes: Sizes = Sizes(), tick: Callable[[str, int], None] | None = None) -> dict[str, Any]:
    step = tick or (lambda _s, _n: None)
    warm = int(sizes.rate * sizes.warmup_seconds)
    total = warm + int(sizes.rate * sizes.seconds)
    with tempfile.TemporaryDirectory(prefix="dunwell-latency-") as tmp:
        db_url = f"sqlite:///{Path(tmp) / 'book.sqlite'}"
        token = prepare_book(db_url)
        port = free_port()
        requests = requests_for(total, port, sizes.seed, token)
        step("prepare", 1)
        proc = start_server(db_url, port, Path(tmp) / "server.log")
        try:
            step("start", 1)
            cpu0 = cpu_seconds(proc.pid)
            gc.collect()
            gc.disable()  # a collector pause here would be charged to the server
            try:
                results = asyncio.run(drive(port, requests, sizes, lambda n: step("load", n)))
            finally:
                gc.enable()
            cpu1 = cpu_seconds(proc.pid)
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
    results.sort(key=lambda r: r[0])
    measured = results[warm:]
    ms = sorted((done - due) * 1e3 for due, done, _, _ in measured)
    statuses = Counter(str(s) for _, _, s, _ in measured)
    outcomes = Counter(json.loads(b).get("outcome", "error") for _, _, _, b in measured)
    span = max(d for _, d, _, _ in measured) - measured[0][0] if measured else float("nan")
    p99 = percentile(ms, 0.99)
    return {
        "sizes": asdict(sizes), "requests": len(measured), "warmup_requests": warm,
        "statuses": dict(statuses), "outcomes": dict(outcomes),
        "p50_ms": percentile(ms, 0.50), "p95_ms": percentile(ms, 0.95), "p99_ms": p99,
        "max_ms": ms[-1] if ms else float("nan"),
        "achieved_rps": len(measured) / span if span else float("nan"),
        "server_cpu_ms_per_request": (cpu1 - cpu0) * 1e3 / len(results),
        "target_p99_ms": TARGET_P99_MS,
        "meets_target": bool(p99 <= TARGET_P99_MS and statuses.keys() <= {"201"}),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rate", type=int, default=Sizes.rate)
    ap.add_argument("--seconds", type=float, default=Sizes.seconds)
    ap.add_argument("--warmup", type=float, default=Sizes.warmup_seconds)
    ap.add_argument("--connections", type=int, default=Sizes.connections)
    ap.add_argument("--seed", type=int, default=Sizes.seed)
    ap.add_argument("--quick", action="store_true", help="100 req/s for 2 s: a smoke run")
    ap.add_argument("--out", type=Path, help="also write the JSON line here")
    args = ap.parse_args(argv)
    sizes = QUICK if args.quick else Sizes(args.rate, args.seconds, args.warmup,
                                           args.connections, args.seed)
    result = run(sizes)
    result["command"] = " ".join(["bench/origination_latency.py", *sys.argv[1:]])
    line = json.dumps(result, sort_keys=True)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(line + "\n", encoding="utf-8")
    print(line)
    return 0 if result["meets_target"] else 1


if __name__ == "__main__":
    sys.exit(main())
