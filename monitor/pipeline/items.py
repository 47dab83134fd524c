"""Which items of a parsed feed to process: the new ones, and known ones whose feed text changed."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from monitor import dedup
from monitor.config import Source
from monitor.models import FeedEntry
from monitor.runtime import Runtime
from monitor.store import items

log = logging.getLogger("monitor.pipeline")

# An item whose title or text changed in the feed is re-fetched at most this often, and at most this many per poll:
# a feed whose items change on every poll (a comment count, a relative date) must not cost a page per item per poll.
RECHECK_AFTER = timedelta(minutes=15)
MAX_RECHECKS = 20


def entry_key(entry: FeedEntry, identity: str | None = None) -> str:
    """Return the identity of a feed item within its source: its guid, else its link.

    A source caught reusing or minting guids (``select_entries``) has its items known by URL, or by URL and title
    when its links are reused too (``identity`` "url" or "content", remembered per source).
    """
    return dedup.item_key(entry, identity or "guid")


def select_entries(
    rt: Runtime, source: Source, feed_entries: Sequence[FeedEntry]
) -> tuple[dict[str, FeedEntry], set[str], list[str], dict[str, items.SeenRow]]:
    """Return a feed's entries by item key, the keys never processed (or whose processing failed), processed items
    to look at again, and the records of the processed ones.

    First judges whether the feed lies about item identity (a guid reused for another item, new guids for items
    already seen) and, if so, switches the source to URL or content identity for good, with a log line. An item
    is looked at again when what the feed says about it changed (its title or text), at most every
    ``RECHECK_AFTER``: a developing story is re-fetched, and its stored text replaced if it was rewritten. An item
    whose page failed for a passing reason (its feed text stood in) is looked at again when its retry is due.
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
            source.name,
            verdict.reason,
            verdict.identity,
            identity,
        )
        items.set_item_identity(rt.db, source.id, verdict.identity, verdict.reason)
        identity = verdict.identity
        entries, seen = _keyed(rt, source, feed_entries, identity)
    now, unseen, changed = rt.clock(), set(), []
    records: dict[str, items.SeenRow] = {}
    for key, entry in entries.items():
        row = seen.get(key)
        if row is None and identity == "url":  # seen before the switch, under its guid
            row = seen_links.get(dedup.url_key(entry.url))
        if row is not None:
            records[key] = row
        if row is None or (row.outcome == "failed" and row.article_id is None):
            unseen.add(key)
            continue
        retry_due = row.retry_at is not None and row.retry_at <= now
        edited = row.entry_hash not in (None, dedup.entry_hash(entry)) and (
            row.checked_at is None or now - row.checked_at >= RECHECK_AFTER
        )
        if retry_due or edited:
            changed.append(key)
    return entries, unseen, changed[:MAX_RECHECKS], records


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
