"""The whole pipeline (``monitor once``: poll, extract, match, stories, alerts, delivery) on each backend, with the
same answers: every seed story alerted once, no trap, nothing again on the next cycle."""

from __future__ import annotations

import asyncio
from pathlib import Path

import yaml
from local_peers import SEED_TOPICS, MailBox

from monitor.config import load_config
from monitor.daemon import run_once
from monitor.demo.sink import WebhookSink
from monitor.demo.site import NewsSite, load_articles
from monitor.store import open_database
from monitor.store.hits import recent_hits

BASES = "russia-syria-bases"


def test_once_alerts_every_seed_story_once_on_each_backend(
    store_target: Path | str,
    tmp_path: Path,
    news_site: NewsSite,
    webhook_sink: WebhookSink,
    webhook_secret: str,
    mailbox: MailBox,
) -> None:
    config = tmp_path / "monitor.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "database": str(store_target),
                "fetch": {"timeout": "5s", "allow_private_networks": True, "min_delay": "0"},
                "sources": [
                    {"name": f"Demo {p}", "url": news_site.url(p)} for p in ("world/rss.xml", "region/atom.xml")
                ],
                "topics": [str(SEED_TOPICS)],
                "channels": [{"id": "hook", "type": "webhook", "url": webhook_sink.url, "secret": "${HOOK_SECRET}"}],
                "routes": [{"topics": [BASES], "channels": ["hook"]}],
            }
        ),
        encoding="utf-8",
    )
    settings = load_config(config, {"HOOK_SECRET": webhook_secret})
    articles = load_articles()
    seed = {news_site.url(a.path) for a in articles if a.kind == "seed"}
    stats = asyncio.run(run_once(settings))
    assert stats.sources_ok == 2 and stats.failures == [] and stats.articles_new == len(articles)
    assert stats.sent == stats.queued > 0 and webhook_sink.wait_for(stats.sent, timeout=5)
    hooked = [r["payload"]["data"]["article"]["url"] for r in webhook_sink.received]
    assert len(hooked) == len(set(hooked)) and set(hooked) <= seed and all(r["verified"] for r in webhook_sink.received)
    again = asyncio.run(run_once(settings))
    assert (again.new_entries, again.sent, again.queued) == (0, 0, 0)
    db = open_database(settings.database)
    try:
        assert {h.url for h in recent_hits(db, topic=BASES, since=None, limit=100)} >= set(hooked)
    finally:
        db.close()
