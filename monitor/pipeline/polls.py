"""Polling sources: read each, process its selected entries, and record its health and next poll time."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta

from monitor import store
from monitor.config import Source
from monitor.errors import FetchError, ParseError
from monitor.fetch import Validators
from monitor.fetch.policy import Intervals, next_poll_after_failure, poll_interval, publishing_gap, with_jitter
from monitor.models import FeedEntry
from monitor.pipeline.entries import process_safely
from monitor.pipeline.items import newest_first, select_entries
from monitor.pipeline.sources import SourceRead, larger, read_source
from monitor.runtime import CycleStats, Runtime
from monitor.store import SourceState, items

log = logging.getLogger("monitor.pipeline")

# New entries processed per poll, newest first: a feed of 100,000 items must not hold the event loop for minutes
# (nor send us to 100,000 pages); the rest are processed by the following polls.
MAX_NEW_ENTRIES = 500


async def poll_all(rt: Runtime, stats: CycleStats) -> None:
    """Poll every configured source once, concurrently (delivery is monitor.dispatch's job)."""
    await asyncio.gather(*(poll_source(rt, source, stats) for source in rt.settings.sources))


async def poll_source(rt: Runtime, source: Source, stats: CycleStats) -> None:
    """Fetch and parse one source, process its new entries, and record the source's health and next poll.

    No slot is held here: the global limit counts requests in flight (``HostLimiter``), so a source whose pages
    wait for their host's delay idles no other source.
    """
    state = store.source_state(rt.db, source.id)
    if state.disabled:
        log.info("source disabled, not polled: %s: %s", source.name, state.disabled_reason)
        return
    stats.sources += 1
    validators = Validators(etag=state.etag, last_modified=state.last_modified, body_hash=state.body_hash)
    if items.retry_due(rt.db, source.id, rt.clock()):
        validators = Validators()  # an item's page is due again: read the whole feed, not a 304
    try:
        read = await read_source(rt, source, state, validators)
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
    entries, unseen, changed, seen = select_entries(rt, source, read.feed.entries)
    stats.entries += len(entries)
    stats.new_entries += len(unseen)
    fresh = newest_first(unseen, entries)[:MAX_NEW_ENTRIES]
    if len(fresh) < len(unseen):
        log.warning("source has %d new entries: processing the newest %d now, the rest on the next polls: %s",
                    len(unseen), len(fresh), source.name)
    done = await asyncio.gather(
        *(process_safely(rt, source, key, entries[key], stats, seen.get(key)) for key in [*fresh, *changed])
    )
    # Validators are stored only now, and only if every new entry was processed: otherwise the next poll must
    # fetch the whole feed again rather than get a 304 and never retry the entries that failed (or were left).
    kept = read.validators if all(done) and len(fresh) == len(unseen) else validators
    _record_success(rt, source, state, read, kept, entries=len(entries), fresh=[entries[k] for k in fresh])
    stats.sources_ok += 1


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
    minimum = read.min_interval if read.feed is not None else larger(read.min_interval, old.min_interval_seconds)
    interval = poll_interval(_bounds(rt, source), average_gap=gap, feed_minimum=minimum)
    # When new items were first seen, not their publication dates: a first poll of a feed whose newest item is a
    # week old must not make the source "silent" at once (and feeds misdate items).
    new_items_at = now if fresh else None
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
