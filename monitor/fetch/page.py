"""GET of article pages linked from feeds: SSRF-guarded on every hop, HTML only, size-capped."""

from __future__ import annotations

import httpx

from monitor.errors import FetchError
from monitor.fetch.client import HostLimiter
from monitor.fetch.guard import check_url
from monitor.fetch.http import (
    FetchResult,
    Validators,
    body_hash,
    read_capped,
    read_timeout,
    status_error,
)
from monitor.fetch.redirects import get_following
from monitor.httputil import Clock, utc_now

PAGE_ACCEPT = "text/html, application/xhtml+xml;q=0.9, */*;q=0.1"
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml", "application/xml", "text/xml", "text/plain", ""})


def is_html_type(content_type: str) -> bool:
    """Whether a Content-Type can hold an article page (a missing one is given the benefit of the doubt)."""
    return content_type.split(";", 1)[0].strip().lower() in HTML_TYPES


async def fetch_page(
    client: httpx.AsyncClient,
    url: str,
    *,
    max_bytes: int,
    allow_private: bool,
    limiter: HostLimiter | None = None,
    clock: Clock = utc_now,
) -> FetchResult:
    """GET an HTML page, following redirects by hand so each hop is checked; raise FetchError on failure."""

    async def check(current: str) -> None:
        await check_url(current, allow_private)
        if limiter is not None and limiter.robots is not None and not await limiter.robots.allowed(client, current):
            raise FetchError("disallowed by robots.txt", url=current, reason="robots")

    async def read(response: httpx.Response, _moved: str | None) -> FetchResult:
        return await _page_result(response, max_bytes, read_timeout(client), clock)

    return await get_following(
        client,
        url,
        headers={"Accept": PAGE_ACCEPT},
        read=read,
        check=check,
        limiter=limiter,
        polite=True,
        public=not allow_private,
        defer_host=True,  # the host's other pages wait out its Retry-After too
    )


async def _page_result(response: httpx.Response, max_bytes: int, deadline: float | None, clock: Clock) -> FetchResult:
    """Read an HTML response into a FetchResult."""
    final_url = str(response.url)
    if response.status_code >= 400:
        raise status_error(response, now=clock())
    if response.status_code != 200:
        raise FetchError(
            f"unexpected status {response.status_code}", url=final_url, reason="http", status=response.status_code
        )
    content_type = response.headers.get("content-type", "")
    if not is_html_type(content_type):
        # Checked before reading, so a PDF or a video is never downloaded.
        raise FetchError(f"not an HTML page ({content_type})", url=final_url, reason="decode", status=200)
    body = await read_capped(response, max_bytes=max_bytes, deadline=deadline)
    if not body.strip():
        raise FetchError("empty body", url=final_url, reason="empty", status=200)
    return FetchResult(
        url=final_url,
        status=200,
        body=body,
        content_type=content_type,
        validators=Validators(
            etag=response.headers.get("etag"),
            last_modified=response.headers.get("last-modified"),
            body_hash=body_hash(body),
        ),
        not_modified=False,
        permanent_redirect=None,
    )
