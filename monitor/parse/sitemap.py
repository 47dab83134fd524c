"""News sitemaps (``<news:news>``) and sitemap indexes into feed entries, for outlets without feeds (pure)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from xml.etree import ElementTree

from monitor.errors import ParseError
from monitor.models import FeedEntry
from monitor.parse.clean import absolute_url, plain_text, to_datetime

# A sitemap may list 50,000 URLs; a news source is its newest stories. More than this on one poll is a site
# map of the archive, and fetching every page of it would hammer the site.
MAX_ENTRIES = 1000
# Sitemaps never need a DTD; refusing one closes entity expansion and external entities for good.
_DTD = re.compile(rb"<!(?:DOCTYPE|ENTITY)", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Sitemap:
    """A parsed sitemap: its entries (newest first) and, for an index, its child sitemaps (newest first)."""

    entries: tuple[FeedEntry, ...]
    children: tuple[str, ...] = ()


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _child(element: ElementTree.Element, name: str) -> ElementTree.Element | None:
    return next((c for c in element if _local(c.tag) == name), None)


def _text(element: ElementTree.Element | None) -> str:
    return (element.text or "").strip() if element is not None else ""


def parse_sitemap(body: bytes, url: str) -> Sitemap:
    """Parse a sitemap or sitemap index; raise ParseError when the body is neither."""
    if _DTD.search(body[:4096]):
        raise ParseError("sitemap with a DTD refused (entity expansion risk)", url=url)
    try:
        root = ElementTree.fromstring(body)
    except ElementTree.ParseError as exc:
        raise ParseError(f"not a sitemap (invalid XML: {exc})", url=url) from None
    kind = _local(root.tag)
    if kind == "sitemapindex":
        return Sitemap((), _children(root, url))
    if kind != "urlset":
        raise ParseError(f"not a sitemap (root element <{kind}>)", url=url)
    news: list[FeedEntry] = []
    plain: list[FeedEntry] = []
    for item in root:
        if _local(item.tag) != "url":
            continue
        link = absolute_url(_text(_child(item, "loc")), url)
        if link is None:
            continue
        story = _child(item, "news")
        if story is not None:
            news.append(_news_entry(link, story, item))
        else:
            plain.append(FeedEntry(url=link, published=to_datetime(_text(_child(item, "lastmod")))))
    # Once a sitemap has <news:news> entries, the others are section pages and evergreen content.
    entries = news or plain
    return Sitemap(tuple(_newest_first(entries)[:MAX_ENTRIES]))


def _news_entry(link: str, story: ElementTree.Element, item: ElementTree.Element) -> FeedEntry:
    published = to_datetime(_text(_child(story, "publication_date"))) or to_datetime(_text(_child(item, "lastmod")))
    return FeedEntry(url=link, title=plain_text(_text(_child(story, "title"))), published=published)


def _children(root: ElementTree.Element, url: str) -> tuple[str, ...]:
    found: list[tuple[datetime, str]] = []
    oldest = datetime.min.replace(tzinfo=UTC)
    for item in root:
        if _local(item.tag) != "sitemap":
            continue
        link = absolute_url(_text(_child(item, "loc")), url)
        if link is not None:
            found.append((to_datetime(_text(_child(item, "lastmod"))) or oldest, link))
    # Stable sort: undated children keep their order (indexes usually list the newest first anyway).
    found.sort(key=lambda pair: pair[0], reverse=True)
    return tuple(dict.fromkeys(link for _, link in found))


def _newest_first(entries: list[FeedEntry]) -> list[FeedEntry]:
    oldest = datetime.min.replace(tzinfo=UTC)
    return sorted(entries, key=lambda e: e.published or oldest, reverse=True)
