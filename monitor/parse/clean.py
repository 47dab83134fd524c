"""Pure helpers that turn raw feed field values into clean text, absolute URLs and aware datetimes."""

from __future__ import annotations

import html
import re
import time
import warnings
from datetime import UTC, datetime
from urllib.parse import urljoin, urlsplit

from dateutil import parser as dateparser
from selectolax.lexbor import LexborHTMLParser

_DECLARED = re.compile(rb"""^\s*<\?xml[^>]*\bencoding\s*=""")
_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")
_TAG = re.compile(r"<[a-zA-Z!/?]")
_XML_BASE = re.compile(rb"""<(?:[\w-]+:)?(?:rss|feed|rdf|RDF|channel)\b[^>]*?\sxml:base\s*=\s*["']([^"']+)["']""")


def utf8_if_undeclared(body: bytes) -> bytes:
    """Transcode a body that declares no encoding and is not UTF-8 from windows-1252, as browsers do."""
    if body.isascii() or body.startswith(_BOMS) or _DECLARED.match(body[:512]):
        return body
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        # Undeclared XML defaults to UTF-8; a body that is not is almost always Latin-1/windows-1252.
        return body.decode("cp1252", errors="replace").encode("utf-8")
    return body


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
        text = tree.body.text(separator=" ") if tree.body is not None else text
    return " ".join(text.split())


def absolute_url(link: object, base: str) -> str | None:
    """Resolve ``link`` against ``base``; return None unless the result is an http(s) URL with a host."""
    if not isinstance(link, str):
        return None
    link = link.strip()
    if not link:
        return None
    # Feeds write "&#038;" or "&amp;" in links that went through an HTML escaper twice.
    if "&" in link:
        link = html.unescape(link)
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


def to_datetime(value: object) -> datetime | None:
    """Turn an ISO string, RFC 822 string or ``time.struct_time`` (UTC) into a datetime in UTC."""
    if isinstance(value, time.struct_time):
        try:
            return datetime(*value[:6], tzinfo=UTC)
        except ValueError:
            return None
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        try:
            # dateutil warns on unknown zone names ("EDT" is fine, "XYZ" is not); we fall back to UTC.
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                parsed = dateparser.parse(text)
        except (ValueError, OverflowError, TypeError):
            return None
    if parsed.tzinfo is None:
        # A date without a zone is most often UTC in feeds; guessing the server's zone would be worse.
        parsed = parsed.replace(tzinfo=UTC)
    # Always UTC: dates are stored as ISO text compared as strings, and shown labelled UTC; "+02:00" would lie.
    try:
        return parsed.astimezone(UTC)
    except (OverflowError, ValueError):  # year 1 or 9999 shifted out of range by its offset
        return None
