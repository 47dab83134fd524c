"""SIGTERM while a slow poll is in flight: the poll finishes within the grace period and the daemon exits 0."""

from __future__ import annotations

import re
import sqlite3
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from ops_peers import Daemon, write_config

pytestmark = pytest.mark.slow

TRICKLE_SECONDS = 3.0
FEED = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Slow wire</title><link>http://127.0.0.1/</link>
<item><title>Russian navy ships leave the port of Tartus</title><link>http://127.0.0.1/a/1</link>
<guid>slow-1</guid><pubDate>Sat, 01 Mar 2025 10:00:00 GMT</pubDate>
<description>Ships of the Russian navy left the naval base at Tartus in Syria on Saturday, officials said.
The Russian military presence at Tartus and the Hmeimim air base has been under review.</description></item>
</channel></rss>
"""


class SlowFeed:
    """A feed server that sends its body in pieces over ``TRICKLE_SECONDS`` and says when it began and ended."""

    def __init__(self) -> None:
        self.reading = threading.Event()  # the first piece of the body went out: the poll is reading it
        self.finished = threading.Event()
        feed = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(200)
                self.send_header("content-type", "application/rss+xml")
                self.send_header("content-length", str(len(FEED)))
                self.end_headers()
                pieces = 6
                step = len(FEED) // pieces + 1
                for n in range(pieces):
                    time.sleep(TRICKLE_SECONDS / pieces)
                    self.wfile.write(FEED[n * step : (n + 1) * step])
                    self.wfile.flush()
                    feed.reading.set()
                feed.finished.set()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/slow.xml"

    def __enter__(self) -> SlowFeed:
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def slow_feed() -> Iterator[SlowFeed]:
    with SlowFeed() as feed:
        yield feed


def test_sigterm_waits_for_a_slow_poll_and_exits_0(tmp_path: Path, slow_feed: SlowFeed) -> None:
    fetch = {
        "timeout": "10s",
        "allow_private_networks": True,
        "adaptive_intervals": False,
        "min_delay": "1ms",
        "robots_txt": False,
        "fetch_articles": False,
    }
    config = write_config(tmp_path / "monitor.yaml", [{"name": "Slow wire", "url": slow_feed.url}], fetch=fetch)
    daemon = Daemon(config)
    try:
        assert slow_feed.reading.wait(20), daemon.lines[-10:]
        assert not slow_feed.finished.is_set()
        signalled = time.monotonic()
        daemon.proc.terminate()
        code = daemon.proc.wait(timeout=15)
        took = time.monotonic() - signalled
    finally:
        daemon.stop()
    assert code == 0, daemon.lines[-10:]
    assert took < 10, took
    assert took >= 1.5  # it did wait for the body rather than cut the poll off
    messages = [str(e.get("msg", "")) for e in daemon.events()]
    # The slow poll is in flight (a delivery nudge may be too, at that instant).
    assert any(re.search(r"waiting up to \d+ s for [1-9] polls? in flight", m) for m in messages), messages
    assert any(m.startswith("polled Slow wire: 1 new entries") for m in messages), messages
    assert not any("cancelled" in m for m in messages), messages
    # The poll's work was committed before the exit: the article and its hit are stored, the source is healthy.
    db = sqlite3.connect(tmp_path / "monitor.db")
    try:
        assert db.execute("SELECT count(*) FROM articles").fetchone()[0] == 1
        assert db.execute("SELECT count(*) FROM hits").fetchone()[0] >= 1
        assert db.execute("SELECT consecutive_failures, last_success_at IS NOT NULL FROM sources").fetchone() == (0, 1)
    finally:
        db.close()
