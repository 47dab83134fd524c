"""Alerts carry signed relevant / not relevant links when the health server takes marks (issue #21, item 4)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import httpx
from delivery_peers import Clock, Receiver, queue_hits, runtime, write_config

from monitor import store
from monitor.config import load_config
from monitor.dispatch import deliver_due
from monitor.notify.feedback import read_feedback_link
from monitor.runtime import CycleStats
from monitor.store.feedback import link_key


def deliver_one(tmp_path: Path, health: dict[str, object]) -> tuple[dict[str, object], store.Db]:
    with Receiver() as receiver:
        config = write_config(
            tmp_path,
            [{"id": "hook", "type": "webhook", "url": receiver.url}],
            [{"topics": ["*"], "channels": ["hook"]}],
            health=health,
        )
        settings = load_config(config)
        db = store.open_database(None)
        queue_hits(db, settings, 1)

        async def run() -> None:
            async with httpx.AsyncClient() as client:
                await deliver_due(runtime(settings, db, client, Clock(datetime.now(UTC))), CycleStats())

        asyncio.run(run())
        (got,) = receiver.wait_for(1)
    assert got.payload is not None
    return got.payload["data"], db


def test_a_webhook_alert_carries_links_that_mark_its_own_hit(tmp_path: Path) -> None:
    data, db = deliver_one(tmp_path, {"enabled": True, "public_url": "https://monitor.example.org/ops/"})
    links = data["feedback"]
    assert isinstance(links, dict)
    base = "https://monitor.example.org/ops"
    assert links["relevant"].startswith(f"{base}/feedback/") and links["not_relevant"].startswith(base)
    hit_id = int(db.scalar("SELECT id FROM hits"))
    key = link_key(db, datetime.now(UTC))
    assert read_feedback_link(links["relevant"].removeprefix(base), key) == (hit_id, True)
    assert read_feedback_link(links["not_relevant"].removeprefix(base), key) == (hit_id, False)


def test_no_links_without_a_server_to_answer_them(tmp_path: Path) -> None:
    data, _ = deliver_one(tmp_path, {"enabled": False})
    assert "feedback" not in data
    data, _ = deliver_one(tmp_path, {"enabled": True, "feedback_links": False})
    assert "feedback" not in data
