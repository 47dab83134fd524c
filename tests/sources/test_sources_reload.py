"""A reload swaps in a whole new Runtime: a poll already running finishes with the settings it started with, the
next poll uses the new ones."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from fetch_server import FeedServer, Reply, Seen
from sources_kit import RSS_TYPE

from monitor.config import load_config
from monitor.daemon import Service, open_runtime
from monitor.runtime import utc_now

pytestmark = pytest.mark.anyio

OLD_TOPIC = {"id": "tartus", "title": "Tartus", "query": "tartus"}
NEW_TOPIC = {"id": "hmeimim", "title": "Hmeimim", "query": "hmeimim"}


def feed(*keys: str) -> bytes:
    """Return an RSS feed with one item per key, each naming both Tartus and Hmeimim."""
    when = format_datetime(utc_now(), usegmt=True)
    items = "".join(
        f"<item><title>Tartus and Hmeimim bases {key}</title><link>https://news.example.org/{key}</link>"
        f"<guid>{key}</guid><pubDate>{when}</pubDate>"
        "<description>Russia keeps its naval base at Tartus and the air base at Hmeimim in Syria.</description></item>"
        for key in keys
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Bases</title>'
        f"<link>https://news.example.org/</link>{items}</channel></rss>"
    ).encode()


def write(path: Path, url: str, topic: dict[str, str]) -> None:
    config: dict[str, Any] = {
        "database": "monitor.db",
        "fetch": {"timeout": "10s", "allow_private_networks": True, "fetch_articles": False},
        "sources": [{"name": "Bases", "url": url, "interval": "1h"}],
        "topics": [topic],
        "channels": [{"id": "log", "type": "log"}],
        "routes": [{"topics": ["*"], "channels": ["log"]}],
    }
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")


async def until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    """Return as soon as ``condition`` holds (checked on every turn of the loop's clock), or fail."""
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.01)


async def test_a_poll_running_during_a_reload_keeps_its_settings_and_the_next_uses_the_new(
    server: FeedServer, tmp_path: Path
) -> None:
    arrived, release = threading.Event(), threading.Event()

    def slow_first_answer(seen: Seen) -> Reply:
        if len(server.hits("/feed.xml")) == 1:  # the first poll: held open until the test has reloaded
            arrived.set()
            release.wait(10)
            return Reply(200, RSS_TYPE, feed("first"))
        return Reply(200, RSS_TYPE, feed("first", "second"))

    server.routes["/feed.xml"] = slow_first_answer
    path = tmp_path / "monitor.yaml"
    write(path, server.url("/feed.xml"), OLD_TOPIC)
    settings = load_config(path)
    (source,) = settings.sources
    stop, reload = asyncio.Event(), asyncio.Event()

    def hits() -> set[tuple[str, str]]:
        rows = service.rt.db.query(
            "SELECT a.url, h.topic_id FROM hits h JOIN articles a ON a.id = h.article_id ORDER BY h.id"
        )
        return {(str(r["url"]).rsplit("/", 1)[-1], str(r["topic_id"])) for r in rows}

    def poll_now() -> None:
        scheduler = service.polls.scheduler
        assert scheduler is not None
        scheduler.modify_job(source.id, next_run_time=utc_now())

    async with open_runtime(settings) as rt:
        service = Service(rt)
        running = asyncio.create_task(service.run(stop, reload))
        try:
            await until(lambda: service.polls.running)
            poll_now()
            assert await asyncio.to_thread(arrived.wait, 10), "the first poll reached the server"
            write(path, server.url("/feed.xml"), NEW_TOPIC)
            assert await service.reload()
            assert [t.id for t in service.rt.settings.topics] == ["hmeimim"]
            release.set()
            await until(lambda: bool(hits()) and not service.polls.in_flight)
            assert hits() == {("first", "tartus")}, "the running poll matched with the topics it started with"

            poll_now()
            await until(lambda: len(server.hits("/feed.xml")) == 2 and not service.polls.in_flight)
            assert hits() == {("first", "tartus"), ("second", "hmeimim")}, "the next poll uses the reloaded topics"
        finally:
            release.set()
            stop.set()
            await asyncio.wait_for(running, 20)
