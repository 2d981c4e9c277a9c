"""Origination latency: the real server under an open-loop load of applications.

Starts ``dunwell serve`` (uvicorn; ``--workers K`` processes on a PostgreSQL book in a
schema of its own, or one process on a SQLite file) as a subprocess, then sends
``POST /v1/applications`` at fixed rates over keep-alive connections (asyncio
streams), each a distinct application: merchants with a year of transaction records,
consumers with income history, a few thin files and over-indebted ones. Latency runs
from each request's *scheduled* send time to the last byte of its response, so time
spent queued behind a slow response counts (no coordinated omission). Each rate's
warm-up is sent but not counted. For each rate: p50/p95/p99/max, the achieved
throughput, the server's CPU time per decision (every server process), the database
backends' CPU per decision (PostgreSQL on this machine) and the load generator's own.

Ratios: p99 against the 20 ms target, server CPU against the 1 ms target and against
the baseline measured in the same run (the same work in-process: parse, decide,
store, answer, without HTTP). The HTTP floor, ``GET /v1/me`` (authenticated, nothing
else) at the same rates, shows what the framework costs before any decision.

    .venv/bin/python bench/origination_latency.py [--db postgresql --workers 2
        --rates 100,300,500 --seconds 10]     # writes bench/out/origination_latency.json
    .venv/bin/python bench/origination_latency.py --quick   # SQLite, 100 req/s, 2 s
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
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
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

HOST = "127.0.0.1"
TARGET_P99_MS = 20.0
TARGET_CPU_MS = 1.0  # server CPU per decision
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
            records.append(
                {"date": f"{y}-{m:02d}-{day:02d}", "amount": money(amount), "kind": "sale"}
            )
        if rng.random() < 0.8:
            records.append(
                {
                    "date": f"{y}-{m:02d}-15",
                    "kind": "refund",
                    "amount": money(max(100, int(level * refund_share))),
                }
            )
    expenses = int(base * rng.uniform(0.35, 0.7))
    debts = int((base - expenses) * rng.choice((0.0, 0.05, 0.15, 0.3, 0.55)))
    return {
        "applicant": {
            "kind": "merchant",
            "reference": f"m-{i:06d}",
            "name": f"Merchant {i}",
            "language": rng.choice(("en", "zh-CN")),
        },
        "currency": "CNY",
        "requested_amount": money(rng.randint(100, 3000) * 10_000),
        "term_months": rng.choice((12, 12, 3, 1)),
        "purpose": rng.choice(("working_capital", "inventory", "equipment")),
        "monthly_expenses": money(expenses),
        "existing_debt_payments": money(debts),
        "transactions": records,
    }


def consumer_body(i: int, rng: random.Random) -> dict[str, Any]:
    income = rng.randint(400_000, 3_000_000)
    months = rng.choice((2, 6, 12, 12, 12))
    wobble = rng.choice((0.02, 0.1, 0.3))
    history = [money(int(income * rng.uniform(1 - wobble, 1 + wobble))) for _ in range(months)]
    return {
        "applicant": {
            "kind": "consumer",
            "reference": f"c-{i:06d}",
            "name": f"Customer {i}",
            "language": rng.choice(("en", "zh-CN")),
        },
        "currency": "CNY",
        "requested_amount": money(rng.randint(20, 800) * 10_000),
        "term_months": rng.choice((6, 6, 1)),
        "purpose": rng.choice(("personal", "education", "medical")),
        "monthly_income": money(income),
        "monthly_expenses": money(int(income * rng.uniform(0.3, 0.8))),
        "existing_debt_payments": money(int(income * rng.choice((0.0, 0.1, 0.3, 0.6)))),
        "income_history": history,
    }


def requests_for(
    count: int, port: int, seed: int, token: str = "", prefix: str = ""
) -> list[bytes]:
    """``count`` distinct applications as raw HTTP requests; ``prefix`` keeps the
    references and keys of one phase apart from another's on the same book."""
    rng = random.Random(seed)
    auth = f"Authorization: Bearer {token}\r\n" if token else ""
    out = []
    for i in range(count):
        body = merchant_body(i, rng) if rng.random() < 0.7 else consumer_body(i, rng)
        if prefix:
            body["applicant"]["reference"] = f"{prefix}{body['applicant']['reference']}"
        data = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
        head = (
            f"POST /v1/applications HTTP/1.1\r\nHost: {HOST}:{port}\r\n"
            f"Content-Type: application/json\r\nIdempotency-Key: bench-{prefix}{seed}-{i}"
            f"\r\n{auth}Content-Length: {len(data)}\r\n\r\n"
        ).encode()
        out.append(head + data)
    return out


def floor_requests(count: int, port: int, token: str) -> list[bytes]:
    """The HTTP floor: ``GET /v1/me``, authenticated like the decisions and doing
    nothing else (the framework, the middleware and the token check)."""
    one = (
        f"GET /v1/me HTTP/1.1\r\nHost: {HOST}:{port}\r\nAuthorization: Bearer {token}\r\n\r\n"
    ).encode()
    return [one] * count


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def start_server(db_url: str, port: int, log: Path, workers: int = 1) -> subprocess.Popen[bytes]:
    cmd = [
        sys.executable,
        "-m",
        "dunwell.cli.main",
        "serve",
        "--host",
        HOST,
        "--port",
        str(port),
        "--db",
        db_url,
        "--dev",
    ]  # a throwaway book on development secrets
    if workers > 1:
        cmd += ["--workers", str(workers)]
    env = {**os.environ, "DUNWELL_LOG_LEVEL": "WARNING"}
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env)
    deadline = time.monotonic() + START_TIMEOUT_S * max(1, workers)
    answered = 0
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(
                f"the server exited with {proc.returncode}: "
                f"{log.read_text(errors='replace')[-2000:]}"
            )
        try:
            with socket.create_connection((HOST, port), timeout=2.0) as s:
                s.sendall(b"GET /openapi.json HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                if s.recv(16).startswith(b"HTTP/1.1 200"):
                    answered += 1
                    if answered >= 4 * workers:  # every worker is up (connections spread)
                        return proc
                    continue
        except OSError:
            pass
        time.sleep(0.1)
    proc.kill()
    raise RuntimeError(f"the server did not answer within {START_TIMEOUT_S:.0f} s")


def _stat(pid: int) -> list[str] | None:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None


def cpu_seconds(pid: int) -> float:
    """User + system CPU of one process."""
    fields = _stat(pid)
    return 0.0 if fields is None else (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def tree_pids(root: int) -> list[int]:
    """``root`` and every process below it (the server's workers)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            fields = _stat(int(entry.name))
            if fields is not None:
                children.setdefault(int(fields[1]), []).append(int(entry.name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, ()))
    return found


def tree_cpu(pids: list[int]) -> float:
    return sum(cpu_seconds(pid) for pid in pids)


def database_pids(db_url: str, application: str) -> list[int]:
    """The PostgreSQL backends serving connections named ``application`` (the server's
    pool), when the database runs on this machine."""
    from sqlalchemy import create_engine, text

    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                text("SELECT pid FROM pg_stat_activity WHERE application_name = :a"),
                {"a": application},
            ).all()
    finally:
        engine.dispose()
    return [int(r[0]) for r in rows if Path(f"/proc/{int(r[0])}").exists()]


async def drive(
    port: int, requests: list[bytes], sizes: Sizes, tick: Callable[[int], None]
) -> list[tuple[float, float, int, bytes]]:
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


def summarise_load(
    results: list[tuple[float, float, int, bytes]],
    rate: int,
    cpu_s: float,
    db_cpu_s: float | None,
    gen_cpu_s: float,
) -> dict[str, Any]:
    """Latency (from each request's scheduled send time), throughput and CPU of one
    measured load."""
    results = sorted(results, key=lambda r: r[0])
    ms = sorted((done - due) * 1e3 for due, done, _, _ in results)
    statuses = Counter(str(s) for _, _, s, _ in results)
    outcomes = Counter(
        json.loads(b).get("outcome", "error") for _, _, _, b in results if b.startswith(b"{")
    )
    span = max(d for _, d, _, _ in results) - results[0][0] if results else float("nan")
    p99 = percentile(ms, 0.99)
    n = len(results) or 1
    out = {
        "rate": rate,
        "requests": len(results),
        "statuses": dict(statuses),
        "outcomes": dict(outcomes),
        "p50_ms": percentile(ms, 0.50),
        "p95_ms": percentile(ms, 0.95),
        "p99_ms": p99,
        "max_ms": ms[-1] if ms else float("nan"),
        "achieved_rps": len(results) / span if span else float("nan"),
        "server_cpu_ms_per_request": cpu_s * 1e3 / n,
        "generator_cpu_ms_per_request": gen_cpu_s * 1e3 / n,
        "p99_vs_target": p99 / TARGET_P99_MS,
        "meets_target": bool(p99 <= TARGET_P99_MS and statuses.keys() <= {"200", "201"}),
    }
    if db_cpu_s is not None:
        out["database_cpu_ms_per_request"] = db_cpu_s * 1e3 / n
    return out


def load(
    port: int,
    requests: list[bytes],
    sizes: Sizes,
    warm: int,
    server: list[int],
    db: tuple[str, str] | None,
    tick: Callable[[int], None],
) -> dict[str, Any]:
    """Send ``warm`` requests (not counted), then the rest, open loop at ``sizes.rate``."""
    gc.collect()
    gc.disable()  # a collector pause here would be charged to the server
    try:
        asyncio.run(drive(port, requests[:warm], sizes, tick))
        pids = tree_pids(server[0])
        db0 = {pid: cpu_seconds(pid) for pid in database_pids(*db)} if db else {}
        cpu0, gen0 = tree_cpu(pids), time.process_time()
        results = asyncio.run(drive(port, requests[warm:], sizes, tick))
        cpu1, gen1 = tree_cpu(pids), time.process_time()
        # backends alive at the end (one opened during the load counts from zero; one
        # closed during it is lost, so this is a lower bound)
        db_cpu = (
            sum(cpu_seconds(pid) - db0.get(pid, 0.0) for pid in database_pids(*db)) if db else None
        )
    finally:
        gc.enable()
    return summarise_load(results, sizes.rate, cpu1 - cpu0, db_cpu, gen1 - gen0)


def in_process(db_url: str, count: int, seed: int) -> dict[str, Any]:
    """The baseline measured in the same run: the route's work without HTTP (parse the
    body, decide and store, build and serialise the answer), CPU per decision."""
    from dunwell.api.schemas import ApplicationIn
    from dunwell.api.views import decision_out
    from dunwell.app.origination.service import origination_for, submit_application
    from dunwell.bootstrap import bootstrap
    from dunwell.settings import Settings

    settings = Settings(db_url=db_url, log_level="WARNING").model_copy(update={"dev_mode": True})
    app = bootstrap(settings, db_url=db_url)
    orig = origination_for(settings)
    bodies = [
        r.split(b"\r\n\r\n", 1)[1] for r in requests_for(count + 50, 0, seed, prefix="inproc-")
    ]

    def one(k: int, body: bytes) -> bytes:
        application = ApplicationIn.model_validate_json(body).to_domain()
        with app.uow() as uow:
            result = submit_application(
                uow,
                application=application,
                idempotency_key=f"inproc-{k}",
                model=orig.model,
                policy=orig.policy,
                bureau=app.providers.bureau,
            )
            uow.commit()
        return decision_out(result.application).model_dump_json().encode()

    for k, body in enumerate(bodies[:50]):
        one(k, body)
    gc.collect()
    c0, t0 = time.process_time(), time.perf_counter()
    for k, body in enumerate(bodies[50:], start=50):
        one(k, body)
    c1, t1 = time.process_time(), time.perf_counter()
    app.engine.dispose()
    return {
        "decisions": count,
        "cpu_ms_per_decision": (c1 - c0) * 1e3 / count,
        "wall_ms_per_decision": (t1 - t0) * 1e3 / count,
    }


def run(sizes: Sizes = Sizes(), tick: Callable[[str, int], None] | None = None) -> dict[str, Any]:
    """One load at ``sizes.rate`` on a SQLite book served by one process."""
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
            result = load(port, requests, sizes, warm, [proc.pid], None, lambda n: step("load", n))
        finally:
            stop(proc)
    return {
        "sizes": asdict(sizes),
        "warmup_requests": warm,
        **result,
        "target_p99_ms": TARGET_P99_MS,
    }


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()


@contextlib.contextmanager
def book_url(db: str, base_url: str | None) -> Iterator[tuple[str, str | None]]:
    """A fresh book: a SQLite file, or a PostgreSQL schema of its own (dropped after).
    The URL, and the name the server's connections carry (PostgreSQL)."""
    if db == "sqlite":
        with tempfile.TemporaryDirectory(prefix="dunwell-latency-") as tmp:
            yield f"sqlite:///{Path(tmp) / 'book.sqlite'}", None
        return
    from sqlalchemy import create_engine, text

    if not base_url:
        raise SystemExit(
            "--db postgresql needs --postgres-url or DUNWELL_BENCH_POSTGRES_URL "
            "(or DUNWELL_TEST_POSTGRES_URL)"
        )
    root = base_url.split("?", 1)[0]
    schema = f"dunwell_bench_orig_{os.getpid()}"
    name = f"dunwell-bench-{os.getpid()}"
    engine = create_engine(root, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        yield (f"{root}?options=-csearch_path%3D{schema}&application_name={name}", name)
    finally:
        with engine.connect() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        engine.dispose()


@dataclass(frozen=True)
class Plan:
    db: str = "postgresql"
    workers: int = 2
    rates: tuple[int, ...] = (100, 300, 500)
    seconds: float = 10.0
    warmup_seconds: float = 2.0
    connections: int = 64
    baseline_decisions: int = 300
    floor: bool = True
    seed: int = 11


def run_levels(
    plan: Plan, base_url: str | None, tick: Callable[[str, int], None] | None = None
) -> dict[str, Any]:
    """The in-process baseline, then the server (``dunwell serve --workers K``) under
    each rate: the decisions, and the HTTP floor (``GET /v1/me``) at the same rates."""
    step = tick or (lambda _s, _n: None)
    out: dict[str, Any] = {
        "plan": asdict(plan),
        "target_p99_ms": TARGET_P99_MS,
        "target_cpu_ms": TARGET_CPU_MS,
    }
    with (
        book_url(plan.db, base_url) as (db_url, application),
        tempfile.TemporaryDirectory(prefix="dunwell-latency-") as tmp,
    ):
        token = prepare_book(db_url)
        out["in_process"] = baseline = in_process(db_url, plan.baseline_decisions, plan.seed)
        step("baseline", 1)
        port = free_port()
        proc = start_server(db_url, port, Path(tmp) / "server.log", plan.workers)
        db = (db_url, application) if application else None
        try:
            for k, rate in enumerate(plan.rates):
                sizes = Sizes(rate, plan.seconds, plan.warmup_seconds, plan.connections, plan.seed)
                warm = int(rate * plan.warmup_seconds)
                total = warm + int(rate * plan.seconds)
                requests = requests_for(total, port, plan.seed + k, token, prefix=f"r{rate}-")
                level = load(port, requests, sizes, warm, [proc.pid], db, lambda n: step("load", n))
                level["cpu_vs_target"] = level["server_cpu_ms_per_request"] / TARGET_CPU_MS
                level["cpu_vs_in_process"] = (
                    level["server_cpu_ms_per_request"] / baseline["cpu_ms_per_decision"]
                )
                if plan.floor:
                    level["floor"] = load(
                        port,
                        floor_requests(total, port, token),
                        sizes,
                        warm,
                        [proc.pid],
                        db,
                        lambda n: step("load", n),
                    )
                out.setdefault("levels", []).append(level)
        finally:
            stop(proc)
    return out


def table(result: dict[str, Any]) -> str:
    """The figures as a few lines a person reads."""
    base = result["in_process"]["cpu_ms_per_decision"]
    lines = [
        f"in-process decision (baseline): {base:.2f} ms CPU each",
        "rate  achieved  p50 ms  p99 ms  max ms  p99/20ms  srv CPU ms  /1ms  /in-proc"
        "  db CPU ms | floor p99 ms  floor CPU ms",
    ]
    for lv in result.get("levels", []):
        fl = lv.get("floor", {})
        lines.append(
            f"{lv['rate']:4d}  {lv['achieved_rps']:8.0f}  {lv['p50_ms']:6.1f}  "
            f"{lv['p99_ms']:6.1f}  {lv['max_ms']:6.0f}  {lv['p99_vs_target']:8.2f}  "
            f"{lv['server_cpu_ms_per_request']:10.2f}  {lv['cpu_vs_target']:4.1f}  "
            f"{lv['cpu_vs_in_process']:8.2f}  "
            f"{lv.get('database_cpu_ms_per_request', float('nan')):9.2f} | "
            f"{fl.get('p99_ms', float('nan')):12.1f}  "
            f"{fl.get('server_cpu_ms_per_request', float('nan')):12.2f}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", choices=("postgresql", "sqlite"), default=Plan.db)
    ap.add_argument(
        "--postgres-url",
        default=os.environ.get(
            "DUNWELL_BENCH_POSTGRES_URL", os.environ.get("DUNWELL_TEST_POSTGRES_URL")
        ),
    )
    ap.add_argument("--workers", type=int, default=Plan.workers)
    ap.add_argument(
        "--rates",
        default=",".join(map(str, Plan.rates)),
        help="requests per second, comma-separated",
    )
    ap.add_argument("--seconds", type=float, default=Plan.seconds)
    ap.add_argument("--warmup", type=float, default=Plan.warmup_seconds)
    ap.add_argument("--connections", type=int, default=Plan.connections)
    ap.add_argument("--no-floor", action="store_true", help="skip the GET /v1/me floor")
    ap.add_argument("--seed", type=int, default=Plan.seed)
    ap.add_argument("--quick", action="store_true", help="SQLite, 100 req/s for 2 s")
    ap.add_argument(
        "--out", type=Path, default=Path(__file__).parent / "out" / "origination_latency.json"
    )
    args = ap.parse_args(argv)
    if args.quick:
        plan = Plan("sqlite", 1, (100,), 2.0, 1.0, 8, 50, not args.no_floor, args.seed)
    else:
        workers = 1 if args.db == "sqlite" else args.workers
        plan = Plan(
            args.db,
            workers,
            tuple(int(r) for r in args.rates.split(",")),
            args.seconds,
            args.warmup,
            args.connections,
            Plan.baseline_decisions,
            not args.no_floor,
            args.seed,
        )
    result = run_levels(plan, args.postgres_url)
    result["command"] = " ".join(["bench/origination_latency.py", *sys.argv[1:]])
    result["machine"] = {"cpus": os.cpu_count(), "load_average": os.getloadavg()}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, sort_keys=True, indent=1) + "\n", encoding="utf-8")
    print(table(result))
    print(f"written to {args.out}")
    return 0 if all(lv["meets_target"] for lv in result.get("levels", [])) else 1


if __name__ == "__main__":
    sys.exit(main())
