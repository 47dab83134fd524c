"""Processing one feed entry: its article (page or feed text), matches, story, stored hits and deliveries."""

from __future__ import annotations

import logging
import sqlite3
from dataclasses import replace

from monitor import dedup, store
from monitor.config import Source
from monitor.errors import ExtractError, FetchError
from monitor.extract import extract
from monitor.fetch import fetch_page
from monitor.models import Article, FeedEntry, MatchDocument
from monitor.pipeline.stories import place
from monitor.runtime import CycleStats, Runtime
from monitor.store import items, stories
from monitor.textutil import html_to_text, one_line

log = logging.getLogger("monitor.pipeline")

# A feed's own full text is used instead of the page when the page cannot be had and the feed carries this much.
MIN_FEED_TEXT = 200
# Titles and bylines end up in email subjects, chat messages and logs: bounded and on one line.
MAX_TITLE_CHARS = 1000
MAX_AUTHORS = 20
MAX_AUTHOR_CHARS = 200


def bounded(article: Article) -> Article:
    """Return the article with its title and authors on one line, without bidi overrides, and size-capped."""
    authors = (one_line(a, MAX_AUTHOR_CHARS) for a in article.authors[:MAX_AUTHORS])
    return replace(article, title=one_line(article.title, MAX_TITLE_CHARS), authors=tuple(a for a in authors if a))


async def process_safely(rt: Runtime, source: Source, key: str, entry: FeedEntry, stats: CycleStats) -> bool:
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
    outlet, url_key, sig = dedup.site_of(url), dedup.url_key(url), dedup.signature(article.text)
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
    member, choice = place(rt.db, sig, url)
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
    # An article stored before stories existed has none: it joins one now.
    member, _ = place(rt.db, sig, old.url, old.story_id)
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


