"""``type: telegram``: a public channel's web preview, read post by post, matched on the post text, to a webhook."""

from __future__ import annotations

import asyncio
import itertools
import time
from pathlib import Path

import pytest
from channel_kit import HTML, Post, alerts, telegram_card, telegram_preview, write_config
from fetch_server import FeedServer, Reply, Seen

from monitor.config import SourceConfig, load_config
from monitor.config.sourceurls import poll_url
from monitor.daemon import run_once
from monitor.dedup import outlet_of
from monitor.demo.sink import WebhookSink
from monitor.errors import ParseError
from monitor.parse import parse_telegram
from monitor.store import open_database, source_state

NAVY = "Russian navy frigate and two landing ships left the port of Tartus overnight, heading west."
WEATHER = "Strong winds expected on the Black Sea coast tomorrow, ferries may be delayed."


def channel_posts() -> list[Post]:
    return [
        Post(103, f"<b>Tartus:</b> {NAVY}<br/>Satellite images show the pier empty."),
        Post(102, WEATHER),
        Post(
            101,
            "Repost: Russia's tanker returned to Tartus, the naval facility is busy again.",
            forwarded_from="Coast Observer",
            preview_title="Tanker seen off the Syrian coast",
        ),
        Post(100, "Channel created", service=True),
    ]


def test_the_preview_page_parses_into_posts_newest_first() -> None:
    page = parse_telegram(
        telegram_preview("tartuswatch", "Tartus Watch", channel_posts()), "https://t.me/s/tartuswatch"
    )
    entries = page.feed.entries
    assert [e.url for e in entries] == [f"https://t.me/tartuswatch/{n}" for n in (103, 102, 101)]
    assert page.oldest_post == 101 and page.feed.title == "Tartus Watch"
    first = entries[0]
    assert first.title.startswith("Tartus: Russian navy frigate") and first.authors == ("Tartus Watch",)
    assert first.published is not None and first.published.isoformat() == "2025-02-19T18:00:00+00:00"
    assert "An older quoted post" not in first.content  # the post it replies to is not its text
    assert "Forwarded from Coast Observer" in entries[2].content
    assert "Tanker seen off the Syrian coast" in entries[2].content  # the link preview counts as its text


def test_a_page_without_preview_is_a_clear_error() -> None:
    with pytest.raises(ParseError, match="web preview is disabled"):
        parse_telegram(telegram_card("closedchan", "Closed"), "https://t.me/closedchan")


@pytest.mark.parametrize(
    ("keys", "expected"),
    [
        ({"channel": "tartuswatch"}, "https://t.me/s/tartuswatch"),
        ({"channel": "@tartuswatch"}, "https://t.me/s/tartuswatch"),
        ({"url": "https://t.me/tartuswatch"}, "https://t.me/s/tartuswatch"),
        ({"url": "https://t.me/s/tartuswatch/103"}, "https://t.me/s/tartuswatch"),
        ({"url": "https://telegram.me/tartuswatch"}, "https://telegram.me/s/tartuswatch"),
        ({"url": "http://127.0.0.1:8080", "channel": "tartuswatch"}, "http://127.0.0.1:8080/s/tartuswatch"),
    ],
)
def test_channel_or_link_gives_the_preview_url(keys: dict[str, str], expected: str) -> None:
    assert poll_url(SourceConfig.model_validate({"name": "T", "type": "telegram", **keys})) == expected


def test_telegram_source_without_channel_or_url_is_refused() -> None:
    with pytest.raises(ValueError, match="needs a channel"):
        SourceConfig.model_validate({"name": "T", "type": "telegram"})
    with pytest.raises(ValueError, match="does not use selector"):
        SourceConfig.model_validate({"name": "T", "type": "telegram", "channel": "abc", "selector": "a"})


def test_posts_alert_on_their_own_text_without_any_page_fetch(
    server: FeedServer, tmp_path: Path, webhook_sink: WebhookSink, webhook_secret: str
) -> None:
    server.routes["/s/tartuswatch"] = Reply(200, HTML, telegram_preview("tartuswatch", "Tartus Watch", channel_posts()))
    source = {"name": "Tartus Watch", "type": "telegram", "channel": "tartuswatch", "url": server.url("/")}
    settings = load_config(write_config(tmp_path, [source], webhook_sink.url), {"HOOK_SECRET": webhook_secret})
    assert not settings.sources[0].fetch_pages

    stats = asyncio.run(run_once(settings))

    got = {a["article"]["url"]: a["topic"]["id"] for a in alerts(webhook_sink.received)}
    assert got == {
        "https://t.me/tartuswatch/103": "russia-syria-bases",
        "https://t.me/tartuswatch/101": "russia-syria-bases",
    }, stats.summary()
    assert {s.path for s in server.requests} == {"/s/tartuswatch"}  # no post page, no t.me request
    db = open_database(settings.database)
    rows = dict(db.execute("SELECT item_key, outcome || ' ' || text_from FROM seen_items").fetchall())
    db.close()
    assert rows == {
        "https://t.me/tartuswatch/103": "new feed content",
        "https://t.me/tartuswatch/102": "new feed content",
        "https://t.me/tartuswatch/101": "new feed content",
    }
    asyncio.run(run_once(settings))
    assert len(webhook_sink.received) == 2  # a second poll alerts nothing again


def test_a_channel_that_ran_ahead_is_read_back_to_the_last_post_seen(server: FeedServer, tmp_path: Path) -> None:
    """One page per poll, unless none of its posts was seen: then ?before= pages back until one was."""
    newest = {"id": 120}

    def preview(seen: Seen) -> Reply:
        before = int(seen.path.split("before=")[1]) if "before=" in seen.path else newest["id"] + 1
        ids = range(before - 1, max(before - 21, 0), -1)  # twenty posts per page, as t.me shows
        return Reply(200, HTML, telegram_preview("fleetnotes", "Fleet notes", [Post(n, f"Note {n}") for n in ids]))

    server.routes["/s/fleetnotes"] = preview
    source = {"name": "Fleet notes", "type": "telegram", "url": server.url("/s/fleetnotes")}
    settings = load_config(write_config(tmp_path, [source], server.url("/hook")), {"HOOK_SECRET": ""})
    first = asyncio.run(run_once(settings))
    assert first.new_entries == 20 and len(server.hits("/s/fleetnotes")) == 1  # a first poll reads one page

    newest["id"] = 165  # 45 new posts: more than two pages
    second = asyncio.run(run_once(settings))
    pages = [s.path for s in server.requests if s.path.startswith("/s/fleetnotes")][1:]
    assert pages == ["/s/fleetnotes", "/s/fleetnotes?before=146", "/s/fleetnotes?before=126"]
    assert second.new_entries == 45

    newest["id"] = 167
    third = asyncio.run(run_once(settings))
    assert third.new_entries == 2  # one page: its older posts were seen
    assert [s.path for s in server.requests if s.path.startswith("/s/fleetnotes")][4:] == ["/s/fleetnotes"]


def test_a_channel_without_web_preview_fails_with_a_clear_error(server: FeedServer, tmp_path: Path) -> None:
    server.routes["/s/closedchan"] = Reply(302, {"Location": "/closedchan"})
    server.routes["/closedchan"] = Reply(200, HTML, telegram_card("closedchan", "Closed channel"))
    source = {"name": "Closed", "type": "telegram", "url": server.url("/s/closedchan")}
    settings = load_config(write_config(tmp_path, [source], server.url("/hook")), {"HOOK_SECRET": ""})
    stats = asyncio.run(run_once(settings))
    assert stats.sources_ok == 0
    db = open_database(settings.database)
    state = source_state(db, settings.sources[0].id)
    db.close()
    assert state.consecutive_failures == 1 and "web preview is disabled" in (state.last_error or "")


def test_hostile_previews_fail_the_source_not_the_daemon(server: FeedServer, tmp_path: Path) -> None:
    """A huge page is cut at max_bytes, a 429 is honoured (Retry-After), markup that is no preview is named."""
    huge = b"<html><body>" + b'<div class="tgme_widget_message_text">x</div>' * 50_000 + b"</body></html>"
    server.routes["/s/huge"] = Reply(200, HTML, huge)
    server.routes["/s/busy"] = Reply(429, {"Retry-After": "3600"}, b"Too Many Requests")
    server.routes["/s/junk"] = Reply(200, HTML, b"<html><body><p>Maintenance</p></body></html>")
    sources = [{"name": n, "type": "telegram", "url": server.url(f"/s/{n}")} for n in ("huge", "busy", "junk")]
    settings = load_config(write_config(tmp_path, sources, server.url("/hook"), max_bytes="1MB"), {"HOOK_SECRET": ""})
    stats = asyncio.run(run_once(settings))
    assert stats.sources_ok == 0 and len(stats.failures) == 3
    db = open_database(settings.database)
    states = {s.name: source_state(db, s.id) for s in settings.sources}
    db.close()
    assert "too_large" in (states["huge"].last_error or "")
    assert states["busy"].last_status == 429 and states["busy"].retry_after_until is not None
    assert "not a Telegram channel preview page" in (states["junk"].last_error or "")


@pytest.mark.parametrize(
    ("url", "outlet"),
    [
        ("https://t.me/tartuswatch/103", "t.me/tartuswatch"),
        ("https://telegram.me/s/tartuswatch/103", "t.me/tartuswatch"),
        ("https://bsky.app/profile/harbour.example.org/post/3kabc", "bsky.app/profile/harbour.example.org"),
        ("https://www.example.org/world/1", "example.org"),
    ],
)
def test_each_channel_is_its_own_outlet(url: str, outlet: str) -> None:
    assert outlet_of(url) == outlet


def test_two_channels_posting_the_same_words_are_two_outlets_of_one_story(
    server: FeedServer, tmp_path: Path, webhook_sink: WebhookSink, webhook_secret: str
) -> None:
    for name in ("tartuswatch", "fleetnotes"):
        server.routes[f"/s/{name}"] = Reply(200, HTML, telegram_preview(name, name.title(), [Post(7, NAVY)]))
    sources = [{"name": n, "type": "telegram", "url": server.url(f"/s/{n}")} for n in ("tartuswatch", "fleetnotes")]
    settings = load_config(write_config(tmp_path, sources, webhook_sink.url), {"HOOK_SECRET": webhook_secret})
    asyncio.run(run_once(settings))
    db = open_database(settings.database)
    outlets = db.execute("SELECT outlet, story_id FROM story_articles ORDER BY outlet").fetchall()
    db.close()
    assert [o for o, _ in outlets] == ["t.me/fleetnotes", "t.me/tartuswatch"] and len({s for _, s in outlets}) == 1
    assert len(webhook_sink.received) == 1  # the story alerted once


def test_channels_share_the_host_delay_of_t_me(server: FeedServer, tmp_path: Path) -> None:
    """Every channel lives on t.me: their polls are spaced by the host's min_delay, like article pages."""
    starts: list[float] = []

    def preview(seen: Seen) -> Reply:
        starts.append(time.monotonic())
        name = seen.path.split("?")[0].rsplit("/", 1)[1]
        return Reply(200, HTML, telegram_preview(name, name, [Post(1, "Hello")]))

    for name in ("one", "two", "three"):
        server.routes[f"/s/{name}"] = preview
    sources = [{"name": n, "type": "telegram", "url": server.url(f"/s/{n}")} for n in ("one", "two", "three")]
    settings = load_config(write_config(tmp_path, sources, server.url("/hook"), min_delay="0.3s"), {"HOOK_SECRET": ""})
    asyncio.run(run_once(settings))
    gaps = [b - a for a, b in itertools.pairwise(sorted(starts))]
    assert len(starts) == 3 and all(gap >= 0.25 for gap in gaps), gaps
