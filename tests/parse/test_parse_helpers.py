"""Pure helpers of the parse stage: text cleaning, URLs, dates, feed autodiscovery."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from monitor.parse import find_feed_links, parse_feed
from monitor.parse.charset import to_utf8
from monitor.parse.clean import absolute_url, document_base, plain_text, to_datetime

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "feeds"


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("  Plain   title\n\twith  spaces ", "Plain title with spaces"),
        ("Tom &amp; Jerry", "Tom & Jerry"),
        ("&lt;b&gt;Bold&lt;/b&gt; news", "Bold news"),
        ("<i>Italic</i> and <a href='x'>link</a>", "Italic and link"),
        ("1 < 2 and 3 > 2", "1 < 2 and 3 > 2"),
        ("&#8220;Quoted&#8221;", "\u201cQuoted\u201d"),
        ("", ""),
        (None, ""),
    ],
)
def test_plain_text(raw: str | None, clean: str) -> None:
    assert plain_text(raw) == clean


@pytest.mark.parametrize(
    ("link", "expected"),
    [
        ("/a/b", "https://site.example/a/b"),
        ("c", "https://site.example/dir/c"),
        ("https://other.example/x?a=1&#038;b=2", "https://other.example/x?a=1&b=2"),
        ("  https://other.example/y  ", "https://other.example/y"),
        ("//cdn.example/z", "https://cdn.example/z"),
        ("javascript:alert(1)", None),
        ("mailto:a@b.c", None),
        ("data:text/html,hi", None),
        ("", None),
        (None, None),
        ("http://[::1", None),
    ],
)
def test_absolute_url(link: str | None, expected: object) -> None:
    assert absolute_url(link, "https://site.example/dir/feed") == expected


def test_document_base_reads_root_xml_base_only() -> None:
    assert document_base(b'<feed xml:base="/blog/" xmlns="x">', "https://s.example/f") == "https://s.example/blog/"
    assert document_base(b"<rss><channel>", "https://s.example/f") == "https://s.example/f"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2025-01-06T10:15:00+01:00", datetime(2025, 1, 6, 9, 15, tzinfo=UTC)),
        ("2025-01-06T10:15:00Z", datetime(2025, 1, 6, 10, 15, tzinfo=UTC)),
        ("2025-01-06 10:15:00", datetime(2025, 1, 6, 10, 15, tzinfo=UTC)),  # no zone: taken as UTC
        ("Mon, 06 Jan 2025 10:15:00 -0500", datetime(2025, 1, 6, 15, 15, tzinfo=UTC)),
        ("Mon, 06 Jan 2025 10:15:00 GMT", datetime(2025, 1, 6, 10, 15, tzinfo=UTC)),
        (time.struct_time((2025, 1, 6, 10, 15, 0, 0, 6, 0)), datetime(2025, 1, 6, 10, 15, tzinfo=UTC)),
        ("not a date", None),
        ("", None),
        (None, None),
    ],
)
def test_to_datetime(value: object, expected: object) -> None:
    parsed = to_datetime(value)
    assert parsed == expected
    if parsed is not None:
        assert parsed.tzinfo is not None


def test_to_datetime_converts_the_offset_to_utc() -> None:
    parsed = to_datetime("2025-01-06T10:15:00+03:00")
    assert parsed is not None and parsed.utcoffset() == timedelta(0)
    assert parsed == datetime(2025, 1, 6, 10, 15, tzinfo=timezone(timedelta(hours=3)))


def test_find_feed_links() -> None:
    html = (FIXTURES / "discovery.html").read_bytes()
    assert find_feed_links(html, "https://outlet.example.com/en/home") == [
        "https://outlet.example.com/en/feeds/all.rss",
        "https://outlet.example.com/en/atom",
        "https://outlet.example.com/feed.json",
    ]


def test_find_feed_links_without_base_uses_the_page_url() -> None:
    html = b'<html><head><link rel="alternate" type="application/atom+xml" href="../atom.xml"></head></html>'
    assert find_feed_links(html, "https://s.example/a/b/page") == ["https://s.example/a/atom.xml"]


@pytest.mark.parametrize("html", [b"", b"<html><body>no head</body></html>", b"\xff\xfe\x00garbage"])
def test_find_feed_links_nothing(html: bytes) -> None:
    assert find_feed_links(html, "https://s.example/") == []


def test_to_utf8() -> None:
    declared = b'<?xml version="1.0" encoding="ISO-8859-1"?><rss><title>Caf\xe9</title></rss>'
    assert to_utf8(declared).data == '<?xml version="1.0" encoding="utf-8"?><rss><title>Café</title></rss>'.encode()
    utf8 = "<rss><title>Café</title></rss>".encode()
    assert to_utf8(utf8).data is utf8  # nothing to do: the same bytes, not a copy


def test_undeclared_latin1_feed_parses_with_accents() -> None:
    body = (
        "<rss version='2.0'><channel><title>Brève</title><item><title>Été à Genève</title>"
        "<link>https://ch.example/1</link></item></channel></rss>"
    ).encode("latin-1")
    feed = parse_feed(body, "https://ch.example/rss")
    assert (feed.title, feed.entries[0].title) == ("Brève", "Été à Genève")
