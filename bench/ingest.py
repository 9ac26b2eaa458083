"""Webhook intake throughput and acknowledgement latency, against raw INSERTs.

Starts ``trademate serve --role web`` as its own process (embedded defaults, or whatever
DATABASE_URL / REDIS_URL name), creates a throwaway merchant with a WhatsApp (Twilio)
channel, then — from this second process, over loopback — sends N distinct signed webhooks
and replays each of them twice more (3 deliveries per message). It prints webhooks/s and
p50/p99 acknowledgement latency per pass, checks that exactly N messages were stored and
queued (nothing lost, nothing doubled), and measures single-row asyncpg INSERTs on the same
database in the same run as the baseline ratio.

    .venv/bin/python bench/ingest.py --messages 5000               # as fast as it goes
    .venv/bin/python bench/ingest.py --messages 10000 --rate 1000  # sustained 1,000/s
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shlex
import socket
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urlencode

import aiohttp
import asyncpg
from twilio.request_validator import RequestValidator

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.runtime import INTAKE_STREAM  # noqa: E402
from bot.services import open_services  # noqa: E402
from bot.settings import load_settings  # noqa: E402
from storage.db import transaction  # noqa: E402
from storage.queue import WorkQueue  # noqa: E402
from storage.repositories import channels, organizations  # noqa: E402

ACCOUNT_SID = "AC" + "0" * 32
AUTH_TOKEN = "bench-auth-token"
SENDER = "whatsapp:+14155238886"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=3000, help="distinct messages (N)")
    parser.add_argument(
        "--concurrency", type=int, default=64, help="most requests in flight (connections)"
    )
    parser.add_argument(
        "--rate",
        type=float,
        default=0,
        help="offered load in webhooks/s (open loop: latency counts from the scheduled send "
        "time, so a slow server can't hide its queue); 0 = as fast as possible (closed loop)",
    )
    parser.add_argument("--replays", type=int, default=3, help="deliveries per message")
    parser.add_argument("--customers", type=int, default=200, help="distinct senders")
    parser.add_argument("--json", action="store_true", help="also print a JSON summary")
    return parser.parse_args()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def setup_channel(services) -> tuple[uuid.UUID, uuid.UUID]:
    async with transaction(services.pool) as conn:
        org = await organizations.create(conn, f"Bench {uuid.uuid4().hex[:6]}")
        config = {"account_sid": ACCOUNT_SID, "auth_token": AUTH_TOKEN, "from_number": SENDER}
        row = await channels.create(
            conn,
            org.id,
            "whatsapp",
            "bench",
            config_encrypted=services.secrets.encrypt(config),
            webhook_secret="unused",
        )
    return org.id, row.id


def start_server(port: int, public_url: str) -> subprocess.Popen:
    env = {
        **os.environ,
        "TRADEMATE__APP__PUBLIC_URL": public_url,
        "TRADEMATE__APP__LOG_LEVEL": "WARNING",
    }
    cmd = [
        sys.executable,
        "-m",
        "bot.cli",
        "serve",
        "--role",
        "web",
        "--port",
        str(port),
        "--no-migrate",
    ]
    return subprocess.Popen(cmd, cwd=ROOT, env=env)


async def wait_healthy(url: str, limit: float = 60) -> None:
    deadline = time.monotonic() + limit
    async with aiohttp.ClientSession() as http:
        while time.monotonic() < deadline:
            try:
                async with http.get(url) as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.2)
    raise RuntimeError(f"server at {url} did not become healthy")


def build_requests(url: str, n: int, customers: int) -> list[tuple[bytes, str]]:
    """Signed form bodies, prepared before timing (the signing cost is the platform's)."""
    validator = RequestValidator(AUTH_TOKEN)
    prepared = []
    for i in range(n):
        params = {
            "MessageSid": f"SM{uuid.uuid4().hex}",
            "AccountSid": ACCOUNT_SID,
            "From": f"whatsapp:+3460{i % customers:07d}",
            "To": SENDER,
            "Body": f"Hello, what is the price for {100 + i} pcs of SKU-{i % 50}?",
            "NumMedia": "0",
            "ProfileName": f"Customer {i % customers}",
            "WaId": f"3460{i % customers:07d}",
        }
        prepared.append((urlencode(params).encode(), validator.compute_signature(url, params)))
    return prepared


async def drive(url: str, requests: list[tuple[bytes, str]], concurrency: int, rate: float) -> dict:
    """Send every request; with ``rate`` each is due at start + i/rate (open loop)."""
    latencies: list[float] = []
    first_second: list[float] = []
    later: list[float] = []
    failures = 0
    queue: asyncio.Queue[tuple[int, bytes, str]] = asyncio.Queue()
    for i, (body, signature) in enumerate(requests):
        queue.put_nowait((i, body, signature))
    connector = aiohttp.TCPConnector(limit=concurrency)

    async with aiohttp.ClientSession(connector=connector) as http:
        started = time.perf_counter()

        async def client() -> None:
            nonlocal failures
            while not queue.empty():
                i, body, signature = queue.get_nowait()
                due = started + i / rate if rate else time.perf_counter()
                delay = due - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                headers = {
                    "X-Twilio-Signature": signature,
                    "Content-Type": "application/x-www-form-urlencoded",
                }
                async with http.post(url, data=body, headers=headers) as response:
                    await response.read()
                    if response.status != 200:
                        failures += 1
                latencies.append(time.perf_counter() - due)
                (first_second if due - started < 1.0 else later).append(latencies[-1])

        await asyncio.gather(*(client() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "requests": len(requests),
        "failures": failures,
        "seconds": round(elapsed, 3),
        "per_second": round(len(requests) / elapsed, 1),
        "p50_ms": round(statistics.median(latencies) * 1000, 2),
        "p99_ms": round(latencies[int(len(latencies) * 0.99) - 1] * 1000, 2),
        "max_ms": round(latencies[-1] * 1000, 2),
        "first_second_p99_ms": round(_p99(first_second) * 1000, 2),
        "after_first_second_p99_ms": round(_p99(later) * 1000, 2),
    }


def _p99(values: list[float]) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[max(int(len(ordered) * 0.99) - 1, 0)]


async def baseline_inserts(database_url: str, n: int, concurrency: int) -> dict:
    """Single-row INSERTs (one autocommit statement each) at the same concurrency."""
    pool = await asyncpg.create_pool(database_url, min_size=concurrency, max_size=concurrency)
    try:
        table = f"bench_baseline_{uuid.uuid4().hex[:8]}"
        await pool.execute(f"CREATE TABLE {table} (id uuid PRIMARY KEY, body text)")
        queue: asyncio.Queue[int] = asyncio.Queue()
        for i in range(n):
            queue.put_nowait(i)

        async def inserter() -> None:
            async with pool.acquire() as conn:
                while not queue.empty():
                    i = queue.get_nowait()
                    await conn.execute(
                        f"INSERT INTO {table} (id, body) VALUES ($1, $2)",  # noqa: S608
                        uuid.uuid4(),
                        f"row {i}",
                    )

        started = time.perf_counter()
        await asyncio.gather(*(inserter() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
        await pool.execute(f"DROP TABLE {table}")
    finally:
        await pool.close()
    return {"rows": n, "seconds": round(elapsed, 3), "per_second": round(n / elapsed, 1)}


async def verify(services, org_id, channel_id, n: int) -> dict:
    async with services.pool.acquire() as conn:
        stored = await conn.fetchval(
            "SELECT count(*) FROM messages WHERE channel_id = $1", channel_id
        )
        distinct = await conn.fetchval(
            "SELECT count(DISTINCT external_message_id) FROM messages WHERE channel_id = $1",
            channel_id,
        )
    queue = WorkQueue(services.redis, services.keys, INTAKE_STREAM)
    queued = 0
    async for _entry_id, fields in _stream_entries(services.redis, queue.stream):
        queued += fields.get("org") == str(org_id)
    async with services.pool.acquire() as conn:
        await conn.execute("DELETE FROM organizations WHERE id = $1", org_id)
    # The throwaway org's dedupe markers; its stream entries name deleted rows, which
    # workers skip.
    stale = [k async for k in services.redis.scan_iter(match=services.keys.org_pattern(org_id))]
    if stale:
        await services.redis.delete(*stale)
    return {
        "expected": n,
        "stored": stored,
        "distinct": distinct,
        "queued": queued,
        "lost": n - distinct,
        "duplicated": stored - distinct + max(queued - n, 0),
    }


async def _stream_entries(redis, stream: str):
    last = "-"
    while True:
        batch = await redis.xrange(stream, min=last, max="+", count=1000)
        if last != "-":
            batch = batch[1:]
        if not batch:
            return
        for entry_id, fields in batch:
            yield entry_id, fields
        last = batch[-1][0]


async def main() -> None:
    args = parse_args()
    settings = load_settings()
    command = " ".join(shlex.quote(a) for a in [".venv/bin/python", *sys.argv])
    # Held open for the whole run: with embedded defaults this process keeps the embedded
    # servers up, and the server process started below shares them.
    async with open_services(settings, run_migrations=True) as services:
        await run(args, settings, services, command)


async def run(args, settings, services, command: str) -> None:
    org_id, channel_id = await setup_channel(services)
    database_url = services.database_url
    port = free_port()
    public = f"http://127.0.0.1:{port}"
    url = f"{public}/webhooks/whatsapp/{channel_id}"
    server = start_server(port, public)
    try:
        await wait_healthy(f"{public}/healthz")
        requests = build_requests(url, args.messages, args.customers)
        passes = [await drive(url, requests, args.concurrency, args.rate)]
        for _ in range(args.replays - 1):
            passes.append(await drive(url, requests, args.concurrency, args.rate))
    finally:
        server.terminate()
        server.wait(timeout=30)
    integrity = await verify(services, org_id, channel_id, args.messages)
    baseline = await baseline_inserts(database_url, args.messages, args.concurrency)
    first = passes[0]
    summary = {
        "command": command,
        "database": "embedded" if settings.uses_embedded_database else "configured",
        "first_pass": first,
        "replay_passes": passes[1:],
        "integrity": integrity,
        "baseline_inserts": baseline,
        "ratio_webhooks_to_inserts": round(first["per_second"] / baseline["per_second"], 3),
    }
    print(f"command: {command}")
    load = f"offered {args.rate:g}/s (open loop)" if args.rate else "closed loop"
    print(f"database: {summary['database']}; up to {args.concurrency} in flight; {load}")
    for label, result in [("new messages", first)] + [("replays", p) for p in passes[1:]]:
        print(
            f"{label:>13}: {result['requests']} webhooks in {result['seconds']}s = "
            f"{result['per_second']}/s, p50 {result['p50_ms']} ms, p99 {result['p99_ms']} ms "
            f"(first second {result['first_second_p99_ms']}, after "
            f"{result['after_first_second_p99_ms']}), max {result['max_ms']} ms, "
            f"{result['failures']} non-200"
        )
    print(
        f"    integrity: {integrity['stored']} stored, {integrity['queued']} queued of "
        f"{integrity['expected']} -> lost {integrity['lost']}, duplicated {integrity['duplicated']}"
    )
    print(
        f"     baseline: {baseline['rows']} single-row INSERTs in {baseline['seconds']}s = "
        f"{baseline['per_second']}/s; webhooks/INSERTs = {summary['ratio_webhooks_to_inserts']}"
    )
    if args.json:
        print(json.dumps(summary))


if __name__ == "__main__":
    asyncio.run(main())
