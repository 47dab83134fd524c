"""fetch_feed against a real local server that misbehaves on purpose."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import anyio
import httpx
import pytest
from fetch_server import FIXTURES, FeedServer, Reply, Seen
from public_host import PublicHost, redirect

from monitor.errors import FetchError, ParseError
from monitor.fetch import FetchResult, HostLimiter, Validators, build_client, fetch_feed, guard
from monitor.parse import parse_feed

pytestmark = pytest.mark.anyio

RSS = (FIXTURES / "rss2_content.xml").read_bytes()
ATOM = (FIXTURES / "atom.xml").read_bytes()
XML = {"Content-Type": "application/rss+xml; charset=utf-8"}
MB = 1_000_000


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    """A client as the daemon builds it, with short timeouts so failure cases stay fast."""
    async with build_client(user_agent="monitor-test/1.0", timeout=0.5, concurrency=8) as http:
        yield http


async def fetch(
    client: httpx.AsyncClient, url: str, validators: Validators | None = None, max_bytes: int = MB
) -> FetchResult:
    return await fetch_feed(client, url, validators=validators or Validators(), max_bytes=max_bytes)


async def test_plain_fetch_returns_body_validators_and_sends_our_user_agent(
    server: FeedServer, client: httpx.AsyncClient
) -> None:
    server.routes["/feed"] = Reply(200, {**XML, "ETag": '"v1"', "Last-Modified": "Mon, 06 Jan 2025 10:00:00 GMT"}, RSS)
    result = await fetch(client, server.url("/feed"))
    assert (result.status, result.body, result.not_modified, result.permanent_redirect) == (200, RSS, False, None)
    assert result.url == server.url("/feed")
    assert result.content_type.startswith("application/rss+xml")
    assert result.validators.etag == '"v1"'
    assert result.validators.last_modified == "Mon, 06 Jan 2025 10:00:00 GMT"
    assert result.validators.body_hash is not None and len(result.validators.body_hash) == 64
    seen = server.hits("/feed")[0].headers
    assert seen["user-agent"] == "monitor-test/1.0"
    assert "if-none-match" not in seen and "if-modified-since" not in seen
    assert "br" in seen["accept-encoding"] and "gzip" in seen["accept-encoding"]
    assert len(parse_feed(result.body, result.url).entries) == 2


def conditional(etag: str | None = None, modified: str | None = None) -> Callable[[Seen], Reply]:
    """A route that answers 304 when the client's validators match, like a well-behaved server."""

    def route(seen: Seen) -> Reply:
        headers = {**XML}
        if etag:
            headers["ETag"] = etag
        if modified:
            headers["Last-Modified"] = modified
        if (etag and seen.headers.get("if-none-match") == etag) or (
            modified and seen.headers.get("if-modified-since") == modified
        ):
            return Reply(304, headers)
        return Reply(200, headers, RSS)

    return route


async def test_etag_gives_304_and_keeps_validators(server: FeedServer, client: httpx.AsyncClient) -> None:
    server.routes["/feed"] = conditional(etag='"abc"')
    first = await fetch(client, server.url("/feed"))
    second = await fetch(client, server.url("/feed"), first.validators)
    assert server.hits("/feed")[1].headers["if-none-match"] == '"abc"'
    assert (second.status, second.not_modified, second.body) == (304, True, b"")
    assert second.validators == first.validators


async def test_last_modified_gives_304(server: FeedServer, client: httpx.AsyncClient) -> None:
    stamp = "Tue, 07 Jan 2025 08:00:00 GMT"
    server.routes["/feed"] = conditional(modified=stamp)
    first = await fetch(client, server.url("/feed"))
    assert first.validators.etag is None
    second = await fetch(client, server.url("/feed"), first.validators)
    assert server.hits("/feed")[1].headers["if-modified-since"] == stamp
    assert second.not_modified and second.status == 304
    assert second.validators.last_modified == stamp


async def test_same_etag_with_changed_body_is_noticed(server: FeedServer, client: httpx.AsyncClient) -> None:
    counter = itertools.count()
    server.routes["/feed"] = lambda seen: Reply(
        200, {**XML, "ETag": '"never-changes"'}, RSS + b"<!-- %d -->" % next(counter)
    )
    first = await fetch(client, server.url("/feed"))
    second = await fetch(client, server.url("/feed"), first.validators)
    assert second.status == 200 and not second.not_modified
    assert second.body.endswith(b"<!-- 1 -->")
    assert second.validators.body_hash != first.validators.body_hash


async def test_unchanged_body_on_200_counts_as_not_modified(server: FeedServer, client: httpx.AsyncClient) -> None:
    server.routes["/feed"] = Reply(200, XML, RSS)  # ignores validators
    first = await fetch(client, server.url("/feed"))
    second = await fetch(client, server.url("/feed"), first.validators)
    assert (second.status, second.not_modified, second.body) == (200, True, b"")
    assert second.validators.body_hash == first.validators.body_hash


@pytest.mark.parametrize("status", [301, 308])
async def test_permanent_redirect_is_reported(server: FeedServer, client: httpx.AsyncClient, status: int) -> None:
    server.routes["/old"] = Reply(status, {"Location": "/new"})
    server.routes["/new"] = Reply(200, XML, RSS)
    result = await fetch(client, server.url("/old"))
    assert result.url == server.url("/new")
    assert result.permanent_redirect == server.url("/new")
    assert result.body == RSS


async def test_temporary_redirect_is_followed_but_not_reported(server: FeedServer, client: httpx.AsyncClient) -> None:
    server.routes["/old"] = Reply(302, {"Location": "/new"})
    server.routes["/new"] = Reply(200, XML, RSS)
    result = await fetch(client, server.url("/old"))
    assert result.url == server.url("/new") and result.permanent_redirect is None


async def test_permanent_then_temporary_redirect_reports_only_the_permanent_hop(
    server: FeedServer, client: httpx.AsyncClient
) -> None:
    server.routes["/a"] = Reply(301, {"Location": "/b"})
    server.routes["/b"] = Reply(302, {"Location": "/c"})
    server.routes["/c"] = Reply(200, XML, RSS)
    result = await fetch(client, server.url("/a"))
    assert result.url == server.url("/c")
    assert result.permanent_redirect == server.url("/b")


async def test_gone_raises_http_410(server: FeedServer, client: httpx.AsyncClient) -> None:
    server.routes["/feed"] = Reply(410, {"Content-Type": "text/plain"}, b"gone")
    with pytest.raises(FetchError) as info:
        await fetch(client, server.url("/feed"))
    assert (info.value.reason, info.value.status, info.value.retry_after) == ("http", 410, None)


async def test_429_carries_retry_after_seconds(server: FeedServer, client: httpx.AsyncClient) -> None:
    server.routes["/feed"] = Reply(429, {"Retry-After": "120"}, b"slow down")
    with pytest.raises(FetchError) as info:
        await fetch(client, server.url("/feed"))
    assert (info.value.reason, info.value.status, info.value.retry_after) == ("http", 429, 120.0)


async def test_503_carries_retry_after_http_date(server: FeedServer, client: httpx.AsyncClient) -> None:
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=300), usegmt=True)
    server.routes["/feed"] = Reply(503, {"Retry-After": when})
    with pytest.raises(FetchError) as info:
        await fetch(client, server.url("/feed"))
    assert info.value.status == 503
    assert info.value.retry_after is not None and 290 <= info.value.retry_after <= 300


async def test_slow_drip_body_hits_the_whole_response_deadline(server: FeedServer, client: httpx.AsyncClient) -> None:
    server.routes["/feed"] = Reply(200, XML, RSS[:200], drip=0.02)  # 4 s in total, each byte well in time
    started = time.monotonic()
    with pytest.raises(FetchError) as info:
        await fetch(client, server.url("/feed"))
    assert info.value.reason == "timeout"
    assert time.monotonic() - started < 2


async def test_server_that_never_answers_times_out(server: FeedServer, client: httpx.AsyncClient) -> None:
    server.routes["/feed"] = Reply(200, XML, RSS, delay=2)
    with pytest.raises(FetchError) as info:
        await fetch(client, server.url("/feed"))
    assert info.value.reason == "timeout"


async def test_oversized_body_is_refused(server: FeedServer, client: httpx.AsyncClient) -> None:
    server.routes["/feed"] = Reply(200, XML, b"<rss>" + b" " * 300_000 + b"</rss>")
    with pytest.raises(FetchError) as info:
        await fetch(client, server.url("/feed"), max_bytes=100_000)
    assert info.value.reason == "too_large"


async def test_gzip_bomb_is_cut_on_decoded_size(
    server: FeedServer, client: httpx.AsyncClient, gzip_bomb: bytes
) -> None:
    assert len(gzip_bomb) < 100_000
    server.routes["/feed"] = Reply(200, {**XML, "Content-Encoding": "gzip"}, gzip_bomb)
    with pytest.raises(FetchError) as info:
        await fetch(client, server.url("/feed"), max_bytes=MB)
    assert info.value.reason == "too_large"


async def test_brotli_body_is_decoded(server: FeedServer, client: httpx.AsyncClient, brotli_feed: bytes) -> None:
    server.routes["/feed"] = Reply(200, {**XML, "Content-Encoding": "br"}, brotli_feed)
    result = await fetch(client, server.url("/feed"))
    assert result.body == RSS


async def test_redirect_loop_is_reported(server: FeedServer, client: httpx.AsyncClient) -> None:
    server.routes["/a"] = Reply(302, {"Location": "/b"})
    server.routes["/b"] = Reply(302, {"Location": "/a"})
    with pytest.raises(FetchError) as info:
        await fetch(client, server.url("/a"))
    assert info.value.reason == "redirects" and "loop" in str(info.value)
    assert len(server.requests) == 2  # stopped at the first URL seen twice (the loop pages had, now for feeds too)


async def test_long_feed_redirect_chain_stops_at_the_limit(server: FeedServer, client: httpx.AsyncClient) -> None:
    for hop in range(15):
        server.routes[f"/r{hop}"] = Reply(302, {"Location": f"/r{hop + 1}"})
    with pytest.raises(FetchError) as info:
        await fetch(client, server.url("/r0"))
    assert info.value.reason == "redirects"
    assert len(server.requests) == 11  # the first request and ten redirects, then we stop


async def test_html_instead_of_feed_is_fetched_then_refused_by_the_parser(
    server: FeedServer, client: httpx.AsyncClient
) -> None:
    page = b"<!DOCTYPE html><html><head><title>Home</title></head><body><p>Welcome</p></body></html>"
    server.routes["/feed"] = Reply(200, {"Content-Type": "text/html"}, page)
    result = await fetch(client, server.url("/feed"))
    with pytest.raises(ParseError, match="HTML"):
        parse_feed(result.body, result.url)


@pytest.mark.parametrize("body", [b"", b"  \n\t "])
async def test_empty_200_is_an_error(server: FeedServer, client: httpx.AsyncClient, body: bytes) -> None:
    server.routes["/feed"] = Reply(200, XML, body)
    with pytest.raises(FetchError) as info:
        await fetch(client, server.url("/feed"))
    assert (info.value.reason, info.value.status) == ("empty", 200)


async def test_no_content_status_is_an_http_error(server: FeedServer, client: httpx.AsyncClient) -> None:
    server.routes["/feed"] = Reply(204, XML)
    with pytest.raises(FetchError) as info:
        await fetch(client, server.url("/feed"))
    assert (info.value.reason, info.value.status) == ("http", 204)


async def test_connection_refused(client: httpx.AsyncClient, unused_port: int) -> None:
    with pytest.raises(FetchError) as info:
        await fetch(client, f"http://127.0.0.1:{unused_port}/feed")
    assert info.value.reason == "connect"


async def test_non_http_scheme_is_blocked(client: httpx.AsyncClient) -> None:
    with pytest.raises(FetchError) as info:
        await fetch(client, "file:///etc/passwd")
    assert info.value.reason == "blocked"


async def test_host_limiter_serialises_requests_to_one_host(server: FeedServer, client: httpx.AsyncClient) -> None:
    running = 0
    peak = 0
    lock = threading.Lock()

    def route(seen: Seen) -> Reply:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        time.sleep(0.1)
        with lock:
            running -= 1
        return Reply(200, XML, RSS)

    server.routes["/feed"] = route
    limiter = HostLimiter(per_host=1)

    async def one() -> None:
        await fetch_feed(client, server.url("/feed"), validators=Validators(), max_bytes=MB, limiter=limiter)

    async with anyio.create_task_group() as group:
        for _ in range(3):
            group.start_soon(one)
    assert peak == 1 and len(server.hits("/feed")) == 3

    peak = 0
    wide = HostLimiter(per_host=3)
    async with anyio.create_task_group() as group:
        for _ in range(3):
            group.start_soon(
                lambda: fetch_feed(client, server.url("/feed"), validators=Validators(), max_bytes=MB, limiter=wide)
            )
    assert peak > 1  # the limit, not the server, serialised the first round


def test_host_limiter_rejects_zero() -> None:
    with pytest.raises(ValueError):
        HostLimiter(per_host=0)


async def test_serves_atom_too(server: FeedServer, client: httpx.AsyncClient) -> None:
    server.routes["/atom"] = Reply(200, {"Content-Type": "application/atom+xml"}, ATOM)
    result = await fetch(client, server.url("/atom"))
    assert parse_feed(result.body, result.url).title == "Example Wire: World"


async def test_retry_after_date_is_judged_by_the_given_clock(server: FeedServer, client: httpx.AsyncClient) -> None:
    now = datetime(2025, 1, 6, 12, 0, tzinfo=UTC)
    server.routes["/feed"] = Reply(503, {"Retry-After": "Mon, 06 Jan 2025 12:02:00 GMT"})
    with pytest.raises(FetchError) as info:
        await fetch_feed(client, server.url("/feed"), validators=Validators(), max_bytes=MB, clock=lambda: now)
    assert info.value.retry_after == 120.0


async def test_check_judges_every_redirect_hop_before_connecting(server: FeedServer, client: httpx.AsyncClient) -> None:
    """A discovered feed (untrusted) that redirects to an internal address: the second hop is refused unfetched."""
    checked: list[str] = []

    async def check(url: str) -> None:
        checked.append(url)
        if "/internal" in url:
            raise FetchError("address is not public", url=url, reason="blocked")

    server.routes["/found.xml"] = Reply(302, {"Location": "/internal.xml"})
    server.routes["/internal.xml"] = Reply(200, XML, RSS)
    with pytest.raises(FetchError) as info:
        await fetch_feed(client, server.url("/found.xml"), validators=Validators(), max_bytes=MB, check=check)
    assert info.value.reason == "blocked"
    assert checked == [server.url("/found.xml"), server.url("/internal.xml")]
    assert server.hits("/internal.xml") == []

    with pytest.raises(FetchError) as info:  # the first hop is judged too
        await fetch_feed(client, server.url("/internal.xml"), validators=Validators(), max_bytes=MB, check=check)
    assert info.value.reason == "blocked" and server.hits("/internal.xml") == []


async def test_checked_fetch_still_reports_a_permanent_move(server: FeedServer, client: httpx.AsyncClient) -> None:
    checked: list[str] = []

    async def check(url: str) -> None:
        checked.append(url)

    server.routes["/old"] = Reply(301, {"Location": "/new"})
    server.routes["/new"] = Reply(200, XML, RSS)
    result = await fetch_feed(client, server.url("/old"), validators=Validators(), max_bytes=MB, check=check)
    assert (result.body, result.permanent_redirect) == (RSS, server.url("/new"))
    assert checked == [server.url("/old"), server.url("/new")]


async def test_guard_check_refuses_a_redirect_to_loopback(server: FeedServer) -> None:
    # A found feed on a public host redirects to [::1]: the redirect's hop is judged by the real guard.
    public = PublicHost({"/found.xml": redirect(f"http://[::1]:{server.port}/internal.xml", 307)})
    server.routes["/internal.xml"] = Reply(200, {"Content-Type": "application/rss+xml"}, RSS)
    async with public.client() as client:
        with pytest.raises(FetchError) as info:
            await fetch_feed(
                client, public.url("/found.xml"), validators=Validators(), max_bytes=MB, check=guard.check_public
            )
    assert info.value.reason == "blocked" and "::1" in str(info.value)
    assert public.requests == [public.url("/found.xml")] and server.requests == []


async def test_found_feed_connections_are_judged_when_connecting(
    server: FeedServer, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A found feed whose name turns private between the check and the connection (DNS rebinding).
    answers = iter(["93.184.216.34", "127.0.0.1"])

    async def rebinding(host: str, port: int) -> list[str]:
        return [next(answers)]

    monkeypatch.setattr(guard, "lookup", rebinding)
    server.routes["/found.xml"] = Reply(200, {"Content-Type": "application/rss+xml"}, RSS)
    url = f"http://rebind.test:{server.port}/found.xml"
    with pytest.raises(FetchError) as info:
        await fetch_feed(client, url, validators=Validators(), max_bytes=MB, check=guard.check_public, public=True)
    assert info.value.reason == "blocked" and "127.0.0.1" in str(info.value)
    assert server.requests == []
