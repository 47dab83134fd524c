"""Process lifecycle: open the database and client, poll once or run the daemon, shut down in order.

The daemon holds a lock next to the database (one daemon per database), turns signals into its stop and reload
events, and composes its parts (monitor.service: polls, periodic jobs, the dispatcher task, status) around one
immutable Runtime that a SIGHUP reload replaces whole.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from dataclasses import replace
from datetime import datetime

from monitor import ops, store, systemd
from monitor.config import Settings
from monitor.dispatch import Dispatcher, check_health, check_spikes, deliver_due
from monitor.errors import ConfigError
from monitor.extract import warm_up
from monitor.fetch import HostLimiter, RobotsCache, build_client
from monitor.marks import topic_marks_for
from monitor.match import Matcher
from monitor.match.semantic import semantic_status
from monitor.pipeline import SourceProbe, poll_all, probe_source
from monitor.pipeline.coverage import Coverage, gdelt_coverage
from monitor.runtime import CycleStats, Runtime
from monitor.service.dispatching import DispatcherTask
from monitor.service.jobs import Jobs, heartbeat_interval
from monitor.service.polls import SHUTDOWN_GRACE_SECONDS, Polls
from monitor.service.reload import reloaded_runtime, source_changes
from monitor.service.status import Status
from monitor.store import Db
from monitor.textutil import plural

log = logging.getLogger("monitor.daemon")


@asynccontextmanager
async def open_runtime(settings: Settings, *, scratch: bool = False, db: Db | None = None) -> AsyncIterator[Runtime]:
    """Yield a Runtime with the database open and migrated, topics compiled and one shared HTTP client.

    ``scratch``: an empty in-memory database instead of the configured one (``monitor check --probe``).
    ``db``: this open database instead (tests hand in one that fails on purpose); closed with the runtime.
    """
    warm_up()
    if db is None:
        db = store.open_database(None if scratch else settings.database)
    # Loads the model of the extra 'semantic' now, not in the first poll; hits analysts marked become examples.
    matcher = Matcher(settings.topics, marks=topic_marks_for(settings.topics, db))
    meaning = semantic_status(settings.topics)
    if meaning:
        log.info("%s", meaning)
    client = build_client(
        user_agent=settings.user_agent, timeout=settings.fetch.timeout, concurrency=settings.fetch.concurrency
    )
    try:
        rt = Runtime(
            settings=settings,
            db=db,
            client=client,
            limiter=HostLimiter(
                settings.fetch.per_host,
                min_delay=settings.fetch.min_delay,
                robots=RobotsCache() if settings.fetch.robots_txt else None,
                concurrency=settings.fetch.concurrency,
            ),
            matcher=matcher,
            topic_titles={t.id: t.title for t in settings.topics},
        )
        store.sync_sources(db, settings.sources, rt.clock())
        store.adopt_route_keys(db, [route.key for route in settings.routes])  # once, for rows from before keys
        yield rt
    finally:
        await client.aclose()
        db.close()


async def run_once(settings: Settings, *, db: Db | None = None) -> CycleStats:
    """Poll every source once, deliver, and return what happened (``db``: as for ``open_runtime``).

    Takes the daemon's lock (StoreError naming its pid when a daemon runs): alongside one, ``retry_all`` would
    send again the deliveries the daemon has in flight.
    """
    with ops.InstanceLock(settings.database_file):
        async with open_runtime(settings, db=db) as rt:
            stats = CycleStats()
            await poll_all(rt, stats)
            check_spikes(rt, stats.hits_by_topic)
            check_health(rt)
            await deliver_due(rt, stats, retry_all=True)
            return stats


async def probe_sources(settings: Settings) -> list[SourceProbe]:
    """Fetch and parse every source once, storing nothing, and say what each URL turned out to be."""
    async with open_runtime(settings, scratch=True) as rt:
        return list(await asyncio.gather(*(probe_source(rt, source) for source in settings.sources)))


async def gdelt_coverage_report(settings: Settings, topic_id: str, url: str, since: datetime) -> Coverage:
    """Compare what GDELT lists at ``url`` with what our sources delivered for a topic since ``since``."""
    async with open_runtime(settings) as rt:
        return await gdelt_coverage(rt, topic_id, url, since)


async def run_daemon(settings: Settings, stop: asyncio.Event | None = None) -> None:
    """Run the scheduler until SIGTERM/SIGINT (or ``stop`` is set), then drain in-flight work and return.

    SIGHUP re-reads the config. Raises StoreError when another daemon holds the database.
    """
    stop = stop or asyncio.Event()
    reload = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum, event in ((signal.SIGTERM, stop), (signal.SIGINT, stop), (signal.SIGHUP, reload)):
        with suppress(NotImplementedError, RuntimeError):  # not on the main thread (tests) or not on Unix
            loop.add_signal_handler(signum, event.set)
    lock = ops.InstanceLock(settings.database_file)
    lock.acquire()
    try:
        systemd.notify("STATUS=opening database")
        async with open_runtime(settings) as rt:
            await Service(rt).run(stop, reload)
    finally:
        lock.release()
    log.info("monitor stopped")


class Service:
    """The running daemon: its parts by concern (monitor.service) around the Runtime in force, started and stopped
    in order, and the one place where a reload swaps that Runtime."""

    def __init__(self, rt: Runtime) -> None:
        self.dispatcher = Dispatcher(rt, on_outcome=self._count_delivery)
        # The outbox is sent by the dispatcher, woken as soon as a poll stores hits (monitor.dispatch).
        self.rt = replace(rt, on_queued=self.dispatcher.wake)
        self.dispatcher.rt = self.rt
        self.status = Status(
            self.current,
            polls_in_flight=lambda: len(self.polls.in_flight),
            scheduler_running=lambda: self.polls.running,
            tick_interval=heartbeat_interval(rt.settings.lease if rt.shared else None),
        )
        self.metrics = self.status.metrics
        self.polls = Polls(self.current, self.metrics, self.dispatcher.wake)
        self.jobs = Jobs(
            self.current, self.status.health, self.metrics, wake=self.dispatcher.wake, status=self.status.line
        )
        self.dispatching = DispatcherTask(self.dispatcher)

    def current(self) -> Runtime:
        """Return the Runtime in force; each poll and job reads it once, when it starts."""
        return self.rt

    async def run(self, stop: asyncio.Event, reload: asyncio.Event) -> None:
        settings = self.rt.settings
        await self.status.serve()
        self.polls.start()
        self.dispatching.start()
        self.jobs.start()
        self.status.health.status = "running"
        systemd.notify("READY=1", f"STATUS={self.status.line()}")
        log.info(
            "monitor running: %s, %s, %s, database %s",
            plural(len(settings.sources), "source"),
            plural(len(settings.topics), "topic"),
            plural(len(settings.channels), "channel"),
            self.rt.db.name,
        )
        try:
            while not stop.is_set():
                await _first(stop, reload)
                if reload.is_set() and not stop.is_set():
                    reload.clear()
                    await self.reload()
        finally:
            self.status.health.status = "stopping"
            in_flight = plural(len(self.polls.in_flight), "poll")
            systemd.notify("STOPPING=1", f"STATUS=stopping: waiting for {in_flight} in flight")
            log.info("stopping: waiting up to %.0f s for %s in flight", SHUTDOWN_GRACE_SECONDS, in_flight)
            self.jobs.stop()
            await self.polls.stop()
            await self.dispatching.stop(SHUTDOWN_GRACE_SECONDS)
            await self.status.close()

    async def reload(self) -> bool:
        """Re-read the config; swap in a new Runtime built from it, or refuse it with a logged error and keep the
        running one. Polls in flight finish with the Runtime they started with."""
        old = self.rt
        systemd.notify(
            "RELOADING=1",
            f"MONOTONIC_USEC={time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000}",
            "STATUS=reloading configuration",
        )
        try:
            new = reloaded_runtime(old)
        except ConfigError as exc:
            self.metrics.reloads.labels("refused").inc()
            log.error(
                "config reload refused, the running config is kept: %s",
                "; ".join(exc.problems),
                extra={"config": str(old.settings.path)},
            )
            systemd.notify("READY=1", f"STATUS={self.status.line()}")
            return False
        store.sync_sources(new.db, new.settings.sources, new.clock())
        changes = source_changes(old.settings, new.settings)
        self._swap(new)
        self.polls.restart(changes.unchanged, changes.fresh)
        for handler in logging.getLogger().handlers:
            ops.update_secrets(handler, ops.config_secrets(new.settings))
        self.dispatcher.wake()  # new channels get a worker; removed ones fail their deliveries
        self.metrics.reloads.labels("ok").inc()
        log.info(
            "config reloaded: %d sources (%d added, %d removed, %d changed), %d topics, %d channels",
            len(new.settings.sources),
            len(changes.added),
            len(changes.removed),
            len(changes.changed),
            len(new.settings.topics),
            len(new.settings.channels),
            extra={"config": str(new.settings.path)},
        )
        systemd.notify("READY=1", f"STATUS={self.status.line()}")
        return True

    def _swap(self, rt: Runtime) -> None:
        """Put ``rt`` in force: polls and jobs take it at their next start, the dispatcher at its next pass (it
        holds the Runtime it was built with)."""
        self.rt = rt
        self.dispatcher.rt = rt

    def _count_delivery(self, channel: str, outcome: str) -> None:
        self.metrics.deliveries.labels(channel, outcome).inc()


async def _first(*events: asyncio.Event) -> None:
    """Return when any of ``events`` is set."""
    waiters = [asyncio.create_task(e.wait()) for e in events]
    try:
        await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
