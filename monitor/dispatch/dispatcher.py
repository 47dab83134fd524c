"""Send the outbox: one worker per channel, woken when hits are stored, retrying with backoff, then dead-lettering.

Alerts, digests and notices are three ways to fill a ``Send``; one path (``Dispatcher._attempt``) sends it, records
the outcome, on a failure asks ``policy.fate`` whether it is retried, failed or dead, and keeps the channel's health.
When an alert goes out is ``policy.decide``'s (a route's digest, quiet hours, max_per_hour). Every state change is
written to the database before the next step, so a crash at any point loses nothing: on restart, whatever is still
``pending`` (including what was in flight) goes out again under the same id.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
import time
from collections import Counter
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from monitor.dispatch.policy import decide, fate
from monitor.errors import NotifyError, StoreError
from monitor.models import Alert
from monitor.notify import Channel, Digest, Message, deliver
from monitor.notify.feedback import feedback_links
from monitor.runtime import CycleStats, Runtime
from monitor.store import deliveries as outbox
from monitor.store import digests, feedback, notices, sends, story_queries

log = logging.getLogger("monitor.dispatch")

# A worker wakes at least this often even when nothing told it to (a missed wake-up costs at most this much).
IDLE_SECONDS = 30.0
# After an unexpected error (the database locked or full, a bug) the loops wait this long before the next pass:
# retrying at once would spin, and resend whatever could not be recorded.
TROUBLE_SECONDS = 5.0
MAX_FAILURES_KEPT = 100  # failure lines kept in the cycle's stats


@dataclass(frozen=True, slots=True)
class Send:
    """One attempt to make: a message through a channel, and where its outcome is recorded.

    ``kind`` ("delivery", "digest", "notice") and ``key`` (the row id, or the id a digest's rows share) name it in
    ``box`` and among the sends the database refused to record.
    """

    kind: str
    key: int | str
    box: sends.Outbox
    message: Message
    channel: Channel
    attempts: int
    queued_at: datetime | None
    mark_sent: Callable[[datetime, str], None]  # records the receiver's answer at a time
    alerts: int = 1  # alerts it carries (a digest carries several)
    about: str = ""  # said after its id in the log


class Dispatcher:
    """Deliver pending alerts, digests and notices; ``wake()`` after storing hits, ``run()`` until ``stop()``."""

    def __init__(
        self, rt: Runtime, stats: CycleStats | None = None, on_outcome: Callable[[str, str], None] | None = None
    ) -> None:
        """``on_outcome(channel, outcome)`` is told of every send (the daemon's per-channel metrics)."""
        self.rt = rt
        self._on_outcome = on_outcome
        self.stats = stats or CycleStats()
        self._events: dict[str, asyncio.Event] = {}
        self._digest_event = asyncio.Event()
        self._stopping = False
        self._stopped = asyncio.Event()
        # Per channel, kept by the dispatcher (not its worker) so a worker that crashed and was restarted never
        # picks up again the deliveries its predecessor still has in flight.
        self._in_flight: dict[str, set[int]] = {}
        self._slots: dict[str, asyncio.Semaphore] = {}
        # Sent but not recorded (the database refused the write): skipped by every pass and recorded again at the
        # next one, so a receiver never gets them twice from this process. Key: ("delivery"|"digest"|"notice", id).
        self._unrecorded: dict[tuple[str, int | str], Callable[[], None]] = {}
        self._trouble_until = 0.0  # time.monotonic() before which the loops back off
        self._sends: set[asyncio.Task[None]] = set()
        self._workers: dict[str, asyncio.Task[None]] = {}
        # Instant sends in flight per (channel, route): counted against max_per_hour before they are recorded.
        self._in_flight_by_route: Counter[tuple[str, str]] = Counter()
        self._running = False
        self._digests_in_flight: set[str] = set()
        self._notices_in_flight: set[int] = set()
        # Sends by (channel, outcome): sent, retry (failed, tried again later), failed (refused for good), dead.
        self.outcomes: Counter[tuple[str, str]] = Counter()
        self._channel_ok: dict[str, bool] = {}  # last recorded health per channel: write only on a change
        self._feedback_key: str | None = None  # the store's link-signing key, read once
        self._retry_all = False  # `monitor once` / `deliveries retry`: sends waiting for a retry go now too

    # --- one-shot ------------------------------------------------------------------------------------------

    async def drain(self, *, retry_all: bool = False) -> None:
        """Try every due delivery once (``retry_all``: also those waiting for a retry), and every due digest."""
        due_by = datetime.max.replace(tzinfo=UTC) if retry_all else self.rt.clock()
        self._fail_unconfigured()
        self._retry_all = retry_all
        try:
            await asyncio.gather(*(self._drain_channel(cid, due_by) for cid in self.rt.settings.channels))
        finally:
            self._retry_all = False
        await self.digest_pass()
        await self.notice_pass()
        self._record_unrecorded()
        if self._unrecorded:
            log.error(
                "%d sends could not be recorded as sent; they go out again (same id) at the next run",
                len(self._unrecorded),
            )
        self.stats.pending = outbox.delivery_counts(self.rt.db).get("pending", 0)

    async def _drain_channel(self, channel_id: str, due_by: datetime) -> None:
        channel = self.rt.settings.channels[channel_id]
        slots = asyncio.Semaphore(channel.concurrency)
        last_id = 0
        while True:
            batch = outbox.pending_deliveries(self.rt.db, due_by, 200, channel_id=channel_id, after_id=last_id)
            if not batch:
                return
            last_id = batch[-1].id

            async def one(pending: outbox.PendingDelivery) -> None:
                async with slots:
                    await self._send_alert(channel, pending)

            await asyncio.gather(*(one(p) for p in batch))

    # --- long-running --------------------------------------------------------------------------------------

    def wake(self) -> None:
        """Tell every worker to look at the outbox now (new hits were stored, the config or the clock changed)."""
        if self._running:
            self._ensure_workers()
        for event in self._events.values():
            event.set()
        self._digest_event.set()

    def _ensure_workers(self) -> None:
        """Start a worker for every configured channel that has none (channels added by a config reload)."""
        for channel_id in self.rt.settings.channels:
            if channel_id not in self._workers or self._workers[channel_id].done():
                self._events.setdefault(channel_id, asyncio.Event())
                worker = asyncio.create_task(self._channel_loop(channel_id), name=channel_id)
                worker.add_done_callback(_log_crash)
                self._workers[channel_id] = worker

    async def run(self) -> None:
        """Run one worker per channel and the digest loop until ``stop()``."""
        self._running = True
        self._fail_unconfigured()
        self._ensure_workers()
        digest_loop = asyncio.create_task(self._digest_loop(), name="digests")
        try:
            await digest_loop
            await asyncio.gather(*self._workers.values())
        finally:
            for worker in [digest_loop, *self._workers.values()]:
                worker.cancel()

    async def stop(self, grace: float = 5.0) -> None:
        """Stop taking new work, give sends in flight ``grace`` seconds, then cancel them (they stay pending)."""
        self._stopping = True
        self._stopped.set()
        self.wake()
        if self._sends:
            _, late = await asyncio.wait(set(self._sends), timeout=grace)
            for task in late:
                task.cancel()
            if late:
                await asyncio.wait(late, timeout=1.0)
                log.warning("cancelled %d deliveries in flight; they will be sent again on restart", len(late))

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        task = asyncio.create_task(coro)
        self._sends.add(task)
        task.add_done_callback(self._sends.discard)
        return task

    async def _channel_loop(self, channel_id: str) -> None:
        event = self._events.setdefault(channel_id, asyncio.Event())
        slots = self._slots.setdefault(channel_id, asyncio.Semaphore(self.rt.settings.channels[channel_id].concurrency))
        in_flight = self._in_flight.setdefault(channel_id, set())
        while not self._stopping:
            event.clear()
            await self._pause()
            # A reload may change the channel (kept: its concurrency) or remove it (its worker ends).
            channel = self.rt.settings.channels.get(channel_id)
            if channel is None:
                self._fail_unconfigured()
                return
            try:
                self._record_unrecorded()
                batch = outbox.pending_deliveries(
                    self.rt.db,
                    self.rt.clock(),
                    channel.concurrency * 4,
                    channel_id=channel_id,
                    exclude=in_flight | self._unrecorded_ids("delivery"),
                )
            except Exception:  # noqa: BLE001 - logged by _trouble, then backed off
                self._trouble(f"reading the outbox of {channel_id}")
                continue
            for pending in batch:
                await slots.acquire()
                if self._stopping:
                    slots.release()
                    return
                in_flight.add(pending.id)
                task = self._spawn(self._send_alert(channel, pending))
                task.add_done_callback(_finisher(pending.id, in_flight, slots, event))
            if batch:
                continue
            # Nothing due: sleep until a send finishes, a wake-up, or the next retry falls due.
            try:
                due = None if in_flight else outbox.next_attempt_at(self.rt.db, channel_id)
            except Exception:  # noqa: BLE001 - logged by _trouble, then backed off
                self._trouble(f"reading the outbox of {channel_id}")
                continue
            await self._wait(event, due)

    async def _digest_loop(self) -> None:
        """Send due digests and notices (spikes, monitor health): both are rare, one loop serves them."""
        while not self._stopping:
            self._digest_event.clear()
            await self._pause()
            try:
                self._record_unrecorded()
                await self.digest_pass(spawn=True)
                await self.notice_pass(spawn=True)
                due = [t for t in (digests.next_digest_time(self.rt.db), notices.next_notice_time(self.rt.db)) if t]
            except Exception:  # noqa: BLE001 - logged by _trouble, then backed off
                self._trouble("the digest and notice pass")
                continue
            await self._wait(self._digest_event, min(due) if due else None)

    async def _pause(self) -> None:
        """Back off after an unexpected error (see TROUBLE_SECONDS); ``stop()`` cuts it short."""
        delay = self._trouble_until - time.monotonic()
        if delay > 0 and not self._stopping:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(delay):
                    await self._stopped.wait()

    def _trouble(self, what: str) -> None:
        """Log the exception being handled and make every loop back off (the usual cause, the database, is shared).

        Call from an ``except`` block.
        """
        self._trouble_until = time.monotonic() + TROUBLE_SECONDS
        error = sys.exc_info()[1]
        if isinstance(error, StoreError):  # disk full, locked, read-only: one line says it, a traceback would not
            log.error("%s failed: database error: %s; delivery backs off %.0f s", what, error, TROUBLE_SECONDS)
        else:
            log.exception("%s failed; delivery backs off %.0f s", what, TROUBLE_SECONDS)

    def _bookkeep(self, key: tuple[str, int | str], record: Callable[[], None], what: str) -> None:
        """Record a successful send; when the database refuses, remember it so it is skipped, not sent again."""
        try:
            record()
        except Exception:  # noqa: BLE001 - logged by _trouble, then backed off
            self._unrecorded[key] = record
            self._trouble(f"recording {what} as sent")

    def _record_unrecorded(self) -> None:
        """Try again to record the sends the database refused earlier (stops at the first that fails again)."""
        for key, record in list(self._unrecorded.items()):
            try:
                record()
            except Exception:  # noqa: BLE001 - logged by _trouble, then backed off
                self._trouble(f"recording {len(self._unrecorded)} earlier sends as sent")
                return
            del self._unrecorded[key]
            log.info("recorded %s %s as sent after an earlier database error", *key)

    def _unrecorded_ids(self, kind: str) -> set[int]:
        return {key[1] for key in self._unrecorded if key[0] == kind and isinstance(key[1], int)}

    async def _wait(self, event: asyncio.Event, due: datetime | None) -> None:
        timeout = IDLE_SECONDS
        if due is not None:
            timeout = min(IDLE_SECONDS, max(0.05, (due - self.rt.clock()).total_seconds()))
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                await event.wait()

    # --- sending -------------------------------------------------------------------------------------------

    async def _attempt(self, send: Send) -> None:
        """Send once and record the outcome, taking the send's lease first when other daemons share the outbox."""
        if not self.rt.shared:
            await self._attempt_claimed(send)
            return
        try:
            mine = sends.claim(
                self.rt.db,
                send.box,
                send.key,
                self.rt.node,
                self.rt.clock(),
                self.rt.settings.lease,
                due=not self._retry_all,
            )
        except Exception:  # noqa: BLE001 - logged by _trouble, then backed off; the send stays waiting
            self._trouble(f"claiming {send.kind} {send.message.id}")
            return
        if not mine:
            log.debug("%s %s is another daemon's now", send.kind, send.message.id)
            return
        try:
            await self._attempt_claimed(send)
        finally:
            with contextlib.suppress(StoreError):  # an unreleased lease expires on its own
                sends.release(self.rt.db, send.box, send.key, self.rt.node)

    async def _attempt_claimed(self, send: Send) -> None:
        """Send once and record the outcome: sent, or retried later, failed or dead as ``policy.fate`` says."""
        channel = send.channel
        try:
            outcome = await self._deliver(send.message, channel)
        except NotifyError as exc:
            self._record_failure(send, exc)
            return
        sent_at = self.rt.clock()
        self._bookkeep(
            (send.kind, send.key),
            lambda: send.mark_sent(sent_at, outcome),
            f"{send.kind} {send.message.id} to {channel.id}",
        )
        self.stats.sent += send.alerts
        self._count(channel.id, "sent")
        log.info("%s %s%s to %s: %s", send.kind, send.message.id, send.about, channel.id, outcome)

    def _record_failure(self, send: Send, exc: NotifyError) -> None:
        """Record a failed attempt; if the database refuses, the loops back off (else a failing receiver would be
        retried in a tight loop)."""
        channel, message_id = send.channel, send.message.id
        try:
            now = self.rt.clock()
            after = fate(
                permanent=exc.permanent,
                retry_after=exc.retry_after,
                attempts=send.attempts,
                queued_at=send.queued_at,
                now=now,
                give_up_after=channel.give_up_after,
            )
            sends.mark_failed(
                self.rt.db,
                send.box,
                send.key,
                error=str(exc),
                permanent=exc.permanent,
                retry_at=after.retry_at,
                dead=after.outcome == "dead",
            )
            self.stats.delivery_failures += 1
            self._count(channel.id, after.outcome)
            if len(self.stats.failures) < MAX_FAILURES_KEPT:
                self.stats.failures.append(f"delivery {message_id} to {channel.id}: {exc}")
            fates = {"failed": " permanently", "dead": " for good (dead-lettered)"}
            why = fates.get(after.outcome, f" (retry in {after.delay:.0f}s)")
            log.warning("delivery of %s to %s failed%s: %s", message_id, channel.id, why, exc)
        except Exception:  # noqa: BLE001 - logged by _trouble, then backed off
            self._trouble(f"recording the failed delivery of {message_id} to {channel.id}")

    async def _send_alert(self, channel: Channel, pending: outbox.PendingDelivery) -> None:
        """Send one delivery now, or hold it for its route's digest; never raises (a database error backs off)."""
        rt = self.rt
        try:
            alert = self._with_feedback(story_queries.with_story(rt.db, pending).alert)  # data.story: as of now
            now = rt.clock()
            route = rt.settings.route_for(
                channel.id, alert.topic_id, alert.score, alert.language, (pending.source_id, alert.source)
            )
            key = route.key if route else ""
            hour_ago = now - timedelta(hours=1)
            sent = digests.sent_since(rt.db, channel.id, key, hour_ago) if route and route.max_per_hour else 0
            decision = decide(route, now, sent + self._in_flight_by_route[channel.id, key])
            if decision.hold_until is not None:
                outbox.hold_delivery(rt.db, pending.id, route=key, until=decision.hold_until)
                log.info("held %s for %s (%s) until %s", alert.id, channel.id, decision.why, decision.hold_until)
                self._digest_event.set()
                return
        except Exception:  # noqa: BLE001 - logged by _trouble, then backed off
            self._trouble(f"preparing delivery {pending.id} to {channel.id}")  # not sent: it stays pending
            return
        routed = key or None

        def mark_sent(at: datetime, outcome: str) -> None:
            outbox.mark_delivery_sent(rt.db, pending.id, at, outcome=outcome, route=routed)

        send = Send(
            "delivery", pending.id, sends.ALERTS, alert, channel, pending.attempts, pending.queued_at, mark_sent
        )
        self._in_flight_by_route[channel.id, key] += 1
        try:
            await self._attempt(send)
        finally:
            self._in_flight_by_route[channel.id, key] -= 1

    def _with_feedback(self, alert: Alert) -> Alert:
        """Return ``alert`` with its signed relevant / not relevant links when the health server takes marks."""
        health = self.rt.settings.health
        if not (health.enabled and health.feedback_links) or alert.hit_id is None:
            return alert
        if self._feedback_key is None:
            self._feedback_key = feedback.link_key(self.rt.db, self.rt.clock())
        return replace(alert, feedback=feedback_links(health.base_url(), self._feedback_key, alert.hit_id))

    async def digest_pass(self, *, spawn: bool = False) -> None:
        """Bundle held deliveries whose digest time came, and send every due digest (as tasks when ``spawn``)."""
        db, now = self.rt.db, self.rt.clock()
        for route, channel_id in digests.due_holds(db, now):
            digests.bundle_held(db, route, channel_id, now)
        started = []
        for digest_id, channel_id, _route in digests.due_bundles(db, now):
            channel = self.rt.settings.channels.get(channel_id)
            if channel is None or digest_id in self._digests_in_flight or ("digest", digest_id) in self._unrecorded:
                continue
            self._digests_in_flight.add(digest_id)
            started.append(self._start(self._send_digest(channel, digest_id), spawn=spawn))
        if not spawn and started:
            await asyncio.gather(*started)

    async def _send_digest(self, channel: Channel, digest_id: str) -> None:
        try:
            parts = digests.bundle_deliveries(self.rt.db, digest_id)
            if not parts:
                return

            def mark_sent(at: datetime, outcome: str) -> None:
                digests.mark_bundle_sent(self.rt.db, digest_id, at, outcome=outcome)

            digest = Digest(digest_id, tuple(p.alert for p in parts), self.rt.clock())
            queued = min((p.queued_at for p in parts if p.queued_at), default=None)
            attempts = max(p.attempts for p in parts)
            await self._attempt(
                Send(
                    "digest",
                    digest_id,
                    sends.DIGESTS,
                    digest,
                    channel,
                    attempts,
                    queued,
                    mark_sent,
                    alerts=len(parts),
                    about=f" of {len(parts)} alerts",
                )
            )
        except Exception:  # noqa: BLE001 - logged by _trouble, then backed off
            self._trouble(f"sending digest {digest_id} to {channel.id}")
        finally:
            self._digests_in_flight.discard(digest_id)

    async def notice_pass(self, *, spawn: bool = False) -> None:
        """Send every due notice delivery (spikes, monitor health), each as a task of its own when ``spawn``."""
        started = []
        for pending in notices.pending_notices(self.rt.db, self.rt.clock()):
            if pending.id in self._notices_in_flight or ("notice", pending.id) in self._unrecorded:
                continue
            channel = self.rt.settings.channels.get(pending.channel_id)
            if channel is None:
                error = f"channel {pending.channel_id!r} is no longer configured"
                notices.mark_notice_failed(self.rt.db, pending.id, error=error, permanent=True, retry_at=None)
                continue
            self._notices_in_flight.add(pending.id)
            started.append(self._start(self._send_notice(channel, pending), spawn=spawn))
        if not spawn and started:
            await asyncio.gather(*started)

    async def _send_notice(self, channel: Channel, pending: notices.PendingNotice) -> None:
        notice = pending.notice
        try:

            def mark_sent(at: datetime, outcome: str) -> None:
                notices.mark_notice_sent(self.rt.db, pending.id, at, outcome=outcome)

            await self._attempt(
                Send(
                    "notice",
                    pending.id,
                    sends.NOTICES,
                    notice,
                    channel,
                    pending.attempts,
                    pending.queued_at,
                    mark_sent,
                    about=f" ({notice.condition})",
                )
            )
        except Exception:  # noqa: BLE001 - logged by _trouble, then backed off
            self._trouble(f"sending notice {notice.id} to {channel.id}")
        finally:
            self._notices_in_flight.discard(pending.id)

    def _start(self, coro: Coroutine[Any, Any, None], *, spawn: bool) -> asyncio.Future[None]:
        """Run a send as a tracked task (``stop()`` waits for it) when ``spawn``, else as a future to gather."""
        return self._spawn(coro) if spawn else asyncio.ensure_future(coro)

    def _count(self, channel_id: str, outcome: str) -> None:
        self.outcomes[channel_id, outcome] += 1
        if self._on_outcome is not None:
            self._on_outcome(channel_id, outcome)

    async def _deliver(self, message: Message, channel: Channel) -> str:
        """Send through ``channel`` and record the channel's health (its run of failures) when it changes."""
        try:
            outcome = await _deliver(message, channel, self.rt)
        except NotifyError as exc:
            self._channel_ok[channel.id] = False
            self._channel_health(channel.id, ok=False, error=str(exc))
            raise
        if not self._channel_ok.get(channel.id, False):
            self._channel_ok[channel.id] = self._channel_health(channel.id, ok=True, error=None)
        return outcome

    def _channel_health(self, channel_id: str, *, ok: bool, error: str | None) -> bool:
        """Record a channel's health; a database error must not turn a send into a failure (or hide one)."""
        try:
            notices.record_channel_outcome(self.rt.db, channel_id, ok=ok, error=error, now=self.rt.clock())
        except Exception:  # noqa: BLE001 - logged by _trouble, then backed off
            self._trouble(f"recording the health of channel {channel_id}")
            return False
        return True

    def _fail_unconfigured(self) -> None:
        for channel_id in outbox.pending_channels(self.rt.db):
            if channel_id in self.rt.settings.channels:
                continue
            for pending in outbox.pending_deliveries(
                self.rt.db, datetime.max.replace(tzinfo=UTC), 10_000, channel_id=channel_id
            ):
                outbox.mark_delivery_failed(
                    self.rt.db,
                    pending.id,
                    error=f"channel {channel_id!r} is no longer configured",
                    permanent=True,
                    retry_at=None,
                )
                self.stats.delivery_failures += 1


def _log_crash(task: asyncio.Task[None]) -> None:
    """Log a worker that died of a bug (the database gone, say); the next wake-up starts a new one."""
    if not task.cancelled() and task.exception() is not None:
        log.error(
            "delivery worker %s crashed; restarting at the next wake-up", task.get_name(), exc_info=task.exception()
        )


def _finisher(
    delivery_id: int, in_flight: set[int], slots: asyncio.Semaphore, event: asyncio.Event
) -> Callable[[asyncio.Task[None]], None]:
    """Return the callback that frees a send's slot and tells its worker to look for more."""

    def done(_: asyncio.Task[None]) -> None:
        in_flight.discard(delivery_id)
        slots.release()
        event.set()

    return done


async def _deliver(message: Message, channel: Channel, rt: Runtime) -> str:
    try:
        return await deliver(message, channel, client=rt.client, config_dir=rt.settings.path.parent)
    except NotifyError:
        raise
    except Exception as exc:  # a bug must not lose the digest: it is retried like a temporary failure
        log.exception("unexpected error delivering %s to %s", message.id, channel.id)
        raise NotifyError(f"internal error: {exc!r}", channel=channel.id) from exc


async def deliver_due(rt: Runtime, stats: CycleStats, *, retry_all: bool = False) -> None:
    """Send every delivery that is due (``retry_all``: every waiting one, backoff or not), each channel apart."""
    await Dispatcher(rt, stats).drain(retry_all=retry_all)
