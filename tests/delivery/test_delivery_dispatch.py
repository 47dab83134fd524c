"""The dispatcher against real receivers on 127.0.0.1: wake-up latency, per-channel isolation, retries, dead letters."""

from __future__ import annotations

import asyncio
import re
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from delivery_peers import Answer, Clock, Receiver, black_hole, queue_hits, runtime, settings_for, statuses
from faulty_db import FaultyDb
from waiting import until

from monitor import store
from monitor.dispatch import Dispatcher, deliver_due
from monitor.runtime import CycleStats
from monitor.store import deliveries as outbox

START = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def hook(channel_id: str, url: str, **extra: object) -> dict[str, object]:
    return {"id": channel_id, "type": "webhook", "url": url, **extra}


def test_woken_dispatcher_sends_within_a_second(tmp_path: Path) -> None:
    with Receiver() as receiver:
        settings = settings_for(tmp_path, [hook("hook", receiver.url)], [{"topics": ["*"], "channels": ["hook"]}])
        db = FaultyDb(store.open_database(None))
        # Refuses nothing: the worker asks when its next retry is due right before it goes to sleep.
        idle = db.fail(r"^SELECT min\(coalesce\(next_attempt_at, ''\)\) FROM deliveries", on=False)

        async def scenario() -> list[float]:
            async with httpx.AsyncClient() as client:
                dispatcher = Dispatcher(runtime(settings, db, client, lambda: datetime.now(UTC)))
                task = asyncio.create_task(dispatcher.run())
                # The worker found nothing and sleeps (its idle wake-up is 30 s away).
                await until(lambda: idle.matched >= 1, what="the worker went to sleep")
                latencies = []
                for n in range(3):
                    stored = time.monotonic()
                    queue_hits(db, settings, 1, prefix=f"p{n}")
                    dispatcher.wake()
                    got = await asyncio.to_thread(receiver.wait_for, n + 1, 3.0)
                    latencies.append(got[-1].at - stored)
                await dispatcher.stop()
                task.cancel()
                return latencies

        latencies = asyncio.run(scenario())
    assert len(latencies) == 3
    assert max(latencies) < 1.0, latencies
    assert statuses(db) == {"sent": 3}


def test_a_channel_that_is_down_does_not_slow_the_others(tmp_path: Path) -> None:
    with Receiver() as healthy, black_hole() as down:
        channels = [hook("down", down, timeout="3s", concurrency=2), hook("up", healthy.url)]
        settings = settings_for(tmp_path, channels, [{"topics": ["*"], "channels": ["down", "up"]}])
        db = store.open_database(None)
        queue_hits(db, settings, 10)

        async def scenario() -> float:
            async with httpx.AsyncClient() as client:
                dispatcher = Dispatcher(runtime(settings, db, client, lambda: datetime.now(UTC)))
                started = time.monotonic()
                task = asyncio.create_task(dispatcher.run())
                got = await asyncio.to_thread(healthy.wait_for, 10, 5.0)
                elapsed = time.monotonic() - started
                assert len(got) == 10
                await dispatcher.stop(grace=0.1)
                task.cancel()
                return elapsed

        elapsed = asyncio.run(scenario())
    # Ten sends to a receiver that never answers would take 15 s in one queue; the healthy channel is not behind it.
    assert elapsed < 1.5, elapsed
    rows = {r.channel_id: r.status for r in outbox.list_deliveries(db, limit=100) if r.channel_id == "up"}
    assert set(rows.values()) == {"sent"}


def test_retries_keep_the_id_then_dead_letter_then_requeue(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with Receiver() as receiver:
        channel = hook("hook", receiver.url, give_up_after="1h")
        settings = settings_for(tmp_path, [channel], [{"topics": ["*"], "channels": ["hook"]}])
        db = store.open_database(None)
        clock = Clock(START)
        queue_hits(db, settings, 1, now=START)
        receiver.answer(*[Answer(500)] * 20)

        async def drain(client: httpx.AsyncClient) -> CycleStats:
            stats = CycleStats()
            await deliver_due(runtime(settings, db, client, clock), stats)
            return stats

        async def scenario() -> None:
            async with httpx.AsyncClient() as client:
                for _ in range(10):
                    await drain(client)
                    clock.advance(hours=0.5)  # past any backoff so far (30 s, 60 s, … capped at 1 h)
                    if statuses(db).get("dead"):
                        break

        asyncio.run(scenario())
        attempts = len(receiver.got)
        assert statuses(db) == {"dead": 1}
        assert 2 <= attempts < 10
        assert len(set(receiver.ids())) == 1  # every retry carried the same webhook-id
        [row] = outbox.list_deliveries(db, failed_only=True)
        assert row.status == "dead" and "500" in (row.last_error or "")
        failed = [r.getMessage() for r in caplog.records if "delivery of" in r.getMessage()]
        assert any(re.search(r" to hook failed \(retry in \d+s\): ", m) for m in failed), failed  # not "failed , retry"
        assert any(" to hook failed for good (dead-lettered): " in m for m in failed), failed

        # Requeued, it goes out with the same id, and the give-up clock starts again.
        receiver.answers.clear()
        assert outbox.requeue_deliveries(db, None, clock()) == 1

        async def once_more() -> None:
            async with httpx.AsyncClient() as client:
                await drain(client)

        asyncio.run(once_more())
        assert statuses(db) == {"sent": 1}
        assert len(set(receiver.ids())) == 1 and len(receiver.got) == attempts + 1


def test_permanent_4xx_fails_at_once_and_429_waits_as_told(tmp_path: Path) -> None:
    with Receiver() as gone, Receiver() as busy:
        channels = [hook("gone", gone.url), hook("busy", busy.url)]
        settings = settings_for(tmp_path, channels, [{"topics": ["*"], "channels": ["gone", "busy"]}])
        db = store.open_database(None)
        queue_hits(db, settings, 1, now=START)
        gone.answer(Answer(404))
        busy.answer(Answer(429, {"Retry-After": "120"}))

        async def scenario() -> None:
            async with httpx.AsyncClient() as client:
                await deliver_due(runtime(settings, db, client, Clock(START)), CycleStats())

        asyncio.run(scenario())
        rows = {r.channel_id: r for r in outbox.list_deliveries(db)}
    assert rows["gone"].status == "failed"
    assert rows["busy"].status == "pending"
    assert rows["busy"].next_attempt_at == "2025-03-01T12:02:00+00:00"


def test_connection_dropped_mid_request_is_retried(tmp_path: Path) -> None:
    with Receiver() as receiver:
        settings = settings_for(tmp_path, [hook("hook", receiver.url)], [{"topics": ["*"], "channels": ["hook"]}])
        db = store.open_database(None)
        queue_hits(db, settings, 1, now=START)
        receiver.answer(Answer(close=True))
        clock = Clock(START)

        async def scenario() -> None:
            async with httpx.AsyncClient() as client:
                rt = runtime(settings, db, client, clock)
                await deliver_due(rt, CycleStats())
                assert statuses(db) == {"pending": 1}
                clock.advance(minutes=5)
                await deliver_due(rt, CycleStats())

        asyncio.run(scenario())
    assert statuses(db) == {"sent": 1}
    assert len(receiver.got) == 2 and len(set(receiver.ids())) == 1


def test_removed_channel_fails_its_deliveries(tmp_path: Path) -> None:
    with Receiver() as receiver:
        both = [hook("hook", receiver.url), hook("old", receiver.url)]
        settings = settings_for(tmp_path, both, [{"topics": ["*"], "channels": ["hook", "old"]}])
        db = store.open_database(None)
        queue_hits(db, settings, 1, now=START)
        (tmp_path / "new").mkdir()
        later = settings_for(tmp_path / "new", both[:1], [{"topics": ["*"], "channels": ["hook"]}])

        async def scenario() -> None:
            async with httpx.AsyncClient() as client:
                await deliver_due(runtime(later, db, client, Clock(START)), CycleStats())

        asyncio.run(scenario())
    rows = {r.channel_id: r for r in outbox.list_deliveries(db)}
    assert rows["hook"].status == "sent"
    assert rows["old"].status == "failed" and "no longer configured" in (rows["old"].last_error or "")
