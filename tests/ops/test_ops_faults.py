"""The daemon's ops side under faults: /healthz answers 503 (not a dropped connection) when the database fails, the
heartbeat survives, a reload keeps the fetch and health settings in force, `monitor once` respects the lock."""

from __future__ import annotations

import asyncio
import json
import subprocess
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from faulty_db import FaultyDb, writes
from ops_peers import MONITOR, Daemon, free_port, http_get, write_config
from waiting import until

from monitor import ops, store
from monitor.config import Settings, load_config
from monitor.daemon import Service, open_runtime
from monitor.demo.site import NewsSite
from monitor.errors import StoreError
from monitor.service import jobs
from monitor.store import Db


@asynccontextmanager
async def running(settings: Settings, db: Db | None = None) -> AsyncIterator[Service]:
    stop, reload = asyncio.Event(), asyncio.Event()
    async with open_runtime(settings, db=db) as rt:
        service = Service(rt)
        task = asyncio.create_task(service.run(stop, reload))
        try:
            yield service
        finally:
            stop.set()
            await asyncio.wait_for(task, 20)


def broken_details() -> dict[str, Any]:
    raise StoreError("database is locked")


def test_healthz_is_503_naming_the_database_when_its_details_fail() -> None:
    health = ops.Health(scheduler_running=lambda: True, tick_interval=60, details=broken_details)

    async def scenario() -> tuple[int, str, str]:
        server = ops.OpsServer("127.0.0.1:0", health, lambda: b"")
        await server.start()
        try:
            return await asyncio.to_thread(http_get, f"http://127.0.0.1:{server.port}/healthz", 3)
        finally:
            await server.stop()

    status, _, body = asyncio.run(scenario())
    assert status == 503
    assert json.loads(body)["reasons"] == ["database not readable: database is locked"]


def test_heartbeat_and_healthz_survive_database_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(jobs, "HEARTBEAT_SECONDS", 0.1)
    port = free_port()
    settings = load_config(
        write_config(tmp_path / "monitor.yaml", [], health={"enabled": True, "listen": f"127.0.0.1:{port}"})
    )
    url = f"http://127.0.0.1:{port}/healthz"
    db = FaultyDb(store.open_database(settings.database))
    beats = db.fail(writes("heartbeat"), on=False)  # refuses nothing: counts the heartbeat's probes

    async def scenario() -> list[tuple[int, list[str]]]:
        seen = []

        async def get() -> None:
            status, _, body = await asyncio.to_thread(http_get, url, 3)
            seen.append((status, json.loads(body)["reasons"]))

        async def heartbeats(count: int) -> None:
            target = beats.matched + count
            await until(lambda: beats.matched >= target, what=f"{count} more heartbeats")

        async with running(settings, db):
            await heartbeats(1)
            await get()
            # The details of /healthz (and of every heartbeat's report) read the outbox: that read fails.
            locked = db.fail(r"^SELECT status, count\(\*\) FROM deliveries", "database is locked")
            await heartbeats(2)
            await get()
            locked.on = False
            bug = db.fail(writes("heartbeat"), RuntimeError("a bug in the probe"), times=2)
            await until(lambda: bug.raised == 2, what="two heartbeats hit the bug")
            await heartbeats(4)  # > 3 heartbeats: a dead heartbeat task would show here
            await get()
        assert locked.raised >= 2 and bug.raised == 2
        return seen

    seen = asyncio.run(scenario())
    assert seen[0] == (200, [])
    assert seen[1] == (503, [f"database not readable: database {settings.database}: database is locked"])
    assert seen[2] == (200, []), "the heartbeat kept beating through both faults"


def test_a_reload_keeps_fetch_and_health_settings_until_restart(tmp_path: Path, news_site: NewsSite) -> None:
    path = tmp_path / "monitor.yaml"
    settings = load_config(write_config(path, []))
    source = {"name": "Demo world", "url": news_site.url("world/rss.xml")}

    async def scenario() -> tuple[Settings, bool]:
        async with open_runtime(settings) as rt:
            service = Service(rt)
            write_config(
                path,
                [source],
                user_agent="other-agent/1.0",
                # adaptive_intervals as before: scheduling settings are applied by a reload (test_sources_interval)
                fetch={
                    "timeout": "9s",
                    "allow_private_networks": True,
                    "robots_txt": True,
                    "adaptive_intervals": False,
                },
                health={"enabled": True, "listen": "127.0.0.1:1"},
            )
            ok = await service.reload()
            assert service.polls.scheduler is not None
            service.polls.scheduler.shutdown(wait=False)
            return service.rt.settings, ok  # the Runtime the reload swapped in

    after, ok = asyncio.run(scenario())
    assert ok
    assert (after.fetch, after.health, after.user_agent) == (settings.fetch, settings.health, settings.user_agent)
    assert [s.name for s in after.sources] == ["Demo world"], "the rest of the config is applied"


@pytest.mark.slow
def test_once_refuses_to_run_beside_a_daemon(tmp_path: Path, news_site: NewsSite) -> None:
    config = write_config(tmp_path / "monitor.yaml", [{"name": "Demo world", "url": news_site.url("world/rss.xml")}])
    running_daemon = Daemon(config)
    try:
        # Its first poll comes at a random moment in the first seconds; wait for it, so `once` is the only
        # one that could poll while we watch (the next daemon poll is an hour away).
        assert running_daemon.wait_log(lambda e: str(e.get("msg", "")).startswith("polled Demo world")), (
            running_daemon.lines[-10:]
        )
        polls = news_site.hits("/world/rss.xml")
        once = subprocess.run([*MONITOR, "once", "-c", str(config)], capture_output=True, text=True, timeout=30)
        assert once.returncode == 3, once.stderr
        assert f"another monitor (pid {running_daemon.proc.pid})" in once.stderr
        assert news_site.hits("/world/rss.xml") == polls, "once polled nothing"
    finally:
        assert running_daemon.stop() == 0
    once = subprocess.run([*MONITOR, "once", "-c", str(config)], capture_output=True, text=True, timeout=30)
    assert once.returncode == 0, once.stderr
