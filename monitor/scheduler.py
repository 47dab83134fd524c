"""APScheduler wiring only: one interval job per source and one for delivery retries."""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from monitor.config import Source

# First polls are spread over this many seconds so a large config does not fire every source at once.
START_SPREAD_SECONDS = 5.0


def build_scheduler(
    sources: Sequence[Source],
    *,
    poll: Callable[[Source], Awaitable[None]],
    retry_deliveries: Callable[[], Awaitable[None]],
    retry_interval: float,
    now: datetime,
) -> AsyncIOScheduler:
    """Return a scheduler (not started) polling each source at its interval and retrying deliveries."""
    scheduler = AsyncIOScheduler(timezone="UTC")
    for source in sources:
        first = now + timedelta(seconds=random.uniform(0, min(START_SPREAD_SECONDS, source.interval)))
        scheduler.add_job(
            poll,
            "interval",
            args=[source],
            id=source.id,
            name=source.name,
            seconds=source.interval,
            next_run_time=first,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=int(source.interval),
            jitter=min(30.0, source.interval / 10),
        )
    scheduler.add_job(
        retry_deliveries,
        "interval",
        id="deliveries",
        name="delivery retries",
        seconds=retry_interval,
        coalesce=True,
        max_instances=1,
    )
    return scheduler
