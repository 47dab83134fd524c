"""fetch_page: the SSRF guard on every hop, HTML-only content types, the same size cap."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
import pytest
from fetch_server import FeedServer, Reply
from public_host import PublicHost, redirect

import monitor.fetch.guard as guard
from monitor.errors import FetchError
from monitor.fetch import FetchResult, build_client, fetch_page

pytestmark = pytest.mark.anyio

PAGE = b"<!doctype html><html><head><title>Story</title></head><body><p>Invented article text.</p></body></html>"
HTML = {"Content-Type": "text/html; charset=utf-8"}
MB = 1_000_000


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    """A client as the daemon builds it, with a short timeout."""
    async with build_client(user_agent="monitor-test/1.0", timeout=0.5, concurrency=4) as http:
        yield http


async def page(client: httpx.AsyncClient, url: str, *, allow_private: bool = True, max_bytes: int = MB) -> FetchResult:
    return await fetch_page(client, url, max_bytes=max_bytes, allow_private=allow_private)


async def test_loopback_is_refused_without_allow_private(server: FeedServer, client: httpx.AsyncClient) -> None:
    server.routes["/a"] = Reply(200, HTML, PAGE)
    with pytest.raises(FetchError) as info:
        await page(client, server.url("/a"), allow_private=False)
    assert info.value.reason == "blocked"
    assert server.requests == []  # refused before any connection


async def test_names_are_resolved_before_the_check(server: FeedServer, client: httpx.AsyncClient) -> None:
    server.routes["/a"] = Reply(200, HTML, PAGE)
    with pytest.raises(FetchError) as info:
        await page(client, f"http://localhost:{server.port}/a", allow_private=False)
    assert info.value.reason == "blocked"
    assert server.requests == []


async def test_allowed_private_page_is_fetched(server: FeedServer, client: httpx.AsyncClient) -> None:
    server.routes["/a"] = Reply(200, {**HTML, "ETag": '"p1"'}, PAGE)
    result = await page(client, server.url("/a"))
    assert (result.status, result.body, result.not_modified) == (200, PAGE, False)
    assert result.validators.etag == '"p1"'
    assert server.hits("/a")[0].headers["accept"].startswith("text/html")


@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "ftp://127.0.0.1/x", "gopher://127.0.0.1/", "javascript:alert(1)"]
)
async def test_non_http_schemes_are_refused(client: httpx.AsyncClient, url: str) -> None:
    with pytest.raises(FetchError) as info:
        await page(client, url)
    assert info.value.reason == "blocked"


async def test_redirect_to_a_file_url_is_refused(server: FeedServer, client: httpx.AsyncClient) -> None:
    server.routes["/a"] = Reply(302, {"Location": "file:///etc/passwd"})
    with pytest.raises(FetchError) as info:
        await page(client, server.url("/a"))
    assert info.value.reason == "blocked"


async def test_every_redirect_hop_is_checked(server: FeedServer) -> None:
    public = PublicHost(
        {"/ok": redirect("/final", 301), "/final": httpx.Response(200, headers=HTML, content=PAGE)}
        | {"/evil": redirect("http://10.0.0.1/admin"), "/local": redirect(server.url("/admin"))}
    )
    server.routes["/admin"] = Reply(200, HTML, PAGE)
    async with public.client() as client:
        result = await page(client, public.url("/ok"), allow_private=False)
        assert result.url == public.url("/final") and result.body == PAGE
        for start, private in (("/evil", "10.0.0.1"), ("/local", "127.0.0.1")):
            with pytest.raises(FetchError) as info:
                await page(client, public.url(start), allow_private=False)
            assert info.value.reason == "blocked" and private in str(info.value)
    assert public.requests == [public.url(p) for p in ("/ok", "/final", "/evil", "/local")]
    assert server.requests == [], "no private hop was connected to"


def resolver(*answers: str) -> Callable[[str, int], Awaitable[list[str]]]:
    """A DNS stand-in that gives each answer in turn (the last one from then on)."""
    calls = 0

    async def lookup(host: str, port: int) -> list[str]:
        nonlocal calls
        calls += 1
        return [answers[min(calls, len(answers)) - 1]]

    return lookup


async def test_dns_rebinding_is_refused_when_connecting(
    server: FeedServer, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The name is public for the check, then private for the connection: the connection is judged too.
    monkeypatch.setattr(guard, "lookup", resolver("93.184.216.34", "127.0.0.1"))
    server.routes["/a"] = Reply(200, HTML, PAGE)
    with pytest.raises(FetchError) as info:
        await page(client, f"http://rebind.test:{server.port}/a", allow_private=False)
    assert info.value.reason == "blocked" and "127.0.0.1" in str(info.value)
    assert server.requests == []


async def test_guarded_connections_go_to_the_address_that_was_judged(
    server: FeedServer, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    # No real DNS knows rebind.test: the page arrives only because the client connected to the guard's answer.
    monkeypatch.setattr(guard, "lookup", resolver("127.0.0.1"))
    monkeypatch.setattr(guard, "is_public_address", lambda address: str(address) == "127.0.0.1")
    server.routes["/a"] = Reply(200, HTML, PAGE)
    result = await page(client, f"http://rebind.test:{server.port}/a", allow_private=False)
    assert result.body == PAGE
    assert [seen.headers.get("host") for seen in server.requests] == [f"rebind.test:{server.port}"]


async def test_configured_urls_connect_without_the_guard(
    server: FeedServer, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(guard, "lookup", resolver("10.0.0.1"))  # would be refused if it were asked
    server.routes["/a"] = Reply(200, HTML, PAGE)
    assert (await page(client, server.url("/a"), allow_private=True)).body == PAGE


async def test_non_html_content_type_is_refused(server: FeedServer, client: httpx.AsyncClient) -> None:
    server.routes["/a.pdf"] = Reply(200, {"Content-Type": "application/pdf"}, b"%PDF-1.7")
    with pytest.raises(FetchError) as info:
        await page(client, server.url("/a.pdf"))
    assert info.value.reason == "decode"


async def test_page_size_cap(server: FeedServer, client: httpx.AsyncClient) -> None:
    server.routes["/big"] = Reply(200, HTML, PAGE + b" " * 50_000)
    with pytest.raises(FetchError) as info:
        await page(client, server.url("/big"), max_bytes=10_000)
    assert info.value.reason == "too_large"


async def test_page_redirect_loop(server: FeedServer, client: httpx.AsyncClient) -> None:
    server.routes["/a"] = Reply(302, {"Location": "/b"})
    server.routes["/b"] = Reply(302, {"Location": "/a"})
    with pytest.raises(FetchError) as info:
        await page(client, server.url("/a"))
    assert info.value.reason == "redirects"


async def test_long_redirect_chain_stops_at_the_limit(server: FeedServer, client: httpx.AsyncClient) -> None:
    for hop in range(15):
        server.routes[f"/r{hop}"] = Reply(302, {"Location": f"/r{hop + 1}"})
    with pytest.raises(FetchError) as info:
        await page(client, server.url("/r0"))
    assert info.value.reason == "redirects"
    assert len(server.requests) == 11


async def test_page_http_error(server: FeedServer, client: httpx.AsyncClient) -> None:
    server.routes["/gone"] = Reply(404, HTML, b"<p>nope</p>")
    with pytest.raises(FetchError) as info:
        await page(client, server.url("/gone"))
    assert (info.value.reason, info.value.status) == ("http", 404)


async def test_empty_page(server: FeedServer, client: httpx.AsyncClient) -> None:
    server.routes["/empty"] = Reply(200, HTML, b"")
    with pytest.raises(FetchError) as info:
        await page(client, server.url("/empty"))
    assert info.value.reason == "empty"
