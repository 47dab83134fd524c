"""Failure bookkeeping: a failed send is retried after a backoff (or the receiver's Retry-After), or dead-lettered."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from monitor.dispatch.policy import retry_delay
from monitor.errors import NotifyError
from monitor.notify import Channel
from monitor.store import sends

if TYPE_CHECKING:
    from monitor.dispatch.dispatcher import Dispatcher

log = logging.getLogger("monitor.dispatch")

MAX_FAILURES_KEPT = 100


def record_failed(
    d: Dispatcher,
    channel: Channel,
    box: sends.Outbox,
    key: int | str,
    message_id: str,
    queued_at: datetime | None,
    attempts: int,
    exc: NotifyError,
) -> None:
    """Record a failure of the send ``key`` in ``box``: retry after a backoff (or Retry-After), or dead-letter it.

    If the database refuses, the trouble is logged and the dispatcher backs off (else a failing receiver would
    be retried in a tight loop).
    """
    try:
        now = d.rt.clock()
        delay = exc.retry_after if exc.retry_after is not None else retry_delay(attempts)
        retry_at = now + timedelta(seconds=delay)
        # Dead-letter once the next try would fall beyond the channel's limit: it is visible in `monitor deliveries`.
        dead = not exc.permanent and (retry_at - (queued_at or now)).total_seconds() > channel.give_up_after
        when = None if exc.permanent or dead else retry_at
        sends.mark_failed(d.rt.db, box, key, error=str(exc), permanent=exc.permanent, retry_at=when, dead=dead)
        d.stats.delivery_failures += 1
        d._count(channel.id, "failed" if exc.permanent else "dead" if dead else "retry")
        if len(d.stats.failures) < MAX_FAILURES_KEPT:
            d.stats.failures.append(f"delivery {message_id} to {channel.id}: {exc}")
        fate = " permanently" if exc.permanent else " for good (dead-lettered)" if dead else f" (retry in {delay:.0f}s)"
        log.warning("delivery of %s to %s failed%s: %s", message_id, channel.id, fate, exc)
    except Exception:  # noqa: BLE001 - logged by _trouble, then backed off
        d._trouble(f"recording the failed delivery of {message_id} to {channel.id}")
