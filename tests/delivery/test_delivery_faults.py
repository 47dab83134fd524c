"""The dispatcher when the database fails around a send: nothing is sent twice, nothing spins, nothing dies."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from delivery_peers import Answer, Receiver, queue_hits, runtime, settings_for, statuses

from monitor import store
from monitor.dispatch import Dispatcher
from monitor.dispatch import dispatcher as dispatcher_module
from monitor.store import deliveries as outbox
from monitor.store import digests, sends

ROUTES = [{"topics": ["*"], "channels": ["hook"]}]


def hook(url: str) -> dict[str, object]:
    return {"id": "hook", "type": "webhook", "url": url}


class Fault:
    """Wrap a store function so it raises sqlite3.OperationalError while ``on`` (or for its first ``times`` calls)."""

    def __init__(self, real: Any, times: int | None = None) -> None:
        self.real, self.times, self.on, self.calls = real, times, times is None, 0

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self.calls += 1
        if self.on or (self.times is not None and self.calls <= self.times):
            raise sqlite3.OperationalError("database is locked")
        return self.real(*args, **kwargs)


@pytest.fixture(autouse=True)
def short_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dispatcher_module, "TROUBLE_SECONDS", 0.3)


async def until(test: Any, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not test() and time.monotonic() < deadline:
        await asyncio.sleep(0.05)


def test_a_send_the_database_cannot_record_goes_out_once_and_is_recorded_later(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fault = Fault(outbox.mark_delivery_sent)
    monkeypatch.setattr(outbox, "mark_delivery_sent", fault)
    with Receiver() as receiver:
        settings = settings_for(tmp_path, [hook(receiver.url)], ROUTES)
        db = store.open_database(None)
        queue_hits(db, settings, 2)

        async def scenario() -> int:
            async with httpx.AsyncClient() as client:
                dispatcher = Dispatcher(runtime(settings, db, client, lambda: datetime.now(UTC)))
                task = asyncio.create_task(dispatcher.run())
                await asyncio.to_thread(receiver.wait_for, 2, 3.0)
                await asyncio.sleep(1.0)  # long enough for a tight loop to resend them hundreds of times
                sent_while_broken = len(receiver.got)
                fault.on = False
                await until(lambda: statuses(db) == {"sent": 2})
                await dispatcher.stop()
                task.cancel()
                return sent_while_broken

        sent_while_broken = asyncio.run(scenario())
    assert sent_while_broken == 2
    assert len(receiver.ids()) == 2 and len(set(receiver.ids())) == 2
    assert statuses(db) == {"sent": 2}, "recorded once the database took writes again"


def test_a_failure_the_database_cannot_record_backs_off(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Every failed send is recorded through sends.mark_failed (alerts, digests and notices alike).
    fault = Fault(sends.mark_failed)
    monkeypatch.setattr(sends, "mark_failed", fault)
    with Receiver() as receiver:
        receiver.default = Answer(status=503)
        settings = settings_for(tmp_path, [hook(receiver.url)], ROUTES)
        db = store.open_database(None)
        queue_hits(db, settings, 1)

        async def scenario() -> None:
            async with httpx.AsyncClient() as client:
                dispatcher = Dispatcher(runtime(settings, db, client, lambda: datetime.now(UTC)))
                task = asyncio.create_task(dispatcher.run())
                await asyncio.sleep(1.0)
                await dispatcher.stop()
                task.cancel()

        asyncio.run(scenario())
    assert fault.calls >= 1, "the failure was recorded through the faulty store call"
    # One try per 0.3 s back-off (at most 4 in 1 s), not one per round trip.
    assert 1 <= len(receiver.got) <= 5, len(receiver.got)


def test_the_digest_loop_survives_a_database_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fault = Fault(digests.next_digest_time, times=1)
    monkeypatch.setattr(digests, "next_digest_time", fault)
    with Receiver() as receiver:
        settings = settings_for(tmp_path, [hook(receiver.url)], ROUTES)
        db = store.open_database(None)

        async def scenario() -> bool:
            async with httpx.AsyncClient() as client:
                dispatcher = Dispatcher(runtime(settings, db, client, lambda: datetime.now(UTC)))
                task = asyncio.create_task(dispatcher.run())
                await until(lambda: fault.calls >= 2, timeout=3.0)  # the pass ran again after its back-off
                alive = not task.done()
                queue_hits(db, settings, 1)
                dispatcher.wake()
                await asyncio.to_thread(receiver.wait_for, 1, 3.0)
                await dispatcher.stop()
                task.cancel()
                return alive

        alive = asyncio.run(scenario())
    assert alive and fault.calls >= 2
    assert len(receiver.got) == 1
