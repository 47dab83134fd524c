"""Polling at internet shape: many hosts, real latency, monitor against the loop a user would write.

A child process serves N feeds spread over H hosts (loopback addresses 127.0.1.1, 127.0.1.2, ...; one listening
socket each), answering every request after a fixed latency. Each feed lists K new items whose pages are on the
feed's host. ETags make the second cycle all 304. Measured:

- cycle 1 (every item new: feeds, then article pages under the default politeness) with ``monitor once`` in a
  fresh process, against the politeness floor (pages per host x min_delay) and the same config with min_delay 0,
  against its floor (requests x latency / concurrency);
- cycle 2 (every feed unchanged, 304) with ``monitor once`` in a fresh process (start-up included), and inside
  one process (``run_once`` timed around the polls);
- the naive loop (``httpx.get`` + ``feedparser.parse`` + one GET per article, sequential, no politeness) on a
  sample of the feeds, scaled to all of them (a sequential loop's time is linear in the feeds it reads).

    python benchmarks/internet.py [--feeds 500] [--hosts 100] [--items 4] [--latency 0.05] [--naive 50]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import multiprocessing
import os
import random
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from multiprocessing.connection import Connection
from pathlib import Path

import feedparser
import httpx
import yaml

MONITOR = [sys.executable, "-m", "monitor"]


def host_address(n: int) -> str:
    """Return the n-th loopback host (0-based): 127.0.1.1, ..., 127.0.1.254, 127.0.2.1, ..."""
    return f"127.0.{1 + n // 254}.{1 + n % 254}"


# --- the server (child process) -------------------------------------------------------------------------------

PARAGRAPH = (
    "The harbour authority said on Tuesday that the new breakwater would be finished before the winter storms, "
    "after two years of delays caused by supply problems and a dispute over the contract. Local fishermen said "
    "they hoped the work would make the port safer for small boats."
)


def feed_body(origin: str, feed: int, items: int) -> bytes:
    start = datetime(2026, 12, 1, tzinfo=UTC)
    entries = "".join(
        f"<item><title>Harbour news {feed}-{k}</title><link>{origin}/a/{feed}-{k}.html</link>"
        f"<guid>{origin}/a/{feed}-{k}</guid><pubDate>{format_datetime(start + timedelta(hours=k))}</pubDate>"
        f"<description>Report {k} from the harbour.</description></item>"
        for k in range(items)
    )
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>Feed {feed}</title><link>{origin}/</link>'
        f"<description>d</description>{entries}</channel></rss>"
    ).encode()


WORDS = sorted(set(PARAGRAPH.lower().replace(",", "").replace(".", "").split()))


def page_body(title: str) -> bytes:
    # Every page its own text (a shared body would make every page "the same article" to the dedup stage).
    rng = random.Random(title)
    paragraphs = "".join(
        "<p>" + " ".join(rng.choice(WORDS) for _ in range(45)).capitalize() + ".</p>" for _ in range(6)
    )
    return (
        f"<!doctype html><html lang=en><head><title>{title}</title></head><body><nav><a href=/>Home</a></nav>"
        f"<article><h1>{title}</h1>{paragraphs}</article><footer>Footer</footer></body></html>"
    ).encode()


def serve(hosts: int, port: int, items: int, latency: float, ready: Connection) -> None:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        origin = "http://{}:{}".format(*writer.get_extra_info("sockname")[:2])
        with contextlib.suppress(ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.split(b"\r\n")
                path = lines[0].split(b" ")[1].decode()
                inm = next(
                    (ln.split(b":", 1)[1].strip() for ln in lines[1:] if ln.lower().startswith(b"if-none-match:")), None
                )
                await asyncio.sleep(latency)
                if path.startswith("/feed/"):
                    body, kind = feed_body(origin, int(path[6:].split(".")[0]), items), b"application/rss+xml"
                elif path.startswith("/a/"):
                    body, kind = page_body(path), b"text/html; charset=utf-8"
                else:
                    writer.write(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
                    await writer.drain()
                    continue
                etag = b'"' + hashlib.sha1(body).hexdigest()[:16].encode() + b'"'
                if inm == etag:
                    writer.write(b"HTTP/1.1 304 Not Modified\r\nETag: " + etag + b"\r\n\r\n")
                else:
                    writer.write(
                        b"HTTP/1.1 200 OK\r\nContent-Type: "
                        + kind
                        + b"\r\nETag: "
                        + etag
                        + b"\r\nContent-Length: "
                        + str(len(body)).encode()
                        + b"\r\n\r\n"
                        + body
                    )
                await writer.drain()
        writer.close()

    async def main() -> None:
        servers = [await asyncio.start_server(handle, host_address(n), port, backlog=512) for n in range(hosts)]
        ready.send("ready")
        await asyncio.gather(*(s.serve_forever() for s in servers))

    asyncio.run(main())


# --- the runs ---------------------------------------------------------------------------------------------------


def write_config(
    folder: Path, *, feeds: int, hosts: int, port: int, min_delay: str, interval: str = "10m", health: int = 0
) -> Path:
    sources = [
        {"name": f"feed {f}", "url": f"http://{host_address(f % hosts)}:{port}/feed/{f}.xml", "interval": interval}
        for f in range(feeds)
    ]
    config = {
        "database": "monitor.db",
        "fetch": {"timeout": "30s", "allow_private_networks": True, "min_delay": min_delay},
        "sources": sources,
        "topics": [{"id": "harbour", "title": "Harbour", "query": "breakwater AND fishermen"}],
        "channels": [{"id": "log", "type": "log"}],
        "routes": [{"topics": ["*"], "channels": ["log"]}],
    }
    if health:
        config["health"] = {"enabled": True, "listen": f"127.0.0.1:{health}"}
        # Every feed at the stated interval (adaptive polling would stretch these dated, silent feeds to 2 h).
        config["fetch"]["adaptive_intervals"] = False
    path = folder / "monitor.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


def once(config: Path) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run(
        [*MONITOR, "once", "-c", str(config)],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"monitor once failed:\n{done.stderr[-3000:]}")
    return elapsed, done.stdout


def in_process(config: Path) -> float:
    from monitor.config import load_config
    from monitor.daemon import run_once

    settings = load_config(config)
    started = time.perf_counter()
    asyncio.run(run_once(settings))
    return time.perf_counter() - started


def naive(feeds: int, hosts: int, port: int) -> float:
    started = time.perf_counter()
    with httpx.Client(timeout=30) as client:
        for f in range(feeds):
            parsed = feedparser.parse(client.get(f"http://{host_address(f % hosts)}:{port}/feed/{f}.xml").content)
            for entry in parsed.entries:
                client.get(entry.link)
    return time.perf_counter() - started


def _proc_stats(pid: int) -> tuple[float, float]:
    """Return (CPU seconds, RSS MB) of a process, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    cpu = (int(fields[11]) + int(fields[12])) / ticks
    rss = int(fields[21]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    return cpu, rss


def _lag_p95(metrics: str, skip: dict[float, float] | None = None) -> tuple[float, dict[float, float], float]:
    """Return the p95 poll lag (upper bucket bound) from /metrics, the cumulative buckets and the count."""
    buckets: dict[float, float] = {}
    for line in metrics.splitlines():
        if line.startswith("monitor_poll_lag_seconds_bucket"):
            bound = line.split('le="', 1)[1].split('"', 1)[0]
            buckets[float("inf") if bound == "+Inf" else float(bound)] = float(line.rsplit(" ", 1)[1])
    if skip:
        buckets = {b: n - skip.get(b, 0.0) for b, n in buckets.items()}
    total = buckets.get(float("inf"), 0.0)
    for bound in sorted(buckets):
        if total and buckets[bound] >= 0.95 * total:
            return bound, buckets, total
    return float("nan"), buckets, total


def run_daemon(args: argparse.Namespace) -> None:
    """The daemon for a while: CPU share and RSS of its process, poll lag p95 from its /metrics after warm-up."""
    health = args.port + 1
    with tempfile.TemporaryDirectory() as tmp:
        config = write_config(
            Path(tmp),
            feeds=args.feeds,
            hosts=args.hosts,
            port=args.port,
            min_delay="1s",
            interval=args.interval,
            health=health,
        )
        daemon = subprocess.Popen(
            [*MONITOR, "run", "-c", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        try:
            started = time.monotonic()
            samples = []
            warm: dict[float, float] | None = None
            warm_cpu = warm_at = 0.0
            while time.monotonic() - started < args.daemon_minutes * 60:
                time.sleep(5)
                cpu, rss = _proc_stats(daemon.pid)
                samples.append((time.monotonic() - started, cpu, rss))
                if warm is None and time.monotonic() - started >= args.warmup * 60:
                    text = httpx.get(f"http://127.0.0.1:{health}/metrics", timeout=10).text
                    _, warm, _ = _lag_p95(text)
                    warm_cpu, warm_at = cpu, time.monotonic() - started
            text = httpx.get(f"http://127.0.0.1:{health}/metrics", timeout=10).text
            p95_all, _, polls_all = _lag_p95(text)
            p95, _, polls = _lag_p95(text, warm)
            end, cpu, _ = samples[-1]
            rss_max = max(r for _, _, r in samples)
            rss_steady = [r for t, _, r in samples if t >= warm_at]
            print(
                f"daemon: {args.feeds} feeds on {args.hosts} hosts, {args.latency * 1000:.0f} ms, interval "
                f"{args.interval}, {args.daemon_minutes:g} minutes (the first {args.warmup:g} are warm-up)"
            )
            print(
                f"  poll lag p95 after warm-up <= {p95:g} s over {polls:.0f} polls (whole run: <= {p95_all:g} s, "
                f"{polls_all:.0f} polls)"
            )
            print(
                f"  CPU: {100 * (cpu - warm_cpu) / (end - warm_at):.1f} % of a core after warm-up, "
                f"{100 * cpu / end:.1f} % over the whole run"
            )
            print(f"  RSS: max {rss_max:.0f} MB; after warm-up {min(rss_steady):.0f}-{max(rss_steady):.0f} MB")
        finally:
            daemon.terminate()
            daemon.wait(30)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--feeds", type=int, default=500)
    parser.add_argument("--hosts", type=int, default=100)
    parser.add_argument("--items", type=int, default=4)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--naive", type=int, default=50, help="feeds the naive loop reads (scaled to all)")
    parser.add_argument("--port", type=int, default=18080)
    parser.add_argument(
        "--daemon-minutes",
        type=float,
        default=0,
        help="instead: run the daemon this long and report lag, CPU and RSS (the issue's scale run: "
        "--feeds 10000 --hosts 1000 --latency 0.1 --items 1 --daemon-minutes 22)",
    )
    parser.add_argument("--warmup", type=float, default=11, help="minutes of the daemon run not counted in lag")
    parser.add_argument("--interval", default="10m", help="poll interval of each feed (daemon run)")
    args = parser.parse_args()

    receive, send = multiprocessing.Pipe(duplex=False)
    server = multiprocessing.Process(
        target=serve, args=(args.hosts, args.port, args.items, args.latency, send), daemon=True
    )
    server.start()
    if not receive.poll(30):
        sys.exit("the server did not start")
    receive.recv()
    pages = args.feeds * args.items
    per_host_pages = pages / args.hosts
    if args.daemon_minutes:
        try:
            run_daemon(args)
        finally:
            server.terminate()
        return 0
    try:
        print(
            f"{args.feeds} feeds on {args.hosts} hosts, {args.items} new items each, {args.latency * 1000:.0f} ms "
            f"per response; defaults otherwise (per_host 2, concurrency 32)"
        )
        results = {}
        for delay in ("1s", "0s"):
            with tempfile.TemporaryDirectory() as tmp:
                config = write_config(Path(tmp), feeds=args.feeds, hosts=args.hosts, port=args.port, min_delay=delay)
                first, out = once(config)
                second, _ = once(config)
                inside = in_process(config)
                results[delay] = (first, second, inside)
                items_line = next((ln for ln in out.splitlines() if ln.startswith("items:")), "")
                print(
                    f"min_delay {delay}: cycle 1 {first:.1f} s ({items_line.strip()}); all-304 cycle "
                    f"{second:.2f} s = {args.feeds / second:.0f} feeds/s with process start, "
                    f"{inside:.2f} s = {args.feeds / inside:.0f} feeds/s inside one process"
                )
        polite_floor = per_host_pages * 1.0
        requests = args.feeds + pages
        free_floor = requests * args.latency / 32
        print(
            f"politeness floor (min_delay 1s): {polite_floor:.1f} s; cycle 1 is "
            f"{results['1s'][0] / polite_floor:.2f}x the floor (target <= 1.5x)"
        )
        print(
            f"no-politeness floor ({requests} requests x {args.latency * 1000:.0f} ms / 32 in flight): "
            f"{free_floor:.1f} s; cycle 1 with min_delay 0s is {results['0s'][0] / free_floor:.2f}x it "
            f"(target <= 2x)"
        )
        if args.naive:
            sample = min(args.naive, args.feeds)
            took = naive(sample, args.hosts, args.port) * args.feeds / sample
            print(
                f"naive loop (httpx.get + feedparser.parse + GET per article, sequential): {took:.1f} s for all "
                f"{args.feeds} feeds (measured on {sample}, scaled); monitor's polite cycle 1 is "
                f"{took / results['1s'][0]:.1f}x faster, min_delay 0s {took / results['0s'][0]:.1f}x"
            )
    finally:
        server.terminate()
    return 0


if __name__ == "__main__":
    sys.exit(main())
