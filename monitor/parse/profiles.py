"""The feeds of YouTube channels, Mastodon accounts and Bluesky profiles, found from the profile's address or page.

YouTube (``/feeds/videos.xml?channel_id=``), Mastodon (``/@NAME.rss``) and Bluesky (``/profile/HANDLE/rss``) publish
plain RSS/Atom for every public profile; users paste the profile's address, so it is turned into the feed here.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, quote, urljoin, urlsplit

YOUTUBE_HOSTS = frozenset({"youtube.com", "www.youtube.com", "m.youtube.com"})
BLUESKY_HOSTS = frozenset({"bsky.app"})
_CHANNEL_ID = re.compile(r"^UC[\w-]{22}$")
# Where a YouTube channel page names its id when it announces no feed: canonical link, meta tag, page data.
_PAGE_CHANNEL_ID = re.compile(
    rb'(?:youtube\.com/channel/|itemprop="(?:channelId|identifier)" content="|"(?:channelId|externalId)":")'
    rb"(UC[\w-]{22})"
)
_MASTODON_ACCOUNT = re.compile(r"^/@([A-Za-z0-9_]{1,64})/?$")


def profile_feed(url: str) -> tuple[str, str] | None:
    """Return (feed URL, what the profile is) for a profile address whose feed follows from the address alone."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    segments = [s for s in parts.path.split("/") if s]
    if host in BLUESKY_HOSTS and len(segments) == 2 and segments[0] == "profile":
        return f"https://bsky.app/profile/{segments[1]}/rss", "Bluesky profile"
    if host in YOUTUBE_HOSTS:
        feeds = "https://www.youtube.com/feeds/videos.xml?"
        if len(segments) >= 2 and segments[0] == "channel" and _CHANNEL_ID.match(segments[1]):
            return feeds + "channel_id=" + segments[1], "YouTube channel"
        if len(segments) >= 2 and segments[0] == "user":
            return feeds + "user=" + quote(segments[1]), "YouTube channel"
        playlist = parse_qs(parts.query).get("list")
        if segments[:1] == ["playlist"] and playlist:
            return feeds + "playlist_id=" + quote(playlist[0]), "YouTube playlist"
    return None  # a YouTube @handle, a Mastodon account: their page says (profile_page_feed)


def profile_page_feed(html: bytes, url: str) -> tuple[str, str] | None:
    """Return (feed URL, what the profile is) for a profile page that announces no feed link of its own."""
    head = html[:2_000_000]
    found = _PAGE_CHANNEL_ID.search(head)
    if found is not None and (b"youtube" in head[:200_000].lower() or urlsplit(url).hostname in YOUTUBE_HOSTS):
        return urljoin(url, "/feeds/videos.xml?channel_id=" + found.group(1).decode()), "YouTube channel"
    account = _MASTODON_ACCOUNT.match(urlsplit(url).path)
    if account is not None and b'id="mastodon"' in head:
        return urljoin(url, f"/@{account.group(1)}.rss"), "Mastodon account"
    return None
