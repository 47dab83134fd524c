"""End to end against a local feed that lies about item identity, and articles rewritten after they were stored."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from dedup_helpers import TARTUS_CUSTOMS, TARTUS_WITHDRAWAL
from sqlite_utils import Database

from monitor.cli import main
from monitor.config import load_config
from monitor.daemon import run_once
from monitor.demo.sink import WebhookSink
from monitor.demo.site import NewsSite
from monitor.pipeline import items as pipeline_items
from monitor.runtime import CycleStats

FEED = "lying/rss.xml"
RSS = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Lying feed</title><link>{origin}/</link><description>d</description>
{items}
</channel></rss>
"""
ITEM = '<item><title>{title}</title><link>{link}</link><guid isPermaLink="false">{guid}</guid></item>'
PAGE = """<!doctype html><html lang="en"><head><title>{title}</title></head>
<body><article><h1>{title}</h1>{paragraphs}</article></body></html>
"""
KHMEIMIM = """Officials in Moscow said separately that the Khmeimim air base near Latakia would keep operating while the
talks continue, and that transport flights between Russia and Khmeimim had resumed after a pause of several days.
Diplomats in Damascus said the future of Khmeimim and of the naval facility would be settled in one agreement."""
TOPICS = [
    {"id": "tartus", "title": "Tartus", "query": "tartus"},
    {"id": "flights", "title": "Flights to Syria", "query": '"transport flights"'},  # only in the rewrite
]


def publish(site: NewsSite, items: list[tuple[str, str, str]], pages: dict[str, tuple[str, str]]) -> None:
    """Serve ``pages`` ({path: (title, text)}) and a feed of ``items`` [(guid, path, title)], replacing both."""
    for path, (title, text) in pages.items():
        paragraphs = "".join(f"<p>{p}</p>" for p in text.split("\n"))
        site.add_file(path, PAGE.format(title=title, paragraphs=paragraphs), "text/html; charset=utf-8")
    body = "\n".join(ITEM.format(title=t, link=site.url(p), guid=g) for g, p, t in items)
    site.add_file(FEED, RSS.format(origin=site.origin, items=body))


def configure(tmp_path: Path, site: NewsSite, hook: str) -> Path:
    config = {
        "database": "monitor.db",
        "fetch": {"timeout": "5s", "allow_private_networks": True},
        "sources": [{"name": "Lying feed", "url": site.url(FEED)}],
        "topics": TOPICS,
        "channels": [{"id": "hook", "type": "webhook", "url": hook, "secret": "${HOOK_SECRET}"}],
        "routes": [{"topics": ["*"], "channels": ["hook"]}],
    }
    path = tmp_path / "monitor.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return path


def once(path: Path, secret: str) -> CycleStats:
    return asyncio.run(run_once(load_config(path, {"HOOK_SECRET": secret})))


def identity(tmp_path: Path) -> tuple[str | None, str | None]:
    db = Database(tmp_path / "monitor.db")
    row = db.execute("SELECT item_identity, item_identity_reason FROM sources").fetchone()
    db.close()
    return row[0], row[1]


@pytest.fixture
def setup(tmp_path: Path, news_site: NewsSite, webhook_sink: WebhookSink) -> Path:
    publish(news_site, [], {})
    return configure(tmp_path, news_site, webhook_sink.url)


def test_a_guid_reused_for_a_new_story_is_noticed_and_the_story_not_missed(
    setup: Path, tmp_path: Path, news_site: NewsSite, webhook_secret: str, caplog: pytest.LogCaptureFixture
) -> None:
    publish(news_site, [("slot-1", "a.html", "Frigates leave Tartus")], {"a.html": ("Frigates", TARTUS_WITHDRAWAL)})
    assert once(setup, webhook_secret).articles_new == 1
    publish(news_site, [("slot-1", "b.html", "Port lease cancelled")], {"b.html": ("Port", TARTUS_CUSTOMS)})
    with caplog.at_level(logging.WARNING, logger="monitor.pipeline"):
        stats = once(setup, webhook_secret)
    assert (stats.new_entries, stats.articles_new) == (1, 1), stats.failures
    assert identity(tmp_path)[0] == "url" and "slot-1" in (identity(tmp_path)[1] or "")
    assert any("feed item identity" in r.message and "known by url" in r.message for r in caplog.records)
    again = once(setup, webhook_secret)  # the decision is remembered: the item is not new again
    assert (again.new_entries, again.articles_new) == (0, 0)


def test_guids_minted_for_the_same_items_cost_no_page_fetches(
    setup: Path, tmp_path: Path, news_site: NewsSite, webhook_secret: str
) -> None:
    pages = {f"x{n}.html": (f"Story {n}", f"{TARTUS_WITHDRAWAL}\nStory number {n}.") for n in range(3)}
    publish(news_site, [(f"{n}-monday", f"x{n}.html", f"Story {n}") for n in range(3)], pages)
    assert once(setup, webhook_secret).new_entries == 3
    publish(news_site, [(f"{n}-tuesday", f"x{n}.html", f"Story {n}") for n in range(3)], pages)
    stats = once(setup, webhook_secret)
    assert (stats.new_entries, stats.pages, stats.articles_new) == (0, 0, 0), stats.failures
    assert [news_site.hits(p) for p in pages] == [1, 1, 1]
    assert identity(tmp_path)[0] == "url"


def test_one_guid_for_two_links_in_one_feed_processes_both(
    setup: Path, tmp_path: Path, news_site: NewsSite, webhook_secret: str
) -> None:
    items = [("same", "a.html", "Frigates leave Tartus"), ("same", "b.html", "Port lease cancelled")]
    publish(news_site, items, {"a.html": ("Frigates", TARTUS_WITHDRAWAL), "b.html": ("Port", TARTUS_CUSTOMS)})
    stats = once(setup, webhook_secret)
    assert stats.articles_new == 2 and identity(tmp_path)[0] == "url"


def test_a_rewritten_article_updates_its_text_and_alerts_only_new_topics(
    setup: Path,
    tmp_path: Path,
    news_site: NewsSite,
    webhook_sink: WebhookSink,
    webhook_secret: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(pipeline_items, "RECHECK_AFTER", timedelta(0))
    item = [("story-1", "story.html", "Frigates leave Tartus")]
    publish(news_site, item, {"story.html": ("Frigates leave Tartus", TARTUS_WITHDRAWAL)})
    assert once(setup, webhook_secret).sent == 1
    assert [r["payload"]["data"]["topic"]["id"] for r in webhook_sink.wait_for(1)] == ["tartus"]

    rewritten = TARTUS_WITHDRAWAL + "\n" + KHMEIMIM
    item = [("story-1", "story.html", "Frigates leave Tartus; Khmeimim stays")]
    publish(news_site, item, {"story.html": ("Frigates leave Tartus; Khmeimim stays", rewritten)})
    stats = once(setup, webhook_secret)
    assert (stats.new_entries, stats.articles_revised, stats.hits, stats.sent) == (0, 1, 1, 1), stats.failures
    received = webhook_sink.wait_for(2)
    assert [r["payload"]["data"]["topic"]["id"] for r in received] == ["tartus", "flights"]
    assert received[1]["payload"]["data"]["article"]["title"] == "Frigates leave Tartus; Khmeimim stays"

    db = Database(tmp_path / "monitor.db")
    (article_id, text, revised_at), *rest = db.execute("SELECT id, text, revised_at FROM articles").fetchall()
    assert not rest and "transport flights" in text and revised_at
    found = db.execute("SELECT rowid FROM articles_fts WHERE articles_fts MATCH ?", ['"transport flights"']).fetchall()
    assert found == [(article_id,)]  # the full-text index follows the new text
    assert db.execute("SELECT count(*) FROM story_articles").fetchone()[0] == 1
    db.close()

    touched = rewritten.replace("satellite images", "satelite images")  # a typo fix is not a rewrite
    item = [("story-1", "story.html", "Frigates leave Tartus; Khmeimim stays open")]
    publish(news_site, item, {"story.html": ("Frigates leave Tartus; Khmeimim stays", touched)})
    stats = once(setup, webhook_secret)
    assert (stats.pages, stats.articles_revised, stats.articles_known, stats.sent) == (1, 0, 1, 0), stats.failures


def test_a_changed_item_is_not_refetched_again_within_the_recheck_interval(
    setup: Path, news_site: NewsSite, webhook_secret: str
) -> None:
    publish(news_site, [("s", "story.html", "Frigates leave Tartus")], {"story.html": ("F", TARTUS_WITHDRAWAL)})
    once(setup, webhook_secret)
    publish(news_site, [("s", "story.html", "Frigates leave Tartus port")], {"story.html": ("F", TARTUS_CUSTOMS)})
    stats = once(setup, webhook_secret)
    assert (stats.pages, stats.articles_revised) == (0, 0) and news_site.hits("story.html") == 1


def test_the_same_url_under_a_new_guid_is_refetched_and_revised(
    setup: Path, news_site: NewsSite, webhook_sink: WebhookSink, webhook_secret: str
) -> None:
    publish(news_site, [("v1", "story.html", "Frigates leave Tartus")], {"story.html": ("F", TARTUS_WITHDRAWAL)})
    once(setup, webhook_secret)
    rewritten = TARTUS_WITHDRAWAL + "\n" + KHMEIMIM
    publish(news_site, [("v2", "story.html", "Frigates leave Tartus")], {"story.html": ("F", rewritten)})
    stats = once(setup, webhook_secret)
    assert (stats.new_entries, stats.articles_new, stats.articles_revised, stats.sent) == (1, 0, 1, 1)
    assert [r["payload"]["data"]["topic"]["id"] for r in webhook_sink.wait_for(2)] == ["tartus", "flights"]


def test_backfill_groups_articles_stored_before_stories(setup: Path, tmp_path: Path, webhook_secret: str) -> None:
    once(setup, webhook_secret)  # creates and migrates the database
    db = Database(tmp_path / "monitor.db")
    for n, (site, text) in enumerate(
        [
            ("wire.example", TARTUS_WITHDRAWAL),
            ("paper.example", TARTUS_WITHDRAWAL + " Updated."),
            ("x.example", TARTUS_CUSTOMS),
        ]
    ):
        db.execute(
            "INSERT INTO articles (url, title, text, fetched_at) VALUES (?, ?, ?, ?)",
            [f"https://{site}/{n}", f"Old {n}", text, "2025-02-19T10:00:00+00:00"],
        )
    db.conn.commit()
    db.close()
    run = CliRunner().invoke(main, ["stories", "-c", str(setup), "backfill", "--batch", "2"], env={"HOOK_SECRET": "x"})
    assert run.exit_code == 0 and "3 articles grouped" in run.output, run.output
    db = Database(tmp_path / "monitor.db")
    stories = db.execute("SELECT story_id FROM story_articles ORDER BY article_id").fetchall()
    assert stories[0] == stories[1] != stories[2]
    assert db.execute("SELECT count(*) FROM deliveries").fetchone()[0] == 0  # history does not alert
    db.close()
    again = CliRunner().invoke(main, ["stories", "-c", str(setup), "backfill"], env={"HOOK_SECRET": "x"})
    assert "already" in again.output
