"""A Google News search feed into leads: each item's headline (without " - Outlet") and the outlet that ran it.

The links are opaque news.google.com redirects that rate-limit when followed, so an item is only its headline
and its outlet: the outlet is kept as the item's author, so that alerts name it.
"""

from __future__ import annotations

import html
import re
from dataclasses import replace

from monitor.models import FeedEntry, ParsedFeed
from monitor.parse.feed import parse_feed

# <source url="https://outlet.example">Outlet</source> in each <item>, beside its <link>.
_LINK = re.compile(rb"<link>\s*([^<\s]+)\s*</link>")
_SOURCE = re.compile(rb"<source\b[^>]*>([^<]{1,300})</source>")


def parse_google_news(body: bytes, url: str, *, content_type: str = "") -> ParsedFeed:
    """Return a Google News search feed's items as headline-and-outlet leads."""
    feed = parse_feed(body, url, content_type=content_type)
    outlets = _outlets(body)
    return replace(feed, entries=tuple(_lead(e, outlets.get(e.url)) for e in feed.entries))


def _outlets(body: bytes) -> dict[str, str]:
    """Return each item's outlet by its link, from its <source> element."""
    found = {}
    # Split rather than match <item>...</item>: a lazy match over a hostile body of unclosed items is quadratic.
    for chunk in body.split(b"<item")[1:]:
        item = chunk.split(b"</item>", 1)[0]
        link, source = _LINK.search(item), _SOURCE.search(item)
        if link and source:
            found[html.unescape(link.group(1).decode("utf-8", "replace"))] = html.unescape(
                source.group(1).decode("utf-8", "replace")
            ).strip()
    return found


def _lead(entry: FeedEntry, outlet: str | None) -> FeedEntry:
    title = entry.title
    if outlet is None and " - " in title:
        outlet = title.rsplit(" - ", 1)[1].strip()  # every Google News title ends with " - Outlet"
    if outlet and title.endswith(f" - {outlet}"):
        title = title.removesuffix(f" - {outlet}").strip()
    # The description only repeats the headline and the outlet (or lists related headlines): not the story's text.
    return replace(entry, title=title, summary="", content="", authors=(outlet,) if outlet else entry.authors)
