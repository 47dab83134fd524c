"""A GDELT DOC 2.0 ArtList answer (``format=json``) into entries: each article's URL, title and first-seen date."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from monitor.errors import ParseError
from monitor.models import FeedEntry, ParsedFeed
from monitor.textutil import one_line

MAX_ARTICLES = 250  # what one call returns at most; more would not be GDELT


def parse_gdelt(body: bytes, url: str) -> ParsedFeed:
    """Return the articles GDELT lists, newest first as asked; raise ParseError for anything but its JSON."""
    text = body.decode("utf-8", errors="replace").strip()
    if not text.startswith("{"):
        # GDELT answers a query it refuses (too short, a bad operator, too frequent) with a line of plain text.
        raise ParseError(f"GDELT refused the query: {one_line(text, 300)}", url=url)
    try:
        # strict=False: titles arrive with raw control characters now and then.
        data = json.loads(text, strict=False)
    except ValueError as exc:
        raise ParseError(f"GDELT sent broken JSON: {exc}", url=url) from None
    if not isinstance(data, dict):
        raise ParseError("GDELT sent JSON that is not an object", url=url)
    articles = data.get("articles", [])  # no "articles" at all: nothing matched the query
    if not isinstance(articles, list):
        raise ParseError("GDELT's 'articles' is not a list", url=url)
    entries = [e for e in (_entry(a) for a in articles[:MAX_ARTICLES]) if e is not None]
    problems = ("some GDELT articles had no usable URL and were skipped",) if len(entries) < len(articles) else ()
    return ParsedFeed(title="GDELT", entries=tuple(entries), link=url, problems=problems)


def _entry(article: Any) -> FeedEntry | None:
    if not isinstance(article, dict):
        return None
    link = article.get("url")
    if not isinstance(link, str) or not link.startswith(("http://", "https://")):
        return None
    title = article.get("title")
    return FeedEntry(
        url=link,
        title=one_line(title, 1000) if isinstance(title, str) else "",
        guid=link,
        published=_seen(article.get("seendate")),
    )


def _seen(value: Any) -> datetime | None:
    """Return GDELT's ``seendate`` (``20250219T181500Z``, UTC) as a datetime."""
    if not isinstance(value, str):
        return None
    try:
        return datetime.strptime(value, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    except ValueError:
        return None
