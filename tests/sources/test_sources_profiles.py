"""YouTube channels, Mastodon accounts and Bluesky profiles: the profile's address is enough to find its feed."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from channel_kit import (
    CHANNEL_ID,
    HTML,
    alerts,
    mastodon_feed,
    mastodon_page,
    write_config,
    youtube_feed,
    youtube_page,
)
from click.testing import CliRunner
from fetch_server import FeedServer, Reply

from monitor.cli import main
from monitor.config import load_config
from monitor.daemon import run_once
from monitor.demo.sink import WebhookSink
from monitor.parse import profile_feed

ATOM = {"Content-Type": "application/atom+xml; charset=utf-8"}
RSS = {"Content-Type": "application/rss+xml; charset=utf-8"}
VIDEOS = [("vid0000001a", "Russian navy ships return to Tartus naval base"), ("vid0000002b", "Sunset over the bay")]
POSTS = [
    (1139, "A Russian landing ship was seen entering Tartus this morning, escorted by a corvette."),
    (1138, "Good morning from the harbour cafe."),
]


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            f"https://www.youtube.com/channel/{CHANNEL_ID}",
            (f"https://www.youtube.com/feeds/videos.xml?channel_id={CHANNEL_ID}", "YouTube channel"),
        ),
        (
            "https://youtube.com/user/harbourwatch",
            ("https://www.youtube.com/feeds/videos.xml?user=harbourwatch", "YouTube channel"),
        ),
        (
            "https://www.youtube.com/playlist?list=PLx0sYbCqOb8TBPRdmBHs5Iftvv9TPboYG",
            (
                "https://www.youtube.com/feeds/videos.xml?playlist_id=PLx0sYbCqOb8TBPRdmBHs5Iftvv9TPboYG",
                "YouTube playlist",
            ),
        ),
        (
            "https://bsky.app/profile/harbour.example.org",
            ("https://bsky.app/profile/harbour.example.org/rss", "Bluesky profile"),
        ),
        ("https://www.youtube.com/@harbourwatch", None),  # a handle: the channel page names its feed
        ("https://social.example/@harbour", None),  # any host may run Mastodon: its page says so
        ("https://news.example.org/feed.xml", None),
    ],
)
def test_profile_addresses_that_name_their_feed(url: str, expected: tuple[str, str] | None) -> None:
    assert profile_feed(url) == expected


@pytest.fixture
def profiles(server: FeedServer) -> FeedServer:
    """Serve a YouTube channel page announcing its feed, one naming only its channel id, and a Mastodon account."""
    feed = youtube_feed(server.url(""), VIDEOS)
    server.routes["/@harbourwatch"] = Reply(200, HTML, youtube_page(server.url("/feeds/videos.xml?channel_id=X")))
    server.routes["/c/HarbourWatch"] = Reply(200, HTML, youtube_page(None))
    server.routes["/feeds/videos.xml"] = Reply(200, ATOM, feed)
    server.routes["/@harbour"] = Reply(200, HTML, mastodon_page("harbour"))
    server.routes["/@harbour.rss"] = Reply(200, RSS, mastodon_feed(server.url(""), "harbour", POSTS))
    return server


def profile_sources(server: FeedServer) -> list[dict[str, object]]:
    return [
        {"name": "Harbour Watch (handle)", "url": server.url("/@harbourwatch"), "fetch_pages": False},
        {"name": "Harbour Watch (custom URL)", "url": server.url("/c/HarbourWatch"), "fetch_pages": False},
        {"name": "Harbour on Mastodon", "url": server.url("/@harbour"), "fetch_pages": False},
    ]


def test_check_probe_says_which_feed_each_profile_has(profiles: FeedServer, tmp_path: Path) -> None:
    path = write_config(tmp_path, profile_sources(profiles), profiles.url("/hook"))
    result = CliRunner().invoke(main, ["check", "--probe", "-c", str(path)], env={"HOOK_SECRET": ""})
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert any(
        "Harbour Watch (handle)" in line and "announces the feed" in line and "(2 entries)" in line for line in lines
    ), lines
    assert any(
        "Harbour Watch (custom URL)" in line
        and "is a YouTube channel; its feed is "
        f"{profiles.url('/feeds/videos.xml?channel_id=' + CHANNEL_ID)} (2 entries)"
        in line
        for line in lines
    ), lines
    assert any(
        "Harbour on Mastodon" in line
        and f"is a Mastodon account; its feed is {profiles.url('/@harbour.rss')} (2 entries)" in line
        for line in lines
    ), lines


def test_videos_and_posts_alert_through_the_profile_feeds(
    profiles: FeedServer, tmp_path: Path, webhook_sink: WebhookSink, webhook_secret: str
) -> None:
    path = write_config(tmp_path, profile_sources(profiles), webhook_sink.url)
    settings = load_config(path, {"HOOK_SECRET": webhook_secret})
    asyncio.run(run_once(settings))
    got = sorted(a["article"]["url"] for a in alerts(webhook_sink.received))
    # The same video reached through both YouTube addresses is one article: alerted once.
    assert got == [profiles.url("/@harbour/1139"), profiles.url("/watch?v=vid0000001a")]
    asyncio.run(run_once(settings))  # later polls read the feeds directly
    assert profiles.hits("/@harbour") == profiles.hits("/@harbour")[:1]
    assert len(webhook_sink.received) == 2
