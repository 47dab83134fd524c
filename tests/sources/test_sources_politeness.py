"""Article pages: robots.txt (cached per site, our User-Agent) and a minimum delay per host."""

from __future__ import annotations

import itertools
import time
from collections.abc import AsyncIterator

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


async def test_pages_of_one_host_are_spaced_by_min_delay(server: FeedServer, client: httpx.AsyncClient) -> None:
    arrivals: list[float] = []

    def timed(seen: Seen) -> Reply:
        arrivals.append(time.monotonic())
        return PAGE

    for n in range(3):
        server.routes[f"/story/{n}"] = timed
    limiter = HostLimiter(3, min_delay=0.25)
    import asyncio

    await asyncio.gather(*(get(client, server.url(f"/story/{n}"), limiter) for n in range(3)))
    arrivals.sort()
    gaps = [b - a for a, b in itertools.pairwise(arrivals)]
    assert len(arrivals) == 3 and all(gap >= 0.2 for gap in gaps), gaps


async def test_feeds_are_not_delayed(server: FeedServer) -> None:
    limiter = HostLimiter(3, min_delay=5.0)
    start = time.monotonic()
    for _ in range(3):
        async with limiter.slot(server.url("/feed.xml")):
            pass
    assert time.monotonic() - start < 1.0


def _arrivals(server: FeedServer, paths: list[str]) -> dict[str, list[float]]:
    """Record each request's arrival time per Host header (one server reached under two host names)."""
    arrivals: dict[str, list[float]] = {}

    def timed(seen: Seen) -> Reply:
        arrivals.setdefault(seen.headers.get("host", "").split(":")[0], []).append(time.monotonic())
        return PAGE

    for path in paths:
        server.routes[path] = timed
    return arrivals


async def test_a_host_waiting_for_its_delay_holds_no_global_slot(server: FeedServer, client: httpx.AsyncClient) -> None:
    """One global slot, two hosts, three pages each at 0.4 s per host: the hosts interleave (about 0.8 s in all),
    instead of the slot sitting idle on one host's delay (2 s); each host still gets its full gap."""
    import asyncio

    paths = [f"/story/{n}" for n in range(3)]
    arrivals = _arrivals(server, paths)
    limiter = HostLimiter(2, min_delay=0.4, concurrency=1)
    other = server.url("/").replace("127.0.0.1", "localhost")
    urls = [server.url(p) for p in paths] + [other.rstrip("/") + p for p in paths]
    started = time.monotonic()
    await asyncio.gather(*(get(client, url, limiter) for url in urls))
    took = time.monotonic() - started
    assert sorted(arrivals) == ["127.0.0.1", "localhost"]
    for host, times in arrivals.items():
        gaps = [b - a for a, b in itertools.pairwise(sorted(times))]
        # Arrivals are timed in the server's threads: on a loaded machine one lands ~15 ms late, the next on time.
        assert all(gap >= 0.35 for gap in gaps), (host, gaps)
    assert took < 1.6, took


async def test_robots_crawl_delay_widens_the_gap(server: FeedServer, client: httpx.AsyncClient) -> None:
    import asyncio

    server.routes["/robots.txt"] = Reply(200, {"Content-Type": "text/plain"}, b"User-agent: *\nCrawl-delay: 1\n")
    arrivals = _arrivals(server, ["/a", "/b", "/c"])
    limiter = HostLimiter(3, min_delay=0.1, robots=RobotsCache(), concurrency=8)
    await get(client, server.url("/a"), limiter)  # robots.txt is read with the first page
    await asyncio.gather(get(client, server.url("/b"), limiter), get(client, server.url("/c"), limiter))
    times = sorted(arrivals["127.0.0.1"])
    assert all(b - a >= 0.95 for a, b in itertools.pairwise(times)), times


async def test_retry_after_on_a_page_holds_its_host_and_a_long_one_defers_its_pages(
    server: FeedServer, client: httpx.AsyncClient
) -> None:
    server.routes["/busy"] = Reply(429, {"Retry-After": "1"})
    arrivals = _arrivals(server, ["/next"])
    limiter = HostLimiter(2, concurrency=8)
    with pytest.raises(FetchError):
        await get(client, server.url("/busy"), limiter)
    asked = time.monotonic()
    await get(client, server.url("/next"), limiter)
    assert arrivals["127.0.0.1"][0] - asked >= 0.9
    server.routes["/busy"] = Reply(503, {"Retry-After": "3600"})
    with pytest.raises(FetchError):
        await get(client, server.url("/busy"), limiter)
    with pytest.raises(FetchError) as caught:
        await get(client, server.url("/next"), limiter)
    assert caught.value.reason == "deferred" and len(arrivals["127.0.0.1"]) == 1
