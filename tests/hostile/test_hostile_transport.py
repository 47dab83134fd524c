"""Transport faults: refused, reset, slowloris, silence, bad TLS, redirect loops and chains, SSRF by redirect, DNS."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from hostile_kit import (
    EvilSite,
    Silent,
    closed_port,
    drip,
    feed,
    item,
    make_cert,
    poll_kit,
    redirect,
    reset_after,
    serve,
    write_config,
)
from hostile_poll import poll_beside_healthy
from public_host import PublicHost
from public_host import redirect as to

from monitor.errors import FetchError
from monitor.fetch import fetch_page

Defence = Callable[[str], None]
BODY = feed([item(n, title=f"Item {n}", text="Tartus harbour " * 40) for n in range(20)])


def test_connection_refused(tmp_path: Path, defence: Defence) -> None:
    with EvilSite() as site:
        out = poll_beside_healthy(tmp_path, site, f"http://127.0.0.1:{closed_port()}/feed.xml")
    assert ": connect:" in out.error and out.state.consecutive_failures == 1
    assert out.state.next_poll_at is not None  # backoff scheduled, never disabled
    defence(f"recorded `{out.error.split(': ', 1)[1][:60]}`, backoff scheduled, other source polled")


def test_reset_mid_body(tmp_path: Path, defence: Defence) -> None:
    # Cut after ten whole items: a reader that kept what it had would store them (the whole feed stores "Item 0").
    cut = BODY.index(b"<item>", BODY.index(b"<title>Item 10<"))
    with EvilSite() as site:
        site.routes["/feed.xml"] = reset_after(BODY, cut)
        out = poll_beside_healthy(tmp_path, site, site.url("/feed.xml"))
    assert out.error and out.state.consecutive_failures == 1, out.error
    assert sorted(a["title"] for a in out.articles) == ["Healthy item"], "nothing of the cut feed was stored"
    defence(f"RST after {cut} of {len(BODY)} bytes: recorded `{out.error.split(': ', 1)[1][:50]}`, nothing stored")


def test_slowloris_body(tmp_path: Path, defence: Defence) -> None:
    with EvilSite() as site:
        site.routes["/feed.xml"] = drip(BODY, every=0.3)  # would take ~20 min to finish
        out = poll_beside_healthy(tmp_path, site, site.url("/feed.xml"), timeout="1s")
    assert ": timeout:" in out.error
    assert out.seconds < 5, out.seconds  # the whole-body deadline, not the per-read timeout, ended it
    defence(f"one byte per 0.3 s: cut by the whole-body deadline after {out.seconds:.1f} s (`timeout`)")


def test_server_never_answers(tmp_path: Path, defence: Defence) -> None:
    with EvilSite() as site, Silent() as url:
        out = poll_beside_healthy(tmp_path, site, url, timeout="1s")
    assert ": timeout:" in out.error and out.seconds < 5
    defence(f"accepts and stays silent: `timeout` after {out.seconds:.1f} s")


@pytest.mark.parametrize("expired", [False, True], ids=["self-signed", "expired"])
def test_bad_tls_certificate(tmp_path: Path, expired: bool, defence: Defence) -> None:
    cert = make_cert(tmp_path, expired=expired)
    with EvilSite(tls=cert) as tls_site, EvilSite() as site:
        tls_site.routes["/feed.xml"] = serve(BODY)
        out = poll_beside_healthy(tmp_path, site, tls_site.url("/feed.xml"))
    assert ": tls:" in out.error, out.error
    assert "CERTIFICATE_VERIFY_FAILED" in out.error or "certificate" in out.error.lower()
    assert out.articles and all("Item" not in a["title"] for a in out.articles)
    defence("certificate made by openssl in the test: refused, recorded as `tls`")


def test_redirect_loop(tmp_path: Path, defence: Defence) -> None:
    with EvilSite() as site:
        site.routes["/a"] = redirect("/b")
        site.routes["/b"] = redirect("/a")
        out = poll_beside_healthy(tmp_path, site, site.url("/a"))
        hops = sum(path in ("/a", "/b") for path in site.seen)
    assert ": redirects:" in out.error and hops <= 12
    defence(f"/a -> /b -> /a: stopped after {hops} requests, `redirects`")


def test_chain_of_30_redirects(tmp_path: Path, defence: Defence) -> None:
    with EvilSite() as site:
        for n in range(30):
            site.routes[f"/r{n}"] = redirect(f"/r{n + 1}", 301 if n % 2 else 307)
        site.routes["/r30"] = serve(BODY)
        out = poll_beside_healthy(tmp_path, site, site.url("/r0"))
        hops = sum(path.startswith("/r") for path in site.seen)
    assert ": redirects:" in out.error and hops <= 12 and out.state.current_url is None
    defence(f"30 hops: gave up after {hops} requests (limit 10); stored URL unchanged")


def test_feed_link_redirecting_to_a_private_address_is_not_fetched(tmp_path: Path, defence: Defence) -> None:
    """An article link on a public host redirects to 127.0.0.1: the second hop is refused."""
    with EvilSite() as site:
        site.routes["/secret"] = serve(b"<html><body><p>internal admin page</p></body></html>", "text/html")
        public = PublicHost({"/story": to(site.url("/secret"))})

        async def fetch() -> FetchError:
            async with public.client() as client:
                with pytest.raises(FetchError) as caught:
                    await fetch_page(client, public.url("/story"), max_bytes=1_000_000, allow_private=False)
                return caught.value

        error = asyncio.run(fetch())
        assert public.requests == [public.url("/story")], "the public hop was fetched, so the redirect was followed"
        assert site.seen == [], "the private hop was refused before connecting"
    assert error.reason == "blocked" and "127.0.0.1" in str(error)
    defence("redirect from a public link to 127.0.0.1: hop refused before connecting (`blocked`)")


@pytest.mark.parametrize(
    "url",
    [
        "http://localhost:{port}/x",
        "http://2130706433:{port}/x",
        "http://0x7f.1:{port}/x",
        "http://[::1]:{port}/x",
        "http://[::ffff:127.0.0.1]:{port}/x",
        "http://169.254.169.254/latest/meta-data/",
        "file:///etc/passwd",
        "gopher://127.0.0.1:{port}/x",
    ],
    ids=["localhost", "decimal-ip", "hex-ip", "ipv6-loopback", "ipv4-mapped", "cloud-metadata", "file", "gopher"],
)
def test_private_and_odd_article_links_are_refused(url: str, defence: Defence) -> None:
    with EvilSite() as site:
        site.routes["/x"] = serve(b"<html><body><p>internal</p></body></html>", "text/html")

        async def fetch() -> FetchError:
            async with httpx.AsyncClient() as client:
                with pytest.raises(FetchError) as caught:
                    await fetch_page(client, url.format(port=site.port), max_bytes=10_000, allow_private=False)
                return caught.value

        error = asyncio.run(fetch())
        assert site.seen == []
    assert error.reason == "blocked"
    defence(f"`{url.format(port='P')}` refused before any connection (`blocked`)")


def test_dns_failure(tmp_path: Path, defence: Defence) -> None:
    with EvilSite() as site:
        out = poll_beside_healthy(tmp_path, site, "http://no-such-host.invalid/feed.xml")
    assert ": dns:" in out.error or ": connect:" in out.error, out.error
    defence(f"`.invalid` host: recorded `{out.error.split(': ')[1]}`, backoff scheduled")


def test_discovered_feed_on_a_private_address_is_not_fetched(tmp_path: Path, defence: Defence) -> None:
    """A configured page announces its feed at an internal address: the configured URL is trusted, the
    announced one is not (before the fix it was fetched: found by this suite)."""
    with EvilSite() as site:
        site.routes["/internal.xml"] = serve(BODY)
        announce = f'<link rel="alternate" type="application/rss+xml" href="http://localhost:{site.port}/internal.xml">'
        site.routes["/page.html"] = serve(
            f"<!doctype html><html><head>{announce}</head><body>hi</body></html>".encode(), "text/html"
        )
        out = poll_beside_healthy(tmp_path, site, site.url("/page.html"), allow_private_networks=False)
        fetched = "/internal.xml" in site.seen
    assert ": blocked:" in out.error and not fetched, out.error
    defence("page announces `<link rel=alternate>` at http://localhost/...: refused (`blocked`), nothing fetched")


def test_child_sitemap_on_a_private_address_is_not_fetched(tmp_path: Path, defence: Defence) -> None:
    with EvilSite() as site:
        site.routes["/private-child.xml"] = serve(b"<urlset/>", "application/xml")
        index = (
            f'<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            f"<sitemap><loc>http://[::1]:{site.port}/private-child.xml</loc></sitemap></sitemapindex>"
        )
        site.routes["/sitemap.xml"] = serve(index.encode(), "application/xml")
        settings_source = {"name": "Sitemap", "url": site.url("/sitemap.xml"), "type": "sitemap"}
        settings = write_config(tmp_path, [settings_source], allow_private_networks=False)

        async def poll() -> None:
            async with poll_kit(settings) as kit:
                await kit.poll(settings.sources[0])

        asyncio.run(poll())
        fetched = "/private-child.xml" in site.seen
    assert not fetched
    defence("sitemap index lists a child at http://[::1]/...: child refused, the index itself still read")
