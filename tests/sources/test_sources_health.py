"""Polling a misbehaving local server: health, backoff, moves, 410, Retry-After, server hints, discovery."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from fetch_server import FeedServer, Reply, Seen
from sources_kit import RSS_TYPE, START, poll_kit, rss, write_config

pytestmark = pytest.mark.anyio

HTML = {"Content-Type": "text/html; charset=utf-8"}


def feed_source(server: FeedServer, path: str = "/feed.xml", **extra: object) -> dict[str, object]:
    return {"name": f"Test {path}", "url": server.url(path), "interval": "10m", **extra}


async def test_backoff_grows_on_repeated_failure_is_capped_and_resets_on_success(
    server: FeedServer, tmp_path: Path
) -> None:
    server.routes["/feed.xml"] = Reply(500, {}, b"oops")
    settings = write_config(tmp_path, [feed_source(server)], max_backoff="1h")
    (source,) = settings.sources
    async with poll_kit(settings) as kit:
        backoffs = []
        for _ in range(5):
            stats = await kit.poll(source)
            assert stats.sources == 1 and stats.sources_ok == 0
            state = kit.state(source)
            assert state.next_poll_at is not None and state.backoff_seconds is not None
            assert state.next_poll_at == kit.now + timedelta(seconds=state.backoff_seconds)
            backoffs.append(state.backoff_seconds)
            kit.advance(state.backoff_seconds)
        state = kit.state(source)
        assert (state.consecutive_failures, state.last_status, state.disabled) == (5, 500, False)
        assert "HTTP 500" in (state.last_error or "") and state.last_error_at is not None
        # 10 min, ~20, ~40, then the 1 h cap (jitter ±10 % on the uncapped ones)
        assert 540 <= backoffs[0] <= 660 and 1080 <= backoffs[1] <= 1320
        assert backoffs[2] == pytest.approx(2400, rel=0.11)
        assert backoffs[3] == pytest.approx(3600, rel=0.11) and backoffs[4] <= 3960

        server.routes["/feed.xml"] = Reply(200, RSS_TYPE, rss(3))
        stats = await kit.poll(source)
        state = kit.state(source)
        assert (stats.sources_ok, stats.new_entries) == (1, 3)
        assert (state.consecutive_failures, state.last_error, state.backoff_seconds) == (0, None, None)
        assert state.last_success_at == kit.now
        assert state.next_poll_at is not None and state.next_poll_at > kit.now


@pytest.mark.parametrize("status", [301, 308])
async def test_permanent_redirect_updates_the_url_polled_next(server: FeedServer, tmp_path: Path, status: int) -> None:
    server.routes["/old.xml"] = Reply(status, {"Location": server.url("/new.xml")})
    server.routes["/new.xml"] = Reply(200, RSS_TYPE, rss(2))
    settings = write_config(tmp_path, [feed_source(server, "/old.xml")])
    (source,) = settings.sources
    async with poll_kit(settings) as kit:
        assert (await kit.poll(source)).new_entries == 2
        assert kit.state(source).current_url == server.url("/new.xml")
        kit.advance(600)
        assert (await kit.poll(source)).sources_ok == 1
    assert len(server.hits("/old.xml")) == 1 and len(server.hits("/new.xml")) == 2


async def test_temporary_redirect_keeps_the_configured_url(server: FeedServer, tmp_path: Path) -> None:
    server.routes["/old.xml"] = Reply(302, {"Location": server.url("/new.xml")})
    server.routes["/new.xml"] = Reply(200, RSS_TYPE, rss(2))
    settings = write_config(tmp_path, [feed_source(server, "/old.xml")])
    (source,) = settings.sources
    async with poll_kit(settings) as kit:
        await kit.poll(source)
        await kit.poll(source)
        assert kit.state(source).current_url is None
    assert len(server.hits("/old.xml")) == 2


async def test_gone_disables_the_source_with_a_reason_and_it_is_not_polled_again(
    server: FeedServer, tmp_path: Path
) -> None:
    server.routes["/feed.xml"] = Reply(410, {}, b"gone")
    settings = write_config(tmp_path, [feed_source(server)])
    (source,) = settings.sources
    async with poll_kit(settings) as kit:
        await kit.poll(source)
        state = kit.state(source)
        assert state.disabled and "410" in (state.disabled_reason or "")
        stats = await kit.poll(source)
        assert stats.sources == 0
    assert len(server.hits("/feed.xml")) == 1


async def test_errors_alone_never_disable(server: FeedServer, tmp_path: Path) -> None:
    server.routes["/feed.xml"] = Reply(404, {}, b"nope")
    settings = write_config(tmp_path, [feed_source(server)])
    (source,) = settings.sources
    async with poll_kit(settings) as kit:
        for _ in range(12):
            await kit.poll(source)
        state = kit.state(source)
        assert (state.disabled, state.consecutive_failures) == (False, 12)
        assert state.next_poll_at is not None and state.next_poll_at <= kit.now + timedelta(hours=6.6)


async def test_retry_after_holds_only_that_url_not_its_host(server: FeedServer, tmp_path: Path) -> None:
    server.routes["/limited.xml"] = Reply(429, {"Retry-After": "1800"}, b"slow down")
    server.routes["/fine.xml"] = Reply(200, RSS_TYPE, rss(2))
    settings = write_config(tmp_path, [feed_source(server, "/limited.xml"), feed_source(server, "/fine.xml")])
    limited, fine = settings.sources
    async with poll_kit(settings) as kit:
        await kit.poll(limited)
        assert (await kit.poll(fine)).sources_ok == 1
        held = kit.state(limited)
        assert held.retry_after_until == START + timedelta(seconds=1800)
        assert held.next_poll_at is not None and held.next_poll_at >= START + timedelta(seconds=1800)
        assert held.last_status == 429
        free = kit.state(fine)
        assert free.next_poll_at is not None and free.next_poll_at < START + timedelta(seconds=1800)


async def test_retry_after_is_capped_by_max_backoff(server: FeedServer, tmp_path: Path) -> None:
    server.routes["/feed.xml"] = Reply(503, {"Retry-After": str(30 * 86400)}, b"")
    settings = write_config(tmp_path, [feed_source(server)], max_backoff="2h")
    (source,) = settings.sources
    async with poll_kit(settings) as kit:
        await kit.poll(source)
        next_at = kit.state(source).next_poll_at
        assert next_at is not None and next_at <= START + timedelta(hours=2, seconds=1)


@pytest.mark.parametrize(
    ("headers", "extra", "expected"),
    [
        ({"Cache-Control": "public, max-age=3600"}, "", 3600),
        ({}, "<ttl>90</ttl>", 5400),
        ({}, "<sy:updatePeriod>hourly</sy:updatePeriod><sy:updateFrequency>1</sy:updateFrequency>", 3600),
        ({}, "<ttl>100000</ttl>", 7200),  # a feed asking for weeks is capped at max_interval
    ],
)
async def test_server_and_feed_hints_are_a_lower_bound_on_the_interval(
    server: FeedServer, tmp_path: Path, headers: dict[str, str], extra: str, expected: float
) -> None:
    server.routes["/feed.xml"] = Reply(200, {**RSS_TYPE, **headers}, rss(5, gap_minutes=5, extra=extra))
    settings = write_config(tmp_path, [feed_source(server)], max_interval="2h")
    (source,) = settings.sources
    async with poll_kit(settings) as kit:
        await kit.poll(source)
        next_at = kit.state(source).next_poll_at
        assert next_at is not None
        assert (next_at - START).total_seconds() == pytest.approx(expected, rel=0.11)


async def test_adaptive_interval_follows_the_publishing_gap(server: FeedServer, tmp_path: Path) -> None:
    server.routes["/busy.xml"] = Reply(200, RSS_TYPE, rss(10, gap_minutes=4, prefix="busy"))
    server.routes["/quiet.xml"] = Reply(200, RSS_TYPE, rss(10, gap_minutes=24 * 60, prefix="quiet"))
    settings = write_config(
        tmp_path,
        [feed_source(server, "/busy.xml", interval=None), feed_source(server, "/quiet.xml", interval=None)],
        min_interval="2m",
        max_interval="3h",  # no own interval: an own one would be a ceiling
    )
    busy, quiet = settings.sources
    async with poll_kit(settings) as kit:
        await kit.poll(busy)
        await kit.poll(quiet)
        busy_state, quiet_state = kit.state(busy), kit.state(quiet)
    assert busy_state.average_gap_seconds == 240 and quiet_state.average_gap_seconds == 86400
    assert busy_state.next_poll_at is not None and quiet_state.next_poll_at is not None
    assert (busy_state.next_poll_at - START).total_seconds() == pytest.approx(240, rel=0.11)
    assert (quiet_state.next_poll_at - START).total_seconds() == pytest.approx(3 * 3600, rel=0.11)
    assert busy_state.last_new_item_at == START  # the newest item's own date


async def test_not_modified_and_unchanged_body_cost_no_parsing_and_keep_the_rhythm(
    server: FeedServer, tmp_path: Path
) -> None:
    body = rss(6, gap_minutes=30)

    def conditional(seen: Seen) -> Reply:
        if seen.headers.get("if-none-match") == '"v1"':
            return Reply(304, {"ETag": '"v1"'})
        return Reply(200, {**RSS_TYPE, "ETag": '"v1"'}, body)

    server.routes["/feed.xml"] = conditional
    settings = write_config(tmp_path, [feed_source(server)])
    (source,) = settings.sources
    async with poll_kit(settings) as kit:
        await kit.poll(source)
        kit.advance(1800)
        stats = await kit.poll(source)
        state = kit.state(source)
    assert (stats.not_modified, stats.entries) == (1, 0)
    assert state.average_gap_seconds == 1800 and state.last_success_at == START + timedelta(seconds=1800)


async def test_html_page_announcing_a_feed_is_followed_and_remembered(server: FeedServer, tmp_path: Path) -> None:
    page = (
        b"<!doctype html><html><head><title>News</title>"
        b'<link rel="alternate" type="application/rss+xml" title="RSS" href="/rss/all.xml">'
        b"</head><body><h1>News</h1></body></html>"
    )
    server.routes["/news/"] = Reply(200, HTML, page)
    server.routes["/rss/all.xml"] = Reply(200, RSS_TYPE, rss(4))
    settings = write_config(tmp_path, [feed_source(server, "/news/")])
    (source,) = settings.sources
    async with poll_kit(settings) as kit:
        stats = await kit.poll(source)
        state = kit.state(source)
        assert (stats.sources_ok, stats.new_entries) == (1, 4)
        assert state.current_url == server.url("/rss/all.xml")
        assert state.discovered_from == server.url("/news/")
        kit.advance(600)
        await kit.poll(source)
    assert len(server.hits("/news/")) == 1 and len(server.hits("/rss/all.xml")) == 2


async def test_html_page_without_feed_links_is_a_clear_failure(server: FeedServer, tmp_path: Path) -> None:
    server.routes["/news/"] = Reply(200, HTML, b"<!doctype html><html><body><p>No feeds here</p></body></html>")
    settings = write_config(tmp_path, [feed_source(server, "/news/")])
    (source,) = settings.sources
    async with poll_kit(settings) as kit:
        stats = await kit.poll(source)
        state = kit.state(source)
    assert stats.sources_ok == 0 and "HTML page" in (state.last_error or "")


@pytest.mark.parametrize(
    ("reply", "reason"),
    [
        (Reply(200, RSS_TYPE, b""), "empty"),
        (Reply(200, RSS_TYPE, b"Internal error: {\x00 not xml at all"), "not a feed"),
        (Reply(200, RSS_TYPE, b"x" * 3_000_000), "too_large"),
        (Reply(200, {**RSS_TYPE, "Content-Length": "100"}, b"<rss>", delay=3.0), "timeout"),
    ],
    ids=["empty-200", "invalid-xml", "oversized", "slow"],
)
async def test_each_failure_is_recorded_with_a_clear_reason(
    server: FeedServer, tmp_path: Path, reply: Reply, reason: str
) -> None:
    server.routes["/feed.xml"] = reply
    settings = write_config(tmp_path, [feed_source(server)], max_bytes="1MB", timeout="1s")
    (source,) = settings.sources
    async with poll_kit(settings) as kit:
        stats = await kit.poll(source)
        state = kit.state(source)
    assert stats.sources_ok == 0 and state.consecutive_failures == 1
    assert reason in (state.last_error or ""), state.last_error


async def test_changed_configured_url_resets_moves_and_disabling(server: FeedServer, tmp_path: Path) -> None:
    from monitor import store
    from monitor.config import Source

    server.routes["/feed.xml"] = Reply(410, {}, b"gone")
    settings = write_config(tmp_path, [feed_source(server, id="desk")])
    (source,) = settings.sources
    async with poll_kit(settings) as kit:
        await kit.poll(source)
        assert kit.state(source).disabled
        moved = Source(source.id, source.name, server.url("/v2.xml"), source.interval)
        store.sync_sources(kit.rt.db, [moved], kit.now)
        assert not kit.state(moved).disabled and kit.state(moved).disabled_reason is None
