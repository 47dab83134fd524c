"""Article pages: robots.txt (cached per site, our User-Agent) and a minimum delay per host."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from fetch_server import FeedServer, Reply, Seen

from monitor.errors import FetchError
from monitor.fetch import HostLimiter, RobotsCache, build_client, fetch_page

pytestmark = pytest.mark.anyio

PAGE = Reply(200, {"Content-Type": "text/html"}, b"<html><body><p>Story</p></body></html>")
ROBOTS = b"User-agent: monitor-test\nDisallow: /private/\n\nUser-agent: *\nDisallow: /\n"


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with build_client(user_agent="monitor-test/1.0 (+https://example.org)", timeout=1, concurrency=8) as http:
        yield http


async def get(client: httpx.AsyncClient, url: str, limiter: HostLimiter) -> str:
    page = await fetch_page(client, url, max_bytes=100_000, allow_private=True, limiter=limiter)
    return page.url


async def test_robots_txt_is_obeyed_for_our_user_agent_and_fetched_once(
    server: FeedServer, client: httpx.AsyncClient
) -> None:
    server.routes["/robots.txt"] = Reply(200, {"Content-Type": "text/plain"}, ROBOTS)
    server.routes["/news/story"] = PAGE
    server.routes["/private/story"] = PAGE
    limiter = HostLimiter(2, robots=RobotsCache())
    assert await get(client, server.url("/news/story"), limiter) == server.url("/news/story")
    with pytest.raises(FetchError) as caught:
        await get(client, server.url("/private/story"), limiter)
    assert caught.value.reason == "robots"
    assert await get(client, server.url("/news/story"), limiter)
    assert len(server.hits("/robots.txt")) == 1 and server.hits("/private/story") == []


@pytest.mark.parametrize(("reply", "allowed"), [(Reply(404), True), (Reply(503), False)])
async def test_missing_robots_allows_and_unreachable_robots_disallows(
    server: FeedServer, client: httpx.AsyncClient, reply: Reply, allowed: bool
) -> None:
    server.routes["/robots.txt"] = reply
    server.routes["/story"] = PAGE
    limiter = HostLimiter(2, robots=RobotsCache())
    if allowed:
        assert await get(client, server.url("/story"), limiter)
    else:
        with pytest.raises(FetchError, match="robots"):
            await get(client, server.url("/story"), limiter)


async def test_robots_cache_expires(server: FeedServer, client: httpx.AsyncClient) -> None:
    server.routes["/robots.txt"] = Reply(404)
    server.routes["/story"] = PAGE
    clock = [0.0]
    limiter = HostLimiter(2, robots=RobotsCache(clock=lambda: clock[0]))
    await get(client, server.url("/story"), limiter)
    clock[0] += 86_401
    await get(client, server.url("/story"), limiter)
    assert len(server.hits("/robots.txt")) == 2


class Starts(HostLimiter):
    """The real limiter, noting when it lets each polite request start (right after its wait, before the send).

    Gaps are measured on these notes, not on arrivals at the server: the server's thread stamps a request when it
    gets to run, late by whatever the machine's load makes it, and one late stamp shortens the next gap. Every
    arrival is also checked to come after its start, so a limiter that noted a start it did not wait for fails.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.starts: list[tuple[str, float]] = []

    @asynccontextmanager
    async def slot(self, url: str, *, polite: bool = False) -> AsyncIterator[None]:
        async with super().slot(url, polite=polite):
            if polite:
                self.starts.append((url, time.monotonic()))
            yield

    def gaps(self, host: str) -> list[float]:
        times = [at for url, at in self.starts if urlsplit(url).hostname == host]
        return [b - a for a, b in itertools.pairwise(times)]


def _arrivals(server: FeedServer, paths: list[str]) -> dict[str, float]:
    """Record when each request for ``paths`` reached the server, by URL (host as the client named it)."""
    arrivals: dict[str, float] = {}

    def timed(seen: Seen) -> Reply:
        host = seen.headers.get("host", "")
        arrivals[f"http://{host}{seen.path}"] = time.monotonic()
        return PAGE

    for path in paths:
        server.routes[path] = timed
    return arrivals


def _after_their_starts(limiter: Starts, arrivals: dict[str, float]) -> bool:
    """Whether every request reached the server after the limiter let it start."""
    starts = dict(limiter.starts)
    return all(url in starts and at >= starts[url] for url, at in arrivals.items())


async def test_pages_of_one_host_are_spaced_by_min_delay(server: FeedServer, client: httpx.AsyncClient) -> None:
    paths = [f"/story/{n}" for n in range(3)]
    arrivals = _arrivals(server, paths)
    limiter = Starts(3, min_delay=0.25)
    await asyncio.gather(*(get(client, server.url(path), limiter) for path in paths))
    assert len(arrivals) == 3 and _after_their_starts(limiter, arrivals), (arrivals, limiter.starts)
    gaps = limiter.gaps("127.0.0.1")
    assert len(gaps) == 2 and all(gap >= 0.25 for gap in gaps), gaps


async def test_feeds_are_not_delayed(server: FeedServer) -> None:
    limiter = HostLimiter(3, min_delay=5.0)
    start = time.monotonic()
    for _ in range(3):
        async with limiter.slot(server.url("/feed.xml")):
            pass
    assert time.monotonic() - start < 1.0


async def test_a_host_waiting_for_its_delay_holds_no_global_slot(server: FeedServer, client: httpx.AsyncClient) -> None:
    """One global slot, two hosts, three pages each at 0.4 s per host: the hosts take turns, instead of the slot
    sitting idle on one host's delay (then a host's pages would start back to back); each gets its full gap."""
    paths = [f"/story/{n}" for n in range(3)]
    arrivals = _arrivals(server, paths)
    limiter = Starts(2, min_delay=0.4, concurrency=1)
    other = server.url("/").replace("127.0.0.1", "localhost").rstrip("/")
    urls = [server.url(p) for p in paths] + [other + p for p in paths]
    await asyncio.gather(*(get(client, url, limiter) for url in urls))
    assert len(arrivals) == 6 and _after_their_starts(limiter, arrivals), (arrivals, limiter.starts)
    for host in ("127.0.0.1", "localhost"):
        gaps = limiter.gaps(host)
        assert len(gaps) == 2 and all(gap >= 0.4 for gap in gaps), (host, gaps)
    turns = [urlsplit(url).hostname for url, _ in limiter.starts]
    assert all(a != b for a, b in itertools.pairwise(turns)), turns


async def test_robots_crawl_delay_widens_the_gap(server: FeedServer, client: httpx.AsyncClient) -> None:
    server.routes["/robots.txt"] = Reply(200, {"Content-Type": "text/plain"}, b"User-agent: *\nCrawl-delay: 1\n")
    arrivals = _arrivals(server, ["/a", "/b", "/c"])
    limiter = Starts(3, min_delay=0.1, robots=RobotsCache(), concurrency=8)
    await get(client, server.url("/a"), limiter)  # robots.txt is read with the first page
    await asyncio.gather(get(client, server.url("/b"), limiter), get(client, server.url("/c"), limiter))
    assert len(arrivals) == 3 and _after_their_starts(limiter, arrivals), (arrivals, limiter.starts)
    gaps = limiter.gaps("127.0.0.1")
    assert len(gaps) == 2 and all(gap >= 1.0 for gap in gaps), gaps


async def test_retry_after_on_a_page_holds_its_host_and_a_long_one_defers_its_pages(
    server: FeedServer, client: httpx.AsyncClient
) -> None:
    server.routes["/busy"] = Reply(429, {"Retry-After": "1"})
    arrivals = _arrivals(server, ["/next"])
    limiter = Starts(2, concurrency=8)
    with pytest.raises(FetchError):
        await get(client, server.url("/busy"), limiter)
    await get(client, server.url("/next"), limiter)
    assert len(arrivals) == 1 and _after_their_starts(limiter, arrivals), (arrivals, limiter.starts)
    gaps = limiter.gaps("127.0.0.1")  # from the refused page's start to the next one's
    assert len(gaps) == 1 and gaps[0] >= 1.0, gaps
    server.routes["/busy"] = Reply(503, {"Retry-After": "3600"})
    with pytest.raises(FetchError):
        await get(client, server.url("/busy"), limiter)
    with pytest.raises(FetchError) as caught:
        await get(client, server.url("/next"), limiter)
    assert caught.value.reason == "deferred" and len(arrivals) == 1
