"""Config reload (SIGHUP): re-read and validate the config, then swap it into the running daemon, or refuse it."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from monitor import ops, store, systemd
from monitor.config import load_config
from monitor.errors import ConfigError
from monitor.match import Matcher, validate_topics
from monitor.runtime import Runtime

log = logging.getLogger("monitor.daemon")

# fetch settings that only decide when sources are polled: applied by a reload.
_SCHEDULING = ("adaptive_intervals", "min_interval", "max_interval", "max_backoff")


async def reload_config(
    rt: Runtime,
    scheduler: AsyncIOScheduler | None,
    metrics: ops.Metrics,
    *,
    start_scheduler: Callable[[dict[str, datetime], frozenset[str]], None],
    wake: Callable[[], None],
    status: Callable[[], str],
) -> bool:
    """Re-read the config; apply it, or refuse it with a logged error and keep the running one.

    ``scheduler`` is shut down and ``start_scheduler(keep, fresh)`` builds the next one; ``wake`` nudges the
    dispatcher and ``status`` is the line told to systemd.
    """
    old = rt.settings
    systemd.notify(
        "RELOADING=1",
        f"MONOTONIC_USEC={time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000}",
        "STATUS=reloading configuration",
    )
    try:
        new = load_config(old.path)
        errors = validate_topics(new.topics)
        if errors:
            raise ConfigError([str(e) for e in errors])
        matcher = Matcher(new.topics)
    except ConfigError as exc:
        metrics.reloads.labels("refused").inc()
        log.error(
            "config reload refused, the running config is kept: %s",
            "; ".join(exc.problems),
            extra={"config": str(old.path)},
        )
        systemd.notify("READY=1", f"STATUS={status()}")
        return False
    if new.database != old.database:
        log.warning(
            "database changed to %s: takes effect at restart; still using %s",
            store.database_name(new.database),
            store.database_name(old.database),
        )
        new = replace(new, database=old.database)
    # The scheduling settings are read at every poll and re-plan the schedule now; the rest of fetch built the
    # client and limiter at start.
    fetch = old.fetch.model_copy(update={key: getattr(new.fetch, key) for key in _SCHEDULING})
    if fetch != new.fetch or new.health != old.health or new.user_agent != old.user_agent:
        # The client, limiter and health server were built from them at start: keep the running ones so
        # rt.settings says what is in force.
        log.warning(
            "fetch (except %s), user_agent and health settings change at restart; the rest is applied now",
            ", ".join(_SCHEDULING),
        )
    new = replace(new, fetch=fetch, health=old.health, user_agent=old.user_agent)
    store.sync_sources(rt.db, new.sources, rt.clock())
    before = {s.id: s for s in old.sources}
    after = {s.id: s for s in new.sources}
    unchanged = {sid for sid, s in after.items() if before.get(sid) == s}
    keep = {}
    if scheduler is not None:
        keep = {
            job.id: job.next_run_time
            for job in scheduler.get_jobs()
            if job.id in unchanged and job.next_run_time is not None
        }
        scheduler.shutdown(wait=False)  # running polls are tasks of their own: they finish
    rt.settings = new
    rt.matcher = matcher
    rt.topic_titles = {t.id: t.title for t in new.topics}
    for handler in logging.getLogger().handlers:
        ops.update_secrets(handler, ops.config_secrets(new))
    start_scheduler(keep, frozenset(after.keys() - unchanged))
    wake()  # new channels get a worker; removed ones fail their deliveries
    metrics.reloads.labels("ok").inc()
    log.info(
        "config reloaded: %d sources (%d added, %d removed, %d changed), %d topics, %d channels",
        len(after),
        len(after.keys() - before.keys()),
        len(before.keys() - after.keys()),
        len(after) - len(unchanged) - len(after.keys() - before.keys()),
        len(new.topics),
        len(new.channels),
        extra={"config": str(new.path)},
    )
    systemd.notify("READY=1", f"STATUS={status()}")
    return True
