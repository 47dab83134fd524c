"""Feeds per second through the real fetch + parse stage: N corpus feeds served on 127.0.0.1, two poll cycles.

Cycle 1: every feed new (200, parsed). Cycle 2: every feed unchanged (304, no parsing). The server runs in a
separate process (a small asyncio HTTP/1.1 keep-alive server) so it does not share our GIL. Baseline: a sequential
``feedparser.parse(url)`` loop over a sample of the same URLs, which is what many monitoring scripts do.

    python benchmarks/poll.py [--feeds 2000] [--baseline 200] [--concurrency 32]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import multiprocessing
import resource
import sys
import time
from multiprocessing.connection import Connection
from pathlib import Path

import feedparser

from monitor.errors import FetchError, ParseError
from monitor.fetch import HostLimiter, Validators, build_client, fetch_feed
from monitor.parse import parse_feed

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus" / "feeds"
FEED_DIRS = ("fastfeedparser-benchmark", "fastfeedparser-integration", "miniflux")


def corpus_bodies() -> list[bytes]:
    """Return the bytes of every corpus feed."""
    return [p.read_bytes() for d in FEED_DIRS for p in sorted((CORPUS / d).glob("*")) if p.is_file()]


# --- the server (child process) -------------------------------------------------------------------------------


def serve(bodies: list[bytes], feeds: int, ready: Connection) -> None:
    """Serve /feed/<n>.xml -> bodies[n % len(bodies)] with an ETag, answering 304 to a matching If-None-Match."""
    etags = [f'"{hashlib.sha1(body).hexdigest()[:16]}"'.encode() for body in bodies]

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.split(b"\r\n")
                path = lines[0].split(b" ")[1]
                inm = next(
                    (ln.split(b":", 1)[1].strip() for ln in lines[1:] if ln.lower().startswith(b"if-none-match:")), None
                )
                try:
                    index = int(path.rsplit(b"/", 1)[1].split(b".")[0]) % len(bodies)
                except ValueError:
                    writer.write(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
                    continue
                if inm == etags[index]:
                    writer.write(
                        b"HTTP/1.1 304 Not Modified\r\nETag: " + etags[index] + b"\r\nContent-Length: 0\r\n\r\n"
                    )
                else:
                    body = bodies[index]
                    writer.write(
                        b"HTTP/1.1 200 OK\r\nContent-Type: application/xml\r\nETag: "
                        + etags[index]
                        + b"\r\nContent-Length: "
                        + str(len(body)).encode()
                        + b"\r\n\r\n"
                        + body
                    )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
            pass
        finally:
            writer.close()

    async def main() -> None:
        server = await asyncio.start_server(handle, "127.0.0.1", 0, backlog=1024)
        ready.send(server.sockets[0].getsockname()[1])
        async with server:
            await server.serve_forever()

    asyncio.run(main())


# --- the client (this process) --------------------------------------------------------------------------------


async def cycle(urls: list[str], validators: list[Validators], concurrency: int) -> tuple[float, int, int, int]:
    """Poll every URL once through fetch_feed + parse_feed; return (seconds, parsed, not modified, failed)."""
    counts = {"parsed": 0, "not_modified": 0, "failed": 0}
    slots = asyncio.Semaphore(concurrency)
    limiter = HostLimiter(concurrency)  # one host serves them all here; the daemon's per_host would throttle
    async with build_client(user_agent="monitor-bench/1.0", timeout=30, concurrency=concurrency) as client:

        async def one(index: int) -> None:
            async with slots:
                try:
                    result = await fetch_feed(
                        client, urls[index], validators=validators[index], max_bytes=10_000_000, limiter=limiter
                    )
                    validators[index] = result.validators
                    if result.not_modified:
                        counts["not_modified"] += 1
                        return
                    parse_feed(result.body, result.url)
                    counts["parsed"] += 1
                except (FetchError, ParseError):
                    counts["failed"] += 1

        start = time.perf_counter()
        await asyncio.gather(*(one(i) for i in range(len(urls))))
        elapsed = time.perf_counter() - start
    return elapsed, counts["parsed"], counts["not_modified"], counts["failed"]


def baseline(urls: list[str]) -> float:
    """Return feeds/s of a sequential feedparser.parse(url) loop (feedparser fetching by itself)."""
    start = time.perf_counter()
    for url in urls:
        with contextlib.suppress(Exception):
            feedparser.parse(url)
    return len(urls) / (time.perf_counter() - start)


def main() -> int:
    """Run both cycles and the baseline; print feeds/s, peak RSS and the ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=2000)
    parser.add_argument("--baseline", type=int, default=200, help="feeds in the sequential feedparser sample")
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args()
    if not CORPUS.is_dir():
        print(f"feed corpus not found at {CORPUS}", file=sys.stderr)
        return 1
    bodies = corpus_bodies()
    receive, send = multiprocessing.Pipe(duplex=False)
    server = multiprocessing.Process(target=serve, args=(bodies, args.feeds, send), daemon=True)
    server.start()
    port = receive.recv()
    try:
        urls = [f"http://127.0.0.1:{port}/feed/{n}.xml" for n in range(args.feeds)]
        size = sum(len(bodies[n % len(bodies)]) for n in range(args.feeds))
        del bodies  # the child has its own copy; the client's RSS should not count the corpus
        validators = [Validators() for _ in urls]
        first = asyncio.run(cycle(urls, validators, args.concurrency))
        second = asyncio.run(cycle(urls, validators, args.concurrency))
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        base = baseline(urls[: args.baseline])
    finally:
        server.terminate()
        server.join()
    print(f"{args.feeds} feeds from the corpus ({size / 1e6:.0f} MB per full cycle), concurrency {args.concurrency}")
    for name, (elapsed, parsed, unchanged, failed) in (("cycle 1 (all new)", first), ("cycle 2 (all 304)", second)):
        print(
            f"{name}: {args.feeds / elapsed:7.0f} feeds/s  ({elapsed:.2f} s; {parsed} parsed, {unchanged} unchanged, "
            f"{failed} failed)"
        )
    print(f"peak RSS (fetch + parse process): {peak_mb:.0f} MB")
    print(f"baseline, sequential feedparser.parse(url) on {args.baseline} feeds: {base:7.1f} feeds/s")
    print(f"ratio: cycle 1 {args.feeds / first[0] / base:.1f}x, cycle 2 {args.feeds / second[0] / base:.1f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
