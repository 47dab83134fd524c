"""``type: googlenews``: a search feed read as headline-and-outlet leads; its opaque links are never fetched."""

from __future__ import annotations

import asyncio
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from channel_kit import RSS, Lead, alerts, google_news_feed, write_config
from fetch_server import FeedServer, Reply, Seen

from monitor.config import SourceConfig, load_config
from monitor.config.sourceurls import poll_url
from monitor.daemon import run_once
from monitor.demo.sink import WebhookSink
from monitor.parse import parse_google_news
from monitor.store import open_database, source_state

LEADS = [
    Lead(
        "a1",
        "Russian warships leave Tartus as talks on the naval base stall",
        "Coast Herald",
        "https://coastherald.example",
    ),
    Lead("b2", "Olive harvest up ten percent in the coastal provinces", "Farm Weekly"),
    Lead("c3", "Moscow and Damascus discuss - again - the future of Khmeimim", "Levant Daily"),
]


def test_titles_lose_the_outlet_which_becomes_the_author() -> None:
    feed = parse_google_news(google_news_feed("tartus", LEADS), "https://news.google.com/rss/search?q=tartus")
    first, _, third = feed.entries
    assert first.title == "Russian warships leave Tartus as talks on the naval base stall"
    assert first.authors == ("Coast Herald",) and first.summary == first.content == ""
    assert first.url.startswith("https://news.google.com/rss/articles/")
    assert third.title == "Moscow and Damascus discuss - again - the future of Khmeimim"  # only the last " - X"


@pytest.mark.parametrize(
    ("keys", "expected"),
    [
        ({"query": "Tartus"}, {"q": ["Tartus"], "hl": ["en-US"], "gl": ["US"], "ceid": ["US:en"]}),
        ({"query": "Тартус", "hl": "ru"}, {"q": ["Тартус"], "hl": ["ru"], "gl": ["RU"], "ceid": ["RU:ru"]}),
        ({"query": "طرطوس", "hl": "ar", "gl": "SY"}, {"q": ["طرطوس"], "hl": ["ar"], "gl": ["SY"], "ceid": ["SY:ar"]}),
    ],
)
def test_query_language_and_edition_make_the_feed_url(keys: dict[str, str], expected: dict[str, list[str]]) -> None:
    url = poll_url(SourceConfig.model_validate({"name": "G", "type": "googlenews", **keys}))
    assert url.startswith("https://news.google.com/rss/search?") and parse_qs(urlsplit(url).query) == expected


def test_leads_alert_on_the_headline_and_name_the_outlet(
    server: FeedServer, tmp_path: Path, webhook_sink: WebhookSink, webhook_secret: str
) -> None:
    asked: list[dict[str, list[str]]] = []

    def search(seen: Seen) -> Reply:
        asked.append(parse_qs(urlsplit(seen.path).query))
        return Reply(200, RSS, google_news_feed("Tartus", LEADS))

    server.routes["/rss/search"] = search
    source = {
        "name": "Google News: Tartus",
        "type": "googlenews",
        "query": "Tartus OR Khmeimim",
        "url": server.url("/rss/search"),
    }
    settings = load_config(write_config(tmp_path, [source], webhook_sink.url), {"HOOK_SECRET": webhook_secret})

    asyncio.run(run_once(settings))

    assert asked[0]["q"] == ["Tartus OR Khmeimim"] and asked[0]["ceid"] == ["US:en"]
    got = {a["article"]["title"]: a["article"]["authors"] for a in alerts(webhook_sink.received)}
    assert got == {
        "Russian warships leave Tartus as talks on the naval base stall": ["Coast Herald"],
        "Moscow and Damascus discuss - again - the future of Khmeimim": ["Levant Daily"],
    }
    assert {s.path.split("?")[0] for s in server.requests} == {"/rss/search"}  # no redirect link followed
    db = open_database(settings.database)
    rows = db.execute("SELECT outcome, text_from FROM seen_items").fetchall()
    db.close()
    assert sorted(rows) == [("new", "headline")] * 3


def test_rate_limits_and_broken_feeds_fail_the_source_with_their_reason(server: FeedServer, tmp_path: Path) -> None:
    server.routes["/busy"] = Reply(429, {"Retry-After": "120"}, b"<html>unusual traffic</html>")
    # Some networks get a cookie-consent page instead of the feed.
    server.routes["/broken"] = Reply(
        200, {"Content-Type": "text/html"}, b"<html><body><form>Before you continue</form></body></html>"
    )
    sources = [
        {"name": n, "type": "googlenews", "query": "Tartus", "url": server.url(f"/{n}")} for n in ("busy", "broken")
    ]
    settings = load_config(write_config(tmp_path, sources, server.url("/hook")), {"HOOK_SECRET": ""})
    stats = asyncio.run(run_once(settings))
    assert stats.sources_ok == 0
    db = open_database(settings.database)
    states = {s.name: source_state(db, s.id) for s in settings.sources}
    db.close()
    assert states["busy"].last_status == 429 and states["busy"].retry_after_until is not None
    assert states["broken"].consecutive_failures == 1 and states["broken"].last_error
