"""An HTML listing page (a section front) into feed entries: its article links, by CSS selector or by shape."""

from __future__ import annotations

import re
from urllib.parse import urldefrag, urlsplit

from selectolax.lexbor import LexborHTMLParser, LexborNode

from monitor.errors import ParseError
from monitor.models import FeedEntry, ParsedFeed
from monitor.parse.clean import absolute_url, plain_text

MAX_LINKS = 300
# Without a selector, a link is taken for an article when its text reads like a headline...
MIN_HEADLINE_CHARS = 20
# ...and its path like a story: a dated or numbered path, or a slug of several words.
_STORY_PATH = re.compile(r"/\d{4}/\d{1,2}/|\d{5,}|[\w%]+(?:-[\w%]+){3,}")


def _site(url: str) -> str:
    return (urlsplit(url).hostname or "").lower().removeprefix("www.")


def parse_listing(body: bytes, url: str, *, selector: str | None = None) -> ParsedFeed:
    """Return the article links of a listing page as entries (link text as title), in page order."""
    tree = LexborHTMLParser(body)
    if tree.body is None:
        raise ParseError("not an HTML page", url=url)
    base_node = tree.css_first("base[href]")
    base = (absolute_url(base_node.attributes.get("href"), url) if base_node is not None else None) or url
    try:
        nodes = _selected(tree, selector) if selector else tree.css("a[href]")
    except Exception as exc:  # noqa: BLE001 - lexbor raises plain exceptions on invalid selectors
        raise ParseError(f"invalid CSS selector {selector!r}: {exc}", url=url) from None
    home = urldefrag(url).url
    found: dict[str, FeedEntry] = {}
    for node in nodes:
        link = absolute_url(node.attributes.get("href"), base)
        if link is None:
            continue
        link = urldefrag(link).url
        title = plain_text(node.text(separator=" ")) or plain_text(node.attributes.get("title"))
        if link == home or link in found:
            continue
        if not selector and not _looks_like_story(link, title, url):
            continue
        found[link] = FeedEntry(url=link, title=title)
        if len(found) >= MAX_LINKS:
            break
    title_node = tree.css_first("title")
    title = plain_text(title_node.text()) if title_node is not None else ""
    return ParsedFeed(title=title, entries=tuple(found.values()), link=url)


def _selected(tree: LexborHTMLParser, selector: str) -> list[LexborNode]:
    """Return the links the selector picks: the matched <a> itself, or the first link inside a matched block."""
    links: list[LexborNode] = []
    for node in tree.css(selector):
        if node.tag == "a" and "href" in node.attributes:
            links.append(node)
        else:
            inner = node.css_first("a[href]")
            if inner is not None:
                links.append(inner)
    return links


def _looks_like_story(link: str, title: str, page: str) -> bool:
    if _site(link) != _site(page) or len(title) < MIN_HEADLINE_CHARS:
        return False
    return bool(_STORY_PATH.search(urlsplit(link).path))
