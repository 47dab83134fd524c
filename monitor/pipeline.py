"""The only place that knows the order fetch → parse → extract → match → store → notify.

Every function here takes the ``Runtime`` (what the stages need: settings, database, HTTP client, matcher, clock)
and a ``CycleStats`` it adds its counts to. A failing source or delivery is recorded and counted, never raised.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

import httpx
from sqlite_utils import Database

from monitor import dedup, store
from monitor.config import Settings, Source
from monitor.errors import ExtractError, FetchError, ParseError
from monitor.extract import extract
from monitor.fetch import FetchResult, HostLimiter, Validators, fetch_feed, fetch_page
from monitor.fetch.guard import check_public, check_scheme
from monitor.fetch.policy import (
    Intervals,
    newest_date,
    next_poll_after_failure,
    poll_interval,
    publishing_gap,
    with_jitter,
)
from monitor.match import Matcher
from monitor.models import Article, FeedEntry, MatchDocument, ParsedFeed
from monitor.parse import (
    feed_min_interval,
    find_feed_links,
    looks_like_html,
    parse_feed,
    parse_listing,
    parse_sitemap,
)
from monitor.store import SourceState, items, stories
from monitor.textutil import html_to_text, one_line

log = logging.getLogger("monitor.pipeline")

# A feed's own full text is used instead of the page when the page cannot be had and the feed carries this much.
MIN_FEED_TEXT = 200
# A sitemap index lists many sitemaps; news sitemaps are the newest few (the index is read newest first).
MAX_CHILD_SITEMAPS = 3
# An item whose title or text changed in the feed is re-fetched at most this often, and at most this many per poll:
# a feed whose items change on every poll (a comment count, a relative date) must not cost a page per item per poll.
RECHECK_AFTER = timedelta(minutes=15)
MAX_RECHECKS = 20
# New entries processed per poll, newest first: a feed of 100,000 items must not hold the event loop for minutes
# (nor send us to 100,000 pages); the rest are processed by the following polls.
MAX_NEW_ENTRIES = 500
# Titles and bylines end up in email subjects, chat messages and logs: bounded and on one line.
MAX_TITLE_CHARS = 1000
MAX_AUTHORS = 20
MAX_AUTHOR_CHARS = 200


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
    # Called after hits and their deliveries are stored, so the dispatcher (monitor.dispatch) sends them at once.
    on_queued: Callable[[], None] = lambda: None


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
    articles_revised: int = 0  # stored articles whose text was replaced by a rewrite
    matched: int = 0
    hits: int = 0
    queued: int = 0
    sent: int = 0
    delivery_failures: int = 0
    pending: int = 0
    failures: list[str] = field(default_factory=list)
    # For the daemon's metrics (monitor.ops): failed polls by reason, hits by topic.
    fetch_errors: Counter[str] = field(default_factory=Counter)
    hits_by_topic: Counter[str] = field(default_factory=Counter)

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
            f"{self.articles_revised} revised, "
            f"{self.queued} deliveries queued",
            f"deliver: {self.sent} sent, {self.delivery_failures} failed, {self.pending} waiting for retry",
        ]
        lines.extend(f"  failed: {failure}" for failure in self.failures)
        return lines


async def poll_all(rt: Runtime, stats: CycleStats) -> None:
    """Poll every configured source once, concurrently (delivery is monitor.dispatch's job)."""
    await asyncio.gather(*(poll_source(rt, source, stats) for source in rt.settings.sources))


async def poll_source(rt: Runtime, source: Source, stats: CycleStats) -> None:
    """Fetch and parse one source, process its new entries, and record the source's health and next poll."""
    async with rt.poll_slots:
        state = store.source_state(rt.db, source.id)
        if state.disabled:
            log.info("source disabled, not polled: %s: %s", source.name, state.disabled_reason)
            return
        stats.sources += 1
        validators = Validators(etag=state.etag, last_modified=state.last_modified, body_hash=state.body_hash)
        try:
            read = await _read_source(rt, source, state, validators)
        except (FetchError, ParseError) as exc:
            _record_failure(rt, source, state, exc, stats)
            return
        except Exception as exc:  # a bug or a parser surprise on one source must not stop the others
            log.exception("source failed unexpectedly: %s (%s)", source.name, source.url)
            _record_failure(rt, source, state, exc, stats)
            return
        if read.feed is None:
            stats.sources_ok += 1
            stats.not_modified += 1
            _record_success(rt, source, state, read, read.validators, entries=0, fresh=[])
            return
        entries, unseen, changed = select_entries(rt, source, read.feed.entries)
        stats.entries += len(entries)
        stats.new_entries += len(unseen)
        fresh = newest_first(unseen, entries)[:MAX_NEW_ENTRIES]
        if len(fresh) < len(unseen):
            log.warning("source has %d new entries: processing the newest %d now, the rest on the next polls: %s",
                        len(unseen), len(fresh), source.name)
        done = await asyncio.gather(
            *(_process_safely(rt, source, key, entries[key], stats) for key in [*fresh, *changed])
        )
        # Validators are stored only now, and only if every new entry was processed: otherwise the next poll must
        # fetch the whole feed again rather than get a 304 and never retry the entries that failed (or were left).
        kept = read.validators if all(done) and len(fresh) == len(unseen) else validators
        _record_success(rt, source, state, read, kept, entries=len(entries), fresh=[entries[k] for k in fresh])
        stats.sources_ok += 1


@dataclass(frozen=True)
class SourceRead:
    """What one poll of a source found: the parsed entries (None when unchanged) and what to remember."""

    feed: ParsedFeed | None
    status: int
    validators: Validators
    current_url: str | None = None  # where to poll next time, when that is not where we polled
    discovered_from: str | None = None
    min_interval: float | None = None  # the feed's own lower bound on the poll interval


async def _read_source(rt: Runtime, source: Source, state: SourceState, validators: Validators) -> SourceRead:
    """Fetch the source (from its moved or discovered URL if it has one) and parse it by its type."""
    fetch = rt.settings.fetch
    url = state.current_url or source.url
    response = await fetch_feed(rt.client, url, validators=validators, max_bytes=fetch.max_bytes, limiter=rt.limiter)
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
    try:
        feed = parse_feed(response.body, response.url)
    except ParseError:
        links = find_feed_links(response.body, response.url) if looks_like_html(response.body) else []
        if not links:
            raise
        return await _read_discovered(rt, source, response.url, links[0])
    hint = _larger(feed_min_interval(response.body), response.max_age)
    return SourceRead(feed, response.status, response.validators, moved, min_interval=hint)


async def _read_discovered(rt: Runtime, source: Source, page_url: str, feed_url: str) -> SourceRead:
    """Follow a page's ``<link rel=alternate>`` to its feed; the feed URL is polled directly from then on."""
    log.info("feed discovered: %s: %s announces %s", source.name, page_url, feed_url)
    fetch = rt.settings.fetch
    await guard_found_url(rt, feed_url)
    response = await fetch_feed(
        rt.client, feed_url, validators=Validators(), max_bytes=fetch.max_bytes, limiter=rt.limiter
    )
    feed = parse_feed(response.body, response.url)
    hint = _larger(feed_min_interval(response.body), response.max_age)
    where = response.permanent_redirect or feed_url
    return SourceRead(feed, response.status, response.validators, where, discovered_from=page_url, min_interval=hint)


async def _read_sitemap(rt: Runtime, response: FetchResult, moved: str | None) -> SourceRead:
    """Parse a news sitemap; for a sitemap index, read its newest child sitemaps (fetched whole, unconditionally)."""
    fetch = rt.settings.fetch
    sitemap = parse_sitemap(response.body, response.url)
    entries = list(sitemap.entries)
    for child in sitemap.children[:MAX_CHILD_SITEMAPS]:
        try:
            await guard_found_url(rt, child)
            part = await fetch_feed(
                rt.client, child, validators=Validators(), max_bytes=fetch.max_bytes, limiter=rt.limiter
            )
            entries.extend(parse_sitemap(part.body, part.url).entries)
        except (FetchError, ParseError) as exc:  # one broken child must not hide the others' stories
            log.warning("child sitemap failed: %s", exc)
    feed = ParsedFeed(title="", entries=tuple(entries), link=response.url)
    return SourceRead(feed, response.status, response.validators, moved, min_interval=response.max_age)


async def guard_found_url(rt: Runtime, url: str) -> None:
    """Refuse a URL found in a fetched body (a discovered feed, a child sitemap) that points at a private address,
    unless private networks are allowed: only the configured URLs are trusted (found by tests/hostile)."""
    if rt.settings.fetch.allow_private_networks:
        check_scheme(url)
    else:
        await check_public(url)


def _larger(first: float | None, second: float | None) -> float | None:
    values = [v for v in (first, second) if v is not None]
    return max(values) if values else None


def _bounds(rt: Runtime, source: Source) -> Intervals:
    """Return the interval bounds of a source; an explicitly faster or slower interval widens them."""
    fetch = rt.settings.fetch
    return Intervals(
        interval=source.interval,
        min_interval=min(fetch.min_interval, source.interval),
        max_interval=max(fetch.max_interval, source.interval),
        max_backoff=fetch.max_backoff,
        adaptive=fetch.adaptive_intervals,
    )


def _record_failure(rt: Runtime, source: Source, state: SourceState, exc: Exception, stats: CycleStats) -> None:
    """Record a failed poll with its backoff; a 410 Gone disables the source, nothing else ever does."""
    now = rt.clock()
    stats.fetch_errors[exc.reason if isinstance(exc, FetchError) else type(exc).__name__] += 1
    status = exc.status if isinstance(exc, FetchError) else None
    retry_after = exc.retry_after if isinstance(exc, FetchError) else None
    error = str(exc) if isinstance(exc, FetchError | ParseError) else f"internal error: {exc!r}"
    if status == 410:
        reason = f"410 Gone at {exc.url if isinstance(exc, FetchError) else source.url}: the feed was removed"
        store.record_poll_failure(rt.db, source.id, error=error, status=status, now=now, disable_reason=reason)
        stats.failures.append(f"{source.name}: {error} (source disabled)")
        log.warning("source disabled: %s: %s", source.name, reason)
        return
    failures = state.consecutive_failures + 1
    next_at, backoff = next_poll_after_failure(now, failures, _bounds(rt, source), retry_after=retry_after)
    store.record_poll_failure(
        rt.db, source.id, error=error, status=status, now=now, next_poll_at=next_at, backoff_seconds=backoff,
        retry_after_until=now + timedelta(seconds=retry_after) if retry_after is not None else None,
    )
    stats.failures.append(f"{source.name}: {error}")
    log.warning("source failed (%d in a row, next try in %.0f s): %s: %s", failures, backoff, source.name, error)


def _record_success(
    rt: Runtime,
    source: Source,
    old: SourceState,
    read: SourceRead,
    validators: Validators,
    *,
    entries: int,
    fresh: list[FeedEntry],
) -> None:
    """Store validators, the moved URL, the publishing rhythm and the next poll time of a successful poll."""
    now = rt.clock()
    gap = old.average_gap_seconds
    if read.feed is not None:
        gap = publishing_gap((e.published for e in read.feed.entries), now) or gap
    minimum = read.min_interval if read.feed is not None else _larger(read.min_interval, old.min_interval_seconds)
    interval = poll_interval(_bounds(rt, source), average_gap=gap, feed_minimum=minimum)
    new_items_at = (newest_date((e.published for e in fresh), now) or now) if fresh else None
    state = store.SourceState(
        etag=validators.etag,
        last_modified=validators.last_modified,
        body_hash=validators.body_hash,
        current_url=read.current_url,
        discovered_from=read.discovered_from,
        min_interval_seconds=minimum,
        average_gap_seconds=gap,
    )
    store.record_poll_success(
        rt.db, source.id, state=state, status=read.status, entries=entries, now=now,
        next_poll_at=now + timedelta(seconds=with_jitter(interval)), new_items_at=new_items_at,
    )


def entry_key(entry: FeedEntry, identity: str | None = None) -> str:
    """Return the identity of a feed item within its source: its guid, else its link.

    A source caught reusing or minting guids (``select_entries``) has its items known by URL, or by URL and title
    when its links are reused too (``identity`` "url" or "content", remembered per source).
    """
    return dedup.item_key(entry, identity or "guid")


def select_entries(
    rt: Runtime, source: Source, feed_entries: Sequence[FeedEntry]
) -> tuple[dict[str, FeedEntry], set[str], list[str]]:
    """Return a feed's entries by item key, the keys never processed, and processed items to look at again.

    First judges whether the feed lies about item identity (a guid reused for another item, new guids for items
    already seen) and, if so, switches the source to URL or content identity for good, with a log line. An item
    is looked at again when what the feed says about it changed (its title or text), at most every
    ``RECHECK_AFTER``: a developing story is re-fetched, and its stored text replaced if it was rewritten.
    """
    identity = items.item_identity(rt.db, source.id) or "guid"
    seen_links = items.seen_by_link(rt.db, source.id, (dedup.url_key(e.url) for e in feed_entries if e.url))
    entries, seen = _keyed(rt, source, feed_entries, identity)
    verdict = dedup.judge_identity(
        identity,
        feed_entries,
        {k: dedup.SeenItem(r.key, r.link_key, r.title) for k, r in seen.items()},
        {k: dedup.SeenItem(r.key, r.link_key, r.title) for k, r in seen_links.items()},
    )
    if verdict is not None:
        log.warning(
            "feed item identity: %s %s; its items are now known by %s instead of %s",
            source.name, verdict.reason, verdict.identity, identity,
        )
        items.set_item_identity(rt.db, source.id, verdict.identity, verdict.reason)
        identity = verdict.identity
        entries, seen = _keyed(rt, source, feed_entries, identity)
    now, unseen, changed = rt.clock(), set(), []
    for key, entry in entries.items():
        row = seen.get(key)
        if row is None and identity == "url":  # seen before the switch, under its guid
            row = seen_links.get(dedup.url_key(entry.url))
        if row is None:
            unseen.add(key)
        elif row.entry_hash not in (None, dedup.entry_hash(entry)) and (
            row.checked_at is None or now - row.checked_at >= RECHECK_AFTER
        ):
            changed.append(key)
    return entries, unseen, changed[:MAX_RECHECKS]


def _keyed(
    rt: Runtime, source: Source, feed_entries: Sequence[FeedEntry], identity: str
) -> tuple[dict[str, FeedEntry], dict[str, items.SeenRow]]:
    entries: dict[str, FeedEntry] = {}
    for entry in feed_entries:
        entries.setdefault(entry_key(entry, identity), entry)  # the first (newest) of repeated items
    return entries, items.seen_by_key(rt.db, source.id, entries)


def newest_first(keys: set[str], entries: dict[str, FeedEntry]) -> list[str]:
    """Return ``keys`` ordered newest entry first (undated ones last, in feed order)."""
    order = {key: n for n, key in enumerate(entries)}
    never = datetime.min.replace(tzinfo=UTC)
    return sorted(keys, key=lambda k: (-(entries[k].published or never).timestamp(), order[k]))


def bounded(article: Article) -> Article:
    """Return the article with its title and authors on one line, without bidi overrides, and size-capped."""
    authors = (one_line(a, MAX_AUTHOR_CHARS) for a in article.authors[:MAX_AUTHORS])
    return replace(article, title=one_line(article.title, MAX_TITLE_CHARS), authors=tuple(a for a in authors if a))


def next_poll_time(rt: Runtime, source: Source) -> datetime | None:
    """Return when to poll a source next, as its last poll decided; None when it is disabled."""
    state = store.source_state(rt.db, source.id)
    if state.disabled:
        return None
    return state.next_poll_at or rt.clock() + timedelta(seconds=source.interval)


def planned_polls(rt: Runtime) -> tuple[dict[str, datetime], set[str]]:
    """Return the remembered next poll time of each source and the ids of the disabled ones (for a restart)."""
    states = {source.id: store.source_state(rt.db, source.id) for source in rt.settings.sources}
    planned = {sid: state.next_poll_at for sid, state in states.items() if state.next_poll_at is not None}
    return planned, {sid for sid, state in states.items() if state.disabled}


async def _process_safely(rt: Runtime, source: Source, key: str, entry: FeedEntry, stats: CycleStats) -> bool:
    """Process one entry; an unexpected error is logged and counted, and the entry is left for the next poll."""
    try:
        await process_entry(rt, source, key, entry, stats)
    except sqlite3.Error as exc:  # disk full, locked, read-only: the transaction rolled back; one clear line
        log.error("entry not stored, will retry on the next poll: %s %s: database error: %s", source.name, entry.url,
                  exc)
        stats.failures.append(f"{source.name}: entry {entry.url}: database error: {exc}")
        return False
    except Exception as exc:  # one bad item must not take its source, or the daemon, down with it
        log.exception("entry failed, will retry on the next poll: %s %s", source.name, entry.url)
        stats.failures.append(f"{source.name}: entry {entry.url}: internal error: {exc!r}")
        return False
    return True


async def process_entry(rt: Runtime, source: Source, key: str, entry: FeedEntry, stats: CycleStats) -> None:
    """Turn one new (or changed) feed item into a stored, matched article in its story, with its deliveries queued.

    An article already stored under an equivalent URL, or with the same body on the same site, is the same
    article; if its body was rewritten, the stored text is replaced and only topics it newly matches alert. A
    near-duplicate of a stored body joins that article's story: its hits are recorded, but a topic and channel
    that already alerted for the story are not alerted again.
    """
    await _store_entry(rt, source, key, entry, stats)
    # What the item looked like, for the next poll: a changed title or text, a reused or minted guid.
    items.describe_item(
        rt.db, source.id, key, link_key=dedup.url_key(entry.url), title=entry.title,
        entry_hash=dedup.entry_hash(entry), now=rt.clock(),
    )


async def _store_entry(rt: Runtime, source: Source, key: str, entry: FeedEntry, stats: CycleStats) -> None:
    article, url = await article_for(rt, entry, stats)
    article = bounded(article)
    now = rt.clock()
    if not article.text:
        stats.not_articles += 1
        log.info("not an article: %s (%s)", entry.url, article.skip_reason)
        store.mark_seen(rt.db, source.id, key, None, now)
        return
    outlet, url_key, sig = _site(url), dedup.url_key(url), dedup.signature(article.text)
    known = store.find_article(rt.db, url)
    if known is None:
        known = stories.find_same_article(rt.db, url_key, sig.fingerprint, outlet)
        if known is not None:
            log.info("same article as #%d under another URL or with the same body: %s", known, url)
    if known is not None:
        store.mark_seen(rt.db, source.id, key, known, now)
        if not revise_article(rt, source, known, article, sig, stats):
            stats.articles_known += 1
        return
    matches = rt.matcher.match(
        MatchDocument(title=article.title, text=article.text, source=source.name, language=article.language)
    )
    # No await from here on: the story lookup and the write below see the same database state.
    keys = sig.band_keys() if sig.comparable else []
    choice = dedup.choose_story(sig, (dedup.Candidate(*c) for c in stories.story_candidates(rt.db, keys)))
    member = stories.Membership(
        story_id=choice.story_id, outlet=outlet, url_key=url_key, fingerprint=sig.fingerprint, signature=sig.values,
        band_keys=keys, similarity=choice.similarity,
    )
    origin = (source.id, source.name)
    saved = stories.save_in_story(
        rt.db,
        article,
        url=url,
        link=entry.url,
        source_id=source.id,
        item_key=key,
        matches=matches,
        topic_titles=rt.topic_titles,
        channels_for=lambda topic, score: rt.settings.channels_for(
            topic, score, language=article.language, source=origin
        ),
        member=member,
        updates_for=lambda topic, outlets: dedup.update_channels(rt.settings.routes, topic, outlets),
        now=now,
    )
    if saved.deliveries or saved.updates:
        rt.on_queued()  # wakes the dispatcher: alerts leave within a second of being stored
    if not saved.is_new:
        stats.articles_known += 1
        return
    if saved.joined:
        log.info(
            "article joins story %s (similarity %.2f to #%s): %s; not alerted again: %s",
            saved.story_id, choice.similarity, choice.article_id, url, saved.suppressed or "nothing to suppress",
        )
    stats.articles_new += 1
    stats.matched += 1
    stats.hits += saved.hits
    stats.hits_by_topic.update(m.topic_id for m in matches)
    stats.queued += saved.deliveries + saved.updates


def revise_article(
    rt: Runtime, source: Source, article_id: int, article: Article, sig: dedup.Signature, stats: CycleStats
) -> bool:
    """Replace a stored article's text with a re-fetched rewrite of it; return False when it was not rewritten.

    Touch-ups (a typo, a timestamp) keep the stored text. A body that shrank to less than half is not taken: that
    is a paywall, an error page or the feed's summary, not a developing story. Topics the article matched before
    do not alert again; one it matches for the first time does, unless its story already alerted it there.
    """
    old = stories.stored_body(rt.db, article_id)
    if old is None or not dedup.materially_changed(old.text, article.text):
        return False
    if 2 * len(article.text) < len(old.text):
        log.info("re-fetched article #%d is less than half its stored length, kept as it was: %s", article_id, old.url)
        return False
    matches = rt.matcher.match(
        MatchDocument(title=article.title, text=article.text, source=source.name, language=article.language)
    )
    keys = sig.band_keys() if sig.comparable else []
    choice = dedup.StoryChoice(old.story_id)
    if old.story_id is None:  # stored before stories existed
        choice = dedup.choose_story(sig, (dedup.Candidate(*c) for c in stories.story_candidates(rt.db, keys)))
    member = stories.Membership(
        story_id=choice.story_id, outlet=_site(old.url), url_key=dedup.url_key(old.url), fingerprint=sig.fingerprint,
        signature=sig.values, band_keys=keys, similarity=choice.similarity,
    )
    old_keys = dedup.Signature(old.signature, 0).band_keys() if old.signature else []
    origin = (source.id, source.name)
    revision = stories.revise_article(
        rt.db, old, article, member=member, old_band_keys=old_keys, matches=matches, topic_titles=rt.topic_titles,
        channels_for=lambda topic, score: rt.settings.channels_for(
            topic, score, language=article.language, source=origin
        ),
        now=rt.clock(),
    )
    log.info(
        "article #%d rewritten (%.0f%% of its phrases kept), stored text replaced: %s; newly matches %s%s",
        article_id, 100 * dedup.text_similarity(old.text, article.text), old.url, list(revision.topics) or "nothing",
        f"; not alerted again: {revision.suppressed}" if revision.suppressed else "",
    )
    stats.articles_revised += 1
    stats.hits += revision.hits
    stats.hits_by_topic.update(revision.topics)
    stats.queued += revision.deliveries
    if revision.deliveries:
        rt.on_queued()
    return True


def backfill_stories(
    db: Database, now: datetime, *, batch: int = 500, progress: Callable[[int], None] = lambda done: None
) -> int:
    """Put articles stored before stories existed into stories, oldest first, one transaction per batch.

    Each joins the story of its closest stored body as a new article would, but nothing alerts: they are history.
    Returns how many articles were grouped; running it again finds none left.
    """
    done = after = 0
    while rows := stories.unstoried_articles(db, after_id=after, limit=batch):
        with db.atomic():
            for article_id, url, text, fetched_at in rows:
                sig = dedup.signature(text)
                keys = sig.band_keys() if sig.comparable else []
                candidates = (dedup.Candidate(*c) for c in stories.story_candidates(db, keys))
                choice = dedup.choose_story(sig, candidates)
                member = stories.Membership(
                    story_id=choice.story_id, outlet=_site(url), url_key=dedup.url_key(url),
                    fingerprint=sig.fingerprint, signature=sig.values, band_keys=keys, similarity=choice.similarity,
                )
                joined = datetime.fromisoformat(fetched_at) if fetched_at else now
                stories.add_member(db, article_id, member, joined)
        done, after = done + len(rows), rows[-1][0]
        progress(done)
    return done


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

    A page may not claim another site's URL: that would let any page suppress another outlet's alert. Either way
    tracking parameters, fragments, default ports and AMP switches are dropped (monitor.dedup.urls).
    """
    return dedup.canonical_url(fetched, declared)


def _site(url: str) -> str:
    return dedup.site_of(url)
