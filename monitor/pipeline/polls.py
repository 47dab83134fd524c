"""Polling sources: read each, process its selected entries, and record its health and next poll time."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from monitor import store
from monitor.config import FetchSettings, Source
from monitor.errors import FetchError, ParseError
from monitor.fetch import Validators
from monitor.fetch.policy import (
    JITTER_FRACTION,
    Intervals,
    next_poll_after_failure,
    plan_interval,
    poll_interval,
    publishing_gap,
    with_jitter,
)
from monitor.models import FeedEntry
from monitor.pipeline.entries import process_safely
from monitor.pipeline.items import newest_first, select_entries
from monitor.pipeline.sources import SourceRead, larger, read_source
from monitor.runtime import CycleStats, Runtime
from monitor.store import SourceState, items, leases
from monitor.textutil import plural

log = logging.getLogger("monitor.pipeline")

# New entries processed per poll, newest first: a feed of 100,000 items must not hold the event loop for minutes
# (nor send us to 100,000 pages); the rest are processed by the following polls.
MAX_NEW_ENTRIES = 500


async def poll_all(rt: Runtime, stats: CycleStats) -> None:
    """Poll every configured source once, concurrently (delivery is monitor.dispatch's job)."""
    await asyncio.gather(*(poll_source(rt, source, stats) for source in rt.settings.sources))


async def poll_source(rt: Runtime, source: Source, stats: CycleStats, *, fresh: float | None = None) -> None:
    """Fetch and parse one source, process its new entries, and record the source's health and next poll.

    No slot is held here: the global limit counts requests in flight (``HostLimiter``), so a source whose pages
    wait for their host's delay idles no other source. On a database shared by several daemons the poll first
    takes the source's lease; ``fresh`` (seconds) skips a source another daemon polled that recently.
    """
    state = store.source_state(rt.db, source.id)
    if state.disabled:
        log.info("source disabled, not polled: %s: %s", source.name, state.disabled_reason)
        return
    if rt.shared:
        # Another daemon of the database may hold it, or have polled it a moment ago (its job fired first).
        if not leases.claim_source(rt.db, source.id, rt.node, rt.clock(), rt.settings.lease, fresh=fresh):
            log.debug("source taken by another daemon: %s", source.name)
            return
        try:
            await _poll_claimed(rt, source, state, stats)
        finally:
            leases.release_lease(rt.db, leases.source_lease(source.id), rt.node)
        return
    await _poll_claimed(rt, source, state, stats)


async def _poll_claimed(rt: Runtime, source: Source, state: SourceState, stats: CycleStats) -> None:
    stats.sources += 1
    validators = Validators(etag=state.etag, last_modified=state.last_modified, body_hash=state.body_hash)
    retry_due = items.retry_due(rt.db, source.id, rt.clock())
    if retry_due:
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
    if retry_due:
        items.drop_retries(rt.db, source.id, rt.clock(), present=entries)
    stats.entries += len(entries)
    stats.new_entries += len(unseen)
    fresh = newest_first(unseen, entries)[:MAX_NEW_ENTRIES]
    if len(fresh) < len(unseen):
        log.warning(
            "source has %d new entries: processing the newest %d now, the rest on the next polls: %s",
            len(unseen),
            len(fresh),
            source.name,
        )
    done = await asyncio.gather(
        *(process_safely(rt, source, key, entries[key], stats, seen.get(key)) for key in [*fresh, *changed])
    )
    # Validators are stored only now, and only if every new entry was processed: otherwise the next poll must
    # fetch the whole feed again rather than get a 304 and never retry the entries that failed (or were left).
    kept = read.validators if all(done) and len(fresh) == len(unseen) else validators
    _record_success(rt, source, state, read, kept, entries=len(entries), fresh=[entries[k] for k in fresh])
    stats.sources_ok += 1


def _bounds(rt: Runtime, source: Source) -> Intervals:
    return source_bounds(rt.settings.fetch, source)


def source_bounds(fetch: FetchSettings, source: Source) -> Intervals:
    """Return the interval bounds of a source: its own interval is a ceiling and may lower min_interval."""
    return Intervals(
        interval=source.interval,
        min_interval=min(fetch.min_interval, source.interval),
        max_interval=max(fetch.max_interval, source.interval),
        max_backoff=fetch.max_backoff,
        adaptive=fetch.adaptive_intervals,
        ceiling=source.interval if source.interval_explicit else None,
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
        rt.db,
        source.id,
        error=error,
        status=status,
        now=now,
        next_poll_at=next_at,
        backoff_seconds=backoff,
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
        rt.db,
        source.id,
        state=state,
        status=read.status,
        entries=entries,
        now=now,
        next_poll_at=now + timedelta(seconds=with_jitter(interval)),
        new_items_at=new_items_at,
    )


def next_poll_time(rt: Runtime, source: Source) -> datetime | None:
    """Return when to poll a source next, as its last poll decided; None when it is disabled.

    While another daemon holds the source's lease (its poll is running), not before that lease ends: the time
    stored is still the one that poll started from, and a job moved there would fire again at once.
    """
    state = store.source_state(rt.db, source.id)
    if state.disabled:
        return None
    planned = state.next_poll_at or rt.clock() + timedelta(seconds=source.interval)
    if rt.shared:
        holder = leases.lease_holder(rt.db, leases.source_lease(source.id), rt.clock())
        if holder is not None and holder[0] != rt.node:
            return max(planned, holder[1])
    return planned


@dataclass(frozen=True, slots=True)
class PollPlan:
    """When a source is polled next under the current config, and why."""

    at: datetime | None  # None: at the next start (never polled) or never (disabled)
    reason: str


def plan_next_poll(fetch: FetchSettings, source: Source, state: SourceState) -> PollPlan:
    """Return the next poll of a source re-planned under the current config, and why it is then.

    The stored time was planned under the config of the last poll: when the config now asks for a shorter
    interval the source is due earlier (never later: the stored time came with jitter and a server's hints).
    Backoff and Retry-After of a failing source are kept.
    """
    if state.disabled:
        return PollPlan(None, f"disabled: {state.disabled_reason}")
    if state.next_poll_at is None:
        return PollPlan(None, "not polled yet: polled within seconds of the start")
    failures = state.consecutive_failures
    if failures:
        why = f"backing off after {plural(failures, 'failed poll')}"
        if state.retry_after_until is not None and state.retry_after_until >= state.next_poll_at:
            why += " (the server asked to wait: Retry-After)"
        return PollPlan(state.next_poll_at, why)
    interval, why = plan_interval(
        source_bounds(fetch, source), average_gap=state.average_gap_seconds, feed_minimum=state.min_interval_seconds
    )
    last = state.last_polled_at
    if last is None:
        return PollPlan(state.next_poll_at, why)
    latest = last + timedelta(seconds=interval * (1 + JITTER_FRACTION))
    return PollPlan(min(state.next_poll_at, latest), why)


def planned_polls(rt: Runtime) -> tuple[dict[str, datetime], set[str]]:
    """Return the next poll time of each source, re-planned under the current config, and the disabled ids.

    Used at start and on reload: a stored schedule made under an older config (a longer interval, adaptive
    polling since turned off) must not hold a source back.
    """
    planned: dict[str, datetime] = {}
    disabled: set[str] = set()
    for source in rt.settings.sources:
        state = store.source_state(rt.db, source.id)
        if state.disabled:
            disabled.add(source.id)
            continue
        plan = plan_next_poll(rt.settings.fetch, source, state)
        if plan.at is not None:
            planned[source.id] = plan.at
    return planned, disabled
