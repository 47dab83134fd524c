"""Parse RSS, Atom, RDF and JSON Feed bodies into ``ParsedFeed``: fastfeedparser first, feedparser as a fallback."""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Mapping
from typing import Any

import fastfeedparser
import feedparser

from monitor.errors import ParseError
from monitor.models import FeedEntry, ParsedFeed
from monitor.parse.clean import absolute_url, document_base, plain_text, to_datetime, utf8_if_undeclared

_HTML_START = (b"<!doctype html", b"<html")
_EMAIL_NAME = re.compile(r"^[^\s@()]+@[^\s()]+\s*\((.+)\)$")


def parse_feed(body: bytes, url: str) -> ParsedFeed:
    """Parse a fetched feed body; raise ``ParseError`` when it is not a feed."""
    if not isinstance(body, bytes | bytearray | memoryview):
        # A str would be taken for a URL or a path by both parsers, which would then do I/O of their own.
        raise TypeError("parse_feed takes the fetched bytes, not a str")
    data = utf8_if_undeclared(bytes(body))
    if not data.strip():
        raise ParseError("empty body", url=url)
    base = document_base(data, url)
    fast_parsed: ParsedFeed | None = None
    try:
        fast = fastfeedparser.parse(data)
    except ValueError as exc:
        problem = str(exc) or "not a feed"
    except Exception as exc:  # noqa: BLE001 - a third-party parser bug must not escape as a crash
        problem = f"{type(exc).__name__}: {exc}"
    else:
        fast_parsed = _from_dict(fast, base)
        if fast_parsed.entries:
            return fast_parsed
        problem = "no entries with a usable link" if fast.get("entries") else "no entries"
    slow = _parse_slow(data, url, base, problem)
    if slow is not None and (slow.entries or fast_parsed is None):
        return slow
    if fast_parsed is not None and (_looks_like_feed(fast_parsed) or slow is not None):
        # A valid feed that simply has nothing usable right now (e.g. a JSON Feed with no items).
        return fast_parsed
    head = data.lstrip()[:200].lower()
    kind = "an HTML page" if head.startswith(_HTML_START) else "not a feed"
    raise ParseError(f"{kind} ({problem})", url=url)


def _parse_slow(data: bytes, url: str, base: str, problem: str) -> ParsedFeed | None:
    """Parse with feedparser (RSS 0.90, broken XML); return None when it finds no feed either."""
    try:
        # BytesIO, not bytes: feedparser tries open() on a bytes argument, which could read a local file.
        result = feedparser.parse(io.BytesIO(data), response_headers={"content-location": base})
    except Exception as exc:  # feedparser should never raise; if it does, the body is the cause
        raise ParseError(f"not a feed ({problem}; feedparser: {exc})", url=url) from exc
    if not result.get("version") and not result.get("entries"):
        return None
    return _from_dict(result, base)


def _looks_like_feed(parsed: ParsedFeed) -> bool:
    """Whether an entry-less result still has a feed header (an empty but valid feed)."""
    return bool(parsed.title or parsed.link)


def _from_dict(raw: Mapping[str, Any], base: str) -> ParsedFeed:
    """Build a ParsedFeed from the dict shape that fastfeedparser and feedparser share."""
    feed = raw.get("feed") or {}
    entries = tuple(entry for item in raw.get("entries") or () if (entry := _entry(item, base)) is not None)
    return ParsedFeed(
        title=plain_text(feed.get("title")),
        entries=entries,
        link=absolute_url(feed.get("link"), base),
    )


def _entry(item: Mapping[str, Any], base: str) -> FeedEntry | None:
    """Build one FeedEntry, or None when the item has no usable link."""
    guid = item.get("id") or item.get("guid")
    guid_text = guid.strip() if isinstance(guid, str) and guid.strip() else None
    link = absolute_url(item.get("link"), base) or _alternate_link(item.get("links"), base)
    if link is None and guid_text and guid_text.startswith(("http://", "https://")):
        # Atom entries without <link> but with a URL as <id>: feedparser treats that id as the permalink too.
        link = absolute_url(guid_text, base)
    if link is None:
        return None
    summary = _text(item.get("summary") or item.get("description"))
    content = _content(item.get("content"))
    return FeedEntry(
        url=link,
        title=plain_text(item.get("title")),
        guid=guid_text,
        summary=summary,
        # fastfeedparser copies the description into content when there is none; that is no full text.
        content="" if content == summary else content,
        published=to_datetime(item.get("published_parsed") or item.get("published"))
        or to_datetime(item.get("updated_parsed") or item.get("updated")),
        authors=_authors(item),
    )


def _alternate_link(links: object, base: str) -> str | None:
    """Return the first alternate (or untyped) link of an item's ``links`` list."""
    if not isinstance(links, list):
        return None
    for link in links:
        if isinstance(link, Mapping) and link.get("rel") in (None, "alternate"):
            url = absolute_url(link.get("href"), base)
            if url:
                return url
    return None


def _text(value: object) -> str:
    """Return a string field stripped, or ''."""
    return value.strip() if isinstance(value, str) else ""


def _content(value: object) -> str:
    """Return the longest content block (content:encoded / Atom content) as HTML."""
    if isinstance(value, str):
        return value.strip()
    if not isinstance(value, list):
        return ""
    blocks = [_text(block.get("value")) for block in value if isinstance(block, Mapping)]
    return max(blocks, key=len, default="")


def _authors(item: Mapping[str, Any]) -> tuple[str, ...]:
    """Return the distinct author names of an item, in order."""
    names: list[str] = []
    authors = item.get("authors")
    if isinstance(authors, list):
        names.extend(_names(authors))
    if not names:
        names.extend(_names([item.get("author")]))
    return tuple(dict.fromkeys(name for name in names if name))


def _names(values: Iterable[object]) -> Iterable[str]:
    """Yield plain-text names from author strings or ``{"name": ...}`` dicts."""
    for value in values:
        name = plain_text(value.get("name") or value.get("email") if isinstance(value, Mapping) else value)
        # RSS <author> is "email (Name)"; the name is what readers want.
        match = _EMAIL_NAME.match(name)
        yield match.group(1).strip() if match else name
