"""parse_feed on our own small fixture feeds, one per format and awkward case."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from monitor.errors import ParseError
from monitor.models import ParsedFeed
from monitor.parse import parse_feed

FEEDS = Path(__file__).resolve().parents[1] / "fixtures" / "feeds"
FEED_URL = "https://feeds.example.com/dir/feed.xml"


def load(name: str, url: str = FEED_URL) -> ParsedFeed:
    return parse_feed((FEEDS / name).read_bytes(), url)


def test_rss2_with_content_encoded_relative_links_and_entities() -> None:
    feed = load("rss2_content.xml")
    assert feed.title == "Harbour & Coast Gazette"
    assert feed.link == "https://feeds.example.com/news/"
    assert len(feed.entries) == 2  # the item without a link is skipped
    first, second = feed.entries
    assert first.url == "https://feeds.example.com/news/2025/ferry-timetable"
    assert first.title == "Ferry timetable changes at the north quay"
    assert first.guid == "gazette-1001"
    assert "<em>evening</em>" in first.summary
    assert first.content.startswith("<p>The ferry company said on Monday")
    assert "Passengers were told" in first.content
    assert first.published == datetime(2025, 1, 6, 9, 15, tzinfo=UTC)
    assert first.authors == ("Mira Okafor",)
    assert second.url == "https://gazette.example.com/culture/lighthouse?a=1&b=2"
    assert second.title == "Lighthouse keepers\u2019 museum opens"
    assert second.content == ""  # no content:encoded: the description is not passed off as full text
    assert second.authors == ("Tomas Lind",)


def test_relative_links_follow_the_feed_url() -> None:
    feed = load("rss2_content.xml", url="http://mirror.example.org/x/rss")
    assert feed.entries[0].url == "http://mirror.example.org/news/2025/ferry-timetable"


def test_atom_with_xml_base_and_updated_only() -> None:
    feed = load("atom.xml")
    assert feed.title == "Example Wire: World"
    assert feed.link == "https://wire.example.net/world/"
    first, second = feed.entries
    assert first.url == "https://wire.example.net/world/stories/port-talks"  # xml:base, not the feed URL
    assert first.title == "Port talks resume & observers return"
    assert first.guid == "urn:example:wire:1"
    assert first.summary == "Negotiators met again after a pause of three weeks."
    assert first.content == "<p>Negotiators met again on Sunday.</p>"
    assert first.published == datetime(2025, 3, 2, 9, 30, tzinfo=UTC)
    assert first.authors[0] == "Lena Kovac"
    assert second.url == "https://other.example.org/abs"
    assert second.published == datetime(2025, 3, 1, 9, 0, tzinfo=UTC)  # published wins over updated


def test_rss1_rdf() -> None:
    feed = load("rss1.rdf")
    assert feed.title == "Valley Observer"
    assert [e.url for e in feed.entries] == ["https://valley.example.org/a/1", "https://valley.example.org/a/2"]
    assert feed.entries[0].published == datetime(2025, 2, 10, 6, 45, tzinfo=UTC)
    assert feed.entries[0].authors == ("Ana Ruiz",)
    assert feed.entries[1].published is not None and feed.entries[1].published.tzinfo is not None


def test_json_feed() -> None:
    feed = load("feed.json", url="https://plain.example.org/feed.json")
    assert feed.title == "Notes from the Plain"
    assert [e.url for e in feed.entries] == ["https://plain.example.org/notes/7", "https://plain.example.org/notes/8"]
    first = feed.entries[0]
    assert first.title == "Wind farm & the road"
    assert first.guid == "note-7"
    assert first.content == "<p>The road to the wind farm opens in May.</p>"
    assert first.summary == "Road opens in May."
    assert first.published == datetime(2025, 4, 1, 11, 0, tzinfo=UTC)
    assert first.authors == ("Jo Park",)
    assert feed.entries[1].title == ""


def test_iso_8859_1_declared() -> None:
    feed = load("latin1.xml")
    assert feed.title == "Café du Port"
    assert feed.entries[0].title == "Déjà vu à la façade"
    assert feed.entries[0].summary == "Crème brûlée pour tous."
    assert feed.entries[0].published == datetime(2025, 3, 5, 13, 0, tzinfo=UTC)


def test_feed_without_dates() -> None:
    feed = load("nodates.xml")
    assert [e.title for e in feed.entries] == ["First bulletin", "Second bulletin"]
    assert all(e.published is None for e in feed.entries)


def test_rss090_falls_back_to_feedparser() -> None:
    body = (
        b'<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
        b'xmlns="http://my.netscape.com/rdf/simple/0.9/"><channel><title>Old Style</title>'
        b"<link>https://old.example.org/</link><description>x</description></channel>"
        b"<item><title>One</title><link>https://old.example.org/1</link></item>"
        b"<item><title>Two</title><link>/2</link></item></rdf:RDF>"
    )
    feed = parse_feed(body, "https://old.example.org/rss.rdf")
    assert feed.title == "Old Style"
    assert [e.url for e in feed.entries] == ["https://old.example.org/1", "https://old.example.org/2"]


def test_atom_entry_without_link_uses_url_id() -> None:
    body = (
        b'<feed xmlns="http://www.w3.org/2005/Atom"><title>T</title>'
        b"<entry><title>A</title><id>https://ids.example.org/a</id><updated>2025-01-01T00:00:00Z</updated></entry>"
        b"<entry><title>B</title><id>urn:x:b</id><updated>2025-01-01T00:00:00Z</updated></entry></feed>"
    )
    assert [e.url for e in parse_feed(body, FEED_URL).entries] == ["https://ids.example.org/a"]


def test_links_with_unsafe_schemes_are_dropped() -> None:
    body = (
        b'<rss version="2.0"><channel><title>T</title>'
        b"<item><title>a</title><link>javascript:alert(1)</link></item>"
        b"<item><title>b</title><link>mailto:x@example.org</link></item>"
        b"<item><title>c</title><link>https://ok.example.org/c</link></item></channel></rss>"
    )
    assert [e.title for e in parse_feed(body, FEED_URL).entries] == ["c"]


def test_empty_but_valid_feed_has_no_entries() -> None:
    body = b'<rss version="2.0"><channel><title>Quiet</title><link>https://q.example.org/</link></channel></rss>'
    feed = parse_feed(body, FEED_URL)
    assert feed.title == "Quiet" and feed.entries == ()


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"   \n",
        b"<!DOCTYPE html><html><head><title>Home</title></head><body><p>Hi</p></body></html>",
        b"<html><body>not a feed</body></html>",
        b"\x00\x01\x02 garbage \xff\xfe",
        b'{"hello": "world"}',
        b"just some text",
        b"/etc/passwd",  # feedparser would open() this path if handed bytes directly
    ],
)
def test_non_feeds_raise_parse_error(body: bytes) -> None:
    with pytest.raises(ParseError) as info:
        parse_feed(body, FEED_URL)
    assert info.value.url == FEED_URL


def test_html_page_is_named_in_the_error() -> None:
    with pytest.raises(ParseError, match="HTML page"):
        parse_feed(b"<!doctype html><html><body><p>x</p></body></html>", FEED_URL)


def test_str_is_refused() -> None:
    with pytest.raises(TypeError):
        parse_feed("https://example.org/feed.xml", FEED_URL)  # type: ignore[arg-type]
