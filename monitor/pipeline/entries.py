"""Processing one feed entry: its article (page or feed text), matches, story, stored hits and deliveries."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import partial

from monitor import dedup, store
from monitor.config import Source
from monitor.errors import ExtractError, FetchError, StoreError
from monitor.extract import detect_language, extract
from monitor.fetch import FetchResult, fetch_page
from monitor.models import Article, FeedEntry, MatchDocument
from monitor.pipeline.alerts import ChannelsFor, plan_hits
from monitor.pipeline.stories import place
from monitor.runtime import CycleStats, Runtime
from monitor.store import items, stories
from monitor.textutil import html_to_text, one_line

log = logging.getLogger("monitor.pipeline")

# Titles and bylines end up in email subjects, chat messages and logs: bounded and on one line.
MAX_TITLE_CHARS = 1000
MAX_AUTHORS = 20
MAX_AUTHOR_CHARS = 200


def bounded(article: Article) -> Article:
    """Return the article with its title and authors on one line, without bidi overrides, and size-capped."""
    authors = (one_line(a, MAX_AUTHOR_CHARS) for a in article.authors[:MAX_AUTHORS])
    return replace(article, title=one_line(article.title, MAX_TITLE_CHARS), authors=tuple(a for a in authors if a))


async def process_safely(
    rt: Runtime, source: Source, key: str, entry: FeedEntry, stats: CycleStats, seen: items.SeenRow | None = None
) -> bool:
    """Process one entry; an unexpected error is logged, counted and recorded as the item's outcome ("failed"),
    and the entry is retried on the next poll."""
    try:
        await process_entry(rt, source, key, entry, stats, seen)
    except StoreError as exc:  # disk full, locked, read-only: the transaction rolled back; one clear line
        log.error(
            "entry not stored, will retry on the next poll: %s %s: database error: %s", source.name, entry.url, exc
        )
        _record_failure(rt, source, key, entry, f"database error: {exc}", stats)
        return False
    except Exception as exc:  # one bad item must not take its source, or the daemon, down with it
        log.exception("entry failed, will retry on the next poll: %s %s", source.name, entry.url)
        _record_failure(rt, source, key, entry, f"internal error: {exc!r}", stats)
        return False
    return True


def _record_failure(rt: Runtime, source: Source, key: str, entry: FeedEntry, error: str, stats: CycleStats) -> None:
    stats.failures.append(f"{source.name}: entry {entry.url}: {error}")
    stats.outcomes["failed"] += 1
    try:
        _record(rt, source, key, entry, items.ItemOutcome("failed", detail=f"{error}; retried on the next poll"))
    except StoreError as exc:  # the database that failed may refuse this too: the log line above still says it
        log.error("item outcome not recorded: %s %s: %s", source.name, entry.url, exc)


def _record(rt: Runtime, source: Source, key: str, entry: FeedEntry, result: items.ItemOutcome) -> None:
    items.record_item(
        rt.db,
        source.id,
        key,
        result,
        link=entry.url,
        link_key=dedup.url_key(entry.url),
        title=entry.title,
        entry_hash=dedup.entry_hash(entry),
        now=rt.clock(),
    )


async def process_entry(
    rt: Runtime, source: Source, key: str, entry: FeedEntry, stats: CycleStats, seen: items.SeenRow | None = None
) -> items.ItemOutcome:
    """Turn one new (or changed) feed item into a stored, matched article in its story, with its deliveries queued,
    and record the item's outcome.

    An article already stored under an equivalent URL, or with the same body on the same site, is the same
    article; if its body was rewritten, the stored text is replaced and only topics it newly matches alert. A
    near-duplicate of a stored body joins that article's story: its hits are recorded, but a topic and channel
    that already alerted for the story are not alerted again. ``seen`` is the item's record from an earlier poll
    (a changed item, or a page to fetch again): its stored article is the one a re-fetch revises.
    """
    result = await _store_entry(rt, source, key, entry, stats, seen)
    stats.outcomes[result.outcome] += 1
    _record(rt, source, key, entry, result)
    return result


async def _store_entry(
    rt: Runtime, source: Source, key: str, entry: FeedEntry, stats: CycleStats, seen: items.SeenRow | None
) -> items.ItemOutcome:
    found = await article_for(rt, entry, stats, with_page=source.fetch_pages)
    article, url = bounded(found.article), found.url
    now = rt.clock()
    trail = found.trail(now, attempts=seen.attempts if seen is not None else 0)
    if not article.text and not article.title:
        stats.not_articles += 1
        log.info("not an article: %s (%s)", entry.url, found.why_no_text)
        return replace(trail, outcome="not_article", detail=f"no text and no headline: {found.why_no_text}")
    sig = dedup.signature(dedup.identity_text(article.title, article.text))
    outlet, url_key = dedup.outlet_of(url), dedup.url_key(url)
    known = seen.article_id if seen is not None and seen.article_id is not None else None
    known = known if known is not None else store.find_article(rt.db, url)
    if known is None:
        known = stories.find_same_article(rt.db, url_key, sig.fingerprint, outlet)
        if known is not None:
            log.info("same article as #%d under another URL or with the same body: %s", known, url)
    if known is not None:  # the item's row, with this article, is written by _record (process_entry)
        if revise_article(rt, source, known, article, sig, stats):
            return replace(trail, outcome="revised", article_id=known, detail=f"stored text of #{known} replaced")
        stats.articles_known += 1
        mine = seen is not None and seen.article_id == known
        return replace(
            trail,
            outcome="unchanged" if mine else "duplicate",
            article_id=known,
            detail=f"article #{known} not rewritten" if mine else f"same article as #{known}",
        )
    doc = MatchDocument(title=article.title, text=article.text, source=source.name, language=article.language)
    # Embedding an article for topics with a meaning takes ~0.1 s in C (the GIL released): off the event loop.
    matches = await asyncio.to_thread(rt.matcher.match, doc) if rt.matcher.semantic else rt.matcher.match(doc)
    if found.not_article and not matches:
        # The page is a listing, a video or an error page and the feed has only a headline, which no topic wants:
        # not kept, so the archive holds articles; a headline that matches is kept and alerts.
        stats.not_articles += 1
        log.info("not an article: %s (%s; headline matches no topic)", entry.url, found.why_no_text)
        return replace(trail, outcome="not_article", detail=f"{found.why_no_text}; the headline matches no topic")
    # No await from here on: the story lookup, the decision and the write below see the same database state (and
    # the store's UNIQUE index refuses an alert another writer queued for the story since).
    member, choice = place(rt.db, sig, url)
    plan = plan_hits(
        url,
        matches,
        rt.topic_titles,
        channels_for=_router(rt, source, article),
        story=stories.story_state(rt.db, member) if matches else None,  # most articles match nothing: no read
        updates_for=rt.settings.update_channels,
    )
    saved = stories.save_in_story(
        rt.db,
        article,
        url=url,
        link=entry.url,
        source_id=source.id,
        item_key=key,
        member=member,
        plan=plan,
        now=now,
    )
    if saved.deliveries or saved.updates:
        rt.on_queued()  # wakes the dispatcher: alerts leave within a second of being stored
    if not saved.is_new:
        stats.articles_known += 1
        return replace(
            trail, outcome="duplicate", article_id=saved.article_id, detail=f"same article as #{saved.article_id}"
        )
    if saved.joined:
        log.info(
            "article joins story %s (similarity %.2f to #%s): %s; not alerted again: %s",
            saved.story_id,
            choice.similarity,
            choice.article_id,
            url,
            saved.suppressed or "nothing to suppress",
        )
    stats.articles_new += 1
    stats.matched += 1
    stats.hits += saved.hits
    stats.hits_by_topic.update(m.topic_id for m in matches)
    stats.queued += saved.deliveries + saved.updates
    quiet = f"; kept quiet as story {saved.story_id} already alerted: {saved.suppressed}" if saved.suppressed else ""
    detail = f"stored as #{saved.article_id}; hits: {saved.hits}, deliveries: {saved.deliveries + saved.updates}{quiet}"
    return replace(trail, outcome="new", article_id=saved.article_id, detail=detail)


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
    # An article stored before stories existed has none: it joins one now.
    member, _ = place(rt.db, sig, old.url, old.story_id)
    old_keys = dedup.Signature(old.signature, 0).band_keys() if old.signature else []
    known = stories.hit_topics(rt.db, article_id)
    plan = plan_hits(
        old.url,
        [m for m in matches if m.topic_id not in known],
        rt.topic_titles,
        channels_for=_router(rt, source, article),
        story=stories.story_state(rt.db, member),
    )
    revision = stories.revise_article(
        rt.db, old, article, member=member, old_band_keys=old_keys, plan=plan, now=rt.clock()
    )
    log.info(
        "article #%d rewritten (%.0f%% of its phrases kept), stored text replaced: %s; newly matches %s%s",
        article_id,
        100 * dedup.text_similarity(old.text, article.text),
        old.url,
        list(revision.topics) or "nothing",
        f"; not alerted again: {revision.suppressed}" if revision.suppressed else "",
    )
    stats.articles_revised += 1
    stats.hits += revision.hits
    stats.hits_by_topic.update(revision.topics)
    stats.queued += revision.deliveries
    if revision.deliveries:
        rt.on_queued()
    return True


def _router(rt: Runtime, source: Source, article: Article) -> ChannelsFor:
    """Return where the routes send a hit of ``article`` from ``source``, given its topic and score."""
    return partial(rt.settings.channels_for, language=article.language, source=(source.id, source.name))


# A page that failed for one of these reasons is fetched again later (the feed's text stands in meanwhile).
_TRANSIENT = frozenset({"timeout", "connect", "dns", "tls", "transport", "empty", "deferred"})
PAGE_RETRIES = 3
PAGE_RETRY_AFTER = timedelta(minutes=10)


def _transient(error: FetchError | ExtractError | None) -> bool:
    if not isinstance(error, FetchError):
        return False
    if error.reason == "http":
        return error.status is None or error.status == 429 or error.status >= 500
    return error.reason in _TRANSIENT


@dataclass(frozen=True)
class FoundArticle:
    """The article behind a feed entry, its canonical URL, and how it was had (for the item's recorded outcome)."""

    article: Article
    url: str
    text_from: str  # page, feed content, feed summary, headline
    page: FetchResult | None = None
    page_error: FetchError | ExtractError | None = None
    skip_reason: str | None = None  # the extractor's reason for finding no body on the page
    not_article: bool = False  # the page is no article and the feed item has no text: only its headline is left

    @property
    def why_no_text(self) -> str:
        if self.skip_reason:
            return self.skip_reason
        return f"page failed: {self.page_error}" if self.page_error else "the feed item has no text"

    def trail(self, now: datetime, *, attempts: int) -> items.ItemOutcome:
        """Return the item's outcome record so far: what was fetched and extracted, and when to fetch again."""
        retry = _transient(self.page_error) and attempts < PAGE_RETRIES
        page = self.page
        return items.ItemOutcome(
            outcome="new",
            text_from=self.text_from,
            text_chars=len(self.article.text),
            page_url=page.url if page is not None else None,
            page_status=page.status if page is not None else getattr(self.page_error, "status", None),
            page_bytes=len(page.body) if page is not None else None,
            page_error=str(self.page_error) if self.page_error is not None else None,
            skip_reason=self.skip_reason,
            retry_at=now + PAGE_RETRY_AFTER * 3**attempts if retry else None,
        )


async def article_for(rt: Runtime, entry: FeedEntry, stats: CycleStats, *, with_page: bool = True) -> FoundArticle:
    """Return the article behind a feed entry: the page's metadata with the longest text of the page body, the
    feed's content and the feed's summary; the headline alone when none has any (a short item is still news).

    Without ``with_page`` (a source whose items are their own text: Telegram posts, Google News headlines) the
    page is never requested."""
    from_feed = _article_from_feed(entry)
    if not rt.settings.fetch.fetch_articles or not with_page:
        return _with_best_text(from_feed, entry, None, canonical_url(entry.url, None), stats)
    stats.pages += 1
    try:
        page = await fetch_page(
            rt.client,
            entry.url,
            max_bytes=rt.settings.fetch.max_bytes,
            allow_private=rt.settings.fetch.allow_private_networks,
            limiter=rt.limiter,
        )
        article = extract(page.body, url=page.url, brief_ok=True)
    except (FetchError, ExtractError) as exc:
        stats.page_failures += 1
        log.warning("article page failed, using the feed's text: %s", exc)
        found = _with_best_text(from_feed, entry, None, canonical_url(entry.url, None), stats)
        return replace(found, page_error=exc)
    url = canonical_url(page.url, article.canonical_url)
    found = _with_best_text(_merge(article, entry), entry, article.text, url, stats)
    return replace(
        found,
        page=page,
        skip_reason=article.skip_reason,
        not_article=article.skip_reason is not None and found.text_from == "headline",
    )


def _with_best_text(
    article: Article, entry: FeedEntry, page_text: str | None, url: str, stats: CycleStats
) -> FoundArticle:
    """Give ``article`` the longest of the page's text and the feed's content and summary (the page wins ties)."""
    candidates = [("page", page_text or "")] if page_text is not None else []
    if entry.content:
        candidates.append(("feed content", html_to_text(entry.content)))
    if entry.summary:
        candidates.append(("feed summary", html_to_text(entry.summary)))
    origin, text = max(candidates, key=lambda c: len(c[1]), default=("headline", ""))
    if not text:
        origin = "headline"
        stats.headline_only += 1
    elif origin != "page":
        stats.feed_text_used += 1
    language = article.language or detect_language(text or article.title)
    return FoundArticle(replace(article, text=text, language=language), url, origin)


def _article_from_feed(entry: FeedEntry) -> Article:
    return Article(
        title=entry.title,
        text="",
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
