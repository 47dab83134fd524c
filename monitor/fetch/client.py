"""The shared HTTP client and per-host politeness: a concurrency limit, a minimum delay, robots.txt."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from urllib.parse import urlsplit

import httpx

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


class HostLimiter:
    """Per-host politeness: at most ``per_host`` requests at once, and for article pages (``polite``) at least
    ``min_delay`` seconds between two request starts and robots.txt obeyed (when ``robots`` is given).

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
    ) -> None:
        if per_host < 1:
            raise ValueError("per_host must be at least 1")
        self.per_host = per_host
        self.min_delay = min_delay
        self.robots = robots
        self._clock = clock
        self._semaphores: dict[str, asyncio.Semaphore] = {}
        self._next_start: dict[str, float] = {}

    @asynccontextmanager
    async def slot(self, url: str, *, polite: bool = False) -> AsyncIterator[None]:
        """Hold one of the host's slots for the duration of the block (after the host's delay when polite)."""
        host = _host(url)
        semaphore = self._semaphores.get(host)
        if semaphore is None:
            semaphore = self._semaphores[host] = asyncio.Semaphore(self.per_host)
        async with semaphore:
            if polite and self.min_delay > 0:
                # Reserve a start time before sleeping, so concurrent holders queue behind each other.
                now = self._clock()
                start = max(now, self._next_start.get(host, now))
                self._next_start[host] = start + self.min_delay
                if start > now:
                    await asyncio.sleep(start - now)
            yield

    def in_use(self, url: str) -> int:
        """Return how many requests to the host of ``url`` are running now."""
        semaphore = self._semaphores.get(_host(url))
        return 0 if semaphore is None else self.per_host - semaphore._value
