"""Pure parsers for other source types: news sitemaps, listing pages, and the feed's own polling hints."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from monitor.errors import ParseError
from monitor.parse import feed_min_interval, looks_like_html, parse_listing, parse_sitemap

NEWS_SITEMAP = b"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
        xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
  <url><loc>https://news.example.org/world/older</loc>
    <news:news><news:publication><news:name>Example</news:name><news:language>en</news:language></news:publication>
      <news:publication_date>2025-02-19T08:00:00+00:00</news:publication_date>
      <news:title>Talks on Tartus continue &amp; stall</news:title></news:news></url>
  <url><loc>/world/newer</loc>
    <news:news><news:publication><news:name>Example</news:name><news:language>en</news:language></news:publication>
      <news:publication_date>2025-02-20</news:publication_date><news:title>Frigates leave port</news:title>
    </news:news></url>
  <url><loc>https://news.example.org/about</loc><lastmod>2025-02-21</lastmod></url>
</urlset>"""

INDEX = b"""<?xml version="1.0" encoding="UTF-8"?>
<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
  <sitemap><loc>https://news.example.org/sitemap-2024.xml</loc><lastmod>2024-12-31</lastmod></sitemap>
  <sitemap><loc>https://news.example.org/sitemap-news.xml</loc><lastmod>2025-02-20T10:00:00Z</lastmod></sitemap>
</sitemapindex>"""


def test_news_sitemap_gives_news_entries_newest_first_with_titles_and_dates() -> None:
    sitemap = parse_sitemap(NEWS_SITEMAP, "https://news.example.org/sitemap-news.xml")
    assert sitemap.children == ()
    assert [e.url for e in sitemap.entries] == [
        "https://news.example.org/world/newer",
        "https://news.example.org/world/older",
    ]  # the /about page without <news:news> is not a story
    assert sitemap.entries[1].title == "Talks on Tartus continue & stall"
    assert sitemap.entries[0].published == datetime(2025, 2, 20, tzinfo=UTC)


def test_sitemap_index_lists_children_newest_first() -> None:
    sitemap = parse_sitemap(INDEX, "https://news.example.org/sitemap.xml")
    assert sitemap.entries == ()
    assert sitemap.children == (
        "https://news.example.org/sitemap-news.xml",
        "https://news.example.org/sitemap-2024.xml",
    )


@pytest.mark.parametrize(
    "body",
    [
        b"<html><body>not a sitemap</body></html>",
        b"<urlset><url><loc>x",
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">]><urlset><url><loc>&lol;</loc></url></urlset>',
    ],
    ids=["html", "broken", "dtd"],
)
def test_non_sitemaps_raise_parse_error(body: bytes) -> None:
    with pytest.raises(ParseError):
        parse_sitemap(body, "https://news.example.org/sitemap.xml")


LISTING = b"""<!doctype html><html><head><title>World | Example</title></head><body>
<nav><a href="/">Home</a> <a href="/world/">World news and analysis from everywhere</a></nav>
<main>
 <article class="teaser"><h2>
   <a href="/2025/02/20/frigates-leave-tartus">Russian frigates leave the port of Tartus</a></h2></article>
 <article class="teaser"><h2>
   <a href="/world/talks-on-the-future-of-the-bases">Talks on the future of the bases</a></h2></article>
 <article class="teaser"><h2>
   <a href="https://other.example.com/2025/02/20/elsewhere-story">A story on another site entirely</a></h2></article>
 <a href="/world/123456">Short</a>
</main></body></html>"""


def test_listing_without_selector_takes_headline_links_on_the_same_site() -> None:
    feed = parse_listing(LISTING, "https://www.example.org/world/")
    assert [(e.url, e.title) for e in feed.entries] == [
        ("https://www.example.org/2025/02/20/frigates-leave-tartus", "Russian frigates leave the port of Tartus"),
        ("https://www.example.org/world/talks-on-the-future-of-the-bases", "Talks on the future of the bases"),
    ]
    assert feed.title == "World | Example"


def test_listing_with_selector_takes_exactly_what_it_selects() -> None:
    feed = parse_listing(LISTING, "https://www.example.org/world/", selector="article.teaser h2")
    assert len(feed.entries) == 3 and feed.entries[2].url == "https://other.example.com/2025/02/20/elsewhere-story"


def test_listing_with_an_invalid_selector_is_a_parse_error() -> None:
    with pytest.raises(ParseError, match="selector"):
        parse_listing(LISTING, "https://www.example.org/world/", selector="article[[[")


@pytest.mark.parametrize(
    ("head", "seconds"),
    [
        (b"<rss><channel><ttl>15</ttl>", 900),
        (b"<rss><channel><sy:updatePeriod>daily</sy:updatePeriod><sy:updateFrequency>4</sy:updateFrequency>", 21600),
        (b"<rss><channel><sy:updatePeriod>hourly</sy:updatePeriod><ttl>30</ttl>", 1800),
        (b"<rss><channel><ttl>0</ttl>", None),
        (b"<feed><title>no hints</title>", None),
    ],
)
def test_feed_min_interval(head: bytes, seconds: float | None) -> None:
    assert feed_min_interval(head + b"</channel></rss>") == seconds


def test_looks_like_html() -> None:
    assert looks_like_html(b"\n <!DOCTYPE html><html>") and looks_like_html(b"<html lang=en>")
    assert not looks_like_html(b'<?xml version="1.0"?><rss>')
