"""End to end: the same story in three local feeds alerts once; a story reaching N outlets sends one update."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml
from click.testing import CliRunner
from dedup_helpers import TARTUS_WITHDRAWAL

from monitor.cli import main
from monitor.config import load_config
from monitor.daemon import run_once
from monitor.demo.sink import WebhookSink
from monitor.demo.site import NewsSite
from monitor.runtime import CycleStats

REPO = Path(__file__).resolve().parents[2]
TOPICS = REPO / "seeds" / "topics"
BASES = "russia-syria-bases"
FEEDS = ("wire/rss.xml", "paper/rss.xml", "daily/rss.xml")
EMPTY_RSS = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>{name}</title><link>{{{{ORIGIN}}}}/</link><description>d</description>
    </channel></rss>
"""
PAGE = """<!doctype html><html lang="en"><head><title>{title}</title>
<link rel="canonical" href="{url}"></head><body><article><h1>{title}</h1>
{paragraphs}
</article></body></html>
"""
# How each outlet ran the wire story: its headline and what it did to the body.
EDITIONS = (
    ("Russian warships leave Tartus naval base", ""),
    ("Frigates sail from Syria's Tartus as base talks go on", "The defence ministry in Moscow declined to comment."),
    ("Tartus: Russian navy ships depart", "Satellite firms said the images were taken on Thursday morning."),
)


def publish(site: NewsSite, feed: str, number: int, host: str | None = None) -> str:
    """Publish edition ``number`` of the story on ``feed``; ``host`` links it under another outlet's host name."""
    title, extra = EDITIONS[number]
    path = f"{feed.split('/')[0]}/2025/02/20/tartus-{number}.html"
    url = site.url(path) if host is None else site.url(path).replace("127.0.0.1", host)
    body = "\n".join(f"<p>{p}</p>" for p in [*TARTUS_WITHDRAWAL.split("\n\n"), extra] if p)
    page = PAGE.format(title=title, url=url, paragraphs=body)
    published = datetime(2025, 2, 20, 10, number, tzinfo=UTC)
    if host is None:
        site.add_item(feed, title=title, url_path=path, html=page, published=published)
    else:  # add_item links to the site's own origin; this outlet's feed links to the other host name
        site.add_file(path, page, "text/html; charset=utf-8")
        item = f"<item><title>{title}</title><link>{url}</link><guid>{url}</guid></item>"
        site.add_file(feed, EMPTY_RSS.format(name=feed).replace("</channel>", item + "</channel>"))
    return url


def configure(tmp_path: Path, site: NewsSite, hook: str, **route: Any) -> Path:
    for feed in FEEDS:
        site.add_file(feed, EMPTY_RSS.format(name=feed))
    config = {
        "database": "monitor.db",
        "fetch": {"timeout": "5s", "allow_private_networks": True},
        "sources": [{"name": f"Outlet {feed}", "url": site.url(feed)} for feed in FEEDS],
        "topics": [str(TOPICS)],
        "channels": [{"id": "hook", "type": "webhook", "url": hook, "secret": "${HOOK_SECRET}"}],
        "routes": [{"topics": [BASES], "channels": ["hook"], **route}],
    }
    path = tmp_path / "monitor.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return path


def once(path: Path, secret: str) -> CycleStats:
    return asyncio.run(run_once(load_config(path, {"HOOK_SECRET": secret})))


def test_the_same_story_in_three_feeds_alerts_once(
    tmp_path: Path, news_site: NewsSite, webhook_sink: WebhookSink, webhook_secret: str
) -> None:
    path = configure(tmp_path, news_site, webhook_sink.url)
    first_url = publish(news_site, FEEDS[0], 0)
    stats = once(path, webhook_secret)
    assert (stats.articles_new, stats.sent) == (1, 1), stats.failures
    for number in (1, 2):
        publish(news_site, FEEDS[number], number)
    later = once(path, webhook_secret)
    assert (later.articles_new, later.queued, later.sent) == (2, 0, 0) and later.hits >= 2, later.failures

    received = webhook_sink.wait_for(1)
    assert len(received) == 1 and received[0]["verified"]
    data = received[0]["payload"]["data"]
    assert data["article"]["url"] == first_url and data["topic"]["id"] == BASES
    assert data["story"]["size"] == 1 and data["story"]["outlets"] == ["127.0.0.1"]

    cli = ["stories", "-c", str(path), "--topic", BASES, "--format", "json"]
    result = CliRunner().invoke(main, cli, env={"HOOK_SECRET": webhook_secret})
    assert result.exit_code == 0, result.output
    assert '"size": 3' in result.output and "Russian warships leave Tartus naval base" in result.output


def test_a_story_reaching_n_outlets_sends_one_update(
    tmp_path: Path, news_site: NewsSite, webhook_sink: WebhookSink, webhook_secret: str
) -> None:
    path = configure(tmp_path, news_site, webhook_sink.url, story_updates=2)
    publish(news_site, FEEDS[0], 0)
    publish(news_site, FEEDS[1], 1)
    once(path, webhook_secret)
    assert len(webhook_sink.wait_for(1)) == 1
    update_url = publish(news_site, FEEDS[2], 2, host="localhost")  # a second outlet
    stats = once(path, webhook_secret)
    assert (stats.articles_new, stats.sent) == (1, 1), stats.failures

    received = webhook_sink.wait_for(2)
    assert [r["payload"]["type"] for r in received] == ["topic.hit", "story.update"]
    update = received[1]["payload"]["data"]
    assert update["article"]["url"] == update_url
    assert update["story"]["size"] == 3 and update["story"]["outlets"] == ["127.0.0.1", "localhost"]
    assert len({r["webhook_id"] for r in received}) == 2
