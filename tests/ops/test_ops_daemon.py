"""The daemon in a subprocess: systemd notifications, health and metrics, SIGHUP reload, one instance per db."""

from __future__ import annotations

import json
import signal
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from ops_peers import MONITOR, Daemon, NotifySocket, free_port, http_get, write_config

from monitor.demo.site import NewsSite

pytestmark = pytest.mark.slow


@pytest.fixture
def notify() -> Iterator[NotifySocket]:
    sock = NotifySocket()
    yield sock
    sock.close()


def _msg(text: str) -> Callable[[dict[str, Any]], bool]:
    return lambda e: text in str(e.get("msg", ""))


def test_notify_health_metrics_and_sigterm(tmp_path: Path, news_site: NewsSite, notify: NotifySocket) -> None:
    port = free_port()
    config = write_config(
        tmp_path / "monitor.yaml",
        [{"name": "Demo world", "url": news_site.url("world/rss.xml")}],
        health={"enabled": True, "listen": f"127.0.0.1:{port}"},
    )
    daemon = Daemon(config, env={"NOTIFY_SOCKET": notify.path, "WATCHDOG_USEC": "1000000"})
    try:
        assert notify.wait_for("READY=1"), (notify.messages, daemon.lines[-5:])
        # READY comes after the database is open and migrated, with a status line
        assert (tmp_path / "monitor.db").exists()
        ready = next(m for m in notify.messages if "READY=1" in m)
        assert "STATUS=running: 1 source, " in ready
        # with WatchdogSec=1s the loop pings every 0.5 s
        assert notify.wait_for("WATCHDOG=1", count=3, timeout=5), notify.messages
        assert daemon.wait_log(_msg("polled Demo world")), daemon.lines[-10:]

        status, ctype, body = http_get(f"http://127.0.0.1:{port}/healthz")
        report = json.loads(body)
        assert (status, ctype, report["status"], report["reasons"]) == (200, "application/json", "ok", [])
        assert report["sources"] == 1 and report["topics"] >= 1

        status, ctype, metrics = http_get(f"http://127.0.0.1:{port}/metrics")
        assert status == 200 and ctype.startswith("text/plain")
        for name in (
            'monitor_polls_total{outcome="ok"} 1.0',
            "monitor_articles_new_total",
            "monitor_hits_total{topic=",
            "monitor_poll_duration_seconds_bucket",
            "monitor_poll_lag_seconds_count",
            "monitor_delivery_queue_depth{",
            "monitor_database_bytes",
            "monitor_up 1.0",
        ):
            assert name in metrics, name
        assert http_get(f"http://127.0.0.1:{port}/nope")[0] == 404
    finally:
        code = daemon.stop()
    assert code == 0, daemon.lines[-10:]
    assert notify.wait_for("STOPPING=1", timeout=2)
    events = daemon.events()
    assert all("ts" in e and "level" in e for e in events), "stderr is not a tty: every line is JSON"
    polled = next(e for e in events if "polled Demo world" in e["msg"])
    assert polled["source"].startswith("src-") and polled["url"].endswith("world/rss.xml")


def test_sighup_applies_a_good_config_and_refuses_a_bad_one(tmp_path: Path, news_site: NewsSite) -> None:
    world = {"name": "Demo world", "url": news_site.url("world/rss.xml")}
    region = {"name": "Demo region", "url": news_site.url("region/atom.xml"), "interval": "2s"}
    config = write_config(tmp_path / "monitor.yaml", [world])
    daemon = Daemon(config)
    try:
        assert daemon.wait_log(_msg("polled Demo world")), daemon.lines[-10:]
        assert news_site.hits("/region/atom.xml") == 0

        write_config(config, [region])  # one source removed, one added with a short interval
        daemon.proc.send_signal(signal.SIGHUP)
        reloaded = daemon.wait_log(_msg("config reloaded"))
        assert reloaded and "1 added, 1 removed" in reloaded["msg"], daemon.lines[-10:]
        assert daemon.wait_log(_msg("polled Demo region"))
        world_polls = news_site.hits("/world/rss.xml")
        assert daemon.wait_log(lambda e: news_site.hits("/region/atom.xml") >= 3, timeout=15), "2 s interval"
        assert news_site.hits("/world/rss.xml") == world_polls, "a removed source is not polled again"

        config.write_text("sources: [{name: broken}]\n", encoding="utf-8")
        daemon.proc.send_signal(signal.SIGHUP)
        refused = daemon.wait_log(_msg("config reload refused"))
        assert refused and refused["level"] == "error" and "url" in refused["msg"]
        before = news_site.hits("/region/atom.xml")
        assert daemon.wait_log(lambda e: news_site.hits("/region/atom.xml") > before, timeout=10), "old config runs"
        assert daemon.proc.poll() is None
    finally:
        assert daemon.stop() == 0, daemon.lines[-10:]


def test_a_second_daemon_on_the_same_database_refuses_to_start(tmp_path: Path, news_site: NewsSite) -> None:
    config = write_config(tmp_path / "monitor.yaml", [{"name": "Demo world", "url": news_site.url("world/rss.xml")}])
    first = Daemon(config)
    try:
        assert first.wait_log(_msg("monitor running")), first.lines[-10:]
        second = subprocess.run([*MONITOR, "run", "-c", str(config)], capture_output=True, text=True, timeout=30)
        assert second.returncode == 3
        assert "another monitor (pid" in second.stderr and "already running" in second.stderr
        assert str(first.proc.pid) in second.stderr
        assert first.proc.poll() is None
    finally:
        assert first.stop() == 0
    # the lock dies with its holder: a new daemon starts at once
    again = Daemon(config)
    try:
        assert again.wait_log(_msg("monitor running")), again.lines[-10:]
    finally:
        assert again.stop() == 0
