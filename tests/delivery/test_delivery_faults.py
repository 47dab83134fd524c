"""The dispatcher when the database fails around a send: nothing is sent twice, nothing spins, nothing dies.

The database fails through ``FaultyDb`` (tests/faulty_db.py), which refuses statements by their SQL: each test
asserts that its fault fired, so a change that stops running the statement cannot turn the test into a no-op.
"""

from __future__ import annotations

import asyncio
import itertools
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from delivery_peers import Answer, Receiver, queue_hits, runtime, settings_for, statuses
from faulty_db import FaultyDb
from waiting import until

from monitor import store
from monitor.dispatch import Dispatcher
from monitor.dispatch import dispatcher as dispatcher_module

ROUTES = [{"topics": ["*"], "channels": ["hook"]}]
BACKOFF = 0.3  # the dispatcher's back-off after a database error, shortened for the tests
MARK_SENT = r"^UPDATE deliveries SET status = 'sent'"
MARK_FAILED = r"^UPDATE deliveries SET status = \?, attempts = attempts \+ 1"
READ_OUTBOX = r"FROM deliveries d .*d\.status = 'pending'"
NEXT_DIGEST = r"^SELECT min\(t\) FROM \(SELECT min\(hold_until\)"


def hook(url: str) -> dict[str, object]:
    return {"id": "hook", "type": "webhook", "url": url}


@pytest.fixture(autouse=True)
def short_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dispatcher_module, "TROUBLE_SECONDS", BACKOFF)


def test_a_send_the_database_cannot_record_goes_out_once_and_is_recorded_later(tmp_path: Path) -> None:
    with Receiver() as receiver:
        settings = settings_for(tmp_path, [hook(receiver.url)], ROUTES)
        db = FaultyDb(store.open_database(None))
        queue_hits(db, settings, 2)
        refused = db.fail(MARK_SENT)
        reads = db.fail(READ_OUTBOX, on=False)  # refuses nothing: counts the worker's passes over the outbox

        async def scenario() -> int:
            async with httpx.AsyncClient() as client:
                dispatcher = Dispatcher(runtime(settings, db, client, lambda: datetime.now(UTC)))
                task = asyncio.create_task(dispatcher.run())
                await until(lambda: refused.raised >= 2, what="both sends went out and their records were refused")
                # Three more passes over the outbox while the records are refused: each would resend both alerts
                # if the dispatcher forgot that it sent them.
                passes = reads.matched
                await until(lambda: reads.matched >= passes + 3, what="three more passes over the outbox")
                sent_while_broken = len(receiver.got)
                refused.on = False
                await until(lambda: statuses(db) == {"sent": 2}, what="the sends recorded once writes work again")
                await dispatcher.stop()
                task.cancel()
                return sent_while_broken

        sent_while_broken = asyncio.run(scenario())
    assert sent_while_broken == 2
    assert len(receiver.ids()) == 2 and len(set(receiver.ids())) == 2
    assert refused.raised > 2, "the records were tried again (and refused) at later passes"


def test_a_failure_the_database_cannot_record_backs_off(tmp_path: Path) -> None:
    # A failure that cannot be recorded leaves the alert due at once: only the back-off keeps it from a tight loop.
    with Receiver() as receiver:
        receiver.default = Answer(status=503)
        settings = settings_for(tmp_path, [hook(receiver.url)], ROUTES)
        db = FaultyDb(store.open_database(None))
        queue_hits(db, settings, 1)
        refused = db.fail(MARK_FAILED)

        async def scenario() -> None:
            async with httpx.AsyncClient() as client:
                dispatcher = Dispatcher(runtime(settings, db, client, lambda: datetime.now(UTC)))
                task = asyncio.create_task(dispatcher.run())
                await asyncio.to_thread(receiver.wait_for, 3, 5.0)
                await dispatcher.stop()
                task.cancel()

        asyncio.run(scenario())
    assert refused.raised >= 2, "the failures were refused by the database"
    arrivals = [got.at for got in receiver.got[:3]]
    gaps = [b - a for a, b in itertools.pairwise(arrivals)]
    # Timed by the receiver: an arrival stamped late shortens the next gap by as much, hence the margin.
    assert len(arrivals) == 3 and all(gap >= BACKOFF - 0.1 for gap in gaps), gaps


def test_the_digest_loop_survives_a_database_error(tmp_path: Path) -> None:
    with Receiver() as receiver:
        settings = settings_for(tmp_path, [hook(receiver.url)], ROUTES)
        db = FaultyDb(store.open_database(None))
        refused = db.fail(NEXT_DIGEST, times=1)

        async def scenario() -> bool:
            async with httpx.AsyncClient() as client:
                dispatcher = Dispatcher(runtime(settings, db, client, lambda: datetime.now(UTC)))
                task = asyncio.create_task(dispatcher.run())
                await until(lambda: refused.matched >= 2, what="the digest pass ran again after its back-off")
                alive = not task.done()
                queue_hits(db, settings, 1)
                dispatcher.wake()
                await asyncio.to_thread(receiver.wait_for, 1, 3.0)
                await dispatcher.stop()
                task.cancel()
                return alive

        alive = asyncio.run(scenario())
    assert alive and refused.raised == 1
    assert len(receiver.got) == 1
