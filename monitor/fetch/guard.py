"""SSRF guard for URLs found inside feeds: only public http(s) addresses may be fetched."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit

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
    literal = parse_address(host)
    if literal is not None:
        addresses = [literal]
    else:
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError) as exc:
            raise FetchError(f"name resolution failed: {exc}", url=url, reason="dns") from exc
        addresses = [a for info in infos if (a := parse_address(str(info[4][0]))) is not None]
        if not addresses:
            raise FetchError("name resolves to no address", url=url, reason="dns")
    for address in addresses:
        if not is_public_address(address):
            raise FetchError(f"address {address} is not public", url=url, reason="blocked")
