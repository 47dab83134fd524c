"""Shared pieces of the fetchers: result types, error mapping and the capped body reader."""

from __future__ import annotations

import asyncio
import hashlib
import socket
import ssl
from dataclasses import dataclass
from datetime import datetime

import httpx

from monitor.errors import FetchError
from monitor.fetch.decode import BoundedDecoder, DecodeFailed, TooLarge
from monitor.httputil import parse_retry_after

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
PERMANENT_REDIRECTS = frozenset({301, 308})


@dataclass(frozen=True)
class Validators:
    """What we remember of the last fetch to make the next one conditional."""

    etag: str | None = None
    last_modified: str | None = None
    body_hash: str | None = None


@dataclass(frozen=True)
class FetchResult:
    """A completed fetch; ``not_modified`` means the body need not be parsed (it may be empty)."""

    url: str
    status: int
    body: bytes
    content_type: str
    validators: Validators
    not_modified: bool
    permanent_redirect: str | None
    max_age: float | None = None  # Cache-Control max-age: the server's own "do not ask again before"


def body_hash(body: bytes) -> str:
    """Return the hex sha256 of a body, as kept in ``Validators.body_hash``."""
    return hashlib.sha256(body).hexdigest()


def cache_max_age(value: str | None) -> float | None:
    """Return the ``max-age`` of a Cache-Control header in seconds (``s-maxage`` is for shared caches, not us)."""
    if not value:
        return None
    for directive in value.split(","):
        name, _, argument = directive.strip().partition("=")
        if name.strip().lower() == "max-age":
            digits = argument.strip().strip('"')
            return float(int(digits)) if digits.isdigit() else None
    return None


def status_error(response: httpx.Response, *, now: datetime) -> FetchError:
    """Turn an HTTP error status into a FetchError, with Retry-After (judged against ``now``) on 429/503."""
    status = response.status_code
    retry_after = None
    if status in (429, 503):
        retry_after = parse_retry_after(response.headers.get("retry-after"), now=now)
    return FetchError(
        response.reason_phrase or "HTTP error",
        url=str(response.url),
        reason="http",
        status=status,
        retry_after=retry_after,
    )


def transport_error(exc: BaseException, url: str) -> FetchError:
    """Classify a transport failure into one FetchError reason."""
    if isinstance(exc, httpx.TooManyRedirects):
        return FetchError("too many redirects (or a redirect loop)", url=url, reason="redirects")
    if isinstance(exc, httpx.TimeoutException | TimeoutError | asyncio.TimeoutError):
        return FetchError("no complete response in time", url=url, reason="timeout")
    if isinstance(exc, httpx.DecodingError):
        return FetchError(f"cannot decode the body: {exc}", url=url, reason="decode")
    if isinstance(exc, httpx.UnsupportedProtocol | httpx.InvalidURL):
        return FetchError(f"refused URL: {exc}", url=url, reason="blocked")
    chain = _causes(exc)
    if any(isinstance(cause, socket.gaierror) for cause in chain):
        return FetchError(f"name resolution failed: {exc}", url=url, reason="dns")
    if any(isinstance(cause, ssl.SSLError | ssl.CertificateError) for cause in chain):
        return FetchError(f"TLS failure: {exc}", url=url, reason="tls")
    text = str(exc) or type(exc).__name__
    lowered = text.lower()
    if "name or service not known" in lowered or "nodename nor servname" in lowered:
        return FetchError(text, url=url, reason="dns")
    if "certificate" in lowered or "ssl" in lowered:
        return FetchError(text, url=url, reason="tls")
    return FetchError(text, url=url, reason="connect")


def _causes(exc: BaseException) -> list[BaseException]:
    """Return the exception and everything it was raised from, newest first."""
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


async def read_capped(response: httpx.Response, *, max_bytes: int, deadline: float | None) -> bytes:
    """Read the decoded body, failing once it passes ``max_bytes`` or the whole read passes ``deadline`` s."""
    url = str(response.url)
    encoding = response.headers.get("content-encoding", "").strip().lower()
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and encoding in ("", "identity") and int(declared) > max_bytes:
        raise FetchError(f"Content-Length {declared} over {max_bytes} bytes", url=url, reason="too_large")
    chunks: list[bytes] = []
    try:
        # Slow drip bodies defeat httpx's per-read timeout; this caps the whole body.
        async with asyncio.timeout(deadline):
            if BoundedDecoder.supports(encoding):
                # Our decoder stops inflating at the cap; httpx's would inflate a whole network chunk first.
                decoder = BoundedDecoder(encoding or "identity", max_bytes)
                async for raw in response.aiter_raw():
                    chunks.append(decoder.decode(raw))
            else:
                size = 0
                async for chunk in response.aiter_bytes():
                    size += len(chunk)
                    if size > max_bytes:
                        raise TooLarge(f"body over {max_bytes} bytes after decompression")
                    chunks.append(chunk)
    except TooLarge as exc:
        raise FetchError(str(exc), url=url, reason="too_large") from exc
    except DecodeFailed as exc:
        raise FetchError(str(exc), url=url, reason="decode") from exc
    return b"".join(chunks)


def read_timeout(client: httpx.AsyncClient) -> float | None:
    """Return the client's read timeout, which also bounds the whole body read."""
    return client.timeout.read
