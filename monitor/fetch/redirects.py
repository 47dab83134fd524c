"""The one redirect loop of every GET: each hop is judged before we connect to it, loops and long chains fail.

httpx could follow redirects itself, but then a hop to a private address or a disallowed page would be connected
to before anyone looked at it; here every hop goes through ``check``, the host limiter and the connect guard.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from contextlib import AsyncExitStack

import httpx

from monitor.errors import FetchError
from monitor.fetch.client import MAX_REDIRECTS, HostLimiter
from monitor.fetch.guard import public_only
from monitor.fetch.http import PERMANENT_REDIRECTS, REDIRECT_STATUSES, FetchResult, transport_error

# Raises FetchError for a URL that must not be fetched (blocked address, robots.txt).
UrlCheck = Callable[[str], Awaitable[None]]
# Reads the final (non-redirect) response while it is still open; ``moved`` is where the leading run of
# permanent redirects (301/308) led, or None.
ReadResponse = Callable[[httpx.Response, "str | None"], Awaitable[FetchResult]]


async def get_following(
    client: httpx.AsyncClient,
    url: str,
    *,
    headers: Mapping[str, str],
    read: ReadResponse,
    check: UrlCheck | None = None,
    limiter: HostLimiter | None = None,
    polite: bool = False,
    public: bool = False,
    defer_host: bool = False,
) -> FetchResult:
    """GET ``url``, following redirects by hand, and return what ``read`` makes of the final response.

    ``check`` judges every hop before we connect to it; with ``public``, connections go to public addresses
    only, judged when connecting (``guard.public_only``). A URL seen twice is a loop and fails at once, as does
    a chain longer than the client's ``max_redirects``. With ``defer_host``, a Retry-After in a failed answer
    makes the host's other polite requests wait too (pages; a feed's own schedule backs off instead).
    """
    max_redirects = client.max_redirects if client.max_redirects is not None else MAX_REDIRECTS
    current, moved, permanent = url, None, True
    seen: set[str] = set()
    for _hop in range(max_redirects + 1):
        if check is not None:
            await check(current)
        async with AsyncExitStack() as stack:
            if limiter is not None:
                await stack.enter_async_context(limiter.slot(current, polite=polite))
            try:
                request = client.build_request("GET", current, headers=dict(headers))
                with public_only(public):
                    response = await client.send(request, stream=True, follow_redirects=False)
                stack.push_async_callback(response.aclose)
                if response.status_code in REDIRECT_STATUSES and response.next_request is not None:
                    seen.add(current)
                    current = str(response.next_request.url)
                    if current in seen:
                        raise FetchError("redirect loop", url=url, reason="redirects")
                    permanent = permanent and response.status_code in PERMANENT_REDIRECTS
                    moved = current if permanent else moved
                    continue
                return await read(response, moved)
            except FetchError as exc:
                if defer_host and exc.retry_after is not None and limiter is not None:
                    limiter.defer(current, exc.retry_after)
                raise
            except (httpx.HTTPError, httpx.InvalidURL, TimeoutError, OSError) as exc:
                raise transport_error(exc, current) from exc
    raise FetchError(f"more than {max_redirects} redirects", url=url, reason="redirects")
