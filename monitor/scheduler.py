"""APScheduler wiring only: one job per source, rescheduled after every poll.

Each source's job has an interval trigger at its configured interval as a safety net; after each poll the job is
moved to the time the pipeline stored for that source (adaptive interval, backoff, Retry-After, Cache-Control,
feed ttl), so a failing or rate-limited feed waits without holding any other feed of its host.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from contextlib import suppress
from datetime import datetime, timedelta

from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from monitor.config import Source

log = logging.getLogger("monitor.scheduler")

# First polls (at start and after a reload) are spread so a large config does not fire every source at once: over
# at least this many seconds, and at most this many first polls a second (10,000 sources: over 200 s), never
# beyond a source's own interval.
START_SPREAD_SECONDS = 5.0
START_POLLS_PER_SECOND = 50.0

# After a poll: when to poll the source next, or None to stop polling it (disabled, e.g. 410 Gone).
NextRun = Callable[[Source], datetime | None]


def build_scheduler(
    sources: Sequence[Source],
    *,
    poll: Callable[[Source], Awaitable[None]],
    now: datetime,
    next_run: NextRun | None = None,
    planned: Mapping[str, datetime] | None = None,
    disabled: Collection[str] = (),
) -> AsyncIOScheduler:
    """Return a scheduler (not started) polling each source, then moving its job to ``next_run(source)``.

    ``planned`` holds next poll times remembered from a previous run (a source in backoff stays in backoff
    across a restart); ``disabled`` sources get no job.
    """
    scheduler = AsyncIOScheduler(timezone="UTC")

    async def poll_and_reschedule(source: Source) -> None:
        try:
            await poll(source)
        finally:
            if next_run is not None:
                reschedule(scheduler, source, next_run(source))

    spread = max(START_SPREAD_SECONDS, len(sources) / START_POLLS_PER_SECOND)
    for source in sources:
        if source.id in disabled:
            log.info("not scheduled (disabled): %s", source.name)
            continue
        first = now + timedelta(seconds=random.uniform(0, min(spread, source.interval)))
        remembered = (planned or {}).get(source.id)
        if remembered is not None and remembered > first:
            first = remembered
        scheduler.add_job(
            poll_and_reschedule,
            "interval",
            args=[source],
            id=source.id,
            name=source.name,
            seconds=source.interval,
            next_run_time=first,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=max(1, int(source.interval)),
            jitter=min(30.0, source.interval / 10),
        )
    return scheduler


def reschedule(scheduler: AsyncIOScheduler, source: Source, when: datetime | None) -> None:
    """Move a source's job to ``when``, or remove it when ``when`` is None; a job already gone is ignored."""
    with suppress(JobLookupError):
        if when is None:
            scheduler.remove_job(source.id)
            log.info("polling stopped: %s", source.name)
        else:
            scheduler.modify_job(source.id, next_run_time=when)
