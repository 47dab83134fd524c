"""Digest and notice passes: bundle held alerts into digests and send them, and send due notices."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from monitor.dispatch import failures
from monitor.errors import NotifyError
from monitor.notify import Channel, Digest
from monitor.store import digests, notices, sends

if TYPE_CHECKING:
    from monitor.dispatch.dispatcher import Dispatcher

log = logging.getLogger("monitor.dispatch")


async def digest_pass(d: Dispatcher, *, spawn: bool = False) -> None:
    """Bundle held deliveries whose digest time came, and send every due digest (as tasks when ``spawn``)."""
    rt = d.rt
    now = rt.clock()
    for route, channel_id in digests.due_holds(rt.db, now):
        digests.bundle_held(rt.db, route, channel_id, now)
    sends = []
    for digest_id, channel_id, _route in digests.due_bundles(rt.db, now):
        channel = rt.settings.channels.get(channel_id)
        if channel is None or digest_id in d._digests_in_flight or ("digest", digest_id) in d._unrecorded:
            continue
        d._digests_in_flight.add(digest_id)
        coro = send_digest(d, channel, digest_id)
        sends.append(d._spawn(coro) if spawn else asyncio.ensure_future(coro))
    if not spawn and sends:
        await asyncio.gather(*sends)


async def send_digest(d: Dispatcher, channel: Channel, digest_id: str) -> None:
    try:
        parts = digests.bundle_deliveries(d.rt.db, digest_id)
        if not parts:
            return
        digest = Digest(digest_id, tuple(p.alert for p in parts), d.rt.clock())
        queued = min((p.queued_at for p in parts if p.queued_at), default=None)
        try:
            outcome = await d._deliver(digest, channel)
        except NotifyError as exc:
            failures.record_failed(
                d, channel, sends.DIGESTS, digest_id, digest_id, queued, max(p.attempts for p in parts), exc
            )
            return
        sent_at = d.rt.clock()
        d._bookkeep(
            ("digest", digest_id),
            lambda: digests.mark_bundle_sent(d.rt.db, digest_id, sent_at, outcome=outcome),
            f"digest {digest_id} to {channel.id}",
        )
        d.stats.sent += len(parts)
        d._count(channel.id, "sent")
        log.info("digest %s of %d alerts to %s: %s", digest_id, len(parts), channel.id, outcome)
    except Exception:  # noqa: BLE001 - logged by _trouble, then backed off
        d._trouble(f"sending digest {digest_id} to {channel.id}")
    finally:
        d._digests_in_flight.discard(digest_id)


async def notice_pass(d: Dispatcher, *, spawn: bool = False) -> None:
    """Send every due notice delivery (spikes, monitor health), each as a task of its own when ``spawn``."""
    sends = []
    for pending in notices.pending_notices(d.rt.db, d.rt.clock()):
        if pending.id in d._notices_in_flight or ("notice", pending.id) in d._unrecorded:
            continue
        channel = d.rt.settings.channels.get(pending.channel_id)
        if channel is None:
            notices.mark_notice_failed(
                d.rt.db,
                pending.id,
                error=f"channel {pending.channel_id!r} is no longer configured",
                permanent=True,
                retry_at=None,
            )
            continue
        d._notices_in_flight.add(pending.id)
        coro = send_notice(d, channel, pending)
        sends.append(d._spawn(coro) if spawn else asyncio.ensure_future(coro))
    if not spawn and sends:
        await asyncio.gather(*sends)


async def send_notice(d: Dispatcher, channel: Channel, pending: notices.PendingNotice) -> None:
    try:
        try:
            outcome = await d._deliver(pending.notice, channel)
        except NotifyError as exc:
            failures.record_failed(
                d, channel, sends.NOTICES, pending.id, pending.notice.id, pending.queued_at, pending.attempts, exc
            )
            return
        sent_at = d.rt.clock()
        d._bookkeep(
            ("notice", pending.id),
            lambda: notices.mark_notice_sent(d.rt.db, pending.id, sent_at, outcome=outcome),
            f"notice {pending.notice.id} to {channel.id}",
        )
        d.stats.sent += 1
        d._count(channel.id, "sent")
        log.info("notice %s (%s) to %s: %s", pending.notice.id, pending.notice.condition, channel.id, outcome)
    except Exception:  # noqa: BLE001 - logged by _trouble, then backed off
        d._trouble(f"sending notice {pending.notice.id} to {channel.id}")
    finally:
        d._notices_in_flight.discard(pending.id)
