"""GET of article pages linked from feeds: SSRF-guarded on every hop, HTML only, size-capped."""

from __future__ import annotations

from contextlib import AsyncExitStack

import httpx

from monitor.errors import FetchError
from monitor.fetch.client import MAX_REDIRECTS, HostLimiter
from monitor.fetch.guard import check_url, public_only
from monitor.fetch.http import (
    REDIRECT_STATUSES,
    FetchResult,
    Validators,
    body_hash,
    read_capped,
    read_timeout,
    status_error,
    transport_error,
)
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
    max_redirects = client.max_redirects if client.max_redirects is not None else MAX_REDIRECTS
    current = url
    seen: set[str] = set()
    for _hop in range(max_redirects + 1):
        await check_url(current, allow_private)
        if limiter is not None and limiter.robots is not None and not await limiter.robots.allowed(client, current):
            raise FetchError("disallowed by robots.txt", url=current, reason="robots")
        async with AsyncExitStack() as stack:
            if limiter is not None:
                await stack.enter_async_context(limiter.slot(current, polite=True))
            try:
                request = client.build_request("GET", current, headers={"Accept": PAGE_ACCEPT})
                with public_only(not allow_private):
                    response = await client.send(request, stream=True, follow_redirects=False)
                stack.push_async_callback(response.aclose)
                if response.status_code in REDIRECT_STATUSES and response.next_request is not None:
                    seen.add(current)
                    current = str(response.next_request.url)
                    if current in seen:
                        raise FetchError("redirect loop", url=url, reason="redirects")
                    continue
                return await _page_result(response, max_bytes, read_timeout(client), clock)
            except FetchError as exc:
                if exc.retry_after is not None and limiter is not None:
                    limiter.defer(current, exc.retry_after)  # the host's other pages wait too
                raise
            except (httpx.HTTPError, httpx.InvalidURL, TimeoutError, OSError) as exc:
                raise transport_error(exc, current) from exc
    raise FetchError(f"more than {max_redirects} redirects", url=url, reason="redirects")


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
