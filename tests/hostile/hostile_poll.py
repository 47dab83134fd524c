"""Poll a hostile source next to a healthy one and return what was recorded (shared by the hostile cases)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hostile_kit import EvilSite, feed, item, poll_kit, serve, story_text, write_config

from monitor import store
from monitor.pipeline import poll_all
from monitor.runtime import CycleStats


@dataclass
class Outcome:
    """What one cycle recorded for the hostile source (and that the healthy one was still polled)."""

    stats: CycleStats
    state: store.SourceState
    healthy: store.SourceState
    articles: list[dict[str, Any]]
    seconds: float

    @property
    def error(self) -> str:
        return self.state.last_error or ""


def healthy_route(site: EvilSite) -> str:
    site.routes["/healthy.html"] = serve(
        b"<html><body><article><p>Healthy page.</p></article></body></html>", "text/html"
    )
    site.routes["/healthy.xml"] = serve(
        feed([item(900, title="Healthy item", text=story_text(900), link=site.url("/healthy.html"))])
    )
    return site.url("/healthy.xml")


def poll_beside_healthy(tmp_path: Path, site: EvilSite, hostile_url: str, *, cycles: int = 1, **fetch: Any) -> Outcome:
    """Poll [hostile, healthy] together ``cycles`` times and return the hostile source's recorded state."""
    settings = write_config(
        tmp_path,
        [{"name": "Hostile", "url": hostile_url}, {"name": "Healthy", "url": healthy_route(site)}],
        **fetch,
    )

    async def run() -> Outcome:
        loop = asyncio.get_running_loop()
        async with poll_kit(settings) as kit:
            stats = CycleStats()
            started = loop.time()
            for _ in range(cycles):
                stats = CycleStats()
                await poll_all(kit.rt, stats)
                kit.advance(3600)
            seconds = loop.time() - started
            hostile, healthy = settings.sources
            rows = list(kit.rt.db.query("SELECT title, text, url FROM articles"))
            return Outcome(stats, kit.state(hostile), kit.state(healthy), rows, seconds)

    outcome = asyncio.run(run())
    # The other source of the same cycle was not held up or broken by the hostile one.
    assert outcome.healthy.last_error is None and outcome.healthy.last_success_at is not None, outcome.healthy
    return outcome
