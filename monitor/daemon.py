"""Process lifecycle: open the database and client, poll once or run the scheduler, shut down in order."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress

from monitor import store
from monitor.config import Settings, Source
from monitor.fetch import HostLimiter, build_client
from monitor.match import Matcher
from monitor.pipeline import CycleStats, Runtime, deliver_due, poll_all, poll_source, utc_now
from monitor.scheduler import build_scheduler

log = logging.getLogger("monitor.daemon")

# In-flight polls get this long to finish after SIGTERM; systemd's default stop timeout is 90 s, ours 10 s.
SHUTDOWN_GRACE_SECONDS = 8.0
DELIVERY_RETRY_SECONDS = 30.0


@asynccontextmanager
async def open_runtime(settings: Settings) -> AsyncIterator[Runtime]:
    """Yield a Runtime with the database open and migrated, topics compiled and one shared HTTP client."""
    matcher = Matcher(settings.topics)
    db = store.open_database(settings.database)
    client = build_client(
        user_agent=settings.user_agent, timeout=settings.fetch.timeout, concurrency=settings.fetch.concurrency
    )
    try:
        rt = Runtime(
            settings=settings,
            db=db,
            client=client,
            limiter=HostLimiter(settings.fetch.per_host),
            matcher=matcher,
            poll_slots=asyncio.Semaphore(settings.fetch.concurrency),
            topic_titles={t.id: t.title for t in settings.topics},
        )
        store.sync_sources(db, settings.sources, rt.clock())
        yield rt
    finally:
        await client.aclose()
        db.close()


async def run_once(settings: Settings) -> CycleStats:
    """Poll every source once, deliver, and return what happened."""
    async with open_runtime(settings) as rt:
        stats = CycleStats()
        await poll_all(rt, stats)
        return stats


async def run_daemon(settings: Settings, stop: asyncio.Event | None = None) -> None:
    """Run the scheduler until SIGTERM/SIGINT (or ``stop`` is set), then drain in-flight work and return."""
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        with suppress(NotImplementedError, RuntimeError):  # not on the main thread (tests) or not on Unix
            loop.add_signal_handler(signum, stop.set)
    async with open_runtime(settings) as rt:
        in_flight: set[asyncio.Task[None]] = set()

        async def poll(source: Source) -> None:
            task = asyncio.current_task()
            assert task is not None
            in_flight.add(task)  # type: ignore[arg-type]
            try:
                stats = CycleStats()
                await poll_source(rt, source, stats)
                if stats.queued:
                    await deliver_due(rt, stats)
                if stats.sources_ok:
                    log.info(
                        "polled %s: %d new entries, %d new articles, %d hits, %d sent",
                        source.name, stats.new_entries, stats.articles_new, stats.hits, stats.sent,
                    )
            finally:
                in_flight.discard(task)  # type: ignore[arg-type]

        async def retry_deliveries() -> None:
            await deliver_due(rt, CycleStats())

        scheduler = build_scheduler(
            settings.sources,
            poll=poll,
            retry_deliveries=retry_deliveries,
            retry_interval=DELIVERY_RETRY_SECONDS,
            now=utc_now(),
        )
        scheduler.start()
        log.info(
            "monitor running: %d sources, %d topics, %d channels, database %s",
            len(settings.sources), len(settings.topics), len(settings.channels), settings.database,
        )
        await stop.wait()
        log.info("stopping: waiting up to %.0f s for %d polls in flight", SHUTDOWN_GRACE_SECONDS, len(in_flight))
        scheduler.shutdown(wait=False)
        await _drain(in_flight)
    log.info("monitor stopped")


async def _drain(tasks: set[asyncio.Task[None]]) -> None:
    if not tasks:
        return
    _, late = await asyncio.wait(set(tasks), timeout=SHUTDOWN_GRACE_SECONDS)
    for task in late:
        task.cancel()
    if late:
        await asyncio.wait(late, timeout=1.0)
        log.warning("cancelled %d polls that did not finish in time; they will be redone next start", len(late))
