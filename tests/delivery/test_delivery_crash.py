"""Crash safety: the daemon is killed with SIGKILL while deliveries are in flight; after a restart every alert
arrives, and an alert received twice carries the same webhook-id both times."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import pytest
from delivery_peers import Answer, Receiver, write_config

ITEMS = 24
WORDS = ("harbour", "convoy", "minister", "envoy", "frigate", "lease", "coast", "treaty", "navy", "grain")


def feed(count: int) -> bytes:
    items = []
    start = datetime(2025, 3, 1, tzinfo=UTC)
    for n in range(count):
        rng = random.Random(n)
        # Distinct texts, so the story de-duplication sees separate stories, not one.
        text = " ".join(rng.choice(WORDS) + str(rng.randrange(1000)) for _ in range(80))
        items.append(
            f"<item><title>Report {n} from Tartus</title><link>https://news.example.org/r/{n}</link>"
            f"<guid>r-{n}</guid><pubDate>{format_datetime(start + timedelta(minutes=n))}</pubDate>"
            f"<description>{escape(f'Tartus port report {n}: {text}')}</description></item>"
        )
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Crash feed</title>'
        f"<link>https://news.example.org/</link>{''.join(items)}</channel></rss>"
    ).encode()


@contextmanager
def feed_server(body: bytes) -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            found = self.path == "/feed.xml"
            self.send_response(200 if found else 404)
            self.send_header("content-type", "application/rss+xml" if found else "text/plain")
            payload = body if found else b""
            self.send_header("content-length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/feed.xml"
    finally:
        server.shutdown()
        server.server_close()


def start_daemon(config: Path, log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "monitor", "run", "-c", str(config)], stdout=out, stderr=subprocess.STDOUT, env=env
        )


@pytest.mark.slow
def test_kill_9_during_deliveries_loses_nothing(tmp_path: Path) -> None:
    with feed_server(feed(ITEMS)) as feed_url, Receiver() as receiver:
        receiver.default = Answer(hang=0.4)  # slow enough that deliveries are in flight when the kill comes
        config = write_config(
            tmp_path,
            [{"id": "hook", "type": "webhook", "url": receiver.url, "concurrency": 3}],
            [{"topics": ["tartus"], "channels": ["hook"]}],
            sources=[{"name": "Crash feed", "url": feed_url, "interval": "2s"}],
            fetch={"allow_private_networks": True, "fetch_articles": False, "timeout": "5s"},
        )
        log = tmp_path / "daemon.log"
        daemon = start_daemon(config, log)
        try:
            got = receiver.wait_for(4, timeout=30)
            assert len(got) >= 4, log.read_text()
            daemon.send_signal(signal.SIGKILL)
            daemon.wait(10)
            before = len(receiver.got)
            assert before < ITEMS, "every delivery was done before the kill: the test proves nothing"
            receiver.default = Answer()
            daemon = start_daemon(config, log)
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                urls = {g.payload["data"]["article"]["url"] for g in receiver.got if g.payload}
                if len(urls) == ITEMS:
                    break
                time.sleep(0.2)
        finally:
            daemon.send_signal(signal.SIGTERM)
            try:
                daemon.wait(15)
            except subprocess.TimeoutExpired:
                daemon.kill()
    by_id: dict[str | None, set[str]] = {}
    for g in receiver.got:
        if g.payload is None:
            continue  # a request cut off by the kill: the sender never saw a 2xx, so it is sent again
        by_id.setdefault(g.webhook_id, set()).add(g.payload["data"]["article"]["url"])
    urls = set().union(*by_id.values())
    assert len(urls) == ITEMS, log.read_text()[-3000:]
    # A duplicate (an alert in flight at the kill) carries the same id: one id per article, one article per id.
    assert all(len(found) == 1 for found in by_id.values())
    assert len(by_id) == ITEMS
