"""Receivers that misbehave: a webhook down for ten minutes, an SMTP server answering 4xx, a slow receiver."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from aiosmtpd.controller import Controller
from delivery_peers import Clock, MailBox, black_hole, free_port, queue_hits, runtime, settings_for, statuses
from hostile_kit import LEDGER, Answer, Receiver

from monitor import store
from monitor.dispatch import Dispatcher, deliver_due
from monitor.runtime import CycleStats

Defence = Callable[[str], None]
START = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
ROUTE = [{"topics": ["*"], "channels": ["hook"]}]


def test_webhook_down_for_ten_minutes_then_back(tmp_path: Path, defence: Defence) -> None:
    with Receiver() as receiver:
        settings = settings_for(tmp_path, [{"id": "hook", "type": "webhook", "url": receiver.url}], ROUTE)
        db = store.open_database(None)
        expected = queue_hits(db, settings, 20, now=START)
        clock = Clock(START)
        receiver.default = Answer(close=True)  # down: every connection dropped without an answer

        async def scenario() -> int:
            attempts = 0
            async with httpx.AsyncClient() as client:
                rt = runtime(settings, db, client, clock)
                for minute in range(90):
                    if minute == 10:  # back after ten minutes
                        attempts = len(receiver.got)
                        receiver.got.clear()
                        receiver.default = Answer()
                    await deliver_due(rt, CycleStats())
                    clock.advance(minutes=1)
                    if minute > 10 and statuses(db) == {"sent": expected}:
                        break
            return attempts

        attempts = asyncio.run(scenario())
    arrived = [(g.webhook_id, g.payload["data"]["article"]["url"]) for g in receiver.got]
    delivered, duplicated, lost = LEDGER.add(expected=expected, arrived=arrived)
    assert statuses(db) == {"sent": expected}
    assert (delivered, duplicated, lost) == (expected, 0, 0)
    defence(
        f"connection dropped for 10 min ({attempts} failed attempts, backoff): all {expected} delivered "
        "once after it came back"
    )


class GreylistingMailBox(MailBox):
    """Answers 451 to the first ``refusals`` messages, then accepts."""

    def __init__(self, port: int, refusals: int) -> None:
        super().__init__(port=port)
        self.refusals = refusals
        self.refused = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.refused < self.refusals:
            self.refused += 1
            return "451 4.7.1 Greylisted, try again later"
        return await super().handle_DATA(server, session, envelope)


def test_smtp_4xx_then_accept(tmp_path: Path, defence: Defence) -> None:
    box = GreylistingMailBox(free_port(), refusals=8)
    controller = Controller(box, hostname="127.0.0.1", port=box.port)
    controller.start()
    try:
        channel = {
            "id": "hook",
            "type": "email",
            "from": "monitor@example.org",
            "to": ["desk@example.org"],
            "smtp": {"host": "127.0.0.1", "port": box.port, "starttls": False},
        }
        settings = settings_for(tmp_path, [channel], ROUTE)
        db = store.open_database(None)
        expected = queue_hits(db, settings, 5, now=START)
        clock = Clock(START)

        async def scenario() -> None:
            async with httpx.AsyncClient() as client:
                rt = runtime(settings, db, client, clock)
                for _ in range(30):
                    await deliver_due(rt, CycleStats())
                    if statuses(db) == {"sent": expected}:
                        return
                    clock.advance(minutes=10)

        asyncio.run(scenario())
    finally:
        controller.stop()
    arrived = [(str(m["Message-ID"]), str(m["Message-ID"])) for m in box.messages]
    delivered, duplicated, lost = LEDGER.add(expected=expected, arrived=arrived)
    assert statuses(db) == {"sent": expected} and box.refused == 8
    assert (delivered, duplicated, lost) == (expected, 0, 0)
    defence(
        f"451 greylisting on the first 8 attempts: retried (4xx is temporary), {expected}/{expected} mails "
        "accepted once"
    )


def test_slow_receiver_does_not_hold_the_others(tmp_path: Path, defence: Defence) -> None:
    with Receiver() as fast, black_hole() as stuck, Receiver() as slow:
        slow.default = Answer(hang=5)
        channels = [
            {"id": "hook", "type": "webhook", "url": fast.url},
            {"id": "stuck", "type": "webhook", "url": stuck, "timeout": "3s", "concurrency": 2},
            {"id": "slow", "type": "webhook", "url": slow.url, "timeout": "10s", "concurrency": 1},
        ]
        settings = settings_for(tmp_path, channels, [{"topics": ["*"], "channels": ["hook", "stuck", "slow"]}])
        db = store.open_database(None)
        expected = queue_hits(db, settings, 10) // 3

        async def scenario() -> float:
            async with httpx.AsyncClient() as client:
                dispatcher = Dispatcher(runtime(settings, db, client, lambda: datetime.now(UTC)))
                started = time.monotonic()
                task = asyncio.create_task(dispatcher.run())
                got = await asyncio.to_thread(fast.wait_for, expected, 5.0)
                elapsed = time.monotonic() - started
                assert len(got) == expected
                await dispatcher.stop(grace=0.1)
                task.cancel()
                return elapsed

        elapsed = asyncio.run(scenario())
    arrived = [(g.webhook_id, g.payload["data"]["article"]["url"]) for g in fast.got]
    delivered, duplicated, lost = LEDGER.add(expected=expected, arrived=arrived)
    assert elapsed < 1.5 and (delivered, duplicated, lost) == (expected, 0, 0)
    defence(
        f"one receiver never answers, one takes 5 s per request: the healthy channel got its {expected} "
        f"alerts in {elapsed:.2f} s"
    )
