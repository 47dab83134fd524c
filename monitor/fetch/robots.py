"""robots.txt for article pages: fetched once per site and cached, matched against our User-Agent.

Follows RFC 9309: a missing robots.txt (4xx) allows everything; an unreachable one (5xx, network error) is taken
as "disallow all" for a short while, since we cannot know what the site forbids.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit
from urllib.robotparser import RobotFileParser

import httpx

from monitor.fetch.http import read_capped, read_timeout

# RFC 9309 asks crawlers to parse at least 500 KiB; anything past that is ignored, not an error.
MAX_ROBOTS_BYTES = 512 * 1024
CACHE_SECONDS = 86_400.0
UNREACHABLE_CACHE_SECONDS = 600.0


@dataclass
class _Rules:
    parser: RobotFileParser | None  # None: allow everything
    allow_all: bool
    expires: float


def origin(url: str) -> str:
    """Return scheme://host[:port] of a URL, which robots.txt applies to."""
    parts = urlsplit(url)
    return f"{parts.scheme.lower()}://{(parts.netloc or '').lower()}"


class RobotsCache:
    """robots.txt rules per site, fetched on first use and kept for a day."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._rules: dict[str, _Rules] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._agent = "*"

    async def allowed(self, client: httpx.AsyncClient, url: str) -> bool:
        """Whether our User-Agent may fetch ``url`` (one robots.txt fetch per site per day)."""
        site = origin(url)
        lock = self._locks.setdefault(site, asyncio.Lock())
        async with lock:  # two pages of one site at once: one robots.txt request, not two
            rules = self._rules.get(site)
            if rules is None or rules.expires <= self._clock():
                rules = self._rules[site] = await self._load(client, site)
        if rules.parser is None:
            return rules.allow_all
        agent = self._agent = str(client.headers.get("user-agent", "*"))
        return rules.parser.can_fetch(agent, url)

    def crawl_delay(self, url: str) -> float | None:
        """Return the site's Crawl-delay for our User-Agent, from a robots.txt already read (None if none)."""
        rules = self._rules.get(origin(url))
        if rules is None or rules.parser is None:
            return None
        delay = rules.parser.crawl_delay(self._agent)
        try:
            return float(delay) if delay is not None else None
        except ValueError:
            return None

    async def _load(self, client: httpx.AsyncClient, site: str) -> _Rules:
        now = self._clock()
        try:
            # No redirects: a robots.txt redirecting elsewhere (possibly inward) is treated as absent.
            async with client.stream("GET", f"{site}/robots.txt", follow_redirects=False) as response:
                status = response.status_code
                if 200 <= status < 300:
                    body = await read_capped(response, max_bytes=MAX_ROBOTS_BYTES, deadline=read_timeout(client))
                    parser = RobotFileParser()
                    parser.parse(body.decode("utf-8", "replace").splitlines())
                    return _Rules(parser, True, now + CACHE_SECONDS)
        except Exception as exc:  # noqa: BLE001 - any failure to read it means "unreachable", never a crash
            too_large = getattr(exc, "reason", None) == "too_large"
            return _Rules(None, too_large, now + (CACHE_SECONDS if too_large else UNREACHABLE_CACHE_SECONDS))
        if status >= 500:
            return _Rules(None, False, now + UNREACHABLE_CACHE_SECONDS)
        return _Rules(None, True, now + CACHE_SECONDS)  # 3xx and 4xx: no rules, everything allowed
