"""Fetch stage: every network GET of feeds and pages, polite and bounded."""

from monitor.fetch.client import HostLimiter, build_client
from monitor.fetch.feed import fetch_feed
from monitor.fetch.http import FetchResult, Validators
from monitor.fetch.page import fetch_page
from monitor.fetch.redirects import UrlCheck
from monitor.fetch.robots import RobotsCache

__all__ = [
    "FetchResult",
    "HostLimiter",
    "RobotsCache",
    "UrlCheck",
    "Validators",
    "build_client",
    "fetch_feed",
    "fetch_page",
]
