"""Every real corpus feed served over a local socket, fetched, re-fetched (304) and parsed."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from pathlib import Path

import pytest
from fetch_server import FeedServer, Reply, Seen

from monitor.errors import ParseError
from monitor.fetch import HostLimiter, Validators, build_client, fetch_feed
from monitor.parse import parse_feed

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus" / "feeds"
FEED_DIRS = ("fastfeedparser-benchmark", "fastfeedparser-integration", "miniflux")

pytestmark = [
    pytest.mark.anyio,
    pytest.mark.skipif(not CORPUS.is_dir(), reason=f"feed corpus not found at {CORPUS} (needs ../shared)"),
]


def etag_route(body: bytes, etag: str) -> Callable[[Seen], Reply]:
    def route(seen: Seen) -> Reply:
        if seen.headers.get("if-none-match") == etag:
            return Reply(304, {"ETag": etag})
        return Reply(200, {"Content-Type": "application/xml", "ETag": etag}, body)

    return route


async def test_corpus_over_http_then_all_304(server: FeedServer) -> None:
    files = sorted(path for folder in FEED_DIRS for path in (CORPUS / folder).glob("*") if path.is_file())
    for number, path in enumerate(files):
        server.routes[f"/{number}"] = etag_route(path.read_bytes(), f'"{number}"')
    limiter = HostLimiter(per_host=8)
    async with build_client(user_agent="monitor-test", timeout=5, concurrency=8) as client:
        urls = [server.url(f"/{number}") for number in range(len(files))]
        first = await asyncio.gather(
            *(fetch_feed(client, url, validators=Validators(), max_bytes=5_000_000, limiter=limiter) for url in urls)
        )
        with_entries = 0
        for result in first:
            assert result.status == 200 and result.body
            with contextlib.suppress(ParseError):
                with_entries += bool(parse_feed(result.body, result.url).entries)
        assert with_entries >= 148
        second = await asyncio.gather(
            *(
                fetch_feed(client, result.url, validators=result.validators, max_bytes=5_000_000, limiter=limiter)
                for result in first
            )
        )
    assert all(result.status == 304 and result.not_modified for result in second)
