"""Three daemons on one PostgreSQL database, 300 feeds, and `kill -9` of one of them mid-cycle: the other two take
its sources over when its leases expire, every relevant item alerts, every (hit, channel) arrives at least once and
any repeat carries the same webhook-id (issue #15)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest
from delivery_peers import Receiver, write_config
from hostile_kit import EvilSite, feed, item, send, story_text, wait_until

psycopg = pytest.importorskip("psycopg")

Defence = Callable[[str], None]
FEEDS = 300
DAEMONS = 3
SERVER = os.environ.get("MONITOR_TEST_POSTGRES", "postgresql:///test")


@pytest.fixture
def schema() -> Iterator[str]:
    """Return the URL of a fresh PostgreSQL schema for this test, dropped afterwards."""
    name = f"monitor_fleet_{uuid.uuid4().hex[:10]}"
    try:
        admin = psycopg.connect(SERVER, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        if os.environ.get("MONITOR_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"MONITOR_REQUIRE_POSTGRES=1 but no PostgreSQL answers at {SERVER}: {exc}")
        pytest.skip(f"no PostgreSQL server answers at {SERVER} (set MONITOR_TEST_POSTGRES): {exc}")
    admin.execute(f'CREATE SCHEMA "{name}"')
    separator = "&" if "?" in SERVER else "?"
    try:
        yield f"{SERVER}{separator}options=-csearch_path%3D{name}"
    finally:
        admin.execute(f'DROP SCHEMA "{name}" CASCADE')
        admin.close()


def start(config: Path, log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "monitor", "run", "-c", str(config)],
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )


@pytest.mark.slow
@pytest.mark.timeout(400)
def test_three_daemons_share_the_work_and_survive_a_kill_9(tmp_path: Path, schema: str, defence: Defence) -> None:
    published = [1]  # Tartus items per feed

    def feed_route(number: int) -> Callable[[BaseHTTPRequestHandler], None]:
        def answer(h: BaseHTTPRequestHandler) -> None:
            items = [
                item(
                    number * 100 + n,
                    title=f"Tartus fleet report {number}-{n}",
                    text=story_text(number * 100 + n, 40),
                    link=f"https://news.example.org/{number}/{n}",
                )
                for n in range(published[0])
            ]
            items.append(
                item(
                    number * 100 + 99,
                    title=f"Weather {number}",
                    text="Sunny and dry.",
                    link=f"https://news.example.org/{number}/weather",
                )
            )
            send(h, 200, feed(items), {"Content-Type": "application/rss+xml"})

        return answer

    secret = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    with EvilSite() as site, Receiver([secret]) as receiver:
        receiver.server.handle_error = lambda *args: None  # type: ignore[method-assign]  # requests cut by the kill
        for number in range(FEEDS):
            site.routes[f"/feed/{number}.xml"] = feed_route(number)
        config = write_config(
            tmp_path,
            [{"id": "hook", "type": "webhook", "url": receiver.url, "secret": secret}],
            [{"topics": ["tartus"], "channels": ["hook"]}],
            database=schema,
            lease="10s",  # a dead daemon's sources are taken over after this (60 s by default)
            sources=[{"name": f"Feed {n}", "url": site.url(f"/feed/{n}.xml"), "interval": "5s"} for n in range(FEEDS)],
            fetch={
                "allow_private_networks": True,
                "fetch_articles": False,
                "timeout": "5s",
                "adaptive_intervals": False,
                "min_interval": "1s",
                "per_host": 16,
                "min_delay": "0s",
                "robots_txt": False,
            },
        )
        logs = [tmp_path / f"daemon{n}.log" for n in range(DAEMONS)]
        started = time.time()
        daemons = [start(config, log) for log in logs]
        try:
            first = wait_until(lambda: len(arrived_urls(receiver)) >= FEEDS // 3, timeout=60, step=0.1)
            daemons[1].send_signal(signal.SIGKILL)  # mid-cycle: it holds leases and in-flight deliveries
            daemons[1].wait(10)
            killed_at = time.time()
            published[0] = 2  # a second item per feed, published after the kill
            expected = {f"https://news.example.org/{n}/{i}" for n in range(FEEDS) for i in range(2)}
            everything = wait_until(lambda: arrived_urls(receiver) >= expected, timeout=150, step=0.5)
            took = time.time() - started
            settled = wait_until(lambda: pending(schema) == 0, timeout=60, step=0.5)
        finally:
            for daemon in daemons:
                if daemon.poll() is None:
                    daemon.send_signal(signal.SIGTERM)
            for daemon in daemons:
                try:
                    daemon.wait(20)
                except subprocess.TimeoutExpired:
                    daemon.kill()
    text = "\n".join(log.read_text(errors="replace")[-2000:] for log in logs)
    assert first, text
    assert everything, f"missing {len(expected - arrived_urls(receiver))} of {len(expected)}\n{text}"
    assert settled, text
    got = [(g.webhook_id, g.payload["data"]["article"]["url"]) for g in receiver.got if g.payload]
    ids_by_url: dict[str, set[str | None]] = {}
    urls_by_id: dict[str | None, set[str]] = {}
    for webhook_id, url in got:
        ids_by_url.setdefault(url, set()).add(webhook_id)
        urls_by_id.setdefault(webhook_id, set()).add(url)
    assert all(len(ids) == 1 for ids in ids_by_url.values())  # a repeat is the same alert, never a new one
    assert all(len(urls) == 1 for urls in urls_by_id.values())
    repeats = len(got) - len(ids_by_url)
    # Only sends the dead daemon had in flight may go out again (under their own id): never a daemon's share of the
    # outbox twice (without send leases three daemons sent 624 repeats of 600 here).
    assert repeats <= 20, repeats
    polled_after_kill = polls_since(schema, killed_at)
    assert polled_after_kill == FEEDS  # every source, the dead daemon's included, was polled again
    assert "Traceback" not in text, text
    defence(
        f"3 daemons on one PostgreSQL database, {FEEDS} feeds; kill -9 of one mid-cycle: all {len(expected)} alerts "
        f"arrived within {took:.0f} s, {repeats} repeats under the same webhook-id, every source polled again after "
        "the kill"
    )


def arrived_urls(receiver: Receiver) -> set[str]:
    with receiver.lock:
        return {g.payload["data"]["article"]["url"] for g in receiver.got if g.payload}


def pending(url: str) -> int:
    with psycopg.connect(url, connect_timeout=3) as db:
        row = db.execute("SELECT count(*) FROM deliveries WHERE status != 'sent'").fetchone()
    return int(row[0]) if row else -1


def polls_since(url: str, moment: float) -> int:
    from datetime import UTC, datetime

    since = datetime.fromtimestamp(moment, UTC).isoformat()
    with psycopg.connect(url, connect_timeout=3) as db:
        row = db.execute("SELECT count(*) FROM sources WHERE last_polled_at > %s", [since]).fetchone()
    return int(row[0]) if row else 0
