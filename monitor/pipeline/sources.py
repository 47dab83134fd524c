"""Reading a source: fetch it (from its moved or discovered URL) and parse it by its type (feed, sitemap, page,
Telegram channel, Google News search, GDELT query)."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from monitor import dedup
from monitor.config import Source
from monitor.errors import FetchError, ParseError
from monitor.fetch import FetchResult, Validators, fetch_feed
from monitor.fetch.guard import check_url
from monitor.models import ParsedFeed
from monitor.parse import (
    channel_page,
    feed_min_interval,
    find_feed_links,
    looks_like_html,
    parse_feed,
    parse_gdelt,
    parse_google_news,
    parse_listing,
    parse_sitemap,
    parse_telegram,
    profile_feed,
    profile_page_feed,
)
from monitor.runtime import Runtime
from monitor.store import SourceState, items

log = logging.getLogger("monitor.pipeline")

# A sitemap index lists many sitemaps; news sitemaps are the newest few (the index is read newest first).
MAX_CHILD_SITEMAPS = 3
# A Telegram channel more than this many preview pages (about 20 posts each) ahead of us is caught up over the
# following polls, not in one burst of requests to t.me.
MAX_TELEGRAM_PAGES = 5
# Every source of these types lives on the one host of its service: the host's delay between requests applies.
SHARED_HOST_TYPES = frozenset({"telegram", "googlenews", "gdelt"})
# GDELT updates every 15 minutes and asks for no more than one request every few seconds per client.
GDELT_MIN_INTERVAL = 900.0


@dataclass(frozen=True)
class SourceRead:
    """What one poll of a source found: the parsed entries (None when unchanged) and what to remember."""

    feed: ParsedFeed | None
    status: int
    validators: Validators
    current_url: str | None = None  # where to poll next time, when that is not where we polled
    discovered_from: str | None = None
    min_interval: float | None = None  # the feed's own lower bound on the poll interval
    found_as: str | None = None  # what the configured URL turned out to be ("YouTube channel"), when a profile


async def read_source(rt: Runtime, source: Source, state: SourceState, validators: Validators) -> SourceRead:
    """Fetch the source (from its moved or discovered URL if it has one) and parse it by its type."""
    fetch = rt.settings.fetch
    if state.current_url is None and source.type == "feed":
        profile = profile_feed(source.url)
        if profile is not None:  # a YouTube, Bluesky profile URL: its feed's address follows from it
            return await _read_discovered(rt, source, source.url, profile[0], found_as=profile[1])
    url = state.current_url or source.url
    # A discovered URL came out of a fetched body, not the config: it is guarded on every poll, hop by hop.
    found = state.current_url is not None and state.discovered_from is not None
    response = await fetch_feed(
        rt.client,
        url,
        validators=validators,
        max_bytes=fetch.max_bytes,
        limiter=rt.limiter,
        check=partial(guard_found_url, rt) if found else None,
        public=found and not fetch.allow_private_networks,
        clock=rt.clock,
        polite=source.type in SHARED_HOST_TYPES,
    )
    moved = response.permanent_redirect
    if moved:
        log.info("source moved permanently: %s: %s -> %s", source.name, url, moved)
    if response.not_modified:
        return SourceRead(None, response.status, response.validators, moved, min_interval=response.max_age)
    if source.type == "sitemap":
        return await _read_sitemap(rt, response, moved)
    if source.type == "page":
        feed = parse_listing(response.body, response.url, selector=source.selector)
        return SourceRead(feed, response.status, response.validators, moved, min_interval=response.max_age)
    if source.type == "telegram":
        return await _read_telegram(rt, source, state, response, moved)
    if source.type == "gdelt":
        feed = parse_gdelt(response.body, response.url)
        _report_problems(source.name, feed)
        hint = larger(GDELT_MIN_INTERVAL, response.max_age)
        return SourceRead(feed, response.status, response.validators, moved, min_interval=hint)
    if source.type == "googlenews":
        feed = parse_google_news(response.body, response.url, content_type=response.content_type)
        _report_problems(source.name, feed)
        hint = larger(feed_min_interval(response.body), response.max_age)
        return SourceRead(feed, response.status, response.validators, moved, min_interval=hint)
    try:
        feed = await _parse_feed(response)
    except ParseError:
        if not looks_like_html(response.body):
            raise
        links = find_feed_links(response.body, response.url)
        if links:
            return await _read_discovered(rt, source, response.url, links[0])
        profile = profile_page_feed(response.body, response.url)
        if profile is None:
            raise
        return await _read_discovered(rt, source, response.url, profile[0], found_as=profile[1])
    _report_problems(source.name, feed)
    hint = larger(feed_min_interval(response.body), response.max_age)
    return SourceRead(feed, response.status, response.validators, moved, min_interval=hint)


# A feed this large is parsed in a worker thread: a hostile one (100,000 nested elements) held the event loop, and
# with it every other source's fetch deadline, for seconds; a small one is parsed at once (a thread costs ~50 us).
THREAD_PARSE_BYTES = 256 * 1024


async def _parse_feed(response: FetchResult) -> ParsedFeed:
    if len(response.body) > THREAD_PARSE_BYTES:
        return await asyncio.to_thread(parse_feed, response.body, response.url, content_type=response.content_type)
    return parse_feed(response.body, response.url, content_type=response.content_type)


async def _read_discovered(
    rt: Runtime, source: Source, page_url: str, feed_url: str, *, found_as: str | None = None
) -> SourceRead:
    """Follow a page's ``<link rel=alternate>`` (or a profile's address) to its feed; the feed URL is polled
    directly from then on."""
    log.info(
        "feed discovered: %s: %s %s %s",
        source.name,
        page_url,
        f"is a {found_as}:" if found_as else "announces",
        feed_url,
    )
    fetch = rt.settings.fetch
    response = await fetch_feed(
        rt.client,
        feed_url,
        validators=Validators(),
        max_bytes=fetch.max_bytes,
        limiter=rt.limiter,
        check=partial(guard_found_url, rt),
        public=not fetch.allow_private_networks,
        clock=rt.clock,
    )
    feed = await _parse_feed(response)
    _report_problems(source.name, feed)
    hint = larger(feed_min_interval(response.body), response.max_age)
    where = response.permanent_redirect or feed_url
    return SourceRead(
        feed,
        response.status,
        response.validators,
        where,
        discovered_from=page_url,
        min_interval=hint,
        found_as=found_as,
    )


def _report_problems(name: str, feed: ParsedFeed) -> None:
    """Log what the parse stage found wrong with a feed (a charset that lies, dates it could not read)."""
    for problem in feed.problems:
        log.warning("feed problem: %s: %s", name, problem)


async def _read_telegram(
    rt: Runtime, source: Source, state: SourceState, response: FetchResult, moved: str | None
) -> SourceRead:
    """Parse a channel's preview page; when none of its posts was seen before (we are behind), page back with
    ``?before=`` until one was, for at most MAX_TELEGRAM_PAGES pages. A first poll reads one page only."""
    fetch = rt.settings.fetch
    page = parse_telegram(response.body, response.url)
    entries = list(page.feed.entries)
    behind = state.last_success_at is not None
    for _ in range(MAX_TELEGRAM_PAGES - 1):
        if not behind or page.oldest_post is None or page.oldest_post <= 1 or _any_seen(rt, source, page.feed):
            break
        older = channel_page(response.url, page.oldest_post)
        log.info("telegram channel has more new posts than one page, reading back: %s: %s", source.name, older)
        part = await fetch_feed(
            rt.client,
            older,
            validators=Validators(),
            max_bytes=fetch.max_bytes,
            limiter=rt.limiter,
            clock=rt.clock,
            polite=True,
        )
        page = parse_telegram(part.body, part.url)
        entries.extend(page.feed.entries)
    feed = ParsedFeed(title=page.feed.title, entries=tuple(entries), link=response.url)
    return SourceRead(feed, response.status, response.validators, moved, min_interval=response.max_age)


def _any_seen(rt: Runtime, source: Source, feed: ParsedFeed) -> bool:
    """Whether any post of a preview page was processed by an earlier poll."""
    keys = [dedup.item_key(entry) for entry in feed.entries]
    return bool(keys) and bool(items.seen_by_key(rt.db, source.id, keys))


async def _read_sitemap(rt: Runtime, response: FetchResult, moved: str | None) -> SourceRead:
    """Parse a news sitemap; for a sitemap index, read its newest child sitemaps (fetched whole, unconditionally)."""
    fetch = rt.settings.fetch
    sitemap = parse_sitemap(response.body, response.url)
    entries = list(sitemap.entries)
    for child in sitemap.children[:MAX_CHILD_SITEMAPS]:
        try:
            part = await fetch_feed(
                rt.client,
                child,
                validators=Validators(),
                max_bytes=fetch.max_bytes,
                limiter=rt.limiter,
                check=partial(guard_found_url, rt),
                public=not fetch.allow_private_networks,
                clock=rt.clock,
            )
            entries.extend(parse_sitemap(part.body, part.url).entries)
        except (FetchError, ParseError) as exc:  # one broken child must not hide the others' stories
            log.warning("child sitemap failed: %s", exc)
    feed = ParsedFeed(title="", entries=tuple(entries), link=response.url)
    return SourceRead(feed, response.status, response.validators, moved, min_interval=response.max_age)


@dataclass(frozen=True)
class SourceProbe:
    """What one trial read of a source found, for ``monitor check --probe``."""

    source: Source
    ok: bool
    entries: int = 0
    feed_url: str | None = None  # the feed a page announced, or where a permanent redirect leads
    discovered: bool = False
    error: str | None = None
    problems: tuple[str, ...] = ()  # what looks wrong though the read worked: a lying charset, odd dates
    found_as: str | None = None  # "YouTube channel", "Mastodon account", "Bluesky profile"


async def probe_source(rt: Runtime, source: Source) -> SourceProbe:
    """Read a source once as a poll would (discovery included) without storing anything."""
    try:
        read = await read_source(rt, source, SourceState(), Validators())
    except (FetchError, ParseError) as exc:
        return SourceProbe(source, ok=False, error=str(exc))
    entries = len(read.feed.entries) if read.feed is not None else 0
    problems = feed_problems(read.feed, rt.clock()) if read.feed is not None else ()
    return SourceProbe(
        source,
        True,
        entries,
        read.current_url,
        discovered=read.discovered_from is not None,
        problems=problems,
        found_as=read.found_as,
    )


# An entry dated further ahead than this is a wrong time zone (or a wrong clock) at the source.
FUTURE_SLACK = timedelta(hours=1)


def feed_problems(feed: ParsedFeed, now: datetime) -> tuple[str, ...]:
    """Return what the parse stage found wrong with a feed, plus entries dated in the future."""
    ahead = [entry.published for entry in feed.entries if entry.published and entry.published > now + FUTURE_SLACK]
    if not ahead:
        return feed.problems
    hours = (max(ahead) - now).total_seconds() / 3600
    note = f"{len(ahead)} of {len(feed.entries)} entries dated up to {hours:.1f} h in the future (a wrong time zone?)"
    return (*feed.problems, note)


async def guard_found_url(rt: Runtime, url: str) -> None:
    """Refuse a URL found in a fetched body (a discovered feed, a child sitemap) that points at a private address,
    unless private networks are allowed: only the configured URLs are trusted (found by tests/hostile).
    Passed to fetch_feed as its ``check``, so every redirect hop of such a URL is judged too."""
    await check_url(url, rt.settings.fetch.allow_private_networks)


def larger(first: float | None, second: float | None) -> float | None:
    values = [v for v in (first, second) if v is not None]
    return max(values) if values else None
