"""In process: the watchdog is fed only while the database accepts writes, and /healthz says why it is not."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from faulty_db import FaultyDb, writes
from ops_peers import NotifySocket, free_port, http_get, write_config
from waiting import until

from monitor import store
from monitor.config import load_config
from monitor.daemon import Service, open_runtime
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
    tmp_path: Path, news_site: NewsSite, notify: NotifySocket
) -> None:
    port = free_port()
    settings = load_config(
        write_config(
            tmp_path / "monitor.yaml",
            [{"name": "Demo world", "url": news_site.url("world/rss.xml")}],
            health={"enabled": True, "listen": f"127.0.0.1:{port}"},
        )
    )
    db = FaultyDb(store.open_database(settings.database))
    refused = db.fail(writes("heartbeat"), "disk I/O error", on=False)  # the heartbeat's probe is a real write

    async def scenario() -> tuple[int, int, tuple[int, str, str]]:
        stop, reload = asyncio.Event(), asyncio.Event()
        async with open_runtime(settings, db=db) as rt:
            service = asyncio.create_task(Service(rt).run(stop, reload))
            await until(lambda: notify.lines().count("WATCHDOG=1") >= 2 or service.done(), what="two pings")
            assert not service.done(), service.result()
            refused.on = True
            await until(lambda: refused.raised >= 1, what="a refused probe")
            pings_before = notify.lines()[: notify.mark()].count("WATCHDOG=1")
            await until(lambda: refused.raised >= 6, what="five more heartbeats")
            pings_while_broken = notify.lines()[: notify.mark()].count("WATCHDOG=1") - pings_before
            answer = await asyncio.to_thread(http_get, f"http://127.0.0.1:{port}/healthz")
            refused.on = False
            pings = pings_before + pings_while_broken
            await until(lambda: notify.lines().count("WATCHDOG=1") >= pings + 2, what="pings again once writable")
            stop.set()
            await asyncio.wait_for(service, 15)
        return pings_while_broken, notify.lines().count("WATCHDOG=1") - pings, answer

    while_broken, after, (status, _, body) = asyncio.run(scenario())
    assert while_broken == 0
    assert after >= 2
    assert status == 503
    assert json.loads(body)["reasons"] == [f"database not writable: database {settings.database}: disk I/O error"]
    assert "STOPPING=1" in notify.lines()
