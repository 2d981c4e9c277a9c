"""Payments at volume: ``POST /v1/loans/{id}/payments`` on PostgreSQL, posted/s.

Opens a book in a fresh PostgreSQL schema (dropped afterwards) with ``--loans`` loans,
each borrower with a contact profile so every payment also queues its receipt in the
outbox, and a manager's API token. Then, each against the real ``dunwell serve`` on
127.0.0.1:

1. **baseline**: one server worker, one client, ``--baseline`` payments;
2. **floor**: ``--workers`` workers, ``--clients`` clients, ``GET /v1/me`` (an
   authenticated route that does nothing): the most requests per second this HTTP
   stack serves here, the ceiling of any route;
3. **target**: ``--workers`` workers, ``--clients`` clients, ``--payments``
   payments on random loans; then one payment in twenty is sent again (it must
   answer 200 with ``Idempotent-Replayed: true``) and a few keys again with another
   amount (409).

Afterwards the payments table must hold every key exactly once with its first
amount, and ``dunwell book verify`` must pass. Prints posted/s, p50/p99 latency, the
server's CPU per payment (its worker processes, read from /proc) and the database's
(the PostgreSQL backends the server opened), the ratio to the 2,000/s target and to
the baseline, and writes ``bench/out/payments_http.json``.

The load generator is one asyncio process writing HTTP/1.1 by hand on keep-alive
connections (no client library on the hot path), but it runs on the same cores as
the server and the database: its own CPU per request is printed too.

    .venv/bin/python bench/payments_http.py [--db postgresql+psycopg://.../test]
        [--loans 2000 --payments 8000 --clients 16 --workers 2] [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import math
import os
import random
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from stress_payments import (  # noqa: E402
    DEFAULT_DB,
    HOST,
    START,
    Server,
    count_keys,
    free_port,
    fresh_schema,
    money,
    verify,
)

OUT = HERE / "out" / "payments_http.json"
TARGET_PER_S = 2_000.0
#: The pause between the load generator's connections.
CONNECT_GAP_S = 0.005
#: What the server's connections call themselves, to find their backends' CPU.
APP_NAME = "dunwell-bench-payments"


@dataclass(frozen=True)
class Sizes:
    loans: int = 2_000
    payments: int = 8_000
    clients: int = 16
    workers: int = 2
    baseline: int = 300
    floor: int = 4_000
    replay_every: int = 20
    conflicts: int = 5
    seed: int = 31
    #: Payments profiled stage by stage in this process afterwards (0: none).
    profile: int = 300
    #: Requests sent at once in that profile (posted as one group; 1: one by one).
    group: int = 8


QUICK = Sizes(loans=200, payments=1_500, baseline=100, floor=1_000, conflicts=3, profile=100)


@dataclass(frozen=True)
class Job:
    key: str
    loan_id: int
    amount_minor: int


@dataclass
class Answer:
    status: int
    seconds: float
    replayed: bool


def prepare_book(db_url: str, loans: int) -> str:
    """The book: ``loans`` loans of 500,000.00 (far more than the run pays, so none
    closes), each borrower with a profile (so receipts are queued), 35 days closed;
    the API token of the manager the clients post as."""
    from dunwell.app.cob import close_until
    from dunwell.app.identity.accounts import add_user
    from dunwell.app.identity.tokens import create_token
    from dunwell.app.lending.book import LoanRequest, disburse, open_book, register_product
    from dunwell.bootstrap import bootstrap
    from dunwell.compliance.model import Jurisdiction
    from dunwell.lending.products import builtin_product_texts
    from dunwell.settings import Settings

    app = bootstrap(Settings(db_url=db_url, log_level="WARNING", partitions=8))
    with app.uow() as uow:
        open_book(uow, business_date=START, partitions=8, currency="CNY")
        for text in builtin_product_texts():
            register_product(uow, text)
        disburse(uow, [LoanRequest(k + 1, "merchant_annuity_12m", 50_000_000, 12)
                       for k in range(loans)])
        for k in range(loans):
            uow.borrowers.put(borrower_id=k + 1, name=f"商户{k + 1}",
                              jurisdiction=Jurisdiction.CN_NIFA, timezone="Asia/Shanghai",
                              language="zh-CN")
        uow.commit()
    close_until(app, START + dt.timedelta(days=34))
    now = dt.datetime.now(dt.UTC)
    add_user(app, name="bench-manager", role="manager", now=now, by="bench")
    token = create_token(app, name="bench-manager", now=now, days=1, by="bench").token
    app.engine.dispose()
    return token


def plan(n: int, loans: int, rng: random.Random, tag: str) -> list[Job]:
    run = uuid.uuid4().hex[:8]
    return [Job(f"{tag}-{run}-{i}", rng.randint(1, loans), rng.randint(100, 3_000))
            for i in range(n)]


def payment_request(job: Job, token: str, amount_minor: int | None = None) -> bytes:
    body = json.dumps({"amount": money(amount_minor or job.amount_minor),
                       "currency": "CNY"}).encode()
    return (f"POST /v1/loans/{job.loan_id}/payments HTTP/1.1\r\nHost: {HOST}\r\n"
            f"Authorization: Bearer {token}\r\nIdempotency-Key: {job.key}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
            ).encode() + body


def me_request(token: str) -> bytes:
    return (f"GET /v1/me HTTP/1.1\r\nHost: {HOST}\r\n"
            f"Authorization: Bearer {token}\r\n\r\n").encode()


async def drive(port: int, requests: list[bytes], clients: int) -> list[Answer]:
    """Send ``requests`` from ``clients`` keep-alive connections, each sending its next
    request when the last one is answered (closed loop); the answers in order."""
    answers: list[Answer | None] = [None] * len(requests)
    next_index = iter(range(len(requests)))

    async def client(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            for i in next_index:
                began = time.perf_counter()
                writer.write(requests[i])
                head = await reader.readuntil(b"\r\n\r\n")
                length, replayed = 0, False
                for line in head.split(b"\r\n")[1:]:
                    name, _, value = line.partition(b":")
                    name = name.lower()
                    if name == b"content-length":
                        length = int(value)
                    elif name == b"idempotent-replayed":
                        replayed = value.strip() == b"true"
                await reader.readexactly(length)
                answers[i] = Answer(int(head[9:12]), time.perf_counter() - began, replayed)
        finally:
            writer.close()

    # connected one after another, as clients arriving at different moments do: opened
    # all at once, the first worker process to wake accepts every pending connection
    # and keeps them all (a keep-alive connection stays with the worker that accepted it)
    opened = []
    for _ in range(clients):
        opened.append(await asyncio.open_connection(HOST, port))
        await asyncio.sleep(CONNECT_GAP_S)
    await asyncio.gather(*(client(reader, writer) for reader, writer in opened))
    return [a for a in answers if a is not None]


def cpu_seconds(pids: Iterable[int]) -> float:
    """User and system CPU of ``pids`` so far (a process gone counts nothing)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def server_pids(root: int) -> list[int]:
    """``root`` and every process below it."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, ()))
    return found


def backend_pids(admin: sa.Engine) -> list[int]:
    with admin.connect() as conn:
        return [int(r[0]) for r in conn.execute(sa.text(
            "SELECT pid FROM pg_stat_activity WHERE application_name = :a"), {"a": APP_NAME})]


def transactions(url: str, prefix: str) -> int:
    """How many transactions wrote the payments whose keys start with ``prefix`` (the
    server posts the payments that arrive together in one: group commit)."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(sa.text(
                "SELECT count(DISTINCT xmin::text) FROM payments WHERE idempotency_key LIKE :p"),
                {"p": f"{prefix}%"}).scalar_one())
    finally:
        engine.dispose()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered), max(1, math.ceil(q * len(ordered)))) - 1]


def phase(server: Server, admin: sa.Engine, port: int, requests: list[bytes],
          clients: int) -> tuple[list[Answer], dict[str, Any]]:
    """One timed load: the answers, and throughput, latency and CPU figures."""
    assert server.proc is not None
    pids = server_pids(server.proc.pid)
    db0 = {pid: cpu_seconds([pid]) for pid in backend_pids(admin)}
    each0 = {pid: cpu_seconds([pid]) for pid in pids}
    server0, gen0 = cpu_seconds(pids), time.process_time()
    began = time.perf_counter()
    answers = asyncio.run(drive(port, requests, clients))
    elapsed = time.perf_counter() - began
    gen1 = time.process_time()
    # a backend that began during the phase counts all its CPU; one gone counts none
    db_spent = sum(cpu_seconds([pid]) - db0.get(pid, 0.0) for pid in backend_pids(admin))
    server1 = cpu_seconds(pids)
    each = sorted((cpu_seconds([pid]) - each0[pid] for pid in pids), reverse=True)
    n = len(answers)
    ms = [a.seconds * 1000 for a in answers]
    return answers, {
        "requests": n, "clients": clients, "elapsed_s": round(elapsed, 3),
        "per_s": round(n / elapsed, 1) if elapsed else 0.0,
        "p50_ms": round(percentile(ms, 0.50), 2), "p99_ms": round(percentile(ms, 0.99), 2),
        "server_cpu_ms_per_request": round((server1 - server0) / n * 1000, 3) if n else None,
        # the server's processes, busiest first: connections stay with the worker that
        # accepted them, so the clients may be shared unevenly
        "server_cpu_s_by_process": [round(c, 2) for c in each if c > 0.005],
        "db_cpu_ms_per_request": round(db_spent / n * 1000, 3) if n else None,
        "loadgen_cpu_ms_per_request": round((gen1 - gen0) / n * 1000, 3) if n else None,
        "statuses": dict(Counter(a.status for a in answers)),
    }


def served(db_url: str, workers: int, log_dir: Path) -> tuple[Server, int]:
    port = free_port()
    server = Server(db_url, port, log_dir / f"server-{workers}.log", workers)
    server.start()
    return server, port


def warm(port: int, token: str, clients: int, n: int) -> None:
    """Every worker's connections, caches and code paths in use before timing."""
    asyncio.run(drive(port, [me_request(token)] * n, clients))


def run(sizes: Sizes, base_url: str) -> dict[str, Any]:
    rng = random.Random(sizes.seed)
    admin = sa.create_engine(base_url)
    out: dict[str, Any] = {"sizes": asdict(sizes)}
    try:
        with fresh_schema(base_url) as url, tempfile.TemporaryDirectory() as tmp:
            url = sa.engine.make_url(url).update_query_dict(
                {"application_name": APP_NAME}).render_as_string(hide_password=False)
            began = time.perf_counter()
            token = prepare_book(url, sizes.loans)
            out["prepare_s"] = round(time.perf_counter() - began, 1)
            base_jobs = plan(sizes.baseline, sizes.loans, rng, "base")
            jobs = plan(sizes.payments, sizes.loans, rng, "load")
            server, port = served(url, 1, Path(tmp))
            try:
                warm(port, token, 1, 50)
                _, out["baseline"] = phase(server, admin, port,
                                           [payment_request(j, token) for j in base_jobs], 1)
            finally:
                server.stop()
            out.update(loaded(sizes, url, admin, token, jobs, Path(tmp)))
            if sizes.profile:
                out["profile"] = profile_stages(url, token, sizes.loans, sizes.profile,
                                                sizes.group)
            out["keys"] = count_keys(url, [*base_jobs, *jobs])
            out["target"]["transactions"] = transactions(url, "load-")
            out["target"]["payments_per_transaction"] = round(
                out["target"]["statuses"].get(201, 0) / max(1, out["target"]["transactions"]), 2)
            code, report = verify(url)
            out["verify"] = {"exit": code, "ok": bool(report.get("ok")),
                             "failed": [c for c in report.get("checks", []) if not c.get("ok")]}
    finally:
        admin.dispose()
    out["baseline"]["posted_per_s"] = out["baseline"]["per_s"]
    target = out["target"]
    out["ratio_to_target"] = round(target["posted_per_s"] / TARGET_PER_S, 3)
    out["speedup_over_baseline"] = round(
        target["posted_per_s"] / max(out["baseline"]["posted_per_s"], 1e-9), 2)
    out["payments_over_floor"] = round(target["posted_per_s"] / max(out["floor"]["per_s"],
                                                                    1e-9), 3)
    out["ok"] = passed(out)
    return out


def loaded(sizes: Sizes, url: str, admin: sa.Engine, token: str, jobs: list[Job],
           log_dir: Path) -> dict[str, Any]:
    """The floor and the target phase on ``sizes.workers`` workers, then the replays and
    the conflicting resends."""
    out: dict[str, Any] = {}
    server, port = served(url, sizes.workers, log_dir)
    try:
        warm(port, token, sizes.clients, 50 * sizes.clients)
        _, out["floor"] = phase(server, admin, port, [me_request(token)] * sizes.floor,
                                sizes.clients)
        answers, out["target"] = phase(server, admin, port,
                                       [payment_request(j, token) for j in jobs], sizes.clients)
        again = jobs[::sizes.replay_every]
        conflicts = jobs[1::max(1, len(jobs) // max(1, sizes.conflicts))][:sizes.conflicts]
        replays = asyncio.run(drive(port, [payment_request(j, token) for j in again],
                                    sizes.clients))
        clashes = asyncio.run(drive(port, [payment_request(j, token, j.amount_minor + 1)
                                           for j in conflicts], sizes.clients))
    finally:
        server.stop()
    out["target"]["workers"] = sizes.workers
    posted = sum(a.status == 201 for a in answers)
    out["target"]["posted_per_s"] = round(posted / out["target"]["elapsed_s"], 1)
    out["idempotency"] = {
        "replays_sent": len(again),
        "replays_200": sum(a.status == 200 and a.replayed for a in replays),
        "conflicts_sent": len(conflicts),
        "conflicts_409": sum(a.status == 409 for a in clashes),
    }
    return out


#: The stages of one payment timed by :func:`profile_stages`: (label, module, attribute).
#: A group of payments takes the batch's path (:mod:`dunwell.store.payment_batch`), a
#: lone payment its own (``PaymentPosting``); the stages of the path not taken read 0.
STAGES = (
    ("transaction(s) (post_payments), of which:", "dunwell.api.payments", "post_payments"),
    ("  lock and read, a group (one pipeline)", "dunwell.store.payment_batch",
     "PaymentBatch.start"),
    ("  lock and read, alone (one pipeline)", "dunwell.store.repositories",
     "PaymentPosting.start"),
    ("  allocation (domain)", "dunwell.app.lending.payments", "payment_outcome"),
    ("  entries (domain)", "dunwell.app.lending.payments", "payment_entries"),
    ("  write, a group (one pipeline)", "dunwell.store.payment_batch", "PaymentBatch.record"),
    ("  write, alone (one pipeline)", "dunwell.store.repositories", "PaymentPosting.record"),
    ("  receipts queued (one read, guard, template, one insert)",
     "dunwell.app.channels.notices", "queue_notices"),
    ("  commit", "dunwell.store.uow", "SqlUnitOfWork.commit"),
)


def profile_stages(url: str, token: str, loans: int, n: int, group: int) -> dict[str, Any]:
    """Server CPU of one payment by stage, in this process: the app called as ASGI
    (no sockets, commands run inline on one thread), ``group`` requests sent at once
    (so they are posted as one group, as a busy server process posts them), each
    stage wrapped in a CPU clock. What is not in the transactions is the HTTP
    framework's part: the middleware, the route guard, routing, validation and
    serialisation."""
    import importlib

    from dunwell.api.app import create_app
    from dunwell.api.deps import Runner, Services
    from dunwell.settings import Settings

    spent: dict[str, float] = dict.fromkeys((label for label, _, _ in STAGES), 0.0)
    originals: list[tuple[Any, str, Any]] = []
    for label, module, attribute in STAGES:
        owner: Any = importlib.import_module(module)
        *path, name = attribute.split(".")
        for part in path:
            owner = getattr(owner, part)
        original = getattr(owner, name)

        def timed(*args: Any, _f: Any = original, _label: str = label, **kw: Any) -> Any:
            began = time.process_time()
            try:
                return _f(*args, **kw)
            finally:
                spent[_label] += time.process_time() - began

        originals.append((owner, name, original))
        setattr(owner, name, timed)
    try:
        api = create_app(Settings(db_url=url, dev_mode=True, log_level="WARNING"))
        services = api.state.services
        api.state.services = Services(services.dunwell, services.origination,
                                      Runner(inline=True))
        rng = random.Random(7)
        jobs = plan(n + 4 * group, loans, rng, "prof")
        total = asyncio.run(_asgi_payments(api, token, jobs[:4 * group], jobs[4 * group:],
                                           spent, group))
    finally:
        for owner, name, original in originals:
            setattr(owner, name, original)
    per = {label: round(spent[label] / n * 1000, 3) for label, _, _ in STAGES}
    per_total = round(total / n * 1000, 3)
    per["HTTP framework (middleware, guard, routing, validation, JSON)"] = round(
        per_total - per[STAGES[0][0]], 3)
    return {"payments": n, "group": group, "cpu_ms_per_payment": per_total, "stages_ms": per}


async def _asgi_payments(api: Any, token: str, warmup: list[Job], jobs: list[Job],
                         spent: dict[str, float], group: int) -> float:
    """CPU seconds spent posting ``jobs`` through ``api``, ``group`` at once (after
    ``warmup``, whose stages are forgotten)."""
    async with api.router.lifespan_context(api):
        for k in range(0, len(warmup), group):
            await asyncio.gather(*(_asgi_post(api, token, j) for j in warmup[k:k + group]))
        spent.update(dict.fromkeys(spent, 0.0))
        began = time.process_time()
        for k in range(0, len(jobs), group):
            await asyncio.gather(*(_asgi_post(api, token, j) for j in jobs[k:k + group]))
        return time.process_time() - began


async def _asgi_post(api: Any, token: str, job: Job) -> None:
    body = json.dumps({"amount": money(job.amount_minor), "currency": "CNY"}).encode()
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
             "method": "POST", "scheme": "http", "path": f"/v1/loans/{job.loan_id}/payments",
             "raw_path": f"/v1/loans/{job.loan_id}/payments".encode(), "query_string": b"",
             "root_path": "", "client": (HOST, 1), "server": (HOST, 80),
             "headers": [(b"host", HOST.encode()), (b"authorization", f"Bearer {token}".encode()),
                         (b"idempotency-key", job.key.encode()),
                         (b"content-type", b"application/json"),
                         (b"content-length", str(len(body)).encode())]}
    sent = False
    status: list[int] = []

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            status.append(message["status"])

    await api(scope, receive, send)
    assert status == [201], status


def passed(out: dict[str, Any]) -> bool:
    keys, idem = out["keys"], out["idempotency"]
    return (keys["lost"] == 0 and keys["duplicated"] == 0 and keys["amount_changed"] == 0
            and idem["replays_200"] == idem["replays_sent"]
            and idem["conflicts_409"] == idem["conflicts_sent"]
            and out["verify"]["ok"] and out["verify"]["exit"] == 0
            and set(out["target"]["statuses"]) == {201}
            and set(out["baseline"]["statuses"]) == {201})


def describe(out: dict[str, Any]) -> str:
    """One line for the benchmark table."""
    if "skipped" in out:
        return f"skipped ({out['skipped']})"
    t, b, f = out["target"], out["baseline"], out["floor"]
    return (f"{t['posted_per_s']:,.0f} posted/s ({t['workers']} workers, {t['clients']} "
            f"clients; p50 {t['p50_ms']} ms, p99 {t['p99_ms']} ms) = "
            f"{out['ratio_to_target']:.2f} x 2,000/s; x{out['speedup_over_baseline']} "
            f"baseline ({b['posted_per_s']:,.0f}/s, 1 worker, 1 client); HTTP floor "
            f"{f['per_s']:,.0f} req/s; {'ok' if out['ok'] else 'FAILED'}")


def save(out: dict[str, Any], path: Path = OUT) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"payments_http": out}, indent=2) + "\n")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", default=os.environ.get("DUNWELL_STRESS_POSTGRES_URL", DEFAULT_DB),
                    help="PostgreSQL URL; the run uses a fresh schema in it")
    for name, value in asdict(Sizes()).items():
        ap.add_argument(f"--{name.replace('_', '-')}", type=type(value), default=None)
    ap.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args(argv)
    chosen = asdict(QUICK if args.quick else Sizes())
    chosen.update({k: v for k, v in vars(args).items() if k in chosen and v is not None})
    out = run(Sizes(**chosen), args.db)
    out["command"] = " ".join(["bench/payments_http.py", *(argv or sys.argv[1:])])
    save(out, args.out)
    t, b, f = out["target"], out["baseline"], out["floor"]
    print(f"baseline: {b['posted_per_s']:,.1f} posted/s (1 worker, 1 client; p50 "
          f"{b['p50_ms']} ms; server CPU {b['server_cpu_ms_per_request']} ms, database "
          f"{b['db_cpu_ms_per_request']} ms per payment)")
    print(f"floor:    {f['per_s']:,.1f} req/s of GET /v1/me ({t['workers']} workers, "
          f"{f['clients']} clients; server CPU {f['server_cpu_ms_per_request']} ms, load "
          f"generator {f['loadgen_cpu_ms_per_request']} ms per request)")
    print(f"target:   {t['posted_per_s']:,.1f} posted/s ({t['workers']} workers, "
          f"{t['clients']} clients; p50 {t['p50_ms']} ms, p99 {t['p99_ms']} ms; server CPU "
          f"{t['server_cpu_ms_per_request']} ms, database {t['db_cpu_ms_per_request']} ms, "
          f"load generator {t['loadgen_cpu_ms_per_request']} ms per payment; "
          f"{t['payments_per_transaction']} payments a transaction; server CPU s by "
          f"process {t['server_cpu_s_by_process']})")
    print(f"ratio to 2,000/s: {out['ratio_to_target']:.3f}; over baseline: "
          f"x{out['speedup_over_baseline']}; over the HTTP floor: {out['payments_over_floor']}")
    idem, keys = out["idempotency"], out["keys"]
    print(f"replays 200 {idem['replays_200']}/{idem['replays_sent']}; conflicts 409 "
          f"{idem['conflicts_409']}/{idem['conflicts_sent']}; lost {keys['lost']}; "
          f"duplicated {keys['duplicated']}; book verify "
          f"{'ok' if out['verify']['ok'] else 'FAILED'}")
    if "profile" in out:
        prof = out["profile"]
        print(f"server CPU of one payment by stage (in process, {prof['payments']} payments, "
              f"{prof['group']} at once): {prof['cpu_ms_per_payment']} ms")
        for label, ms in prof["stages_ms"].items():
            print(f"  {label:<64} {ms:>7.3f} ms")
    print(f"wrote {args.out}")
    return 0 if out["ok"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
