"""Pure helpers that turn raw feed field values into clean text and absolute URLs (dates: ``dates.py``)."""

from __future__ import annotations

import html
import re
from urllib.parse import urljoin, urlsplit

from selectolax.lexbor import LexborHTMLParser

from monitor.parse.dates import parse_date

# Kept for callers that read a single date without a feed around it (sitemaps, tests).
to_datetime = parse_date

_ESCAPED_AMPERSAND = re.compile(r"&(?:amp|#0*38|#[xX]0*26);")
_TAG = re.compile(r"<[a-zA-Z!/?]")
_XML_BASE = re.compile(rb"""<(?:[\w-]+:)?(?:rss|feed|rdf|RDF|channel)\b[^>]*?\sxml:base\s*=\s*["']([^"']+)["']""")


def plain_text(value: object) -> str:
    """Return ``value`` as one line of plain text: entities decoded, tags dropped, whitespace collapsed."""
    if not isinstance(value, str) or not value:
        return ""
    text = value
    if "&" in text:
        text = html.unescape(text)
    # Titles sometimes carry markup (escaped or not); a bare "<" as in "a < b" is left alone.
    if _TAG.search(text):
        tree = LexborHTMLParser(f"<body>{text}</body>")
        tree.strip_tags(["script", "style"])  # their text is code, never part of a title
        text = tree.body.text(separator=" ") if tree.body is not None else text
    return " ".join(text.split())


def absolute_url(link: object, base: str) -> str | None:
    """Resolve ``link`` against ``base``; return None unless the result is an http(s) URL with a host."""
    if not isinstance(link, str):
        return None
    link = link.strip()
    if not link:
        return None
    # The XML parser has decoded the link already; what is left is a link escaped twice ("&amp;" or "&#038;"
    # after decoding). html.unescape() would also read HTML's legacy entities, which need no ";", and turn
    # "&section=" into "\u00a7ion=" and "&region=" into "\u00aeion=".
    if "&#" in link or "&amp;" in link:
        link = _ESCAPED_AMPERSAND.sub("&", link)
    try:
        url = urljoin(base, link)
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    return url


def document_base(body: bytes, url: str) -> str:
    """Return the base URL of a feed document: the root's ``xml:base`` resolved against ``url``, else ``url``."""
    match = _XML_BASE.search(body, 0, 4096)
    if match is None:
        return url
    try:
        base: str = urljoin(url, match.group(1).decode("utf-8", "replace").strip())
    except ValueError:
        return url
    return base
