"""The shared HTTP client and per-host politeness: a concurrency limit, a minimum delay, robots.txt."""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from urllib.parse import urlsplit

import httpx

from monitor.errors import FetchError
from monitor.fetch.guard import GuardedBackend
from monitor.fetch.robots import RobotsCache

MAX_REDIRECTS = 10


def build_client(*, user_agent: str, timeout: float, concurrency: int) -> httpx.AsyncClient:
    """Return the one AsyncClient the daemon shares: keep-alive pool, redirects, gzip/brotli, our User-Agent."""
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency, keepalive_expiry=30.0)
    transport = httpx.AsyncHTTPTransport(limits=limits, trust_env=False)
    # httpx has no public way to choose the network backend; its pool (httpcore) does. Connections opened inside
    # guard.public_only() then go only to the public address the guard resolved (tests/fetch prove it).
    pool = transport._pool
    pool._network_backend = GuardedBackend(pool._network_backend)  # type: ignore[union-attr]
    return httpx.AsyncClient(
        headers={"User-Agent": user_agent},
        # Waiting for a free pooled connection is our own queue, not the server's slowness: no pool timeout.
        timeout=httpx.Timeout(timeout, pool=None),
        transport=transport,
        follow_redirects=True,
        max_redirects=MAX_REDIRECTS,
        # Feeds and pages never need credentials from ~/.netrc or proxies from the environment of a daemon.
        trust_env=False,
    )


def _host(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


# A host that asked us (Retry-After on a page) to wait longer than this is not waited for within a poll: the page
# fails at once with reason "deferred" and the pipeline fetches it again later.
MAX_HOST_WAIT = 30.0
# robots.txt Crawl-delay beyond this is read as this (a site asking for an hour between pages is asking for never).
MAX_CRAWL_DELAY = 60.0


class HostLimiter:
    """Politeness per host and the one global limit on requests in flight.

    Per host: at most ``per_host`` requests at once; for article pages (``polite``), at least ``min_delay`` seconds
    (or the site's robots.txt ``Crawl-delay``, or what its ``Retry-After`` asked) between two request starts, and
    robots.txt obeyed (when ``robots`` is given). Overall: at most ``concurrency`` requests in flight, counted only
    while a request runs, never while it waits for its host's delay: one slow or strict host idles no one else.

    Feeds are exempt from the delay: each is polled once per its interval already, and an outlet with twenty
    section feeds must not need twenty delays per cycle.
    """

    def __init__(
        self,
        per_host: int,
        *,
        min_delay: float = 0.0,
        robots: RobotsCache | None = None,
        clock: Callable[[], float] = time.monotonic,
        concurrency: int | None = None,
    ) -> None:
        if per_host < 1:
            raise ValueError("per_host must be at least 1")
        self.per_host = per_host
        self.min_delay = min_delay
        self.robots = robots
        self._clock = clock
        self._in_flight = asyncio.Semaphore(concurrency) if concurrency else None
        self._semaphores: dict[str, asyncio.Semaphore] = {}
        self._starts: dict[str, asyncio.Lock] = {}
        self._last_start: dict[str, float] = {}
        self._not_before: dict[str, float] = {}

    @asynccontextmanager
    async def slot(self, url: str, *, polite: bool = False) -> AsyncIterator[None]:
        """Hold one of the host's slots and one global slot for the duration of the block (after the host's delay
        when polite); raise FetchError ("deferred") when the host asked us to wait longer than MAX_HOST_WAIT."""
        host = _host(url)
        semaphore = self._semaphores.get(host)
        if semaphore is None:
            semaphore = self._semaphores[host] = asyncio.Semaphore(self.per_host)
        async with semaphore:
            if polite:
                # One request of a host decides its start at a time, from the previous one's actual start: a
                # request that then waits for a global slot pushes the next one back, never closer.
                lock = self._starts.setdefault(host, asyncio.Lock())
                async with lock:
                    await self._wait_turn(host, url)
                    await self._take_global()
                    self._last_start[host] = self._clock()
            else:
                await self._take_global()
            try:
                yield
            finally:
                if self._in_flight is not None:
                    self._in_flight.release()

    async def _take_global(self) -> None:
        if self._in_flight is not None:
            await self._in_flight.acquire()

    async def _wait_turn(self, host: str, url: str) -> None:
        delay = self.min_delay
        if self.robots is not None:
            delay = max(delay, min(self.robots.crawl_delay(url) or 0.0, MAX_CRAWL_DELAY))
        now = self._clock()
        start = max(self._last_start.get(host, -math.inf) + delay, self._not_before.get(host, -math.inf))
        if start - now > MAX_HOST_WAIT:
            raise FetchError(f"the host asked us to wait {start - now:.0f} s", url=url, reason="deferred")
        if start > now:
            await asyncio.sleep(start - now)

    def defer(self, url: str, seconds: float) -> None:
        """Start no polite request to the host of ``url`` for ``seconds`` (its Retry-After)."""
        host = _host(url)
        self._not_before[host] = max(self._not_before.get(host, 0.0), self._clock() + seconds)
