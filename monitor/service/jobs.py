"""The daemon's periodic work besides polls: the heartbeat, the delivery nudge with the monitor's health check, and
retention. Each run reads the Runtime in force, so a reload applies to the next run.

They have a scheduler of their own, which a reload leaves alone (only the poll scheduler is rebuilt).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from monitor import ops, systemd
from monitor.dispatch import check_health
from monitor.runtime import Runtime, utc_now
from monitor.store import leases

log = logging.getLogger("monitor.daemon")

DELIVERY_RETRY_SECONDS = 30.0
# The event loop's heartbeat (database probe, health, status); with a watchdog, at least twice per WatchdogSec.
HEARTBEAT_SECONDS = 15.0
RETENTION_EVERY = timedelta(days=1)
RETENTION_FIRST_AFTER = timedelta(minutes=5)  # not at startup: let the first polls have the database
RETENTION_LEASE = RETENTION_EVERY.total_seconds() / 2  # one daemon of several prunes each day


def run_check(check: Callable[[], int], wake: Callable[[], None]) -> None:
    """Run a notice check (spikes, health); ``wake`` the dispatcher when it queued something. Never raises:
    a failing check must not fail the poll or job that ran it."""
    try:
        if check():
            wake()
    except Exception:
        log.exception("notice check failed; it runs again at the next poll or heartbeat")


def heartbeat_interval(lease: float | None = None) -> float:
    """Return how often the heartbeat beats: HEARTBEAT_SECONDS, or more often when systemd's watchdog wants it,
    or when leases on a shared database (``lease`` seconds) must be renewed sooner."""
    beat = min(HEARTBEAT_SECONDS, systemd.watchdog_interval() or HEARTBEAT_SECONDS)
    return min(beat, lease / 3) if lease else beat


def renew_and_count(rt: Runtime) -> int:
    """Renew this daemon's leases (polls and sends in flight); return how many sources it holds."""
    now = rt.clock()
    leases.renew_leases(rt.db, rt.node, now, rt.settings.lease)
    return leases.held_leases(rt.db, rt.node, now)


class Jobs:
    """The heartbeat task and the scheduler of the delivery nudge and retention."""

    def __init__(
        self,
        current: Callable[[], Runtime],
        health: ops.Health,
        metrics: ops.Metrics,
        *,
        wake: Callable[[], None],
        status: Callable[[], str],
    ) -> None:
        self._current = current
        self._health = health
        self._metrics = metrics
        self._wake = wake
        self._status = status
        self.heartbeat = health.tick_interval
        self._scheduler: AsyncIOScheduler | None = None
        self._beating: asyncio.Task[None] | None = None

    def start(self) -> None:
        scheduler = AsyncIOScheduler(timezone="UTC")
        scheduler.add_job(
            self.nudge,
            "interval",
            id="deliveries",
            name="delivery retries",
            seconds=DELIVERY_RETRY_SECONDS,
            coalesce=True,
            max_instances=1,
        )
        scheduler.add_job(
            self.prune,
            "interval",
            id="retention",
            name="retention",
            seconds=RETENTION_EVERY.total_seconds(),
            next_run_time=utc_now() + RETENTION_FIRST_AFTER,
            coalesce=True,
            max_instances=1,
        )
        scheduler.start()
        self._scheduler = scheduler
        self._beating = asyncio.create_task(self.beat(), name="heartbeat")

    def stop(self) -> None:
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=False)
        if self._beating is not None:
            self._beating.cancel()

    async def nudge(self) -> None:
        """Run the monitor's own health check and wake the dispatcher (it also wakes itself for retries)."""
        rt = self._current()
        run_check(lambda: check_health(rt), self._wake)
        self._wake()

    async def prune(self) -> None:
        """Delete what is past the configured retention (monitor.ops.prune) and count it in the metrics.

        With several daemons on one database, the one that takes the day's ``job:retention`` lease prunes.
        """
        rt = self._current()
        if rt.shared and not leases.claim_lease(rt.db, "job:retention", rt.node, rt.clock(), RETENTION_LEASE):
            return
        retention = rt.settings.retention
        total = ops.prune(rt.db, articles_age=retention.articles, hits_age=retention.hits, now=rt.clock())
        for table, count in total.deleted.items():
            self._metrics.pruned.labels(table).inc(count)
        log.info("retention: deleted %s; %d pages freed", dict(total.deleted) or "nothing", total.freed_pages)

    async def beat(self) -> None:
        """Probe the database, update health, and ping systemd's watchdog only while the database is writable."""
        watchdog = systemd.watchdog_interval() is not None
        failing = False
        while True:
            try:
                rt = self._current()
                error = ops.ping_database(rt.db, rt.clock())
                if rt.shared and error is None:
                    # Polls and sends still running keep their leases; a dead daemon's expire and are taken over.
                    self._metrics.leases.set(renew_and_count(rt))
                self._health.tick(error)
                healthy, _ = self._health.report()
                self._metrics.up.set(1 if healthy else 0)
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
