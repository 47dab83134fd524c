"""Parse stage (pure): feed bodies to ``ParsedFeed``, feed links in HTML pages, sitemaps and listing pages."""

from monitor.parse.discover import find_feed_links, looks_like_html
from monitor.parse.feed import parse_feed
from monitor.parse.gdelt import parse_gdelt
from monitor.parse.googlenews import parse_google_news
from monitor.parse.hints import feed_min_interval
from monitor.parse.listing import parse_listing
from monitor.parse.profiles import profile_feed, profile_page_feed
from monitor.parse.sitemap import Sitemap, parse_sitemap
from monitor.parse.telegram import TelegramPage, channel_page, parse_telegram

__all__ = [
    "Sitemap",
    "TelegramPage",
    "channel_page",
    "feed_min_interval",
    "find_feed_links",
    "looks_like_html",
    "parse_feed",
    "parse_gdelt",
    "parse_google_news",
    "parse_listing",
    "parse_sitemap",
    "parse_telegram",
    "profile_feed",
    "profile_page_feed",
]
