"""A Runtime around a temporary database and a settable clock, for polling sources against a local server."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import yaml

from monitor import store
from monitor.config import Settings, Source, load_config
from monitor.fetch import HostLimiter, RobotsCache, build_client
from monitor.match import Matcher
from monitor.pipeline import poll_source
from monitor.runtime import CycleStats, Runtime

START = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
RSS_TYPE = {"Content-Type": "application/rss+xml; charset=utf-8"}


def rss(
    items: int = 3, *, gap_minutes: int = 10, prefix: str = "item", extra: str = "", newest: datetime = START
) -> bytes:
    """Return an RSS 2.0 feed of ``items`` items published ``gap_minutes`` apart, newest first."""
    parts = []
    for n in range(items):
        when = format_datetime(newest - timedelta(minutes=gap_minutes * n), usegmt=True)
        parts.append(
            f"<item><title>{prefix} {n}</title><link>https://news.example.org/{prefix}/{n}</link>"
            f"<guid>{prefix}-{n}</guid><pubDate>{when}</pubDate><description>Text {n}</description></item>"
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0" '
        'xmlns:sy="http://purl.org/rss/1.0/modules/syndication/"><channel><title>Test</title>'
        f"<link>https://news.example.org/</link>{extra}{''.join(parts)}</channel></rss>"
    ).encode()


def write_config(tmp_path: Path, sources: list[dict[str, Any]], **fetch: Any) -> Settings:
    """Write a config with these sources (feed text only, no article pages by default) and load it."""
    config = {
        "database": "monitor.db",
        "fetch": {"timeout": "2s", "allow_private_networks": True, "fetch_articles": False, **fetch},
        "sources": sources,
        "channels": [{"id": "log", "type": "log"}],
    }
    path = tmp_path / "monitor.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return load_config(path)


@dataclass
class Kit:
    """The runtime plus a clock tests move forward."""

    rt: Runtime
    now: datetime = START
    stats: list[CycleStats] = field(default_factory=list)

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)

    async def poll(self, source: Source) -> CycleStats:
        stats = CycleStats()
        await poll_source(self.rt, source, stats)
        self.stats.append(stats)
        return stats

    def state(self, source: Source) -> store.SourceState:
        return store.source_state(self.rt.db, source.id)


@asynccontextmanager
async def poll_kit(settings: Settings) -> AsyncIterator[Kit]:
    """Yield a Kit: database migrated and synced, one shared client, the limiter the daemon would build."""
    db = store.open_database(settings.database)
    fetch = settings.fetch
    client = build_client(user_agent="monitor-test/1.0", timeout=fetch.timeout, concurrency=8)
    kit: Kit
    rt = Runtime(
        settings=settings,
        db=db,
        client=client,
        limiter=HostLimiter(
            fetch.per_host, min_delay=fetch.min_delay, robots=RobotsCache() if fetch.robots_txt else None
        ),
        matcher=Matcher(settings.topics),
        clock=lambda: kit.now,
    )
    kit = Kit(rt)
    store.sync_sources(db, settings.sources, kit.now)
    try:
        yield kit
    finally:
        await client.aclose()
        db.close()
