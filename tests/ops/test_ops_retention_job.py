"""The daemon's daily retention job prunes through monitor.ops.prune with the retention of the config in force,
and counts what went in its metrics."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

from ops_peers import write_config

from monitor import store
from monitor.config import load_config
from monitor.daemon import Service, open_runtime
from monitor.models import Article
from monitor.runtime import utc_now
from monitor.store.deliveries import HitPlan


def _save(db: store.Db, n: int, days_ago: float) -> None:
    url = f"https://news.example/{n}"
    store.save_article(
        db,
        Article(title=f"Story {n}", text=f"Body of story {n}. " * 40, url=url),
        url=url,
        link=url,
        source_id="src-1",
        item_key=url,
        plan=HitPlan(matches=[]),
        now=utc_now() - timedelta(days=days_ago),
    )


def test_the_retention_job_prunes_with_the_configured_ages_and_counts_it(tmp_path: Path) -> None:
    settings = load_config(write_config(tmp_path / "monitor.yaml", [], retention={"articles": "30d", "hits": "60d"}))

    async def scenario() -> tuple[list[str], str]:
        async with open_runtime(settings) as rt:
            _save(rt.db, 1, 45)  # older than articles: 30d
            _save(rt.db, 2, 10)
            service = Service(rt)
            await service.jobs.prune()
            urls = [str(r["url"]) for r in rt.db.query("SELECT url FROM articles")]
            return urls, service.metrics.render().decode()

    urls, metrics = asyncio.run(scenario())
    assert urls == ["https://news.example/2"]
    assert 'monitor_pruned_rows_total{table="articles"} 1.0' in metrics
