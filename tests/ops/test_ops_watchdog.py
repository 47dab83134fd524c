"""In process: the watchdog is fed only while the database accepts writes, and /healthz says why it is not."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from ops_peers import NotifySocket, free_port, http_get, write_config
from sqlite_utils import Database

from monitor import ops
from monitor.config import load_config
from monitor.daemon import run_daemon
from monitor.demo.site import NewsSite


@pytest.fixture
def notify(monkeypatch: pytest.MonkeyPatch) -> Iterator[NotifySocket]:
    sock = NotifySocket()
    monkeypatch.setenv("NOTIFY_SOCKET", sock.path)
    monkeypatch.setenv("WATCHDOG_USEC", "200000")  # ping every 0.1 s
    monkeypatch.delenv("WATCHDOG_PID", raising=False)
    yield sock
    sock.close()


def test_watchdog_pings_stop_while_the_database_is_not_writable(
    tmp_path: Path, news_site: NewsSite, notify: NotifySocket, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = free_port()
    settings = load_config(
        write_config(
            tmp_path / "monitor.yaml",
            [{"name": "Demo world", "url": news_site.url("world/rss.xml")}],
            health={"enabled": True, "listen": f"127.0.0.1:{port}"},
        )
    )
    broken = [False]
    real_ping = ops.ping_database

    def ping(db: Database, now: datetime) -> str | None:
        return "database not writable: disk I/O error" if broken[0] else real_ping(db, now)

    monkeypatch.setattr(ops, "ping_database", ping)

    async def scenario() -> tuple[int, int, tuple[int, str, str]]:
        stop = asyncio.Event()
        daemon = asyncio.create_task(run_daemon(settings, stop))
        while not notify.wait_for("WATCHDOG=1", count=2, timeout=0):
            assert not daemon.done(), daemon.result()
            await asyncio.sleep(0.05)
        broken[0] = True
        await asyncio.sleep(0.3)
        pings_before = notify.lines().count("WATCHDOG=1")
        await asyncio.sleep(0.6)
        pings_while_broken = notify.lines().count("WATCHDOG=1") - pings_before
        answer = await asyncio.to_thread(http_get, f"http://127.0.0.1:{port}/healthz")
        broken[0] = False
        await asyncio.sleep(0.4)
        pings_after = notify.lines().count("WATCHDOG=1") - pings_before - pings_while_broken
        stop.set()
        await asyncio.wait_for(daemon, 15)
        return pings_while_broken, pings_after, answer

    while_broken, after, (status, _, body) = asyncio.run(scenario())
    assert while_broken == 0
    assert after >= 2
    assert status == 503 and json.loads(body)["reasons"] == ["database not writable: disk I/O error"]
    assert "STOPPING=1" in notify.lines()
