"""Conditional GET of a feed URL, with the size cap and a body hash for servers whose validators lie."""

from __future__ import annotations

import httpx

from monitor.errors import FetchError
from monitor.fetch.client import HostLimiter
from monitor.fetch.http import (
    FetchResult,
    Validators,
    body_hash,
    cache_max_age,
    read_capped,
    read_timeout,
    status_error,
)
from monitor.fetch.redirects import UrlCheck, get_following
from monitor.httputil import Clock, utc_now

FEED_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/feed+json, application/rdf+xml;q=0.9, "
    "application/xml;q=0.9, text/xml;q=0.9, application/json;q=0.8, */*;q=0.5"
)


def conditional_headers(validators: Validators) -> dict[str, str]:
    """Return the request headers that make a GET conditional on what we saw last time."""
    headers = {"Accept": FEED_ACCEPT}
    if validators.etag:
        headers["If-None-Match"] = validators.etag
    if validators.last_modified:
        headers["If-Modified-Since"] = validators.last_modified
    return headers


async def fetch_feed(
    client: httpx.AsyncClient,
    url: str,
    *,
    validators: Validators,
    max_bytes: int,
    limiter: HostLimiter | None = None,
    check: UrlCheck | None = None,
    public: bool = False,
    clock: Clock = utc_now,
    polite: bool = False,
) -> FetchResult:
    """GET a feed conditionally; raise FetchError with a reason on any failure or error status.

    ``check`` (given for URLs found inside fetched bodies, which are not trusted like configured ones) judges every
    redirect hop before we connect to it (``redirects.get_following``); the leading run of 301/308 hops is reported
    as where the feed now lives. With ``public``, connections go to public addresses only. With ``polite``, the
    host's delay between requests applies as for article pages (sources that all live on one host: t.me, GDELT,
    Google News).
    """

    async def read(response: httpx.Response, moved: str | None) -> FetchResult:
        return await _result(response, validators, max_bytes, read_timeout(client), moved, clock)

    return await get_following(
        client,
        url,
        headers=conditional_headers(validators),
        read=read,
        check=check,
        limiter=limiter,
        polite=polite,
        public=public,
    )


async def _result(
    response: httpx.Response,
    validators: Validators,
    max_bytes: int,
    deadline: float | None,
    moved: str | None,
    clock: Clock,
) -> FetchResult:
    """Read the response into a FetchResult, deciding whether anything changed."""
    final_url = str(response.url)
    content_type = response.headers.get("content-type", "")
    if response.status_code == 304:
        return FetchResult(
            url=final_url,
            status=304,
            body=b"",
            content_type=content_type,
            validators=_merge(validators, response, validators.body_hash),
            not_modified=True,
            permanent_redirect=moved,
            max_age=cache_max_age(response.headers.get("cache-control")),
        )
    if response.status_code >= 400:
        raise status_error(response, now=clock())
    if response.status_code != 200:
        # 1xx/2xx other than 200 (204, 206...) and redirects we were not allowed to follow carry no feed.
        raise FetchError(
            f"unexpected status {response.status_code}", url=final_url, reason="http", status=response.status_code
        )
    body = await read_capped(response, max_bytes=max_bytes, deadline=deadline)
    if not body.strip():
        raise FetchError("empty body", url=final_url, reason="empty", status=200)
    digest = body_hash(body)
    unchanged = digest == validators.body_hash
    return FetchResult(
        url=final_url,
        status=200,
        body=b"" if unchanged else body,
        content_type=content_type,
        validators=_merge(validators, response, digest),
        not_modified=unchanged,
        permanent_redirect=moved,
        max_age=cache_max_age(response.headers.get("cache-control")),
    )


def _merge(old: Validators, response: httpx.Response, digest: str | None) -> Validators:
    """Return the validators to keep: the response's where it sent them, else the old ones."""
    etag = response.headers.get("etag") or (old.etag if response.status_code == 304 else None)
    modified = response.headers.get("last-modified") or (old.last_modified if response.status_code == 304 else None)
    return Validators(etag=etag, last_modified=modified, body_hash=digest)
