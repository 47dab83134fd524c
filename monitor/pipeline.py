"""The only place that knows the order fetch → parse → extract → match → store → notify.

Every function here takes the ``Runtime`` (what the stages need: settings, database, HTTP client, matcher, clock)
and a ``CycleStats`` it adds its counts to. A failing source or delivery is recorded and counted, never raised.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from urllib.parse import urldefrag, urlsplit

import httpx
from sqlite_utils import Database

from monitor import store
from monitor.config import Settings, Source
from monitor.errors import ExtractError, FetchError, NotifyError, ParseError
from monitor.extract import extract
from monitor.fetch import HostLimiter, Validators, fetch_feed, fetch_page
from monitor.match import Matcher
from monitor.models import Article, FeedEntry, MatchDocument
from monitor.notify import deliver
from monitor.parse import parse_feed
from monitor.textutil import html_to_text

log = logging.getLogger("monitor.pipeline")

# A feed's own full text is used instead of the page when the page cannot be had and the feed carries this much.
MIN_FEED_TEXT = 200
RETRY_BASE_SECONDS = 30.0
RETRY_MAX_SECONDS = 3600.0


def utc_now() -> datetime:
    """Return the current time, timezone-aware."""
    return datetime.now(UTC)


@dataclass
class Runtime:
    """What the stages need for one process: passed explicitly, never global."""

    settings: Settings
    db: Database
    client: httpx.AsyncClient
    limiter: HostLimiter
    matcher: Matcher
    clock: Callable[[], datetime] = utc_now
    poll_slots: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(32))
    topic_titles: dict[str, str] = field(default_factory=dict)
    # One sender at a time: two polls finishing together must not both pick up the same pending delivery.
    delivery_lock: asyncio.Lock = field(default_factory=asyncio.Lock)


@dataclass
class CycleStats:
    """Counts of what one or more polls did, stage by stage."""

    sources: int = 0
    sources_ok: int = 0
    not_modified: int = 0
    entries: int = 0
    new_entries: int = 0
    pages: int = 0
    page_failures: int = 0
    feed_text_used: int = 0
    not_articles: int = 0
    articles_new: int = 0
    articles_known: int = 0
    matched: int = 0
    hits: int = 0
    queued: int = 0
    sent: int = 0
    delivery_failures: int = 0
    pending: int = 0
    failures: list[str] = field(default_factory=list)

    def summary(self) -> list[str]:
        """Return one line per stage, as ``monitor once`` prints them."""
        failed = self.sources - self.sources_ok
        lines = [
            f"fetch:   {self.sources} sources polled, {self.sources_ok} ok ({self.not_modified} unchanged), "
            f"{failed} failed; {self.entries} entries, {self.new_entries} new",
            f"extract: {self.pages} pages fetched, {self.page_failures} failed, {self.feed_text_used} from feed text, "
            f"{self.not_articles} not articles",
            f"match:   {self.matched} articles matched, {self.hits} hits",
            f"store:   {self.articles_new} new articles, {self.articles_known} already known, "
            f"{self.queued} deliveries queued",
            f"deliver: {self.sent} sent, {self.delivery_failures} failed, {self.pending} waiting for retry",
        ]
        lines.extend(f"  failed: {failure}" for failure in self.failures)
        return lines


async def poll_all(rt: Runtime, stats: CycleStats) -> None:
    """Poll every configured source once, concurrently, then try every waiting delivery."""
    await asyncio.gather(*(poll_source(rt, source, stats) for source in rt.settings.sources))
    await deliver_due(rt, stats, retry_all=True)


async def poll_source(rt: Runtime, source: Source, stats: CycleStats) -> None:
    """Fetch and parse one source, process its new entries, and record the source's health."""
    async with rt.poll_slots:
        stats.sources += 1
        state = store.source_state(rt.db, source.id)
        validators = Validators(etag=state.etag, last_modified=state.last_modified, body_hash=state.body_hash)
        try:
            response = await fetch_feed(
                rt.client, source.url, validators=validators, max_bytes=rt.settings.fetch.max_bytes, limiter=rt.limiter
            )
            if response.not_modified:
                stats.sources_ok += 1
                stats.not_modified += 1
                _record_success(rt, source, response.validators, response.status, entries=0)
                return
            feed = parse_feed(response.body, response.url)
        except (FetchError, ParseError) as exc:
            status = exc.status if isinstance(exc, FetchError) else None
            _record_failure(rt, source, str(exc), status, stats)
            return
        except Exception as exc:  # a bug or a parser surprise on one source must not stop the others
            log.exception("source failed unexpectedly: %s (%s)", source.name, source.url)
            _record_failure(rt, source, f"internal error: {exc!r}", None, stats)
            return
        entries = {entry_key(entry): entry for entry in feed.entries}
        fresh = store.unseen_keys(rt.db, source.id, entries)
        stats.entries += len(entries)
        stats.new_entries += len(fresh)
        done = await asyncio.gather(*(_process_safely(rt, source, key, entries[key], stats) for key in fresh))
        # Validators are stored only now, and only if every new entry was processed: otherwise the next poll must
        # fetch the whole feed again rather than get a 304 and never retry the entries that failed.
        kept = response.validators if all(done) else validators
        _record_success(rt, source, kept, response.status, entries=len(entries))
        stats.sources_ok += 1


def _record_failure(rt: Runtime, source: Source, error: str, status: int | None, stats: CycleStats) -> None:
    store.record_poll_failure(rt.db, source.id, error=error, status=status, now=rt.clock())
    stats.failures.append(f"{source.name}: {error}")
    log.warning("source failed: %s: %s", source.name, error)


def _record_success(rt: Runtime, source: Source, validators: Validators, status: int, entries: int) -> None:
    state = store.SourceState(validators.etag, validators.last_modified, validators.body_hash)
    store.record_poll_success(rt.db, source.id, state=state, status=status, entries=entries, now=rt.clock())


def entry_key(entry: FeedEntry) -> str:
    """Return the identity of a feed item within its source: its guid, else its link."""
    return entry.guid or entry.url


async def _process_safely(rt: Runtime, source: Source, key: str, entry: FeedEntry, stats: CycleStats) -> bool:
    """Process one entry; an unexpected error is logged and counted, and the entry is left for the next poll."""
    try:
        await process_entry(rt, source, key, entry, stats)
    except Exception as exc:  # one bad item must not take its source, or the daemon, down with it
        log.exception("entry failed, will retry on the next poll: %s %s", source.name, entry.url)
        stats.failures.append(f"{source.name}: entry {entry.url}: internal error: {exc!r}")
        return False
    return True


async def process_entry(rt: Runtime, source: Source, key: str, entry: FeedEntry, stats: CycleStats) -> None:
    """Turn one new feed item into a stored, matched article with its deliveries queued."""
    article, url = await article_for(rt, entry, stats)
    now = rt.clock()
    if not article.text:
        stats.not_articles += 1
        log.info("not an article: %s (%s)", entry.url, article.skip_reason)
        store.mark_seen(rt.db, source.id, key, None, now)
        return
    known = store.find_article(rt.db, url) is not None
    matches = [] if known else rt.matcher.match(
        MatchDocument(title=article.title, text=article.text, source=source.name, language=article.language)
    )
    saved = store.save_article(
        rt.db,
        article,
        url=url,
        link=entry.url,
        source_id=source.id,
        item_key=key,
        matches=matches,
        topic_titles=rt.topic_titles,
        channels_for=rt.settings.channels_for,
        now=now,
    )
    if not saved.is_new:
        stats.articles_known += 1
        return
    stats.articles_new += 1
    stats.matched += 1
    stats.hits += saved.hits
    stats.queued += saved.deliveries


async def article_for(rt: Runtime, entry: FeedEntry, stats: CycleStats) -> tuple[Article, str]:
    """Return the article behind a feed entry and its canonical URL: the page when it can be had, else the feed."""
    from_feed = _article_from_feed(entry)
    if not rt.settings.fetch.fetch_articles:
        stats.feed_text_used += 1
        return from_feed, canonical_url(entry.url, None)
    stats.pages += 1
    try:
        page = await fetch_page(
            rt.client,
            entry.url,
            max_bytes=rt.settings.fetch.max_bytes,
            allow_private=rt.settings.fetch.allow_private_networks,
            limiter=rt.limiter,
        )
        article = extract(page.body, url=page.url)
    except (FetchError, ExtractError) as exc:
        stats.page_failures += 1
        log.warning("article page failed, using the feed's text: %s", exc)
        stats.feed_text_used += 1
        return from_feed, canonical_url(entry.url, None)
    url = canonical_url(page.url, article.canonical_url)
    if not article.text and len(from_feed.text) >= MIN_FEED_TEXT:
        stats.feed_text_used += 1
        return replace(from_feed, language=article.language or from_feed.language), url
    return _merge(article, entry), url


def _article_from_feed(entry: FeedEntry) -> Article:
    text = html_to_text(entry.content or entry.summary)
    return Article(
        title=entry.title,
        text=text,
        url=entry.url,
        authors=entry.authors,
        published=entry.published,
        description=html_to_text(entry.summary) if entry.content else None,
    )


def _merge(article: Article, entry: FeedEntry) -> Article:
    """Fill what the page lacks from what the feed said."""
    return replace(
        article,
        title=article.title or entry.title,
        authors=article.authors or entry.authors,
        published=article.published or entry.published,
        description=article.description or (html_to_text(entry.summary) or None),
    )


def canonical_url(fetched: str, declared: str | None) -> str:
    """Return the URL an article is known by: the page's declared canonical URL when it stays on the same site.

    A page may not claim another site's URL: that would let any page suppress another outlet's alert.
    """
    fetched = urldefrag(fetched).url
    if declared and urlsplit(declared).scheme in ("http", "https") and _site(declared) == _site(fetched):
        return urldefrag(declared).url
    return fetched


def _site(url: str) -> str:
    host = (urlsplit(url).hostname or "").lower()
    return host.removeprefix("www.").removeprefix("m.").removeprefix("amp.")


async def deliver_due(rt: Runtime, stats: CycleStats, *, retry_all: bool = False) -> None:
    """Send every delivery that is due (``retry_all``: every waiting one, backoff or not).

    Each channel has its own queue, so a slow or failing channel does not hold the others.
    """
    async with rt.delivery_lock:
        by_channel: dict[str, list[store.PendingDelivery]] = defaultdict(list)
        due_by = datetime.max.replace(tzinfo=UTC) if retry_all else rt.clock()
        for pending in store.pending_deliveries(rt.db, due_by):
            by_channel[pending.channel_id].append(pending)
        await asyncio.gather(*(_deliver_channel(rt, channel, queue, stats) for channel, queue in by_channel.items()))
        stats.pending = store.delivery_counts(rt.db).get("pending", 0)


async def _deliver_channel(rt: Runtime, channel_id: str, queue: list[store.PendingDelivery], stats: CycleStats) -> None:
    channel = rt.settings.channels.get(channel_id)
    for pending in queue:
        if channel is None:
            store.mark_delivery_failed(
                rt.db, pending.id, error=f"channel {channel_id!r} is no longer configured", permanent=True,
                retry_at=None,
            )
            stats.delivery_failures += 1
            continue
        try:
            outcome = await deliver(pending.alert, channel, client=rt.client)
        except NotifyError as exc:
            _record_delivery_failure(rt, pending, str(exc), exc.permanent, exc.retry_after, stats)
            continue
        except Exception as exc:  # a bug in one channel must not stop delivery: logged, recorded, retried
            log.exception("unexpected error delivering %s to %s", pending.alert.id, channel_id)
            _record_delivery_failure(rt, pending, f"internal error: {exc!r}", False, None, stats)
            continue
        store.mark_delivery_sent(rt.db, pending.id, rt.clock())
        stats.sent += 1
        log.info("delivered %s to %s: %s", pending.alert.id, channel_id, outcome)


def _record_delivery_failure(
    rt: Runtime,
    pending: store.PendingDelivery,
    error: str,
    permanent: bool,
    retry_after: float | None,
    stats: CycleStats,
) -> None:
    delay = retry_after if retry_after is not None else retry_delay(pending.attempts)
    retry_at = None if permanent else rt.clock() + timedelta(seconds=delay)
    store.mark_delivery_failed(rt.db, pending.id, error=error, permanent=permanent, retry_at=retry_at)
    stats.delivery_failures += 1
    stats.failures.append(f"delivery {pending.alert.id} to {pending.channel_id}: {error}")
    log.warning("delivery failed%s: %s", " permanently" if permanent else ", will retry", error)


def retry_delay(attempts: int) -> float:
    """Return the exponential backoff (with jitter) before the next delivery attempt."""
    base = min(RETRY_BASE_SECONDS * 2**attempts, RETRY_MAX_SECONDS)
    jitter: float = random.uniform(0.8, 1.2)
    return float(base * jitter)
