"""Parse RSS, Atom, RDF and JSON Feed bodies into ``ParsedFeed``: fastfeedparser first, feedparser as a fallback."""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

import fastfeedparser
import fastfeedparser.main
import feedparser

from monitor.errors import ParseError
from monitor.models import FeedEntry, ParsedFeed
from monitor.parse.charset import to_utf8
from monitor.parse.clean import absolute_url, document_base, plain_text
from monitor.parse.dates import parse_date
from monitor.parse.entities import repair_ampersands

_HTML_START = (b"<!doctype html", b"<html")
_EMAIL_NAME = re.compile(r"^[^\s@()]+@[^\s()]+\s*\((.+)\)$")
# Text fastfeedparser drops: a title or summary whose value is markup (Atom type="xhtml", XHTML written
# unescaped in an RSS <description>), or leaves encoded (base64). Looked for only when the fast result has an
# empty title or summary or a base64-looking title; each pattern starts with a literal, which the regex
# engine skips to quickly. When one matches, feedparser reads the feed instead.
_MARKUP_CHILD = tuple(re.compile(rb"<%s\b[^>]*>[^<]*<[a-zA-Z]" % tag) for tag in (b"title", b"description", b"summary"))
# Base64 text: Atom 0.3 mode="base64", Atom 1.0 binary types.
_BASE64_TITLE = re.compile(r"^[A-Za-z0-9+/]{12,}={0,2}$")
_BASE64 = (re.compile(rb"mode\s*=\s*[\"']base64"), re.compile(rb"<title\b[^>]*application/octet"))


def _looks_cut(parsed: ParsedFeed) -> bool:
    """Whether fastfeedparser's result shows signs of lost text: an empty title or summary, a base64 title."""
    if not parsed.title or _BASE64_TITLE.match(parsed.title):
        return True
    return any(not entry.title or not (entry.summary or entry.content) for entry in parsed.entries)


def _fast_parser_loses_text(data: bytes) -> bool:
    """Whether the body has text fastfeedparser drops or leaves encoded (see above)."""
    return any(pattern.search(data) for pattern in (*_MARKUP_CHILD, *_BASE64))


# American feeds write 06/09/2021 for June 9th; everyone else (and every dotted date) puts the day first.
_AMERICAN = re.compile(rb"<(?:[\w-]+:)?language>\s*en-us\s*<|\sxml:lang\s*=\s*[\"']en-us[\"']", re.IGNORECASE)
_HEAD_BYTES = 4096


def _date_text(value: str) -> str:
    """Stand in for fastfeedparser's date parser: hand the feed's date text through as written.

    fastfeedparser reads dates itself (with ``dateparser`` when that happens to be installed) and keeps no
    raw text, so a zone it does not know becomes UTC and a year alone takes today's day and month. Its native
    extractor converts the common layouts itself (rightly, zone names included) and calls the module global
    ``_parse_date`` for the rest; with this one in its place we get that text and read it with
    ``monitor.parse.dates``. tests/parse/test_parse_dates.py fails if an upgrade changes that.
    """
    return value


fastfeedparser.main._parse_date = _date_text


@dataclass(frozen=True, slots=True)
class _Context:
    """What every entry of one document is read against."""

    base: str
    month_first: bool


def parse_feed(body: bytes, url: str, *, content_type: str = "") -> ParsedFeed:
    """Parse a fetched feed body; raise ``ParseError`` when it is not a feed.

    ``content_type`` is the HTTP Content-Type header: its charset comes before the XML declaration's.
    """
    if not isinstance(body, bytes | bytearray | memoryview):
        # A str would be taken for a URL or a path by both parsers, which would then do I/O of their own.
        raise TypeError("parse_feed takes the fetched bytes, not a str")
    if not bytes(body).strip():
        raise ParseError("empty body", url=url)
    decoded = to_utf8(bytes(body), content_type)
    context = _Context(document_base(decoded.data, url), bool(_AMERICAN.search(decoded.data, 0, _HEAD_BYTES)))
    parsed = _parse(decoded.data, url, context)
    problems = [decoded.problem] if decoded.problem else []
    unread = [entry.date_text for entry in parsed.entries if entry.date_text]
    if unread:
        problems.append(f"{len(unread)} of {len(parsed.entries)} entry dates unreadable, e.g. {unread[0]!r}")
    return replace(parsed, charset=decoded.charset, problems=tuple(problems))


def _parse(data: bytes, url: str, context: _Context) -> ParsedFeed:
    """Parse UTF-8 ``data`` with fastfeedparser, or feedparser where that finds nothing or would lose text."""
    fast_parsed: ParsedFeed | None = None
    lost_text = False
    try:
        # feedparser gets the body as it came: its own loose parser reads HTML entities and bare "&" itself.
        fast = fastfeedparser.parse(repair_ampersands(data))
    except ValueError as exc:
        problem = str(exc) or "not a feed"
    except Exception as exc:  # noqa: BLE001 - a third-party parser bug must not escape as a crash
        problem = f"{type(exc).__name__}: {exc}"
    else:
        fast_parsed = _from_dict(fast, context)
        lost_text = _looks_cut(fast_parsed) and _fast_parser_loses_text(data)
        if fast_parsed.entries and not lost_text:
            return fast_parsed
        problem = "no entries with a usable link" if fast.get("entries") else "no entries"
    slow = _parse_slow(data, url, context, problem)
    fast_count = len(fast_parsed.entries) if fast_parsed is not None else 0
    if slow is not None and (((slow.entries or lost_text) and len(slow.entries) >= fast_count) or fast_parsed is None):
        return slow
    if fast_parsed is not None and fast_parsed.entries:
        return fast_parsed
    if slow is not None and slow.title and fast_parsed is not None and not fast_parsed.title:
        return slow  # neither has entries; feedparser reads more feed titles (dc:title, RSS 0.90, odd case)
    if fast_parsed is not None and (_looks_like_feed(fast_parsed) or slow is not None):
        # A valid feed that simply has nothing usable right now (e.g. a JSON Feed with no items).
        return fast_parsed
    head = data.lstrip()[:200].lower()
    kind = "an HTML page" if head.startswith(_HTML_START) else "not a feed"
    raise ParseError(f"{kind} ({problem})", url=url)


def _parse_slow(data: bytes, url: str, context: _Context, problem: str) -> ParsedFeed | None:
    """Parse with feedparser (RSS 0.90, broken XML); return None when it finds no feed either."""
    try:
        # BytesIO, not bytes: feedparser tries open() on a bytes argument, which could read a local file.
        result = feedparser.parse(io.BytesIO(data), response_headers={"content-location": context.base})
    except Exception as exc:  # feedparser should never raise; if it does, the body is the cause
        raise ParseError(f"not a feed ({problem}; feedparser: {exc})", url=url) from exc
    if not result.get("version") and not result.get("entries"):
        return None
    return _from_dict(result, context)


def _looks_like_feed(parsed: ParsedFeed) -> bool:
    """Whether an entry-less result still has a feed header (an empty but valid feed)."""
    return bool(parsed.title or parsed.link)


def _from_dict(raw: Mapping[str, Any], context: _Context) -> ParsedFeed:
    """Build a ParsedFeed from the dict shape that fastfeedparser and feedparser share."""
    feed = raw.get("feed") or {}
    entries = tuple(entry for item in raw.get("entries") or () if (entry := _entry(item, context)) is not None)
    return ParsedFeed(
        title=plain_text(feed.get("title")),
        entries=entries,
        link=absolute_url(feed.get("link"), context.base),
    )


def _entry(item: Mapping[str, Any], context: _Context) -> FeedEntry | None:
    """Build one FeedEntry, or None when the item has no usable link."""
    guid = item.get("id") or item.get("guid")
    guid_text = guid.strip() if isinstance(guid, str) and guid.strip() else None
    base = context.base
    link = absolute_url(item.get("link"), base) or _alternate_link(item.get("links"), base)
    if link is None and guid_text and guid_text.startswith(("http://", "https://")):
        # Atom entries without <link> but with a URL as <id>: feedparser treats that id as the permalink too.
        link = absolute_url(guid_text, base)
    if link is None:
        return None
    summary = _text(item.get("summary") or item.get("description"))
    content = _content(item.get("content"))
    date_text = _raw_date(item, guid_text)
    published = parse_date(date_text, month_first=context.month_first) if date_text else None
    return FeedEntry(
        url=link,
        title=plain_text(item.get("title")),
        guid=guid_text,
        summary=summary,
        # fastfeedparser copies the description into content when there is none; that is no full text.
        content="" if content == summary else content,
        published=published,
        authors=_authors(item),
        date_text="" if published else date_text,
    )


def _raw_date(item: Mapping[str, Any], guid: str | None) -> str:
    """Return the entry's date as the feed wrote it: published (or issued, dc:date), else updated."""
    for key in ("published", "updated"):
        value = item.get(key)
        # fastfeedparser tries an RSS guid as a date when there is none; a guid is not a date we were given.
        if isinstance(value, str) and value.strip() and value.strip() != guid:
            return " ".join(value.split())
    return ""


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
