"""Feed autodiscovery: the ``<link rel="alternate">`` feeds an HTML page announces."""

from __future__ import annotations

from selectolax.lexbor import LexborHTMLParser

from monitor.parse.clean import absolute_url

FEED_TYPES = frozenset(
    {"application/rss+xml", "application/atom+xml", "application/feed+json", "application/json", "application/rdf+xml"}
)


def looks_like_html(body: bytes) -> bool:
    """Whether a body is an HTML page (worth looking for feed links in) rather than broken XML."""
    head = body[:2048].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html")) or b"<html" in head or b"<head" in head


def find_feed_links(html: bytes, url: str) -> list[str]:
    """Return the absolute URLs of the feeds an HTML page links to, in page order, without duplicates."""
    tree = LexborHTMLParser(html)
    base = url
    base_node = tree.css_first("base[href]")
    if base_node is not None:
        base = absolute_url(base_node.attributes.get("href"), url) or url
    found: dict[str, None] = {}
    for node in tree.css("link[rel][href]"):
        rels = (node.attributes.get("rel") or "").lower().split()
        kind = (node.attributes.get("type") or "").split(";")[0].strip().lower()
        if "alternate" not in rels or kind not in FEED_TYPES:
            continue
        # application/json is too generic on its own: oEmbed and API links use it too.
        if kind == "application/json" and "feed" not in (node.attributes.get("title") or "").lower():
            continue
        link = absolute_url(node.attributes.get("href"), base)
        if link is not None:
            found.setdefault(link, None)
    return list(found)
