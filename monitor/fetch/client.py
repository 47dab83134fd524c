"""The shared HTTP client and the per-host concurrency limit."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import urlsplit

import httpx

MAX_REDIRECTS = 10


def build_client(*, user_agent: str, timeout: float, concurrency: int) -> httpx.AsyncClient:
    """Return the one AsyncClient the daemon shares: keep-alive pool, redirects, gzip/brotli, our User-Agent."""
    return httpx.AsyncClient(
        headers={"User-Agent": user_agent},
        # Waiting for a free pooled connection is our own queue, not the server's slowness: no pool timeout.
        timeout=httpx.Timeout(timeout, pool=None),
        limits=httpx.Limits(
            max_connections=concurrency,
            max_keepalive_connections=concurrency,
            keepalive_expiry=30.0,
        ),
        follow_redirects=True,
        max_redirects=MAX_REDIRECTS,
        # Feeds and pages never need credentials from ~/.netrc or proxies from the environment of a daemon.
        trust_env=False,
    )


class HostLimiter:
    """Limit concurrent requests per host, so one slow outlet never takes every connection."""

    def __init__(self, per_host: int) -> None:
        if per_host < 1:
            raise ValueError("per_host must be at least 1")
        self.per_host = per_host
        self._semaphores: dict[str, asyncio.Semaphore] = {}

    @asynccontextmanager
    async def slot(self, url: str) -> AsyncIterator[None]:
        """Hold one of the host's slots for the duration of the block."""
        host = (urlsplit(url).hostname or "").lower()
        semaphore = self._semaphores.get(host)
        if semaphore is None:
            semaphore = self._semaphores[host] = asyncio.Semaphore(self.per_host)
        async with semaphore:
            yield

    def in_use(self, url: str) -> int:
        """Return how many requests to the host of ``url`` are running now."""
        semaphore = self._semaphores.get((urlsplit(url).hostname or "").lower())
        return 0 if semaphore is None else self.per_host - semaphore._value
