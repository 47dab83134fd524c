"""A fictional news site served on 127.0.0.1 for `monitor demo` and the end-to-end tests."""

from __future__ import annotations

import hashlib
import json
import re
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path
from urllib.parse import unquote, urlsplit
from xml.sax.saxutils import escape

from monitor.demo._http import LocalServer, QuietHandler

ORIGIN_PLACEHOLDER = "{{ORIGIN}}"
CONTENT_DIR = Path(__file__).with_name("site")
# Packaged pages get a fixed date so validators are stable across runs and machines.
PACKAGED_MODIFIED = datetime(2025, 2, 19, 18, 0, tzinfo=UTC)
_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".txt": "text/plain; charset=utf-8",
    ".opml": "text/x-opml; charset=utf-8",
}

_NOT_FOUND = b"<!DOCTYPE html><title>Not found</title><h1>Not found</h1>\n"


@dataclass(frozen=True)
class RequestRecord:
    """One request the site received; header names are lower-case."""

    method: str
    path: str
    query: str
    headers: dict[str, str]


@dataclass(frozen=True)
class DemoArticle:
    """One packaged article as described by site/manifest.json."""

    key: str
    kind: str  # "seed" (about Russia's bases in Syria) or "trap" (a look-alike)
    lang: str
    feed: str
    path: str
    headline: str
    published: datetime
    author: str
    trap: str


@dataclass(frozen=True)
class _Resource:
    raw: bytes  # as stored, still holding the origin placeholder
    body: bytes  # as served
    content_type: str
    etag: str
    modified: datetime


def load_articles() -> list[DemoArticle]:
    """Return the packaged articles with their kind (seed or trap) and feed."""
    data = json.loads((CONTENT_DIR / "manifest.json").read_text(encoding="utf-8"))
    return [
        DemoArticle(**{**a, "published": datetime.fromisoformat(a["published"].replace("Z", "+00:00"))})
        for a in data["articles"]
    ]


def guess_type(path: str, body: bytes) -> str:
    """Return the Content-Type for a path, sniffing RSS and Atom for .xml files."""
    suffix = Path(path).suffix.lower()
    if suffix == ".xml":
        head = body[:1024]
        if b"<rss" in head:
            return "application/rss+xml; charset=utf-8"
        if b"<feed" in head:
            return "application/atom+xml; charset=utf-8"
        return "application/xml; charset=utf-8"
    return _TYPES.get(suffix, "application/octet-stream")


def _key(path: str) -> str:
    return "/" + unquote(urlsplit(path).path).lstrip("/")


class NewsSite(LocalServer):
    """Serve the packaged demo site plus test overrides, with ETag/Last-Modified and injectable failures."""

    def __init__(self, content_dir: Path | None = CONTENT_DIR) -> None:
        super().__init__(_SiteHandler)
        self._lock = threading.Lock()
        self._resources: dict[str, _Resource] = {}
        self._failures: dict[str, tuple[int, dict[str, str]]] = {}
        self._requests: list[RequestRecord] = []
        if content_dir is not None:
            for file in sorted(content_dir.rglob("*")):
                if file.is_file():
                    rel = file.relative_to(content_dir).as_posix()
                    self._store(rel, file.read_bytes(), None, PACKAGED_MODIFIED)

    def url(self, path: str) -> str:
        """Return the absolute URL of a path on this site."""
        return self.origin + "/" + path.lstrip("/")

    @property
    def requests(self) -> list[RequestRecord]:
        """Return a snapshot of every request received so far."""
        with self._lock:
            return list(self._requests)

    def hits(self, path: str) -> int:
        """Return how many requests asked for this path."""
        key = _key(path)
        return sum(1 for r in self.requests if r.path == key)

    def paths(self) -> list[str]:
        """Return every path the site serves."""
        with self._lock:
            return sorted(self._resources)

    def add_file(self, path: str, body: bytes | str, content_type: str | None = None) -> str:
        """Serve body at path (replacing any file there) and return its URL."""
        raw = body.encode("utf-8") if isinstance(body, str) else body
        with self._lock:
            old = self._resources.get(_key(path))
            self._store(path, raw, content_type, self._next_modified(old))
        return self.url(path)

    def add_item(
        self,
        feed_path: str,
        *,
        title: str,
        url_path: str,
        html: bytes | str,
        published: datetime,
        summary: str | None = None,
    ) -> str:
        """Publish a new item at the top of an RSS or Atom feed, serve its page, and return the page URL."""
        if published.tzinfo is None:
            published = published.replace(tzinfo=UTC)
        link = ORIGIN_PLACEHOLDER + _key(url_path)
        page = html.encode("utf-8") if isinstance(html, str) else html
        with self._lock:
            feed = self._resources.get(_key(feed_path))
            if feed is None:
                raise KeyError(f"no feed at {feed_path}")
            raw = _insert_item(feed.raw, title=title, link=link, published=published, summary=summary or title)
            # Page first, feed second, under one lock: a poller never sees a link to a page that is not there yet.
            old_page = self._resources.get(_key(url_path))
            self._store(url_path, page, "text/html; charset=utf-8", self._next_modified(old_page))
            self._store(feed_path, raw, feed.content_type, self._next_modified(feed))
        return self.url(url_path)

    def fail(self, path: str, status: int = 500, headers: dict[str, str] | None = None) -> None:
        """Make path answer with an error status (and optional headers such as Retry-After)."""
        with self._lock:
            self._failures[_key(path)] = (status, dict(headers or {}))

    def recover(self, path: str) -> None:
        """Undo fail() for path."""
        with self._lock:
            self._failures.pop(_key(path), None)

    def _store(self, path: str, raw: bytes, content_type: str | None, modified: datetime) -> None:
        ctype = content_type or guess_type(path, raw)
        body = raw
        if ctype.startswith("text/") or "xml" in ctype or "json" in ctype:
            body = raw.replace(ORIGIN_PLACEHOLDER.encode(), self.origin.encode())
        etag = '"' + hashlib.sha256(body).hexdigest()[:20] + '"'
        self._resources[_key(path)] = _Resource(raw, body, ctype, etag, modified)

    @staticmethod
    def _next_modified(old: _Resource | None) -> datetime:
        # HTTP dates have one-second resolution: a change must move Last-Modified forward by at least that much.
        now = datetime.now(UTC).replace(microsecond=0)
        return now if old is None or now > old.modified else old.modified + timedelta(seconds=1)

    def _respond(self, method: str, target: str, headers: dict[str, str]) -> tuple[int, bytes, dict[str, str]]:
        """Log a request and return (status, body, headers) to answer it."""
        parts = urlsplit(target)
        key = _key(parts.path)
        with self._lock:
            self._requests.append(RequestRecord(method, key, parts.query, headers))
            if key in self._failures:
                status, extra = self._failures[key]
                return status, f"error {status}\n".encode(), {"Content-Type": "text/plain; charset=utf-8", **extra}
            res = self._resources.get(key) or self._resources.get(key.rstrip("/") + "/index.html")
        if res is None:
            return 404, _NOT_FOUND, {"Content-Type": _TYPES[".html"]}
        validators = {"ETag": res.etag, "Last-Modified": format_datetime(res.modified, usegmt=True)}
        if _not_modified(res, headers):
            return 304, b"", validators
        return 200, res.body, {"Content-Type": res.content_type, "Cache-Control": "no-cache", **validators}


def _not_modified(res: _Resource, headers: dict[str, str]) -> bool:
    """Apply RFC 9110 conditional GET: If-None-Match wins over If-Modified-Since."""
    inm = headers.get("if-none-match")
    if inm is not None:
        tags = {t.strip().removeprefix("W/") for t in inm.split(",")}
        return "*" in tags or res.etag in tags
    ims = headers.get("if-modified-since")
    if ims is None:
        return False
    try:
        since = parsedate_to_datetime(ims)
    except (TypeError, ValueError, IndexError):
        return False
    if since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    return res.modified <= since


def _insert_item(raw: bytes, *, title: str, link: str, published: datetime, summary: str) -> bytes:
    """Return feed bytes with a new first item; RSS and Atom are told apart by their root element."""
    text = raw.decode("utf-8")
    t, u, s = escape(title), escape(link), escape(summary)
    if "<rss" in text[:1024]:
        stamp = format_datetime(published)
        item = (
            f"<item>\n      <title>{t}</title>\n      <link>{u}</link>\n"
            f'      <guid isPermaLink="true">{u}</guid>\n      <pubDate>{stamp}</pubDate>\n'
            f"      <description>{s}</description>\n    </item>\n    "
        )
        first, close, stamp_re = r"<item[\s>]", "</channel>", r"<lastBuildDate>[^<]*</lastBuildDate>"
        new_stamp = f"<lastBuildDate>{stamp}</lastBuildDate>"
    elif "<feed" in text[:1024]:
        stamp = published.isoformat().replace("+00:00", "Z")
        item = (
            f"<entry>\n    <id>{u}</id>\n    <title>{t}</title>\n"
            f'    <link rel="alternate" type="text/html" href="{u}"/>\n'
            f"    <published>{stamp}</published>\n    <updated>{stamp}</updated>\n"
            f"    <summary>{s}</summary>\n  </entry>\n  "
        )
        first, close, stamp_re = r"<entry[\s>]", "</feed>", r"<updated>[^<]*</updated>"
        new_stamp = f"<updated>{stamp}</updated>"
    else:
        raise ValueError("not an RSS or Atom feed")
    match = re.search(first, text)
    at = match.start() if match else text.rindex(close)
    # Only the channel/feed-level date sits before the first item, so this never touches item dates.
    head = re.sub(stamp_re, lambda _: new_stamp, text[:at], count=1)
    return (head + item + text[at:]).encode("utf-8")


class _SiteHandler(QuietHandler):
    def do_GET(self) -> None:
        self._serve(head=False)

    def do_HEAD(self) -> None:
        self._serve(head=True)

    def _serve(self, *, head: bool) -> None:
        site: NewsSite = self.owner
        headers = {k.lower(): v for k, v in self.headers.items()}
        status, body, out = site._respond(self.command, self.path, headers)
        self.send_bytes(status, body, out, head=head)
