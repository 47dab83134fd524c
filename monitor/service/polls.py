"""Scheduling polls: one APScheduler job per source, each poll a task of its own that runs start to end with the
Runtime in force when it started, drained within a grace period on shutdown."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Coroutine, Mapping
from datetime import datetime
from typing import Any

from apscheduler.events import EVENT_JOB_MAX_INSTANCES, EVENT_JOB_SUBMITTED, JobEvent, JobSubmissionEvent
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from monitor import ops
from monitor.config import Source
from monitor.dispatch import check_spikes
from monitor.pipeline import next_poll_time, planned_polls, poll_source
from monitor.runtime import CycleStats, Runtime, utc_now
from monitor.scheduler import build_scheduler
from monitor.service.jobs import run_check

log = logging.getLogger("monitor.daemon")

# In-flight polls get this long to finish after SIGTERM; systemd's default stop timeout is 90 s, ours 15 s.
SHUTDOWN_GRACE_SECONDS = 8.0


class Polls:
    """The poll scheduler and the polls in flight."""

    def __init__(self, current: Callable[[], Runtime], metrics: ops.Metrics, wake: Callable[[], None]) -> None:
        self._current = current
        self._metrics = metrics
        self._wake = wake
        self.scheduler: AsyncIOScheduler | None = None
        self.in_flight: dict[str, asyncio.Task[None]] = {}

    @property
    def running(self) -> bool:
        return self.scheduler is not None and self.scheduler.running

    def start(self, keep: Mapping[str, datetime] | None = None, fresh: frozenset[str] = frozenset()) -> None:
        """Build and start a scheduler for the sources of the Runtime in force.

        Each source starts at its remembered next poll re-planned under the current config (backoff survives a
        reload; a shorter interval applies at once) or at ``keep``'s time when that is earlier; sources in
        ``fresh`` (added or changed by a reload) start within seconds.
        """
        rt = self._current()
        planned, disabled = planned_polls(rt)
        for sid, when in (keep or {}).items():
            planned[sid] = min(when, planned.get(sid, when))
        planned = {sid: when for sid, when in planned.items() if sid not in fresh}
        scheduler = build_scheduler(
            rt.settings.sources,
            poll=self._poll,
            now=utc_now(),
            next_run=lambda source: next_poll_time(self._current(), source),
            planned=planned,
            disabled=disabled,
        )
        scheduler.add_listener(self._on_submitted, EVENT_JOB_SUBMITTED)
        scheduler.add_listener(self._on_skipped, EVENT_JOB_MAX_INSTANCES)
        scheduler.start()
        self.scheduler = scheduler

    def restart(self, unchanged: frozenset[str], fresh: frozenset[str]) -> None:
        """Replace the scheduler by one for the Runtime now in force; ``unchanged`` sources keep their next poll.

        Polls in flight are tasks of their own: they finish with the Runtime they started with.
        """
        keep: dict[str, datetime] = {}
        if self.scheduler is not None:
            keep = {
                job.id: job.next_run_time
                for job in self.scheduler.get_jobs()
                if job.id in unchanged and job.next_run_time is not None
            }
            self.scheduler.shutdown(wait=False)
        self.start(keep, fresh)

    async def stop(self) -> None:
        """Stop scheduling, then give the polls in flight SHUTDOWN_GRACE_SECONDS to finish and cancel the rest."""
        if self.scheduler is not None:
            self.scheduler.shutdown(wait=False)
        tasks = set(self.in_flight.values())
        if not tasks:
            return
        _, late = await asyncio.wait(tasks, timeout=SHUTDOWN_GRACE_SECONDS)
        for task in late:
            task.cancel()
        if late:
            await asyncio.wait(late, timeout=1.0)
            log.warning("cancelled %d polls that did not finish in time; they will be redone next start", len(late))

    async def _poll(self, source: Source) -> None:
        # The Runtime is read once, here: a reload during the poll does not change what it runs with.
        await self._shielded(source.id, self._poll_now(self._current(), source))

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
        try:
            await asyncio.shield(task)
        except asyncio.CancelledError:
            # The scheduler cancels its jobs at shutdown and reload: the poll goes on (or ends) in ``in_flight``,
            # which shutdown drains and reports; ending the job quietly keeps APScheduler from logging a crash.
            return

    async def _poll_now(self, rt: Runtime, source: Source) -> None:
        started = time.monotonic()
        stats = CycleStats()
        try:
            # Another daemon of a shared database may have polled it a moment ago: then it waits its turn.
            await poll_source(rt, source, stats, fresh=source.interval / 2)
            if stats.hits_by_topic:
                run_check(lambda: check_spikes(rt, stats.hits_by_topic), self._wake)
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

    def _record(self, stats: CycleStats, duration: float) -> None:
        """Feed one poll's counts to the metrics (deliveries are counted per channel as the dispatcher sends)."""
        failed = stats.sources - stats.sources_ok
        reasons = stats.fetch_errors or ({"unknown": failed} if failed else {})
        self._metrics.record_poll(
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

    def _on_submitted(self, event: JobSubmissionEvent) -> None:
        if event.scheduled_run_times:
            lag = (utc_now() - event.scheduled_run_times[0]).total_seconds()
            self._metrics.poll_lag.observe(max(lag, 0.0))

    def _on_skipped(self, event: JobEvent) -> None:
        self._metrics.skipped.inc()
