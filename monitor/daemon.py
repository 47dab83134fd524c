"""Process lifecycle: open the database and client, poll once or run the scheduler, shut down in order.

The daemon holds a lock next to the database (one daemon per database), tells systemd when it is ready, sends
watchdog pings from the event loop while the database accepts writes, re-reads its config on SIGHUP, prunes
old rows daily and, when enabled, serves /healthz and /metrics.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import time
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager, suppress
from datetime import datetime, timedelta
from typing import Any

from apscheduler.events import EVENT_JOB_MAX_INSTANCES, EVENT_JOB_SUBMITTED, JobEvent, JobSubmissionEvent
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from monitor import ops, store, systemd
from monitor.config import Settings, Source
from monitor.daemon_reload import reload_config
from monitor.dispatch import Dispatcher, check_health, check_spikes, deliver_due
from monitor.errors import ConfigError
from monitor.extract import warm_up
from monitor.fetch import HostLimiter, RobotsCache, build_client
from monitor.match import Matcher
from monitor.match.semantic import semantic_status
from monitor.pipeline import SourceProbe, next_poll_time, planned_polls, poll_all, poll_source, probe_source
from monitor.pipeline.coverage import Coverage, gdelt_coverage
from monitor.runtime import CycleStats, Runtime, utc_now
from monitor.scheduler import build_scheduler
from monitor.store import Db
from monitor.textutil import plural

log = logging.getLogger("monitor.daemon")

# In-flight polls get this long to finish after SIGTERM; systemd's default stop timeout is 90 s, ours 15 s.
SHUTDOWN_GRACE_SECONDS = 8.0
DELIVERY_RETRY_SECONDS = 30.0
# The event loop's heartbeat (database probe, health, status); with a watchdog, at least twice per WatchdogSec.
HEARTBEAT_SECONDS = 15.0
RETENTION_EVERY = timedelta(days=1)
RETENTION_FIRST_AFTER = timedelta(minutes=5)  # not at startup: let the first polls have the database
DISPATCHER_RESTART_SECONDS = 5.0  # after the dispatcher died of a bug: not at once, it would die again at once
_OWN_JOBS = ("deliveries", "retention")


@asynccontextmanager
async def open_runtime(settings: Settings, *, scratch: bool = False, db: Db | None = None) -> AsyncIterator[Runtime]:
    """Yield a Runtime with the database open and migrated, topics compiled and one shared HTTP client.

    ``scratch``: an empty in-memory database instead of the configured one (``monitor check --probe``).
    ``db``: this open database instead (tests hand in one that fails on purpose); closed with the runtime.
    """
    matcher = Matcher(settings.topics)  # loads the model of the extra 'semantic' now, not in the first poll
    meaning = semantic_status(settings.topics)
    if meaning:
        log.info("%s", meaning)
    warm_up()
    if db is None:
        db = store.open_database(None if scratch else settings.database)
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
    """The running daemon: scheduler, heartbeat, health endpoint, reload and shutdown around one Runtime."""

    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        # The outbox is sent by the dispatcher, woken as soon as a poll stores hits (monitor.dispatch).
        self.dispatcher = Dispatcher(rt, on_outcome=self._count_delivery)
        rt.on_queued = self.dispatcher.wake
        self.metrics = ops.Metrics()
        self.metrics.watch_database(lambda: self.rt.db, rt.settings.database_file)
        self.scheduler: AsyncIOScheduler | None = None
        self.in_flight: dict[str, asyncio.Task[Any]] = {}
        self.heartbeat = min(HEARTBEAT_SECONDS, systemd.watchdog_interval() or HEARTBEAT_SECONDS)
        self.health = ops.Health(
            scheduler_running=lambda: self.scheduler is not None and self.scheduler.running,
            tick_interval=self.heartbeat,
            details=self._details,
        )
        self.server: ops.OpsServer | None = None
        self.dispatching: asyncio.Task[None] | None = None
        self._stopping = False
        self._restart: asyncio.TimerHandle | None = None

    async def run(self, stop: asyncio.Event, reload: asyncio.Event) -> None:
        settings = self.rt.settings
        if settings.health.enabled:
            self.server = ops.OpsServer(settings.health.listen, self.health, self.metrics.render)
            try:
                await self.server.start()
            except OSError as exc:
                raise ConfigError(f"health.listen {settings.health.listen}: cannot listen: {exc}") from exc
        self._start_scheduler(keep={})
        self._start_dispatcher()
        heartbeat = asyncio.create_task(self._beat())
        self.health.status = "running"
        systemd.notify("READY=1", f"STATUS={self._status()}")
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
            self.health.status = "stopping"
            in_flight = plural(len(self.in_flight), "poll")
            systemd.notify("STOPPING=1", f"STATUS=stopping: waiting for {in_flight} in flight")
            log.info("stopping: waiting up to %.0f s for %s in flight", SHUTDOWN_GRACE_SECONDS, in_flight)
            if self.scheduler is not None:
                self.scheduler.shutdown(wait=False)
            heartbeat.cancel()
            await _drain(set(self.in_flight.values()))
            self._stopping = True
            if self._restart is not None:
                self._restart.cancel()
            await self.dispatcher.stop(SHUTDOWN_GRACE_SECONDS)
            if self.dispatching is not None:
                self.dispatching.cancel()
            if self.server is not None:
                await self.server.stop()

    # --- scheduling -----------------------------------------------------------------------------------------

    def _start_scheduler(self, keep: dict[str, datetime], fresh: frozenset[str] = frozenset()) -> None:
        """Build and start a scheduler for the current sources.

        Each source starts at its remembered next poll re-planned under the current config (backoff survives a
        reload; a shorter interval applies at once) or at ``keep``'s time when that is earlier; sources in
        ``fresh`` (added or changed by a reload) start within seconds.
        """
        settings = self.rt.settings
        planned, disabled = planned_polls(self.rt)
        for sid, when in keep.items():
            planned[sid] = min(when, planned.get(sid, when))
        planned = {sid: when for sid, when in planned.items() if sid not in fresh}
        scheduler = build_scheduler(
            settings.sources,
            poll=self._poll,
            retry_deliveries=self._retry_deliveries,
            retry_interval=DELIVERY_RETRY_SECONDS,
            now=utc_now(),
            next_run=lambda source: next_poll_time(self.rt, source),
            planned=planned,
            disabled=disabled,
        )
        scheduler.add_job(
            self._prune,
            "interval",
            id="retention",
            name="retention",
            seconds=RETENTION_EVERY.total_seconds(),
            next_run_time=utc_now() + RETENTION_FIRST_AFTER,
            coalesce=True,
            max_instances=1,
        )
        scheduler.add_listener(self._on_submitted, EVENT_JOB_SUBMITTED)
        scheduler.add_listener(self._on_skipped, EVENT_JOB_MAX_INSTANCES)
        scheduler.start()
        self.scheduler = scheduler

    def _start_dispatcher(self) -> None:
        """Run the one dispatcher of this daemon (never two: both would send the rows in flight), restarted if it
        dies. A reload only wakes it: its workers re-read the channels and routes on every pass."""
        self._restart = None
        self.dispatching = asyncio.create_task(self.dispatcher.run(), name="dispatcher")
        self.dispatching.add_done_callback(self._dispatcher_ended)

    def _dispatcher_ended(self, task: asyncio.Task[None]) -> None:
        if self._stopping or task.cancelled():
            return
        log.error(
            "the dispatcher stopped unexpectedly; restarting it in %.0f s",
            DISPATCHER_RESTART_SECONDS,
            exc_info=task.exception(),
        )
        self._restart = asyncio.get_running_loop().call_later(DISPATCHER_RESTART_SECONDS, self._start_dispatcher)

    def _on_submitted(self, event: JobSubmissionEvent) -> None:
        if event.job_id not in _OWN_JOBS and event.scheduled_run_times:
            lag = (utc_now() - event.scheduled_run_times[0]).total_seconds()
            self.metrics.poll_lag.observe(max(lag, 0.0))

    def _on_skipped(self, event: JobEvent) -> None:
        self.metrics.skipped.inc()

    async def _poll(self, source: Source) -> None:
        await self._shielded(source.id, self._poll_now(source))

    async def _retry_deliveries(self) -> None:
        await self._shielded("deliveries", self._deliver_now())

    async def _shielded(self, key: str, work: Coroutine[Any, Any, None]) -> None:
        """Run ``work`` as a task of its own, tracked in ``in_flight``.

        APScheduler cancels its running jobs on shutdown (and on reload we replace the scheduler): the shield
        lets a poll finish its transaction and deliveries; SIGTERM drains these tasks within a grace period.
        """
        if key in self.in_flight:  # a poll started before a reload is still running: let it finish alone
            work.close()
            return
        task = asyncio.create_task(work)
        self.in_flight[key] = task
        task.add_done_callback(lambda _: self.in_flight.pop(key, None))
        await asyncio.shield(task)

    async def _poll_now(self, source: Source) -> None:
        started = time.monotonic()
        stats = CycleStats()
        try:
            await poll_source(self.rt, source, stats)
            if stats.hits_by_topic:
                self._watch(lambda: check_spikes(self.rt, stats.hits_by_topic))
            if stats.sources_ok:
                log.info(
                    "polled %s: %d new entries, %d new articles, %d hits, %d sent",
                    source.name,
                    stats.new_entries,
                    stats.articles_new,
                    stats.hits,
                    stats.sent,
                    extra={"source": source.id, "url": source.url},
                )
        finally:
            self._record(stats, time.monotonic() - started)

    async def _deliver_now(self) -> None:
        # A periodic nudge (the dispatcher also wakes itself for retries), and the monitor's own health check.
        self._watch(lambda: check_health(self.rt))
        self.dispatcher.wake()

    def _watch(self, check: Callable[[], int]) -> None:
        """Run a notice check (spikes, health); wake the dispatcher when it queued something. Never raises:
        a failing check must not fail the poll that ran it."""
        try:
            if check():
                self.dispatcher.wake()
        except Exception:
            log.exception("notice check failed; it runs again at the next poll or heartbeat")

    def _count_delivery(self, channel: str, outcome: str) -> None:
        self.metrics.deliveries.labels(channel, outcome).inc()

    def _record(self, stats: CycleStats, duration: float) -> None:
        """Feed one poll's counts to the metrics (deliveries are counted per channel as the dispatcher sends)."""
        failed = stats.sources - stats.sources_ok
        reasons = stats.fetch_errors or ({"unknown": failed} if failed else {})
        self.metrics.record_poll(
            ok=stats.sources_ok,
            not_modified=stats.not_modified,
            failed=failed,
            entries=stats.new_entries,
            articles=stats.articles_new,
            errors_by_reason=reasons,
            hits_by_topic=stats.hits_by_topic,
            deliveries={},
            duration=duration,
            outcomes=stats.outcomes,
        )

    async def _prune(self) -> None:
        retention = self.rt.settings.retention
        total = ops.PruneResult()
        while True:  # batch by batch, yielding to polls in between
            step = ops.prune_step(
                self.rt.db, articles_age=retention.articles, hits_age=retention.hits, now=self.rt.clock()
            )
            total.deleted.update(step.deleted)
            if step.total == 0:
                break
            await asyncio.sleep(0)
        total.freed_pages = ops.vacuum(self.rt.db)
        for table, count in total.deleted.items():
            self.metrics.pruned.labels(table).inc(count)
        log.info("retention: deleted %s; %d pages freed", dict(total.deleted) or "nothing", total.freed_pages)

    # --- heartbeat, health, status ----------------------------------------------------------------------------

    async def _beat(self) -> None:
        """Probe the database, update health, and ping systemd's watchdog only while the database is writable."""
        watchdog = systemd.watchdog_interval() is not None
        failing = False
        while True:
            try:
                error = ops.ping_database(self.rt.db, self.rt.clock())
                self.health.tick(error)
                healthy, _ = self.health.report()
                self.metrics.up.set(1 if healthy else 0)
                if error is None:
                    if failing:
                        log.warning("database writable again")
                    lines = [f"STATUS={self._status()}"]
                    systemd.notify(*(["WATCHDOG=1", *lines] if watchdog else lines))
                elif not failing:
                    log.error("%s: withholding watchdog pings so systemd restarts us if it lasts", error)
                failing = error is not None
            except Exception:
                # Without its heartbeat the daemon looks hung to /healthz and systemd: keep beating.
                log.exception("heartbeat failed; trying again in %.0f s", self.heartbeat)
            await asyncio.sleep(self.heartbeat)

    def _details(self) -> dict[str, Any]:
        settings = self.rt.settings
        pending = store.delivery_counts(self.rt.db).get("pending", 0)
        return {
            "sources": len(settings.sources),
            "topics": len(settings.topics),
            "polls_in_flight": len(self.in_flight),
            "deliveries_pending": pending,
        }

    def _status(self) -> str:
        settings = self.rt.settings
        return (
            f"{self.health.status}: {plural(len(settings.sources), 'source')}, "
            f"{plural(len(settings.topics), 'topic')}, {plural(len(self.in_flight), 'poll')} in flight"
        )

    # --- reload -------------------------------------------------------------------------------------------

    async def reload(self) -> bool:
        """Re-read the config; apply it, or refuse it with a logged error and keep the running one."""
        return await reload_config(
            self.rt,
            self.scheduler,
            self.metrics,
            start_scheduler=self._start_scheduler,
            wake=self.dispatcher.wake,
            status=self._status,
        )


async def _first(*events: asyncio.Event) -> None:
    """Return when any of ``events`` is set."""
    waiters = [asyncio.create_task(e.wait()) for e in events]
    try:
        await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()


async def _drain(tasks: set[asyncio.Task[Any]]) -> None:
    if not tasks:
        return
    _, late = await asyncio.wait(set(tasks), timeout=SHUTDOWN_GRACE_SECONDS)
    for task in late:
        task.cancel()
    if late:
        await asyncio.wait(late, timeout=1.0)
        log.warning("cancelled %d polls that did not finish in time; they will be redone next start", len(late))
