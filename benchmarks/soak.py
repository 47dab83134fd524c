"""Endurance: the daemon against a local site of many feeds whose items keep appearing, for a while.

Reports RSS over time (target: flat after warm-up, under 10 % growth), CPU share, poll lag p95 (from the
daemon's own /metrics) and whether every published item that matches was alerted exactly once.

    .venv/bin/python benchmarks/soak.py [--minutes 2] [--feeds 500] [--rate 2] [--interval 30s]

The issue's full run is ``--minutes 30``. Everything runs on 127.0.0.1; no corpus needed.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections import Counter
from datetime import UTC, datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from xml.sax.saxutils import escape

import yaml

from monitor.demo.sink import WebhookSink, make_secret

REPO = Path(__file__).resolve().parents[1]
# A synthetic vocabulary large enough that random items are not near-duplicates of each other (story grouping).
WORDS = [a + b + c for a in "bdfgklmnprstvz" for b in "aeiou" for c in ("", "n", "r", "s", "l", "m", "t")]
MATCHING = "Russian navy keeps its base at Tartus in Syria, officials said."
KEEP_ITEMS = 20


class Feeds:
    """``/feed/N.xml``: RSS feeds with ETags; ``publish()`` adds an item to a random feed."""

    def __init__(self, count: int, seed: int = 7) -> None:
        self.items: list[list[tuple[str, str, str, float]]] = [[] for _ in range(count)]
        self.lock = threading.Lock()
        self.rng = random.Random(seed)
        self.matching: list[str] = []
        self.published = 0
        self.polls = 0
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def publish(self) -> None:
        with self.lock:
            feed = self.rng.randrange(len(self.items))
            self.published += 1
            url = f"http://127.0.0.1:{self.port}/a/{feed}/{self.published}"
            matches = self.rng.random() < 0.2
            words = " ".join(self.rng.choice(WORDS) for _ in range(60))
            text = f"{MATCHING} {words}" if matches else words
            if matches:
                self.matching.append(url)
            self.items[feed] = [(url, f"Item {self.published}", text, time.time()), *self.items[feed]][:KEEP_ITEMS]

    def body(self, feed: int) -> bytes:
        with self.lock:
            items = list(self.items[feed])
        entries = "".join(
            f"<item><title>{escape(title)}</title><link>{url}</link><guid>{url}</guid>"
            f"<pubDate>{format_datetime(_utc(at))}</pubDate><description>{escape(text)}</description></item>"
            for url, title, text, at in items
        )
        return (
            f'<?xml version="1.0"?><rss version="2.0"><channel><title>Feed {feed}</title>'
            f"<link>http://127.0.0.1/</link><description>soak</description>{entries}</channel></rss>"
        ).encode()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        feeds = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                found = re.fullmatch(r"/feed/(\d+)\.xml", self.path)
                if not found or int(found.group(1)) >= len(feeds.items):
                    self.send_error(404)
                    return
                feeds.polls += 1
                body = feeds.body(int(found.group(1)))
                etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
                if self.headers.get("If-None-Match") == etag:
                    self.send_response(304)
                    self.send_header("ETag", etag)
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/rss+xml")
                self.send_header("ETag", etag)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        return Handler


def _utc(at: float) -> datetime:
    return datetime.fromtimestamp(at, UTC)


def _alerted(sink: WebhookSink) -> Counter[str]:
    """Return how many alerts arrived per article URL."""
    return Counter(r["payload"]["data"]["article"]["url"] for r in sink.received)


def sample(pid: int) -> tuple[float, float]:
    """Return (RSS in MB, CPU seconds used) of a process, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    rss = int(fields[21]) * os.sysconf("SC_PAGE_SIZE") / 1e6
    return rss, cpu


def lag_p95(metrics: str) -> float | None:
    """Return the 95th percentile of monitor_poll_lag_seconds from its histogram buckets."""
    buckets = [
        (float("inf") if le == "+Inf" else float(le), float(v))
        for le, v in re.findall(r'monitor_poll_lag_seconds_bucket\{le="([^"]+)"\} (\S+)', metrics)
    ]
    if not buckets or buckets[-1][1] == 0:
        return None
    target = 0.95 * buckets[-1][1]
    return next(le for le, count in buckets if count >= target)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=2.0, help="how long to publish (the issue's run: 30)")
    parser.add_argument("--feeds", type=int, default=500)
    parser.add_argument("--rate", type=float, default=2.0, help="new items per second across all feeds")
    parser.add_argument("--interval", default="30s", help="poll interval of every feed")
    args = parser.parse_args()

    feeds = Feeds(args.feeds)
    for _ in range(args.feeds):  # every feed starts with one item, so the first cycle parses them all
        feeds.publish()
    secret = make_secret()
    workdir = Path(tempfile.mkdtemp(prefix="soak-"))
    metrics_port = 19464 + os.getpid() % 1000
    with WebhookSink(secret) as sink:
        config = {
            "database": "soak.db",
            "fetch": {
                "allow_private_networks": True,
                "fetch_articles": False,
                "adaptive_intervals": False,
                "per_host": 64,
                "concurrency": 64,
                "min_delay": "1ms",
                "robots_txt": False,
                "timeout": "10s",
            },
            "defaults": {"interval": args.interval},
            "sources": [
                {"name": f"Feed {i}", "url": f"http://127.0.0.1:{feeds.port}/feed/{i}.xml"} for i in range(args.feeds)
            ],
            "topics": [{"id": "tartus", "title": "Tartus", "query": "tartus AND syria"}],
            "channels": [{"id": "hook", "type": "webhook", "url": sink.url, "secret": secret}],
            "routes": [{"topics": ["*"], "channels": ["hook"]}],
            "health": {"enabled": True, "listen": f"127.0.0.1:{metrics_port}"},
            "log_level": "warning",
        }
        (workdir / "soak.yaml").write_text(yaml.safe_dump(config))
        daemon = subprocess.Popen(
            [sys.executable, "-m", "monitor", "run", "-c", str(workdir / "soak.yaml")],
            stdout=subprocess.DEVNULL,
            stderr=open(workdir / "daemon.log", "w"),  # noqa: SIM115 - the daemon's log for the run's whole life
        )
        started = time.monotonic()
        end = started + args.minutes * 60
        samples: list[tuple[float, float, float]] = []
        next_sample = started
        print(
            f"soak: {args.feeds} feeds every {args.interval}, {args.rate} items/s for {args.minutes} min "
            f"(pid {daemon.pid}, {workdir})"
        )
        while time.monotonic() < end and daemon.poll() is None:
            feeds.publish()
            now = time.monotonic()
            if now >= next_sample:
                rss, cpu = sample(daemon.pid)
                samples.append((now - started, rss, cpu))
                print(
                    f"  t={now - started:6.0f}s  rss={rss:6.1f} MB  cpu={cpu:6.1f} s  polls={feeds.polls}  "
                    f"published={feeds.published}  alerts={len(sink.received)}",
                    flush=True,
                )
                next_sample = now + max(5.0, args.minutes * 60 / 20)
            time.sleep(1 / args.rate)
        # let the last items be polled, matched and delivered
        interval = float(re.sub(r"[^\d.]", "", args.interval)) * (60 if args.interval.endswith("m") else 1)
        deadline = time.monotonic() + 2 * interval + 10
        while time.monotonic() < deadline and len(_alerted(sink)) < len(feeds.matching):
            time.sleep(1)
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        metrics = opener.open(f"http://127.0.0.1:{metrics_port}/metrics", timeout=5).read().decode()
        rss, cpu = sample(daemon.pid)
        samples.append((time.monotonic() - started, rss, cpu))
        daemon.send_signal(signal.SIGTERM)
        code = daemon.wait(30)
    urls = _alerted(sink)
    expected = set(feeds.matching)
    warm = next((s for s in samples if s[0] >= samples[-1][0] * 0.25), samples[0])
    elapsed = samples[-1][0]
    print(f"exit code {code}; {feeds.polls} polls, {feeds.published} items published, {len(expected)} matching")
    print(
        f"RSS: {warm[1]:.1f} MB after warm-up (t={warm[0]:.0f}s) -> {samples[-1][1]:.1f} MB at the end "
        f"({(samples[-1][1] / warm[1] - 1) * 100:+.1f} %; target < +10 %)"
    )
    print(f"CPU share: {samples[-1][2] / elapsed * 100:.1f} % of one core over {elapsed:.0f} s")
    p95 = lag_p95(metrics)
    print(f"poll lag p95: {'n/a' if p95 is None else f'<= {p95:g} s'} (histogram bucket)")
    missing = expected - set(urls)
    duplicated = {u: n for u, n in urls.items() if n > 1}
    unexpected = set(urls) - expected
    ok = not missing and not duplicated and not unexpected
    print(
        f"alerts: {len(urls)} distinct of {len(expected)} expected; missing {len(missing)}, "
        f"duplicated {len(duplicated)}, unexpected {len(unexpected)} -> {'OK' if ok else 'FAIL'}"
    )
    sys.exit(0 if ok and code == 0 else 1)


if __name__ == "__main__":
    main()
