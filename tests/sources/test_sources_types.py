"""``type: sitemap`` and ``type: page`` sources produce entries through the same poll as feeds."""

from __future__ import annotations

from pathlib import Path

import pytest
from fetch_server import FeedServer, Reply
from sources_kit import poll_kit, write_config

pytestmark = pytest.mark.anyio

XML = {"Content-Type": "application/xml"}


def news_sitemap(server: FeedServer, *paths: str) -> bytes:
    urls = "".join(
        f"<url><loc>{server.url(p)}</loc><news:news><news:title>Story {p}</news:title>"
        "<news:publication_date>2025-02-20T10:00:00Z</news:publication_date></news:news></url>"
        for p in paths
    )
    return (
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
        f'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">{urls}</urlset>'
    ).encode()


async def test_sitemap_index_is_read_through_its_children(server: FeedServer, tmp_path: Path) -> None:
    server.routes["/sitemap.xml"] = Reply(
        200,
        XML,
        (
            '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            f"<sitemap><loc>{server.url('/news-1.xml')}</loc></sitemap>"
            f"<sitemap><loc>{server.url('/news-broken.xml')}</loc></sitemap>"
            f"<sitemap><loc>{server.url('/news-2.xml')}</loc></sitemap></sitemapindex>"
        ).encode(),
    )
    server.routes["/news-1.xml"] = Reply(200, XML, news_sitemap(server, "/a", "/b"))
    server.routes["/news-broken.xml"] = Reply(500)
    server.routes["/news-2.xml"] = Reply(200, XML, news_sitemap(server, "/c"))
    settings = write_config(tmp_path, [{"name": "Sitemap", "url": server.url("/sitemap.xml"), "type": "sitemap"}])
    (source,) = settings.sources
    async with poll_kit(settings) as kit:
        stats = await kit.poll(source)
        assert (stats.sources_ok, stats.new_entries) == (1, 3)
        stats = await kit.poll(source)  # unchanged index body: nothing parsed, nothing new
        assert (stats.not_modified, stats.new_entries) == (1, 0)


async def test_listing_page_source_with_selector(server: FeedServer, tmp_path: Path) -> None:
    page = (
        b"<html><body><ul class=latest>"
        b'<li><a href="/one">First story</a></li><li><a href="/two">Second story</a></li></ul>'
        b'<a href="/about">About us</a></body></html>'
    )
    server.routes["/latest"] = Reply(200, {"Content-Type": "text/html"}, page)
    settings = write_config(
        tmp_path, [{"name": "Latest", "url": server.url("/latest"), "type": "page", "selector": "ul.latest a"}]
    )
    (source,) = settings.sources
    async with poll_kit(settings) as kit:
        stats = await kit.poll(source)
    assert (stats.sources_ok, stats.new_entries) == (1, 2)
