"""Logs (JSON, text, secrets masked), the instance lock, health reports and the HTTP endpoint."""

from __future__ import annotations

import asyncio
import io
import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from ops_peers import write_config

from monitor import ops, store
from monitor.config import load_config
from monitor.errors import StoreError


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def test_json_logs_carry_context_and_mask_secrets(restore_logging: None) -> None:
    out = io.StringIO()
    ops.configure_logging("info", fmt="json", secrets=["s3cr3t-smtp-pass"], stream=out)
    log = logging.getLogger("monitor.test")
    log.info("polled %s", "Demo", extra={"source": "src-1", "url": "https://user:pw@feeds.example/rss"})
    log.warning("smtp login with s3cr3t-smtp-pass failed; webhook secret whsec_QUJDREVGR0g= rejected")
    log.debug("not shown at info")
    try:
        raise ValueError("token=abc123 in traceback")
    except ValueError:
        log.exception("boom")
    events = [json.loads(line) for line in out.getvalue().splitlines()]
    assert len(events) == 3
    first, second, third = events
    assert first["msg"] == "polled Demo" and first["source"] == "src-1" and first["level"] == "info"
    assert first["url"] == "https://[redacted]@feeds.example/rss"
    assert "s3cr3t" not in second["msg"] and "whsec_" not in second["msg"] and second["msg"].count("[redacted]") == 2
    assert "abc123" not in third["exc"] and "ValueError" in third["exc"]


def test_text_logs_for_a_terminal_and_verbose_level(restore_logging: None) -> None:
    out = io.StringIO()
    ops.configure_logging("warning", verbose=True, fmt="text", stream=out)
    logging.getLogger("monitor.test").debug("detail", extra={"topic": "bases"})
    line = out.getvalue().strip()
    assert "DEBUG" in line and "monitor.test: detail" in line and line.endswith("topic=bases")
    assert not line.startswith("{")


def test_secrets_are_updated_on_reload(restore_logging: None) -> None:
    out = io.StringIO()
    handler = ops.configure_logging("info", fmt="json", secrets=["old-secret"], stream=out)
    ops.update_secrets(handler, ["new-secret"])
    logging.getLogger("monitor.test").info("new-secret old-secret")
    assert json.loads(out.getvalue())["msg"] == "[redacted] old-secret"


def test_webhook_urls_that_are_credentials_are_masked(restore_logging: None, tmp_path: Path) -> None:
    urls = {
        "slack": "https://hooks.slack.com/services/T0001/B0002/XXXXsecretXXXX",
        "plain": "https://hooks.example/in?token=abc123xyz",
        "open": "https://hooks.example/monitor",
    }
    channels = [{"id": "log", "type": "log"}]
    channels += [
        {"id": n, "type": "webhook", "url": u, **({"format": "slack"} if n == "slack" else {})} for n, u in urls.items()
    ]
    settings = load_config(write_config(tmp_path / "monitor.yaml", [], channels=channels))
    out = io.StringIO()
    ops.configure_logging("info", fmt="json", secrets=ops.config_secrets(settings), stream=out)
    for url in urls.values():
        logging.getLogger("monitor.test").info("posting to %s", url)
    assert [json.loads(line)["msg"] for line in out.getvalue().splitlines()] == [
        "posting to https://hooks.slack.com[redacted]",
        "posting to https://hooks.example/in[redacted]",
        "posting to https://hooks.example/monitor",  # a plain path is an address, not a credential
    ]


def test_instance_lock_refuses_a_second_holder(tmp_path: Path) -> None:
    database = tmp_path / "monitor.db"
    with ops.InstanceLock(database), pytest.raises(StoreError, match=r"another monitor \(pid \d+\) is already"):
        ops.InstanceLock(database).acquire()
    with ops.InstanceLock(database):  # released: free again
        pass
    assert ops.lock_path(database).name == "monitor.db.lock"


def test_ping_database_reports_an_unwritable_database(tmp_path: Path) -> None:
    db = store.open_database(tmp_path / "monitor.db")
    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert ops.ping_database(db, now) is None
    assert db.execute("SELECT at FROM heartbeat").fetchone()[0] == now.isoformat()
    db.execute("PRAGMA query_only = 1")
    reason = ops.ping_database(db, now)
    assert reason is not None and reason.startswith("database not writable")


def test_health_reasons() -> None:
    running = [True]
    health = ops.Health(scheduler_running=lambda: running[0], tick_interval=10)
    assert health.report()[0]
    running[0] = False
    health.tick("database not writable: disk I/O error")
    healthy, body = health.report()
    assert not healthy and body["status"] == "unhealthy"
    assert body["reasons"] == ["scheduler is not running", "database not writable: disk I/O error"]
    health.last_tick -= 31
    running[0] = True
    health.tick(None)
    health.last_tick -= 31
    assert health.report()[1]["reasons"] == ["event loop heartbeat is 31 s old"]


def test_http_endpoint_answers_health_metrics_and_errors() -> None:
    async def scenario() -> list[bytes]:
        health = ops.Health(scheduler_running=lambda: False, tick_interval=10)
        server = ops.OpsServer("127.0.0.1:0", health, lambda: b"monitor_up 0.0\n")
        await server.start()
        answers = []
        for request in (
            b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n",
            b"GET /metrics HTTP/1.1\r\n\r\n",
            b"POST /healthz HTTP/1.1\r\n\r\n",
            b"garbage\r\n\r\n",
        ):
            reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
            writer.write(request)
            answers.append(await reader.read())
            writer.close()
        await server.stop()
        return answers

    health, metrics, post, garbage = asyncio.run(scenario())
    assert health.startswith(b"HTTP/1.1 503 ") and b'"scheduler is not running"' in health
    assert metrics.startswith(b"HTTP/1.1 200 ") and metrics.endswith(b"monitor_up 0.0\n")
    assert post.startswith(b"HTTP/1.1 405 ") and garbage.startswith(b"HTTP/1.1 400 ")
