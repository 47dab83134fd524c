"""URLs found inside fetched bodies (discovered feeds) are untrusted: guarded on every hop and on every poll."""

from __future__ import annotations

import asyncio
import ipaddress
import sys
from pathlib import Path

import pytest
from fetch_server import FeedServer, Reply

from monitor.fetch import guard

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "sources"))
from sources_kit import RSS_TYPE, poll_kit, rss, write_config

HTML = {"Content-Type": "text/html; charset=utf-8"}


def announce(server: FeedServer, feed_path: str) -> None:
    """The configured page (trusted: it is in the config) announces its feed at ``feed_path``."""
    link = f'<link rel="alternate" type="application/rss+xml" href="{server.url(feed_path)}">'
    server.routes["/page.html"] = Reply(
        200, HTML, f"<!doctype html><html><head>{link}</head><body>hi</body></html>".encode()
    )


def pretend_loopback_v4_is_public(monkeypatch: pytest.MonkeyPatch) -> None:
    # The test's "internet" is 127.0.0.1; [::1] stays private, as every other non-public address does.
    public = ipaddress.ip_address("127.0.0.1")
    monkeypatch.setattr(guard, "is_public_address", lambda address: address == public)


def test_discovered_feed_redirecting_to_a_private_address_is_refused(
    tmp_path: Path, server: FeedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    pretend_loopback_v4_is_public(monkeypatch)
    announce(server, "/found.xml")
    server.routes["/found.xml"] = Reply(302, {"Location": f"http://[::1]:{server.port}/internal.xml"})
    settings = write_config(tmp_path, [{"name": "Page", "url": server.url("/page.html")}], allow_private_networks=False)

    async def poll() -> tuple[int, str | None]:
        async with poll_kit(settings) as kit:
            stats = await kit.poll(settings.sources[0])
            return stats.fetch_errors["blocked"], kit.state(settings.sources[0]).current_url

    blocked, current = asyncio.run(poll())
    # Before the fix the first hop was checked, then httpx followed the redirect unchecked.
    assert blocked == 1 and current is None


def test_stored_discovered_url_is_guarded_on_every_poll(
    tmp_path: Path, server: FeedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    pretend_loopback_v4_is_public(monkeypatch)
    announce(server, "/found.xml")
    server.routes["/found.xml"] = Reply(200, RSS_TYPE, rss(2))
    settings = write_config(tmp_path, [{"name": "Page", "url": server.url("/page.html")}], allow_private_networks=False)
    source = settings.sources[0]

    async def polls() -> tuple[str | None, int]:
        async with poll_kit(settings) as kit:
            await kit.poll(source)
            current = kit.state(source).current_url
            # The discovered address is now judged private (as after a DNS change): the next poll must not go there.
            monkeypatch.undo()
            kit.advance(3600)
            stats = await kit.poll(source)
            return current, stats.fetch_errors["blocked"]

    current, blocked = asyncio.run(polls())
    assert current == server.url("/found.xml")
    assert blocked == 1
    assert len(server.hits("/found.xml")) == 1  # only the first, guarded poll reached it


def test_moved_configured_url_is_still_trusted(tmp_path: Path, server: FeedServer) -> None:
    """A 301 of a configured feed is not a discovery: the new URL is polled like the configured one."""
    server.routes["/old.xml"] = Reply(301, {"Location": "/new.xml"})
    server.routes["/new.xml"] = Reply(200, RSS_TYPE, rss(2))
    settings = write_config(tmp_path, [{"name": "Feed", "url": server.url("/old.xml")}], allow_private_networks=False)

    async def polls() -> tuple[str | None, int]:
        async with poll_kit(settings) as kit:
            await kit.poll(settings.sources[0])
            kit.advance(3600)
            stats = await kit.poll(settings.sources[0])
            return kit.state(settings.sources[0]).current_url, stats.sources_ok

    current, ok = asyncio.run(polls())
    assert current == server.url("/new.xml") and ok == 1
    assert len(server.hits("/new.xml")) == 2
