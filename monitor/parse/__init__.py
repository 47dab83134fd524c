"""Parse stage (pure): feed bodies to ``ParsedFeed``, and feed links found in HTML pages."""

from monitor.parse.discover import find_feed_links
from monitor.parse.feed import parse_feed

__all__ = ["find_feed_links", "parse_feed"]
