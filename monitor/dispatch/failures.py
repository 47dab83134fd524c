"""Failure bookkeeping: a failed send is retried after a backoff (or the receiver's Retry-After), or dead-lettered."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from monitor.dispatch.policy import retry_delay
from monitor.errors import NotifyError
from monitor.notify import Channel
from monitor.store import deliveries as outbox
from monitor.store import digests, notices

if TYPE_CHECKING:
    from monitor.dispatch.dispatcher import Dispatcher

log = logging.getLogger("monitor.dispatch")

MAX_FAILURES_KEPT = 100


def record_failed(
    d: Dispatcher,
    channel: Channel,
    delivery_id: int | str,
    message_id: str,
    queued_at: datetime | None,
    attempts: int,
    exc: NotifyError,
    *,
    notice: bool = False,
) -> None:
    """Record a failure: retry after a backoff (or the receiver's Retry-After), or dead-letter it.

    ``delivery_id`` is a delivery's row id, a digest's id (str), or with ``notice`` a notice delivery's id.
    """
    now = d.rt.clock()
    delay = exc.retry_after if exc.retry_after is not None else retry_delay(attempts)
    retry_at = now + timedelta(seconds=delay)
    # Dead-letter once the next try would fall beyond the channel's limit: it is visible in `monitor deliveries`.
    dead = not exc.permanent and (retry_at - (queued_at or now)).total_seconds() > channel.give_up_after
    when = None if exc.permanent or dead else retry_at
    if notice and isinstance(delivery_id, int):
        notices.mark_notice_failed(
            d.rt.db, delivery_id, error=str(exc), permanent=exc.permanent, retry_at=when, dead=dead
        )
    elif isinstance(delivery_id, str):
        digests.mark_bundle_failed(
            d.rt.db, delivery_id, error=str(exc), permanent=exc.permanent, retry_at=when, dead=dead
        )
    else:
        outbox.mark_delivery_failed(
            d.rt.db, delivery_id, error=str(exc), permanent=exc.permanent, retry_at=when, dead=dead
        )
    d.stats.delivery_failures += 1
    d._count(channel.id, "failed" if exc.permanent else "dead" if dead else "retry")
    if len(d.stats.failures) < MAX_FAILURES_KEPT:
        d.stats.failures.append(f"delivery {message_id} to {channel.id}: {exc}")
    fate = "permanently" if exc.permanent else "for good (dead-lettered)" if dead else f", retry in {delay:.0f}s"
    log.warning("delivery of %s to %s failed %s: %s", message_id, channel.id, fate, exc)
