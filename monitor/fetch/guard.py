"""SSRF guard for URLs found inside feeds: only public http(s) addresses may be fetched.

Two checks, one rule. ``check_public`` judges a URL before a request, for a clear early error. ``public_only``
makes the connections opened inside it go through ``GuardedBackend``, which resolves the host itself,
refuses a private address and connects to the very address it judged: a DNS server that answers a public
address to the first lookup and a private one to the next (DNS rebinding) gets nowhere, because there is no
second lookup.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from urllib.parse import urlsplit

import httpcore

from monitor.errors import FetchError

ALLOWED_SCHEMES = frozenset({"http", "https"})

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def is_public_address(address: IPAddress) -> bool:
    """Whether an address is globally routable (not loopback, private, link-local, reserved, multicast...)."""
    if isinstance(address, ipaddress.IPv6Address):
        # ::ffff:10.0.0.1 and 64:ff9b::/96 wrap IPv4 addresses; judge the address they reach.
        mapped = address.ipv4_mapped
        if mapped is None and address in ipaddress.IPv6Network("64:ff9b::/96"):
            mapped = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if mapped is not None:
            return is_public_address(mapped)
    return address.is_global and not address.is_multicast


def parse_address(host: str) -> IPAddress | None:
    """Return the IP address a URL host spells literally (brackets and zone ids allowed), else None."""
    literal = host.strip("[]").split("%", 1)[0]
    try:
        return ipaddress.ip_address(literal)
    except ValueError:
        return None


def check_scheme(url: str) -> tuple[str, int]:
    """Return (host, port) of an http(s) URL; raise FetchError(reason="blocked") for anything else."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise FetchError(f"invalid URL: {exc}", url=url, reason="blocked") from exc
    scheme = parts.scheme.lower()
    if scheme not in ALLOWED_SCHEMES or not parts.hostname:
        raise FetchError(f"scheme {scheme or '(none)'!r} is not fetched", url=url, reason="blocked")
    return parts.hostname, port or (443 if scheme == "https" else 80)


async def check_public(url: str) -> None:
    """Raise FetchError(reason="blocked") unless every address the URL's host has is public."""
    host, port = check_scheme(url)
    await public_addresses(host, port, url)


async def check_url(url: str, allow_private: bool) -> None:
    """Refuse non-http(s) URLs always, and non-public addresses unless private networks are allowed."""
    if allow_private:
        check_scheme(url)
    else:
        await check_public(url)


async def public_addresses(host: str, port: int, url: str) -> list[IPAddress]:
    """Return the addresses of ``host``, raising FetchError unless every one of them is public."""
    literal = parse_address(host)
    if literal is not None:
        addresses = [literal]
    else:
        try:
            found = await lookup(host, port)
        except (socket.gaierror, UnicodeError) as exc:
            raise FetchError(f"name resolution failed: {exc}", url=url, reason="dns") from exc
        addresses = [a for text in found if (a := parse_address(text)) is not None]
        if not addresses:
            raise FetchError("name resolves to no address", url=url, reason="dns")
    for address in addresses:
        if not is_public_address(address):
            raise FetchError(f"address {address} is not public", url=url, reason="blocked")
    return addresses


async def lookup(host: str, port: int) -> list[str]:
    """Return the addresses a host name resolves to, in the resolver's order."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


_PUBLIC_ONLY: ContextVar[bool] = ContextVar("monitor_public_only", default=False)
SocketOption = tuple[int, int, int] | tuple[int, int, bytes | bytearray] | tuple[int, int, None, int]  # httpcore's


@contextmanager
def public_only(active: bool = True) -> Iterator[None]:
    """Within this block (when ``active``), new connections of a ``GuardedBackend`` go to public addresses only."""
    token = _PUBLIC_ONLY.set(active)
    try:
        yield
    finally:
        _PUBLIC_ONLY.reset(token)


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """The HTTP client's network backend: inside ``public_only``, resolve, judge and connect to one address.

    TLS is unaffected: the connection's server name (SNI, certificate check) is still the URL's host name.
    Outside ``public_only`` (configured URLs, which are trusted) it connects as the inner backend does.
    """

    def __init__(self, inner: httpcore.AsyncNetworkBackend) -> None:
        self._inner = inner

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[SocketOption] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        if _PUBLIC_ONLY.get():
            # The first address: what getaddrinfo would have tried first, and every address was judged.
            host = str((await public_addresses(host, port, f"//{host}:{port}"))[0])
        return await self._inner.connect_tcp(host, port, timeout, local_address, socket_options)

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[SocketOption] | None = None
    ) -> httpcore.AsyncNetworkStream:  # pragma: no cover - we never configure a Unix socket
        return await self._inner.connect_unix_socket(path, timeout, socket_options)

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)
