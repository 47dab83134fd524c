"""Delivery speed: 10,000 queued alerts drained to a local webhook receiver, then hit-to-delivery latency.

Phase 1 queues ALERTS deliveries in a file database and times the dispatcher (as the daemon runs it) sending them
all to a receiver in another process: deliveries per second. Phase 2 stores STREAM hits at a steady rate, waking
the dispatcher as the pipeline does, and reports the latency from "hit stored" to "receiver got it" (p50/p95).
Needs no corpus. Usage: python benchmarks/deliver.py [ALERTS] [CONCURRENCY]
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import httpx
import yaml

from monitor import store
from monitor.config import load_config
from monitor.dispatch import Dispatcher
from monitor.fetch import HostLimiter, build_client
from monitor.match import Matcher
from monitor.models import Article, Match
from monitor.pipeline.alerts import plan_hits
from monitor.runtime import Runtime

STREAM = 1000
STREAM_RATE = 100.0  # hits per second in phase 2: a busy news day is far below this
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


def receiver(port_out: multiprocessing.Queue[int]) -> None:
    """Serve HTTP/1.1 keep-alive: record (webhook-id, arrival time) of each POST, answer 204; GET returns them."""
    arrivals: dict[str, float] = {}

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)}
                await reader.readexactly(int(headers.get("content-length", "0")))
                if lines[0].startswith("GET"):
                    body = json.dumps(arrivals).encode()
                    writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: %d\r\n\r\n%s" % (len(body), body))
                else:
                    arrivals.setdefault(headers.get("webhook-id", "?"), time.time())
                    writer.write(b"HTTP/1.1 204 No Content\r\ncontent-length: 0\r\n\r\n")
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()

    async def serve() -> None:
        server = await asyncio.start_server(handle, "127.0.0.1", 0, backlog=512)
        port_out.put(server.sockets[0].getsockname()[1])
        await server.serve_forever()

    asyncio.run(serve())


def queue(db: object, settings: object, n: int, prefix: str) -> dict[str, float]:
    """Store ``n`` articles with one hit each; return {alert id: time stored}."""
    stored: dict[str, float] = {}
    from monitor.store.deliveries import alert_id

    for i in range(n):
        url = f"https://news.example.org/{prefix}/{i}"
        store.save_article(
            db,
            Article(title=f"Tartus report {i}", text=f"Report {i} about the port of Tartus.", url=url),  # type: ignore[arg-type]
            url=url,
            link=url,
            source_id="src-bench",
            item_key=url,
            plan=plan_hits(
                url,
                [Match("tartus", 2.0, ("tartus",))],
                {"tartus": "Port of Tartus"},
                channels_for=lambda t, s: ["hook"],
            ),
            now=datetime.now(UTC),
        )
        stored[alert_id("tartus", url, "hook")] = time.time()
    return stored


async def arrivals(client: httpx.AsyncClient, url: str) -> dict[str, float]:
    response = await client.get(url)
    result: dict[str, float] = response.json()
    return result


async def bench(folder: Path, port: int, alerts: int, concurrency: int) -> None:
    url = f"http://127.0.0.1:{port}/hook"
    config = {
        "database": "bench.db",
        "topics": [{"id": "tartus", "title": "Port of Tartus", "query": "tartus"}],
        "channels": [{"id": "hook", "type": "webhook", "url": url, "secret": SECRET, "concurrency": concurrency}],
        "routes": [{"topics": ["*"], "channels": ["hook"]}],
    }
    (folder / "monitor.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    settings = load_config(folder / "monitor.yaml")
    db = store.open_database(settings.database)
    started = time.perf_counter()
    queue(db, settings, alerts, "backlog")
    print(f"queued {alerts} alerts in {time.perf_counter() - started:.1f} s")
    async with build_client(user_agent="monitor-bench", timeout=10, concurrency=concurrency * 2) as client:
        rt = Runtime(settings=settings, db=db, client=client, limiter=HostLimiter(2), matcher=Matcher(settings.topics))
        dispatcher = Dispatcher(rt)
        dispatcher.rt = rt = replace(rt, on_queued=dispatcher.wake)  # Runtime is frozen
        started = time.perf_counter()
        task = asyncio.create_task(dispatcher.run())
        while store.delivery_counts(db).get("pending", 0):
            await asyncio.sleep(0.05)
        elapsed = time.perf_counter() - started
        got = await arrivals(client, url)
        print(
            f"drained {dispatcher.stats.sent} deliveries in {elapsed:.1f} s: {dispatcher.stats.sent / elapsed:.0f}"
            f" deliveries/s (concurrency {concurrency}; receiver got {len(got)})"
        )

        stored: dict[str, float] = {}
        for i in range(STREAM):
            stored.update(queue(db, settings, 1, f"stream{i}"))
            dispatcher.wake()
            await asyncio.sleep(1 / STREAM_RATE)
        while store.delivery_counts(db).get("pending", 0):
            await asyncio.sleep(0.05)
        got = await arrivals(client, url)
        await dispatcher.stop()
        task.cancel()
    latencies = sorted(got[i] - t for i, t in stored.items() if i in got)
    p95 = latencies[int(len(latencies) * 0.95) - 1]
    p50 = statistics.median(latencies)
    print(
        f"latency, hit stored → received, {len(latencies)} hits at {STREAM_RATE:.0f}/s: "
        f"p50 {p50 * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, max {latencies[-1] * 1000:.0f} ms"
    )
    db.close()


def main() -> int:
    alerts = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    concurrency = int(sys.argv[2]) if len(sys.argv) > 2 else 16
    ports: multiprocessing.Queue[int] = multiprocessing.Queue()
    server = multiprocessing.Process(target=receiver, args=(ports,), daemon=True)
    server.start()
    try:
        port = ports.get(timeout=10)
        with tempfile.TemporaryDirectory() as folder:
            asyncio.run(bench(Path(folder), port, alerts, concurrency))
    finally:
        server.terminate()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
