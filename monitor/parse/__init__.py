"""Parse stage (pure): feed bodies to ``ParsedFeed``, feed links in HTML pages, sitemaps and listing pages."""

from monitor.parse.discover import find_feed_links, looks_like_html
from monitor.parse.feed import parse_feed
from monitor.parse.hints import feed_min_interval
from monitor.parse.listing import parse_listing
from monitor.parse.sitemap import Sitemap, parse_sitemap

__all__ = [
    "Sitemap",
    "feed_min_interval",
    "find_feed_links",
    "looks_like_html",
    "parse_feed",
    "parse_listing",
    "parse_sitemap",
]
